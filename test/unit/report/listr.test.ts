import { expect } from 'chai';
import type { PlumbEvent } from '../../../src/report/events.js';
import { fitsScreen, hostTitle, resultLine } from '../../../src/report/listr.js';

const task = (over: Partial<Extract<PlumbEvent, { type: 'task' }>>): Extract<PlumbEvent, { type: 'task' }> => ({
  type: 'task',
  host: 'web-01',
  play: 'p',
  task: 'config',
  handler: false,
  status: 'ok',
  durationMs: 1,
  ...over,
});

describe('report/listr', () => {
  describe('resultLine: each result printed once, after the live region', () => {
    const cases: Array<{ name: string; e: Extract<PlumbEvent, { type: 'task' }>; want: string | undefined }> = [
      { name: 'ok is not a result line', e: task({ status: 'ok', message: 'in sync' }), want: undefined },
      { name: 'skipped is not a result line', e: task({ status: 'skipped', message: 'condition false' }), want: undefined },
      { name: 'changed: first line of its message', e: task({ status: 'changed', message: 'update /etc/a\nmore' }), want: '~ web-01  config: update /etc/a' },
      { name: 'handler and item', e: task({ status: 'changed', handler: true, task: 'restart', item: 'a' }), want: '~ web-01  handler: restart (item=a)' },
      {
        name: 'failed keeps the whole message, indented',
        e: task({ status: 'failed', message: 'boom\nline 2' }),
        want: '✖ web-01  FAILED config: boom\n    line 2',
      },
      { name: 'unreachable', e: task({ status: 'unreachable', task: 'connect', message: 'refused' }), want: '✖ web-01  UNREACHABLE connect: refused' },
    ];
    for (const c of cases) it(c.name, () => expect(resultLine(c.e, 6)).to.equal(c.want));
    it('pads the host to the widest name', () => expect(resultLine(task({ host: 'lb', status: 'changed' }), 6)).to.equal('~ lb      config'));
  });

  describe('hostTitle: one line per host', () => {
    const cases = [
      { counts: { ok: 1, changed: 2, failed: 0, skipped: 0 }, want: 'lb-01   [ok 1, changed 2]  HAProxy config' },
      { counts: { ok: 1, changed: 0, failed: 1, skipped: 3 }, want: 'lb-01   [ok 1, changed 0, failed 1, skipped 3]  HAProxy config' },
    ];
    for (const c of cases) it(c.want, () => expect(hostTitle('lb-01', 6, 'HAProxy config', c.counts)).to.equal(c.want));
  });

  describe('fitsScreen: the live tree only when it fits, else listr2 falls back to its simple renderer', () => {
    const cases = [
      { hosts: 3, rows: 50, want: true },
      { hosts: 24, rows: 50, want: true },
      { hosts: 25, rows: 50, want: false },
      { hosts: 3, rows: 7, want: false },
    ];
    for (const c of cases) it(`${c.hosts} hosts, ${c.rows} rows: ${c.want}`, () => expect(fitsScreen(c.hosts, { rows: c.rows })).to.equal(c.want));
  });
});
