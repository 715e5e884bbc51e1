import { expect } from 'chai';
import type { PlumbEvent } from '../../../src/report/events.js';
import { jsonReporter } from '../../../src/report/json.js';

const events: PlumbEvent[] = [
  { type: 'run', mode: 'check', playbook: '/p.yml', hosts: ['a'] },
  { type: 'play', play: 'site', hosts: ['a'] },
  { type: 'task_start', host: 'a', play: 'site', task: 't', handler: false },
  { type: 'exec', host: 'a', purpose: 'facts', command: 'x', code: 0, durationMs: 1 },
  { type: 'task', host: 'a', play: 'site', task: 't', handler: false, status: 'changed', message: 'would\nrun', durationMs: 2 },
  { type: 'host_done', host: 'a', play: 'site' },
  { type: 'recap', mode: 'check', hosts: { a: { ok: 0, changed: 1, failed: 0, skipped: 0, unreachable: false, execs: 1, durationMs: 3 } }, durationMs: 4 },
];

function lines(verbose: boolean): string[] {
  const out: string[] = [];
  events.forEach(jsonReporter((s) => out.push(s), verbose));
  return out;
}

describe('report/json', () => {
  it('NDJSON: one task result per line, then the recap; nothing else', () => {
    const out = lines(false);
    expect(out.map((l) => (JSON.parse(l) as { type: string }).type)).to.deep.equal(['task', 'recap']);
    for (const l of out) {
      expect(l.endsWith('\n')).to.equal(true);
      expect(l.slice(0, -1)).not.to.include('\n');
    }
  });

  it('-v adds play and exec events', () => {
    expect(lines(true).map((l) => (JSON.parse(l) as { type: string }).type)).to.deep.equal(['play', 'exec', 'task', 'recap']);
  });
});
