import { expect } from 'chai';
import { renderTable, fmtRatio } from '../../../bench/lib/table.js';
import { scaleChart, niceMax } from '../../../bench/lib/svg.js';
import { changedTasks, failedTasks, parseRecap } from '../../../bench/lib/ansible.js';
import { merge, type BenchResults } from '../../../bench/lib/results.js';
import { compareFingerprints, fingerprintScript } from '../../../bench/lib/hosts.js';
import type { ScenarioResult } from '../../../bench/lib/measure.js';

const scenario = (id: string, hosts = 3): ScenarioResult => ({ id, title: id, hosts, measuredAt: '2026-01-01T00:00:00Z', load: [1, 1, 1], notes: [] });

describe('bench/report', () => {
  it('table: one row per scenario with medians, ranges and the ratio', () => {
    const t = renderTable([
      {
        scenario: 'no-op',
        hosts: 3,
        plumb: { n: 5, median: 500, min: 400, max: 600 },
        ansible: { n: 5, median: 20_000, min: 19_000, max: 21_000 },
        ratio: 40,
        plumbExecs: 1,
        floor: 310,
      },
    ]);
    const [head, , row] = t.split('\n');
    expect(head).to.match(/^scenario/);
    expect(row).to.contain('0.50 (0.40-0.60) n=5');
    expect(row).to.contain('20.0 (19.0-21.0) n=5');
    expect(row).to.contain('40x');
    expect(row).to.match(/\| 0\.31 +\|/);
    expect(fmtRatio(2.345)).to.equal('2.3x');
  });

  it('Ansible recap lines are parsed per host', () => {
    const out = 'PLAY RECAP ***\nlb-01                      : ok=12   changed=1    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0\n';
    expect(parseRecap(out)).to.deep.equal({ 'lb-01': { ok: 12, changed: 1, unreachable: 0, failed: 0, skipped: 3 } });
  });

  it('Ansible changed results are named by the task above them', () => {
    const out = 'TASK [common : Firewall on] ****\nok: [lb-01]\nchanged: [web-01]\n\nRUNNING HANDLER [nginx : reload nginx] ***\nchanged: [web-02]\n';
    expect(changedTasks(out)).to.deep.equal(['common : Firewall on (web-01)', 'nginx : reload nginx (web-02)']);
  });

  it('Ansible failures carry the task, the host and the message', () => {
    const out = 'TASK [mariadb_replica : Replica state] ***\nfatal: [web-02]: FAILED! => {"changed": false, "msg": "boom"}\n';
    expect(failedTasks(out)).to.deep.equal(['mariadb_replica : Replica state (web-02): boom']);
  });

  it('merge keeps scenarios the current run did not measure', () => {
    const prev: BenchResults = { startedAt: 'a', machine: {}, scenarios: [scenario('noop'), scenario('startup', 0)], findings: ['old'] };
    const cur: BenchResults = { startedAt: 'b', machine: {}, scenarios: [scenario('noop')], findings: [] };
    const m = merge(prev, cur);
    expect(m.scenarios.map((s) => s.id)).to.deep.equal(['startup', 'noop']);
    expect(m.findings).to.deep.equal(['old']);
  });

  it('the chart has one polyline per series with more than one point', () => {
    const svg = scaleChart('t', 's', [
      {
        label: 'plumb',
        color: '#000',
        points: [
          { hosts: 10, median: 1, min: 0.9, max: 1.1 },
          { hosts: 100, median: 2, min: 1.9, max: 2.2 },
        ],
      },
    ]);
    expect(svg).to.match(/^<svg /);
    expect(svg.match(/<polyline/g)).to.have.length(1);
    expect(svg.match(/<circle/g)).to.have.length(2);
    expect(niceMax(0.7)).to.equal(1);
    expect(niceMax(130)).to.equal(200);
  });

  it('fingerprints: paths are quoted, differences listed per host and path', () => {
    const s = fingerprintScript(["/etc/it's"], [], { 'svc:x': 'systemctl is-active x' });
    expect(s).to.contain(`'/etc/it'\\''s'`);
    expect(s).to.contain("echo 'svc:x'");
    const d = compareFingerprints({ a: { '/x': '1', '/y': '2' } }, { a: { '/x': '1', '/y': '3' } });
    expect(d).to.deep.equal([{ host: 'a', path: '/y', a: '2', b: '3' }]);
  });
});
