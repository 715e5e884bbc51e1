// writeFileAtomic under concurrent writers in one process (the lab resets hosts in parallel,
// and each reset records the lab's state).
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../../src/lab/fs.js';

describe('lab/fs writeFileAtomic', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-fs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('20 concurrent writes to one file all succeed; one whole version wins and no temp file is left', async () => {
    const file = join(dir, 'state.json');
    const versions = Array.from({ length: 20 }, (_, i) => `${JSON.stringify({ version: i, pad: 'x'.repeat(10_000) })}\n`);
    await Promise.all(versions.map((v) => writeFileAtomic(file, v)));
    expect(versions).to.include(readFileSync(file, 'utf8'));
    expect(readdirSync(dir)).to.deep.equal(['state.json']);
  });
});
