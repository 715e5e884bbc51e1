import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { controllerPath, localSha1, localTarget, writeLocal } from '../../../src/engine/local-write.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('engine/local-write (fetch on the controller)', () => {
  let dir = '';
  beforeEach(() => {
    dir = tree({ 'keep.txt': 'x' });
  });
  afterEach(() => removeTree(dir));

  it('writes atomically under root, creating directories, no temp left', () => {
    const f = writeLocal({ root: 'out', path: 'web1/etc/a.conf', content: Buffer.from('a') }, dir);
    expect(f).to.equal(join(dir, 'out/web1/etc/a.conf'));
    expect(readFileSync(f, 'utf8')).to.equal('a');
    expect(readdirSync(join(dir, 'out/web1/etc'))).to.deep.equal(['a.conf']);
    expect(localSha1(f)).to.equal('86f7e437faa5a7fce15d1ddcb9eaeaea377667b8');
    expect(localSha1(join(dir, 'nope'))).to.equal(undefined);
  });
  it('~/ is the operator home; a relative path is under the project root', () => {
    expect(controllerPath('~/.kube', '/p')).to.equal(join(homedir(), '.kube'));
    expect(controllerPath('fetched', '/p')).to.equal('/p/fetched');
    expect(controllerPath('/abs', '/p')).to.equal('/abs');
  });
  const escapes: Array<[string, string]> = [
    ['out', '../x'],
    ['out', 'a/../../x'],
    ['out', '/etc/passwd'],
    ['out', ''],
  ];
  for (const [root, path] of escapes)
    it(`refuses ${JSON.stringify(path)} under ${root}`, () => expect(() => localTarget({ root, path }, dir)).to.throw(/refusing to write/));
  it('refuses a directory that is a link leading outside root', () => {
    mkdirSync(join(dir, 'out'));
    const outside = tree({});
    try {
      symlinkSync(outside, join(dir, 'out', 'web1'));
      expect(() => writeLocal({ root: 'out', path: 'web1/a', content: Buffer.from('a') }, dir)).to.throw(/resolves outside/);
      expect(readdirSync(outside)).to.deep.equal([]);
    } finally {
      removeTree(outside);
    }
  });
});
