import { expect } from 'chai';
import { collectNotes, formatRecap } from '../../../src/report/recap.js';

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

  it('notes follow the table, one line each with their hosts; none leaves the table as it was', () => {
    const hosts = { lb: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 1, durationMs: 10 } };
    const plain = formatRecap(hosts, 10);
    expect(formatRecap(hosts, 10, [])).to.equal(plain);
    const out = formatRecap(hosts, 10, [
      { message: 'no alert receiver is set', hosts: ['lb', 'web-01'] },
      { message: 'two\nlines', hosts: ['lb'] },
    ]);
    expect(out).to.equal(`${plain}\nnote (lb, web-01): no alert receiver is set\nnote (lb): two\n    lines`);
  });

  const table: { name: string; perHost: [string, string[]][]; want: { message: string; hosts: string[] }[] }[] = [
    { name: 'nothing', perHost: [['a', []]], want: [] },
    {
      name: 'same message on several hosts: once',
      perHost: [
        ['a', ['m']],
        ['b', ['m']],
        ['c', ['m']],
      ],
      want: [{ message: 'm', hosts: ['a', 'b', 'c'] }],
    },
    {
      name: 'two messages: twice, in order of first appearance',
      perHost: [
        ['a', ['m']],
        ['b', ['n', 'm']],
      ],
      want: [
        { message: 'm', hosts: ['a', 'b'] },
        { message: 'n', hosts: ['b'] },
      ],
    },
    { name: 'a host repeating a message counts once', perHost: [['a', ['m', 'm']]], want: [{ message: 'm', hosts: ['a'] }] },
  ];
  for (const c of table) it(`collectNotes: ${c.name}`, () => expect(collectNotes(c.perHost)).to.deep.equal(c.want));
});
