import { expect } from 'chai';
import type { PlumbEvent } from '../../../src/report/events.js';
import { linesReporter } from '../../../src/report/lines.js';

function render(events: PlumbEvent[], opts = { verbose: false, showOk: false }): string {
  const out: string[] = [];
  const r = linesReporter((s) => out.push(s), opts);
  events.forEach(r);
  return out.join('');
}

const task = (over: Partial<Extract<PlumbEvent, { type: 'task' }>>): PlumbEvent => ({
  type: 'task',
  host: 'web1',
  play: 'p',
  task: 'config',
  handler: false,
  status: 'ok',
  durationMs: 1,
  ...over,
});

describe('report/lines', () => {
  const cases: Array<{ name: string; events: PlumbEvent[]; opts?: { verbose: boolean; showOk: boolean }; want: string }> = [
    { name: 'play header', events: [{ type: 'play', play: 'site', hosts: ['a', 'b'] }], want: '\nPLAY site [a, b]\n' },
    { name: 'ok is quiet by default', events: [task({ status: 'ok', message: 'in sync' })], want: '' },
    {
      name: 'ok with showOk, no message',
      events: [task({ status: 'ok', message: 'in sync' })],
      opts: { verbose: false, showOk: true },
      want: 'ok          web1  config\n',
    },
    {
      name: 'ok with -v shows its message',
      events: [task({ status: 'ok', message: 'in sync' })],
      opts: { verbose: true, showOk: false },
      want: 'ok          web1  config - in sync\n',
    },
    { name: 'changed', events: [task({ status: 'changed', message: 'update /etc/a' })], want: 'changed     web1  config - update /etc/a\n' },
    {
      name: 'failed, multi-line message indented',
      events: [task({ status: 'failed', message: 'boom (exit 1)\nline 2' })],
      want: 'FAILED      web1  config - boom (exit 1)\n    line 2\n',
    },
    { name: 'skipped', events: [task({ status: 'skipped', message: 'condition false' })], want: 'skipped     web1  config - condition false\n' },
    { name: 'unreachable', events: [task({ status: 'unreachable', task: 'connect', message: 'refused' })], want: 'UNREACHABLE web1  connect - refused\n' },
    {
      name: 'handler and item',
      events: [task({ status: 'changed', handler: true, task: 'restart', item: 'a' })],
      want: 'changed     web1  handler: restart (item=a)\n',
    },
    {
      name: 'diff is indented under its task',
      events: [task({ status: 'changed', diff: [{ label: '/etc/a', before: 'x\n', after: 'y\n' }] })],
      want: 'changed     web1  config\n    --- /etc/a (before)\n    +++ /etc/a (after)\n    @@ -1,1 +1,1 @@\n    -x\n    +y\n',
    },
    { name: 'exec lines only with -v', events: [{ type: 'exec', host: 'web1', purpose: 'facts', command: 'a\nb', code: 0, durationMs: 12 }], want: '' },
    {
      name: 'exec with -v: first line of the script',
      events: [{ type: 'exec', host: 'web1', purpose: 'facts', command: 'a\nb', code: 0, durationMs: 12 }],
      opts: { verbose: true, showOk: false },
      want: '  exec  web1 [facts] exit=0 12ms a\n',
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(render(c.events, c.opts)).to.equal(c.want));
  }

  it('ends with the recap', () => {
    const out = render([
      {
        type: 'recap',
        mode: 'apply',
        hosts: { web1: { ok: 3, changed: 1, failed: 0, skipped: 2, unreachable: false, execs: 2, durationMs: 1500 } },
        durationMs: 2000,
      },
    ]);
    expect(out).to.match(/\nRECAP\n/);
    expect(out).to.match(/^web1 +3 +1 +0 +2 +0 +2 +1\.50s$/m);
    expect(out).to.match(/^total 2\.00s\n$/m);
  });
});
