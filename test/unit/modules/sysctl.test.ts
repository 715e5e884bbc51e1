import sysctl, { DEFAULT_SYSCTL_FILE, type SysctlArgs } from '../../../src/modules/sysctl.js';
import { sysctlFact, sysctlMerger, sysctlPath } from '../../../src/facts/sysctl.js';
import { expect } from 'chai';
import { runSchemaTable, runTable, type Case } from './table.js';
import { absent, textFile, withText } from './edit-fixtures.js';

const F = DEFAULT_SYSCTL_FILE;
const facts = (file: string | null, live: string | null, name = 'net.ipv4.ip_forward') => ({
  ...withText(F, file === null ? absent : textFile(file)),
  [`sysctl:${name}`]: live,
});

const cases: Case<SysctlArgs>[] = [
  {
    name: 'absent file, live differs: file written and value set with sysctl -w',
    args: { name: 'net.ipv4.ip_forward', value: '1' },
    facts: facts(null, '0'),
    expect: {
      status: 'changed',
      changes: 2,
      stdin: 'net.ipv4.ip_forward=1\n',
      scriptMatches: [/sysctl -q -w net\.ipv4\.ip_forward=1/],
      diff: [
        { label: F, before: '', after: 'net.ipv4.ip_forward=1\n' },
        { label: 'sysctl net.ipv4.ip_forward (running kernel)', before: '0\n', after: '1\n' },
      ],
    },
  },
  {
    name: 'file and kernel agree: ok',
    args: { name: 'net.ipv4.ip_forward', value: 1 },
    facts: facts('net.ipv4.ip_forward = 1\n', '1'),
    expect: { status: 'ok' },
  },
  {
    name: 'file right, kernel drifted: only sysctl -w (drift in the running state)',
    args: { name: 'net.ipv4.ip_forward', value: '1' },
    facts: facts('net.ipv4.ip_forward=1\n', '0'),
    expect: { status: 'changed', changes: 1, scriptMatches: [/sysctl -q -w/], scriptNotMatches: [/mktemp/] },
  },
  {
    name: 'reload: false: the kernel is not compared or touched',
    args: { name: 'net.ipv4.ip_forward', value: '1', reload: false },
    facts: facts('net.ipv4.ip_forward=1\n', '0'),
    expect: { status: 'ok' },
  },
  {
    name: 'whitespace in values is normalized',
    args: { name: 'net.ipv4.ip_local_port_range', value: '1024  65000' },
    facts: facts('net.ipv4.ip_local_port_range=1024 65000\n', '1024\t65000', 'net.ipv4.ip_local_port_range'),
    expect: { status: 'ok' },
  },
  {
    name: 'state absent removes the line, kernel left alone',
    args: { name: 'net.ipv4.ip_forward', state: 'absent' },
    facts: facts('a=1\nnet.ipv4.ip_forward=1\n', '1'),
    expect: { status: 'changed', stdin: 'a=1\n', scriptNotMatches: [/sysctl -q/] },
  },
  {
    name: 'a key the kernel does not have: error',
    args: { name: 'net.nope', value: '1' },
    facts: facts(null, null, 'net.nope'),
    expect: { status: 'error', error: /no sysctl net\.nope/ },
  },
  { name: 'booleans are 1/0', args: { name: 'net.ipv4.ip_forward', value: true }, facts: facts('net.ipv4.ip_forward=1\n', '1'), expect: { status: 'ok' } },
];

describe('modules/sysctl', () => {
  runTable(sysctl, cases);
  runSchemaTable(sysctl, [
    // geerlingguy.security / dev-sec os-hardening style
    {
      name: 'dev-sec.os-hardening style task',
      args: { name: 'net.ipv4.ip_forward', value: '0', state: 'present', sysctl_file: '/etc/sysctl.d/99-hardening.conf', reload: true, ignoreerrors: true },
      valid: true,
    },
    { name: 'present without value', args: { name: 'vm.swappiness' }, valid: false, message: /needs value/ },
    { name: 'unknown key', args: { name: 'vm.swappiness', value: '1', sysctl_reload: true }, valid: false },
  ]);
  it('paths: dots are slashes, a slash stands for a dot (VLAN interfaces)', () => {
    expect(sysctlPath('net.ipv4.conf.eth0/100.forwarding')).to.equal('/proc/sys/net/ipv4/conf/eth0.100/forwarding');
  });
  it('merged probe: every key in one grep, a missing one left out', () => {
    expect(sysctlMerger.probe(['a.b', 'c.d']).text).to.match(/grep -s -H -- '' \/proc\/sys\/a\/b \/proc\/sys\/c\/d/);
    expect(sysctlMerger.split('/proc/sys/a/b:1\n', 0, ['a.b', 'c.d'])).to.deep.equal([
      { out: '1', code: 0 },
      { out: '', code: 1 },
    ]);
    expect(sysctlFact('a.b').parse('/proc/sys/a/b:32768\t60999\n', 0)).to.equal('32768\t60999');
    expect(sysctlFact('a.b').parse('', 0)).to.equal(null);
  });
});
