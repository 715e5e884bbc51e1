import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Vault, VaultError, vaultSources } from '../../../src/inventory/vault.js';
import { encryptVault } from '../../fixtures/vault.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('inventory/vault', () => {
  let dir: string;
  before(() => {
    dir = tree({ pw: 'correct horse\n', other: 'other-pw\n', empty: '\n' });
    writeFileSync(join(dir, 'script'), '#!/bin/sh\necho from-script\n');
    chmodSync(join(dir, 'script'), 0o700);
  });
  after(() => removeTree(dir));

  it('decrypts format 1.1 with a password file (trailing newline stripped)', () => {
    const v = new Vault(vaultSources([], [join(dir, 'pw')], {}));
    expect(v.decrypt(encryptVault('s3cret value', 'correct horse'), 'x')).to.equal('s3cret value');
  });

  it('decrypts format 1.2 and tries the password of the matching vault id first', () => {
    const v = new Vault(vaultSources([`dev@${join(dir, 'other')}`, `prod@${join(dir, 'pw')}`], [], {}));
    expect(v.decrypt(encryptVault('prod data', 'correct horse', 'prod'), 'x')).to.equal('prod data');
    expect(v.decrypt(encryptVault('dev data', 'other-pw', 'dev'), 'x')).to.equal('dev data');
  });

  it('falls back to the other passwords when the label matches none', () => {
    const v = new Vault(vaultSources([join(dir, 'other'), join(dir, 'pw')], [], {}));
    expect(v.decrypt(encryptVault('x', 'correct horse', 'unknown'), 'x')).to.equal('x');
  });

  it('reads ANSIBLE_VAULT_PASSWORD_FILE', () => {
    const v = new Vault(vaultSources([], [], { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'pw') }));
    expect(v.decrypt(encryptVault('from env', 'correct horse'), 'x')).to.equal('from env');
  });

  it('runs an executable password file and uses its output', () => {
    const v = new Vault(vaultSources([], [join(dir, 'script')], {}));
    expect(v.decrypt(encryptVault('scripted', 'from-script'), 'x')).to.equal('scripted');
  });

  it('multi-byte plaintext round-trips', () => {
    const v = new Vault(vaultSources([], [join(dir, 'pw')], {}));
    expect(v.decrypt(encryptVault('pässwörd ✓', 'correct horse'), 'x')).to.equal('pässwörd ✓');
  });

  const bad: Array<[string, () => Vault, string, RegExp]> = [
    ['no password given', () => new Vault([]), encryptVault('x', 'pw'), /no vault password was given/],
    [
      'a wrong password',
      () => new Vault(vaultSources([], [join(dir, 'other')], {})),
      encryptVault('x', 'correct horse'),
      /no vault password given decrypts it/,
    ],
    ['an empty password file', () => new Vault(vaultSources([], [join(dir, 'empty')], {})), encryptVault('x', 'pw'), /is empty/],
    ['a missing password file', () => new Vault(vaultSources([], [join(dir, 'nope')], {})), encryptVault('x', 'pw'), /cannot read vault password file/],
    ['a damaged text', () => new Vault(vaultSources([], [join(dir, 'pw')], {})), '$ANSIBLE_VAULT;1.1;AES256\nzz\n', /damaged/],
    ['another cipher', () => new Vault(vaultSources([], [join(dir, 'pw')], {})), '$ANSIBLE_VAULT;1.1;AES\n00\n', /cipher AES is not supported/],
  ];
  for (const [name, make, text, msg] of bad) {
    it(`${name} is a clear error that shows no secret`, () => {
      try {
        make().decrypt(text, 'group_vars/all/vault.yml');
      } catch (e) {
        expect(e).to.be.instanceOf(VaultError);
        expect((e as Error).message)
          .to.match(msg)
          .and.not.match(/correct horse|other-pw/);
        return;
      }
      throw new Error('expected a VaultError');
    });
  }

  it('--vault-id prompt is refused (plumb never prompts)', () => {
    expect(() => vaultSources(['prompt'], [], {})).to.throw(VaultError, /does not prompt/);
  });
});
