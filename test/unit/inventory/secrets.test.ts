import { expect } from 'chai';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { loadInventory, type Inventory } from '../../../src/inventory/load.js';
import { isSecretName, isSecretRef, makeRedactor, nestedSecretLeaves, REDACTED, secretLeaves } from '../../../src/inventory/secrets.js';
import { removeTree, tree, yaml } from '../../fixtures/tree.js';

const dirs: string[] = [];
function dirOf(files: Record<string, string>): string {
  const dir = tree(files);
  dirs.push(dir);
  return dir;
}
const load = (files: Record<string, string>): Inventory => loadInventory(join(dirOf(files), 'inventory.yml'));
function loadError(files: Record<string, string>): InputError {
  try {
    load(files);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}
after(() => dirs.forEach(removeTree));

describe('inventory/secrets', () => {
  describe('isSecretName', () => {
    const cases: Array<[string, string[], boolean]> = [
      ['db_password', [], true],
      ['MYSQL_ROOT_PASSWORD', [], true],
      ['api_token', [], true],
      ['client_secret', [], true],
      ['secrets', [], true],
      ['passwd', [], false],
      ['ansible_become_pass', [], true],
      ['ansible_ssh_pass', [], true],
      ['ansible_password', [], true],
      ['ansible_become_password', [], true],
      ['bypass', [], false],
      ['http_port', [], false],
      ['license_key', ['license_key'], true],
      ['license_key', ['other'], false],
    ];
    for (const [name, explicit, want] of cases) {
      it(`${name}${explicit.length ? ` (plumb_secret_vars: ${explicit.join(',')})` : ''} -> ${want}`, () => {
        expect(isSecretName(name, new Set(explicit))).to.equal(want);
      });
    }
  });

  describe('isSecretRef', () => {
    const cases: Array<[unknown, boolean]> = [
      [{ secret_env: 'X' }, true],
      [{ secret_file: '/x' }, true],
      [{ secret_file: '/x', create: true }, true],
      [{ secret_env: 'X', other: 1 }, false],
      [{ secret_file: '/x', mode: '0600' }, false],
      [{ create: true }, false],
      ['secret_env', false],
      [['secret_env'], false],
      [null, false],
    ];
    for (const [v, want] of cases) it(`${JSON.stringify(v)} -> ${want}`, () => expect(isSecretRef(v)).to.equal(want));
  });

  describe('secretLeaves', () => {
    it('collects string and number leaves of lists and mappings, ignoring values shorter than 3', () => {
      expect(secretLeaves({ a: 'alpha', b: ['beta', 'x', 12345, { c: 'gamma' }], d: true, e: null })).to.deep.equal(['alpha', 'beta', '12345', 'gamma']);
    });
  });

  describe('nestedSecretLeaves', () => {
    it('collects leaves under secret-named keys at any depth, and nothing else', () => {
      const v = { port: 3306, tls: { key_secret: 'k-secret', cert: 'public' }, users: [{ name: 'app', password: ['p1-x', 'p2-y'] }], token: 'top-tok' };
      expect(nestedSecretLeaves(v, new Set())).to.deep.equal(['k-secret', 'p1-x', 'p2-y', 'top-tok']);
      expect(nestedSecretLeaves({ a: { cert: 'public' } }, new Set(['cert']))).to.deep.equal(['public']);
      expect(nestedSecretLeaves('plain', new Set())).to.deep.equal([]);
    });
  });

  describe('makeRedactor', () => {
    it('masks every occurrence, longest value first', () => {
      const r = makeRedactor(['abc', 'abcdef']);
      expect(r('x abcdef y abc z')).to.equal(`x ${REDACTED} y ${REDACTED} z`);
    });
    it('is the identity without secrets', () => {
      expect(makeRedactor([])('abc')).to.equal('abc');
    });
  });

  describe('in a loaded inventory', () => {
    it('names containing password/secret/token are secret, others are not', () => {
      const inv = load({
        'inventory.yml': 'all:\n  vars:\n    db_password: hunter22\n    api_token: tok-123\n    app_secret: s3cr3t\n    db_name: app\n  hosts:\n    h1:\n',
      });
      const h = inv.hosts.get('h1')!;
      expect([...h.secretNames]).to.have.members(['db_password', 'api_token', 'app_secret']);
      expect(h.secretValues).to.have.members(['hunter22', 'tok-123', 's3cr3t']);
    });

    it('plumb_secret_vars marks other names secret, including mappings and lists', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            vars:
              plumb_secret_vars: [license_key, tls]
              license_key: LK-0001
              tls: {key: PRIVATE-KEY-BODY, extra: [chain-1]}
            hosts:
              h1:
        `,
      });
      const h = inv.hosts.get('h1')!;
      expect(h.secretNames.has('license_key')).to.equal(true);
      expect(h.secretNames.has('tls')).to.equal(true);
      expect(h.secretValues).to.include.members(['LK-0001', 'PRIVATE-KEY-BODY', 'chain-1']);
    });

    it('secret-named keys nested in a non-secret variable are secret values too', () => {
      const inv = load({
        'inventory.yml': yaml`
          all:
            vars:
              mysql:
                port: 3306
                root_password: R00t-pw-xyz
                users: [{name: app, password: App-pw-123}]
            hosts:
              h1:
        `,
      });
      const h = inv.hosts.get('h1')!;
      expect(h.secretNames.has('mysql')).to.equal(false);
      expect(h.secretValues).to.have.members(['R00t-pw-xyz', 'App-pw-123']);
    });

    it('plumb_secret_vars itself is not secret: the names it lists are not masked in output', () => {
      const inv = load({ 'inventory.yml': 'all:\n  vars:\n    plumb_secret_vars: [license_key]\n    license_key: LK-0001\n  hosts:\n    h1:\n' });
      const h = inv.hosts.get('h1')!;
      expect(h.secretNames.has('plumb_secret_vars')).to.equal(false);
      expect(h.secretValues).to.deep.equal(['LK-0001']);
    });

    describe('{secret_env: NAME}', () => {
      const NAME = 'PLUMB_TEST_SECRET_ENV_1';
      afterEach(() => delete process.env[NAME]);

      it('reads the variable and marks the value secret, whatever the name', () => {
        process.env[NAME] = 'from-the-env';
        const inv = load({ 'inventory.yml': `all:\n  hosts:\n    h1:\n      license: {secret_env: ${NAME}}\n` });
        const h = inv.hosts.get('h1')!;
        expect(h.vars.license).to.equal('from-the-env');
        expect(h.secretNames.has('license')).to.equal(true);
        expect(h.secretValues).to.include('from-the-env');
      });

      it('unset: an error at the variable, naming the environment variable, with a hint', () => {
        const e = loadError({ 'inventory.yml': `all:\n  hosts:\n    h1:\n      db_password: {secret_env: ${NAME}}\n` });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]!.message).to.match(new RegExp(`secret 'db_password' reads environment variable ${NAME}, which is not set`));
        expect(e.problems[0]!.hint).to.match(new RegExp(`export ${NAME}=`));
        expect(e.problems[0]!.pos).to.include({ line: 4, col: 7 });
      });
    });

    describe('{secret_file: path}', () => {
      it('reads the file (relative to the inventory), dropping one trailing newline', () => {
        const inv = load({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n      db_password: {secret_file: secrets/db}\n', 'secrets/db': 'pa55word\n' });
        expect(inv.hosts.get('h1')!.vars.db_password).to.equal('pa55word');
        expect(inv.hosts.get('h1')!.secretValues).to.include('pa55word');
      });

      it('missing: an error naming the file, suggesting create: true', () => {
        const e = loadError({ 'inventory.yml': 'all:\n  vars:\n    key: {secret_file: nothere}\n  hosts:\n    h1:\n' });
        expect(e.problems[0]!.message).to.match(/secret 'key' reads .*nothere, which does not exist/);
        expect(e.problems[0]!.hint).to.match(/create: true/);
        expect(e.problems[0]!.pos).to.include({ line: 3, col: 5 });
      });

      it('create: true generates a random secret in a new 0600 file, and reuses it next time', () => {
        const dir = dirOf({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n      repl_password: {secret_file: private/repl, create: true}\n' });
        const inv = loadInventory(join(dir, 'inventory.yml'));
        const file = join(dir, 'private/repl');
        expect(existsSync(file)).to.equal(true);
        expect(statSync(file).mode & 0o777).to.equal(0o600);
        expect(statSync(join(dir, 'private')).mode & 0o777).to.equal(0o700);
        const value = inv.hosts.get('h1')!.vars.repl_password as string;
        expect(value).to.match(/^[A-Za-z0-9_-]{32}$/);
        expect(readFileSync(file, 'utf8')).to.equal(`${value}\n`);
        expect(loadInventory(join(dir, 'inventory.yml')).hosts.get('h1')!.vars.repl_password).to.equal(value);
      });
    });
  });
});
