// sudo with a password: a deploy user on lb-01 whose sudo asks for one (made here, removed
// after). The password comes from a secret (secret_env), travels on stdin only: `ps` on the
// host and plumb's output never show it, the data a task sends on stdin arrives intact, and
// a wrong password fails the host within the connect timeout.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { ROOT, SiteRun, underPty } from './site-run.js';

const PW = `pw-${process.pid}-x7Q`;
const CLI = resolve(ROOT, 'dist/src/cli/main.js');

describe('become with a sudo password', function () {
  this.timeout(300_000);
  let site: SiteRun;
  let dir: string;

  const plumb = (password: string): Promise<{ code: number; out: string; ms: number }> =>
    new Promise((done) => {
      const started = Date.now();
      const p = spawn(process.execPath, [CLI, 'apply', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml')], {
        cwd: ROOT,
        env: { ...process.env, DEPLOY_SUDO_PW: password },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => done({ code: code ?? -1, out, ms: Date.now() - started }));
    });

  before(async () => {
    const lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-become-'));
    // The password reaches chpasswd on stdin, never on a command line.
    site.onHost(
      'lb-01',
      `id deploy >/dev/null 2>&1 || useradd -m -s /bin/sh -G sudo deploy; mkdir -p ~deploy/.ssh; cp /root/.ssh/authorized_keys ~deploy/.ssh/; chown -R deploy ~deploy/.ssh; rm -f /root/plumb-become-test`,
    );
    site.onHost('lb-01', `chpasswd < /dev/stdin <<'EOF'\ndeploy:${PW}\nEOF`);
    writeFileSync(
      join(dir, 'inv.yml'),
      `all:\n  hosts:\n    lb-01:\n      ansible_host: ${site.addr('lb-01')}\n      ansible_user: deploy\n      ansible_ssh_private_key_file: ${lab.keyFile}\n      plumb_known_hosts: ${lab.knownHosts}\n      ansible_become: true\n      ansible_become_password: { secret_env: DEPLOY_SUDO_PW }\n`,
    );
    writeFileSync(
      join(dir, 'pb.yml'),
      `- hosts: all\n  tasks:\n    - name: a root-only file, its content on stdin\n      copy: { content: "hello from stdin\\n", dest: /root/plumb-become-test, mode: "0600" }\n    - name: a while as root\n      command: sleep 3\n`,
    );
  });
  after(() => {
    site.onHost('lb-01', 'userdel -r deploy 2>/dev/null; rm -f /root/plumb-become-test', true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies with the password from a secret; no password in ps or output; stdin intact', async () => {
    const running = plumb(PW);
    let seen = '';
    for (let i = 0; i < 20; i++) {
      seen += site.onHost('lb-01', 'ps -eo args', true).out;
      if (/sleep 3/.test(seen)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await running;
    expect(r.code, r.out).to.equal(0);
    expect(seen, 'ps ran while the task did').to.match(/sleep 3/);
    expect(seen).to.not.include(PW);
    expect(r.out).to.not.include(PW);
    expect(site.onHost('lb-01', 'cat /root/plumb-become-test; stat -c %U /root/plumb-become-test').out).to.equal('hello from stdin\nroot\n');
  });

  it('-K asks on the terminal (echo off) when the inventory gives no password; it shows nowhere', () => {
    // The same host without the secret in the inventory; plumb runs under a pseudo-terminal
    // and the test types the password at the prompt. The password reaches python in its env.
    const inv = readFileSync(join(dir, 'inv.yml'), 'utf8').replace(/^ *ansible_become_password:.*\n/m, '');
    writeFileSync(join(dir, 'inv-ask.yml'), inv);
    site.onHost('lb-01', 'rm -f /root/plumb-become-test');
    const r = underPty([process.execPath, CLI, 'apply', join(dir, 'pb.yml'), '-i', join(dir, 'inv-ask.yml'), '-K'], 'BECOME password:', PW);
    const out = r.out;
    expect(r.code, out).to.equal(0);
    expect(out).to.include('BECOME password:');
    expect(out).to.not.include(PW);
    expect(site.onHost('lb-01', 'stat -c %U /root/plumb-become-test').out).to.equal('root\n');
  });

  it('-K without a terminal is a clear input error before anything connects', () => {
    // setsid: a new session has no controlling terminal, so /dev/tty cannot be opened.
    const r = spawnSync('setsid', ['-w', process.execPath, CLI, 'apply', join(dir, 'pb.yml'), '-i', join(dir, 'inv-ask.yml'), '-K'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/BECOME password: no terminal to ask on/);
    expect(r.stderr).to.match(/ansible_become_password as a secret/);
  });

  it('a wrong password fails the host quickly, with a clear message', async () => {
    const r = await plumb('not-the-password');
    expect(r.code, r.out).to.not.equal(0);
    expect(r.out).to.match(/sudo refused the become password for deploy/);
    expect(r.ms, 'within the 10 s connect timeout').to.be.below(10_000);
  });
});
