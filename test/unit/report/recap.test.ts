import { expect } from 'chai';
import { formatRecap } from '../../../src/report/recap.js';

describe('report/recap', () => {
  it('one aligned row per host with ok, changed, failed, skipped, unreachable, execs and time', () => {
    const out = formatRecap(
      {
        'web-01.example': { ok: 12, changed: 3, failed: 0, skipped: 1, unreachable: false, execs: 2, durationMs: 840 },
        db: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: true, execs: 0, durationMs: 10_000 },
      },
      12_345,
    );
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).to.deep.equal(['', 'RECAP']);
    expect(lines[2]).to.equal('HOST                 ok changed  failed skipped unreach   execs    time');
    expect(lines[3]).to.equal('web-01.example       12       3       0       1       0       2   0.84s');
    expect(lines[4]).to.equal('db                    0       0       0       0       1       0  10.00s');
    expect(lines[5]).to.equal('total 12.35s');
    expect(new Set(lines.slice(2, 5).map((l) => l.length)).size, 'columns line up').to.equal(1);
  });
});
