// A passphrase-protected key, authorised on lb-01 for the test only: it works with the
// passphrase from a secret, and through an ssh-agent the test starts (and kills, by PID);
// without either the host fails with an error naming the key file.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { ROOT, SiteRun, underPty } from './site-run.js';

const PP = `pp-${process.pid}-k3y`;
const CLI = resolve(ROOT, 'dist/src/cli/main.js');

describe('encrypted private key', function () {
  this.timeout(300_000);
  let site: SiteRun;
  let dir: string;
  let key: string;
  let pub: string;
  let agentPid: number | undefined;

  const plumb = (inv: string, env: NodeJS.ProcessEnv) => {
    const r = spawnSync(process.execPath, [CLI, 'apply', join(dir, 'pb.yml'), '-i', join(dir, inv)], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  const noAgent = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env.SSH_AUTH_SOCK;
    return env;
  };

  before(async () => {
    const lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-ekey-'));
    key = join(dir, 'id_ed25519');
    // The passphrase reaches ssh-keygen on its command line: a throwaway key in a test.
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PP, '-C', 'plumb-ekey-test', '-f', key]).status).to.equal(0);
    pub = readFileSync(`${key}.pub`, 'utf8').trim();
    site.onHost('lb-01', `echo '${pub}' >> /root/.ssh/authorized_keys`);
    const inv = (extra: string) =>
      `all:\n  hosts:\n    lb-01:\n      ansible_host: ${site.addr('lb-01')}\n      ansible_user: root\n      ansible_ssh_private_key_file: ${key}\n      plumb_known_hosts: ${lab.knownHosts}\n${extra}`;
    writeFileSync(join(dir, 'with.yml'), inv('      plumb_private_key_passphrase: { secret_env: KEY_PP }\n'));
    writeFileSync(join(dir, 'without.yml'), inv(''));
    writeFileSync(join(dir, 'pb.yml'), '- hosts: all\n  tasks:\n    - name: up\n      command: uptime\n');
  });
  after(() => {
    if (agentPid) process.kill(agentPid);
    site.onHost('lb-01', "sed -i '/plumb-ekey-test/d' /root/.ssh/authorized_keys", true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('works with the passphrase from a secret, and never shows it', () => {
    const r = plumb('with.yml', { ...noAgent(), KEY_PP: PP });
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.not.include(PP);
  });

  it('without a passphrase or an agent: a clear error naming the key file', () => {
    const r = plumb('without.yml', noAgent());
    expect(r.code).to.not.equal(0);
    expect(r.out).to.include(`the private key ${key} is encrypted and no passphrase was given`);
  });

  it('--ask-key-passphrase asks on the terminal when the inventory gives none, and never shows it', () => {
    const r = underPty(
      [process.execPath, CLI, 'apply', join(dir, 'pb.yml'), '-i', join(dir, 'without.yml'), '--ask-key-passphrase'],
      'SSH key passphrase:',
      PP,
      noAgent(),
    );
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.include('SSH key passphrase:');
    expect(r.out).to.not.include(PP);
  });

  it('works through ssh-agent', () => {
    const a = spawnSync('ssh-agent', ['-s'], { encoding: 'utf8' });
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(a.stdout)?.[1];
    agentPid = Number(/SSH_AGENT_PID=(\d+);/.exec(a.stdout)?.[1]);
    expect(sock && agentPid, a.stdout).to.be.ok;
    // ssh-add reads the passphrase from an askpass program, not from its argv.
    const askpass = join(dir, 'askpass');
    writeFileSync(join(dir, 'pp'), PP);
    writeFileSync(askpass, `#!/bin/sh\ncat ${join(dir, 'pp')}\n`);
    chmodSync(askpass, 0o700);
    const env = { ...process.env, SSH_AUTH_SOCK: sock, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' };
    expect(spawnSync('ssh-add', [key], { env, stdio: ['ignore', 'pipe', 'pipe'] }).status).to.equal(0);
    const r = plumb('without.yml', { ...process.env, SSH_AUTH_SOCK: sock });
    expect(r.code, r.out).to.equal(0);
  });
});
