import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { probeFact } from '../../../src/facts/cmd.js';
import { runBatchLocally } from './local.js';

describe('facts/cmd', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases = [
    { name: 'exit 0 means done', stdout: 'anything', code: 0, expected: true },
    { name: 'non-zero means not done', stdout: '', code: 1, expected: false },
  ];
  for (const c of cases) it(`parse: ${c.name}`, () => expect(probeFact('x').parse(c.stdout, c.code)).to.equal(c.expected));

  it('runs for real, in a batch: a syntax error fails only its own probe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-cmd-'));
    try {
      const facts = [
        probeFact('test -d /'),
        probeFact('false'),
        probeFact('echo ) ('),
        probeFact('test "$(pwd)" = ' + dir, dir),
        probeFact('true', join(dir, 'missing')),
        probeFact('grep -q root /etc/passwd && echo $HOME | grep -q /'),
      ];
      const raw = runBatchLocally(facts);
      expect(facts.map((f, i) => f.parse(raw[i]!.out, raw[i]!.code))).to.deep.equal([true, false, false, true, false, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
