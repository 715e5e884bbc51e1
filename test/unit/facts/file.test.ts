import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fileFact, pathExistsFact, type FileState } from '../../../src/facts/file.js';
import { gather } from './local.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('facts/file', function () {
  // Real processes on a possibly busy machine: allow more than mocha's 2 s.
  this.timeout(60_000);
  const cases: { name: string; params: [string, boolean?]; stdout: string; code: number; expected: FileState }[] = [
    { name: 'absent', params: ['/x'], stdout: 'absent\n', code: 0, expected: { kind: 'absent' } },
    { name: 'directory', params: ['/x'], stdout: 'directory\n755\nroot\nroot\n', code: 0, expected: { kind: 'directory', mode: '0755', owner: 'root', group: 'root' } },
    { name: 'link', params: ['/x'], stdout: 'link\n777\nroot\nroot\n/target\n', code: 0, expected: { kind: 'link', mode: '0777', owner: 'root', group: 'root', target: '/target' } },
    { name: 'file', params: ['/x'], stdout: `file\n640\nroot\nadm\n3\n${sha('abc')}\n`, code: 0, expected: { kind: 'file', mode: '0640', owner: 'root', group: 'adm', size: 3, sha256: sha('abc') } },
    { name: 'file with content', params: ['/x', true], stdout: `file\n644\nroot\nroot\n3\n${sha('abc')}\nYWJj`, code: 0, expected: { kind: 'file', mode: '0644', owner: 'root', group: 'root', size: 3, sha256: sha('abc'), content: Buffer.from('abc') } },
    { name: 'empty file with content', params: ['/x', true], stdout: `file\n600\nroot\nroot\n0\n${sha('')}\n`, code: 0, expected: { kind: 'file', mode: '0600', owner: 'root', group: 'root', size: 0, sha256: sha(''), content: Buffer.alloc(0) } },
    { name: 'setuid mode keeps 4 digits', params: ['/x'], stdout: 'directory\n1777\nroot\nroot\n', code: 0, expected: { kind: 'directory', mode: '1777', owner: 'root', group: 'root' } },
  ];
  for (const c of cases) {
    it(`parse: ${c.name}`, () => {
      expect(fileFact(...c.params).parse(c.stdout, c.code)).to.deep.equal(c.expected);
    });
  }
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
  });
});
