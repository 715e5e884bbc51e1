import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fileFact, fileMerger, pathExistsFact, type FileState } from '../../../src/facts/file.js';
import { slots } from '../../../src/facts/batch.js';
import type { Fact } from '../../../src/facts/types.js';
import { gather, gatherAll } from './local.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('facts/file', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases: { name: string; params: [string, boolean?]; stdout: string; code: number; expected: FileState }[] = [
    { name: 'absent', params: ['/x'], stdout: 'absent\n', code: 0, expected: { kind: 'absent' } },
    {
      name: 'directory',
      params: ['/x'],
      stdout: 'directory\n755\nroot\nroot\n',
      code: 0,
      expected: { kind: 'directory', mode: '0755', owner: 'root', group: 'root' },
    },
    {
      name: 'link',
      params: ['/x'],
      stdout: 'link\n777\nroot\nroot\n/target\n',
      code: 0,
      expected: { kind: 'link', mode: '0777', owner: 'root', group: 'root', target: '/target' },
    },
    {
      name: 'file',
      params: ['/x'],
      stdout: `file\n640\nroot\nadm\n3\n${sha('abc')}\n`,
      code: 0,
      expected: { kind: 'file', mode: '0640', owner: 'root', group: 'adm', size: 3, sha256: sha('abc') },
    },
    {
      name: 'file with content',
      params: ['/x', true],
      stdout: `file\n644\nroot\nroot\n3\n${sha('abc')}\nYWJj`,
      code: 0,
      expected: { kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, sha256: sha('abc'), content: Buffer.from('abc') },
    },
    {
      name: 'empty file with content',
      params: ['/x', true],
      stdout: `file\n600\nroot\nroot\n0\n${sha('')}\n`,
      code: 0,
      expected: { kind: 'file', mode: '0600', owner: 'root', group: 'root', size: 0, sha256: sha(''), content: Buffer.alloc(0) },
    },
    {
      name: 'setuid mode keeps 4 digits',
      params: ['/x'],
      stdout: 'directory\n1777\nroot\nroot\n',
      code: 0,
      expected: { kind: 'directory', mode: '1777', owner: 'root', group: 'root' },
    },
  ];
  for (const c of cases) {
    it(`parse: ${c.name}`, () => {
      expect(fileFact(...c.params).parse(c.stdout, c.code)).to.deep.equal(c.expected);
    });
  }
  it('merged split: content whose length or hash does not match the stat is left out, not guessed', () => {
    const rec = (p: string, size: number): string => `${p}\x00regular file\x00644\x00root\x00root\x00${size}\x00`;
    const out = (b64: string): string => `@stat\0${rec('/a', 3)}${rec('/b', 2)}@links\0@sha\0${sha('abc')}  /a\0${sha('de')}  /b\0@content\0${b64}`;
    const args = ['c:/a', 'c:/b'];
    const ok = fileMerger.split(out(Buffer.from('abcde').toString('base64')), 0, args);
    expect(ok.map((r, i) => fileFact(['/a', '/b'][i]!, true).parse(r.out, r.code))).to.deep.equal([
      { kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, sha256: sha('abc'), content: Buffer.from('abc') },
      { kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 2, sha256: sha('de'), content: Buffer.from('de') },
    ]);
    const changed = fileMerger.split(out(Buffer.from('abXde').toString('base64')), 0, args);
    expect(fileFact('/a', true).parse(changed[0]!.out, 0)).to.not.have.property('content');
    expect(fileFact('/b', true).parse(changed[1]!.out, 0)).to.deep.include({ content: Buffer.from('de') });
    const grown = fileMerger.split(out(Buffer.from('abcdef').toString('base64')), 0, args);
    expect(grown.map((r) => fileFact('/x', true).parse(r.out, 0))).to.satisfy((xs: FileState[]) => xs.every((x) => !('content' in x)));
  });

  it('keys: content is a #variant of the same path', () => {
    expect(fileFact('/a b').key).to.equal('file:/a b');
    expect(fileFact('/a b', true).key).to.equal('file:/a b#content');
    expect(pathExistsFact('/a b').key).to.equal('file:/a b#exists');
  });

  describe('probes run for real', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), "plumb fact 'q' "));
      writeFileSync(join(dir, 'f.conf'), 'hello\n');
      chmodSync(join(dir, 'f.conf'), 0o640);
      writeFileSync(join(dir, 'empty'), '');
      writeFileSync(join(dir, 'bin'), Buffer.from([0, 1, 2, 255]));
      mkdirSync(join(dir, 'd'));
      chmodSync(join(dir, 'd'), 0o2750);
      symlinkSync('/nonexistent/target', join(dir, 'dangling'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a file: mode, owner, size and sha256 computed by the probe', () => {
      const st = gather(fileFact(join(dir, 'f.conf')));
      expect(st).to.include({ kind: 'file', mode: '0640', size: 6, sha256: sha('hello\n') });
      expect(st).to.have.property('owner').that.is.a('string').and.not.equal('');
    });
    it('a file with content (for --diff), a binary one, an empty one', () => {
      expect(gather(fileFact(join(dir, 'f.conf'), true))).to.deep.include({ content: Buffer.from('hello\n') });
      expect(gather(fileFact(join(dir, 'bin'), true))).to.deep.include({ content: Buffer.from([0, 1, 2, 255]), size: 4 });
      expect(gather(fileFact(join(dir, 'empty'), true))).to.deep.include({ content: Buffer.alloc(0), size: 0, sha256: sha('') });
    });
    it('a directory with a setgid bit', () => {
      expect(gather(fileFact(join(dir, 'd')))).to.include({ kind: 'directory', mode: '2750' });
    });
    it('a dangling symlink is a link, not absent', () => {
      expect(gather(fileFact(join(dir, 'dangling')))).to.include({ kind: 'link', target: '/nonexistent/target' });
      expect(gather(pathExistsFact(join(dir, 'dangling')))).to.equal(true);
    });
    it('absent', () => {
      expect(gather(fileFact(join(dir, 'nope')))).to.deep.equal({ kind: 'absent' });
      expect(gather(pathExistsFact(join(dir, 'nope')))).to.equal(false);
    });

    it('merged: every path in one probe answers exactly what each probe answers alone', () => {
      const names = ['f.conf', 'empty', 'bin', 'd', 'dangling', 'nope', 'f.conf'];
      const facts = [
        ...names.map((n) => fileFact(join(dir, n))),
        ...names.map((n) => fileFact(join(dir, n), true)),
        ...names.map((n) => pathExistsFact(join(dir, n))),
      ];
      const merged = slots(facts);
      expect(merged.filter((s) => s.merger === fileMerger)).to.have.length(1);
      expect(merged).to.have.length(1);
      const alone = facts.map((f) => gather(f as Fact<unknown>));
      expect(gatherAll(facts)).to.deep.equal(alone);
    });

    it('merged: a name with a newline, and a file too large to diff (hash only)', () => {
      const odd = join(dir, 'two\nlines');
      writeFileSync(odd, 'x');
      const big = join(dir, 'big');
      writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 97));
      try {
        const facts = [fileFact(odd, true), fileFact(big, true), fileFact(join(dir, 'f.conf'), true)];
        const got = gatherAll(facts) as FileState[];
        expect(got[0]).to.deep.include({ kind: 'file', size: 1, sha256: sha('x'), content: Buffer.from('x') });
        expect(got[1])
          .to.include({ kind: 'file', size: 1024 * 1024 + 1 })
          .and.not.have.property('content');
        expect(got[2]).to.deep.include({ content: Buffer.from('hello\n') });
      } finally {
        rmSync(odd);
        rmSync(big);
      }
    });
  });
});
