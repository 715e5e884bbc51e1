// Ansible Vault, end to end, with files made by the real ansible-vault (Debian's
// ansible-core, a test-only dependency): a group_vars/all/ folder holding one file of
// `ansible-vault encrypt_string` values and one file encrypted whole by `ansible-vault
// encrypt` (format 1.1, and 1.2 with a vault id). plumb reads them with a password file,
// and the plaintexts never appear in `plumb inventory`, in `apply --json --diff`, or in any
// process's command line while the run goes (the host is this machine, through
// ansible_connection: local, so `ps` sees every command the run starts). Plaintexts reach
// ansible-vault on stdin, never on its command line. No lab needed.
import { expect } from 'chai';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ansibleEnv } from './ansible-core.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

const INLINE_SECRET = 'inline-Plain-7f3a9c';
const FILE_SECRET = 'whole-File-Plain-41d2e8';
const LABELLED_SECRET = 'labelled-Plain-c0ffee';

interface Run {
  code: number;
  out: string;
  err: string;
}

function plumb(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: { ...process.env, CI: '1', ANSIBLE_VAULT_PASSWORD_FILE: '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

function vault(cwd: string, home: string, args: string[], stdin?: string): string {
  const r = spawnSync('ansible-vault', args, { cwd, env: ansibleEnv(home), input: stdin, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ansible-vault ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

describe('inventory: Ansible Vault files made by ansible-vault', function () {
  this.timeout(300_000);
  let dir: string;
  let home: string;
  before(() => {
    if (spawnSync('ansible-vault', ['--version']).status !== 0)
      throw new Error("ansible-vault not found: install Debian's ansible-core (scripts/test.sh does, as root)");
    dir = mkdtempSync(join(tmpdir(), 'plumb-vault-it-'));
    home = join(dir, 'home');
    mkdirSync(join(home, 'tmp'), { recursive: true });
    writeFileSync(join(home, 'ansible.cfg'), '[defaults]\n');
    writeFileSync(join(dir, 'pw'), 'correct horse battery\n', { mode: 0o600 });
    writeFileSync(join(dir, 'pw-prod'), 'prod-password\n', { mode: 0o600 });
    writeFileSync(join(dir, 'wrong'), 'not it\n', { mode: 0o600 });
    mkdirSync(join(dir, 'group_vars/all'), { recursive: true });
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    control:\n      ansible_connection: local\n');
    // encrypt_string: the plaintext on stdin, --stdin-name names the variable.
    const inline = vault(dir, home, ['encrypt_string', '--vault-password-file', join(dir, 'pw'), '--stdin-name', 'app_db_credential'], INLINE_SECRET);
    writeFileSync(join(dir, 'group_vars/all/inline.yml'), `plain_setting: visible-value\n${inline}`);
    writeFileSync(join(dir, 'group_vars/all/vault.yml'), `api_key_value: ${FILE_SECRET}\n`);
    vault(dir, home, ['encrypt', '--vault-password-file', join(dir, 'pw'), join(dir, 'group_vars/all/vault.yml')]);
    writeFileSync(join(dir, 'group_vars/all/prod.yml'), `prod_value: ${LABELLED_SECRET}\n`);
    vault(dir, home, ['encrypt', '--vault-id', `prod@${join(dir, 'pw-prod')}`, join(dir, 'group_vars/all/prod.yml')]);
    writeFileSync(
      join(dir, 'playbooks/site.yml'),
      [
        '- hosts: control',
        '  tasks:',
        '    - name: write the secrets',
        '      copy:',
        `        dest: ${join(dir, 'out/secrets.txt')}`,
        '        content: "{{ app_db_credential }} {{ api_key_value }} {{ prod_value }} {{ plain_setting }}\\n"',
        '',
      ].join('\n'),
    );
    mkdirSync(join(dir, 'out'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  const ids = () => ['--vault-password-file', join(dir, 'pw'), '--vault-id', `prod@${join(dir, 'pw-prod')}`];
  const noSecret = (s: string) => {
    for (const x of [INLINE_SECRET, FILE_SECRET, LABELLED_SECRET]) expect(s).not.to.include(x);
  };

  it('the files really are vaulted (1.1 and 1.2)', () => {
    expect(readFileSync(join(dir, 'group_vars/all/inline.yml'), 'utf8')).to.match(/app_db_credential: !vault \|\n\s+\$ANSIBLE_VAULT;1\.1;AES256/);
    expect(readFileSync(join(dir, 'group_vars/all/vault.yml'), 'utf8')).to.match(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    expect(readFileSync(join(dir, 'group_vars/all/prod.yml'), 'utf8')).to.match(/^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  });

  it('plumb inventory decrypts with the password files and masks every decrypted value', () => {
    for (const args of [['--list'], ['--host', 'control']]) {
      const r = plumb(dir, ['inventory', '-i', 'hosts.yml', ...ids(), ...args]);
      expect(r.code, r.err).to.equal(0);
      noSecret(r.out + r.err);
      const vars = JSON.parse(r.out) as Record<string, unknown> & { _meta?: { hostvars: Record<string, Record<string, unknown>> } };
      const v = vars._meta ? vars._meta.hostvars.control! : vars;
      expect(v).to.deep.include({ app_db_credential: '<redacted>', api_key_value: '<redacted>', prod_value: '<redacted>', plain_setting: 'visible-value' });
    }
  });

  it('ANSIBLE_VAULT_PASSWORD_FILE and --vault-id work too', () => {
    const r = plumb(dir, ['inventory', '-i', 'hosts.yml', '--vault-id', `prod@${join(dir, 'pw-prod')}`], { ANSIBLE_VAULT_PASSWORD_FILE: join(dir, 'pw') });
    expect(r.code, r.err).to.equal(0);
  });

  it('Ansible reads the same values (the differential check for vault)', () => {
    const r = spawnSync(
      'ansible-inventory',
      ['-i', 'hosts.yml', '--host', 'control', '--vault-password-file', join(dir, 'pw'), '--vault-id', `prod@${join(dir, 'pw-prod')}`],
      { cwd: dir, env: ansibleEnv(home), encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    // ansible-inventory prints !vault values as their ciphertext; the whole-file ones decrypted.
    expect(JSON.parse(r.stdout)).to.deep.include({ api_key_value: FILE_SECRET, prod_value: LABELLED_SECRET, plain_setting: 'visible-value' });
  });

  it('without a password, and with a wrong one: exit 1 and a clear error, nothing run', () => {
    const none = plumb(dir, ['inventory', '-i', 'hosts.yml']);
    expect(none.code).to.equal(1);
    expect(none.err)
      .to.match(/is vault-encrypted and no vault password was given/)
      .and.match(/--vault-password-file/);
    const wrong = plumb(dir, ['inventory', '-i', 'hosts.yml', '--vault-password-file', join(dir, 'wrong')]);
    expect(wrong.code).to.equal(1);
    expect(wrong.err).to.match(/no vault password given decrypts it/);
    noSecret(none.err + wrong.err);
  });

  it('apply --json --diff on the local host: the file gets the plaintexts, the output and every command line never do', async () => {
    const seen: string[] = [];
    let running = true;
    const sample = async () => {
      while (running) {
        await new Promise<void>((done) => execFile('ps', ['-eo', 'args'], { maxBuffer: 8 << 20 }, (_e, out) => (seen.push(String(out)), done())));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const sampler = sample();
    const r = await new Promise<Run>((done) => {
      const child = spawn(process.execPath, [CLI, 'apply', 'playbooks/site.yml', '-i', 'hosts.yml', ...ids(), '--json', '--diff'], {
        cwd: dir,
        env: { ...process.env, CI: '1' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => done({ code: code ?? 1, out, err }));
    });
    running = false;
    await sampler;
    expect(r.code, r.err + r.out).to.equal(0);
    expect(readFileSync(join(dir, 'out/secrets.txt'), 'utf8')).to.equal(`${INLINE_SECRET} ${FILE_SECRET} ${LABELLED_SECRET} visible-value\n`);
    expect(r.out).to.include('"changed"');
    expect(r.out).to.include('<redacted>'); // the diff is there, masked
    noSecret(r.out + r.err);
    expect(seen.length).to.be.greaterThan(0);
    noSecret(seen.join('\n'));
  });
});
