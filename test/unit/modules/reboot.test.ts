import { expect } from 'chai';
import reboot, { type RebootArgs } from '../../../src/modules/reboot.js';
import { fakeContext, fakeFacts } from '../helpers.js';
import { runSchemaTable, runTable, type Case } from './table.js';

const cases: Case<RebootArgs>[] = [
  {
    name: "Ansible's defaults: boot id first, the reboot started outside the session, every fact invalid after",
    args: {},
    facts: {},
    expect: {
      status: 'changed',
      scriptMatches: [
        /^cat \/proc\/sys\/kernel\/random\/boot_id$/m,
        /systemd-run --quiet --collect --on-active=1 \/bin\/sh -c 'systemctl reboot'/,
        /wall 'Reboot initiated by plumb'/,
      ],
      invalidates: ['*'],
      changes: 1,
    },
  },
  {
    name: 'pre_reboot_delay, msg and reboot_command (quoted as data)',
    args: { pre_reboot_delay: 5, msg: "it's time", reboot_command: 'shutdown -r now' },
    facts: {},
    expect: { status: 'changed', scriptMatches: [/--on-active=6 \/bin\/sh -c 'shutdown -r now'/, /wall 'it'\\''s time'/] },
  },
];

describe('modules/reboot', () => {
  runTable(reboot, cases);
  runSchemaTable(reboot, [
    {
      name: 'every Ansible argument',
      args: {
        reboot_timeout: 60,
        connect_timeout: 5,
        pre_reboot_delay: 0,
        post_reboot_delay: 3,
        test_command: 'uptime',
        boot_time_command: 'cat /proc/sys/kernel/random/boot_id',
        msg: 'x',
        reboot_command: 'reboot',
        search_paths: ['/sbin'],
      },
      valid: true,
    },
    { name: 'an unknown key', args: { timeout: 5 }, valid: false },
    { name: 'a negative delay', args: { pre_reboot_delay: -1 }, valid: false },
  ]);
  it('the executor waits with the given limits and commands', () => {
    const plan = reboot.plan({ reboot_timeout: 90, post_reboot_delay: 2, test_command: 'uptime' }, fakeFacts({}), fakeContext());
    const r = plan.changes[0]!.reboot!;
    expect([r.timeoutS, r.postDelayS, r.connectTimeoutS, r.testCommand.text, r.bootCommand.text]).to.deep.equal([
      90,
      2,
      30,
      'uptime',
      'cat /proc/sys/kernel/random/boot_id',
    ]);
  });
});
