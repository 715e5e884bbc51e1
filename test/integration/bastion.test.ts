// Hosts reached only through a bastion: each web server's SSH port is closed to the machine
// (a raw-table DROP in its namespace, removed after), and the stack applies and checks
// through lb-01, configured once in the inventory (plumb_proxy_jump) and once in a HOME's
// ~/.ssh/config (ProxyJump). One bastion login per run, a no-op stays 1 exec per host, and
// a bastion whose host key does not match is refused.
import { NETNS_PREFIX, SLOT } from '../../src/lab/paths.js';
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LabStatus } from '../../src/lab/index.js';
import { ensureLab } from './lab-fixture.js';
import { failures, recapOf, ROOT, SiteRun } from './site-run.js';

const WEB = ['web-01', 'web-02'];
const RULE = (addr: string) => ['PREROUTING', '-p', 'tcp', '--dport', '22', '-s', addr, '-j', 'DROP', '-m', 'comment', '--comment', 'plumb-bastion-test'];

describe('bastion: hosts behind lb-01', function () {
  this.timeout(900_000);
  let lab: LabStatus;
  let site: SiteRun;
  let dir: string;
  let jumpInv: string;
  const bridge = () => site.addr('lb-01').replace(/\.\d+$/, '.1');
  const iptables = (host: string, op: '-A' | '-D') =>
    spawnSync('ip', ['netns', 'exec', `${NETNS_PREFIX}${host}`, 'iptables', '-t', 'raw', op, ...RULE(bridge())], { encoding: 'utf8' });
  /** sshd logins on lb-01 so far (the bastion's, and the test's own ssh). */
  const logins = () => Number(site.onHost('lb-01', 'journalctl -u ssh --no-pager -o cat | grep -c "Accepted publickey" || true').out.trim());

  before(async () => {
    lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-bastion-'));
    for (const h of WEB) expect(iptables(h, '-A').status, `block ssh on ${h}`).to.equal(0);
    // The inventory way: a second source that puts the web servers behind lb-01.
    jumpInv = resolve(ROOT, 'inventory', `lab-${SLOT}-bastion.yml`);
    writeFileSync(jumpInv, `all:\n  children:\n    webservers:\n      vars:\n        plumb_proxy_jump: root@${site.addr('lb-01')}\n`);
  });
  after(() => {
    for (const h of WEB) while (iptables(h, '-D').status === 0);
    rmSync(jumpInv, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the web servers are not reachable directly', () => {
    const r = site.plumb('check', '--connect-timeout', '2000', '--limit', 'web-01');
    expect(recapOf(r)['web-01']?.unreachable, r.stdout).to.equal(true);
  });

  it('applies, then checks clean, through the bastion set in the inventory: one bastion login per run', () => {
    const before = logins();
    const apply = site.plumb('apply', '-i', jumpInv);
    expect(apply.code, failures(apply)).to.be.oneOf([0, 2]);
    const mid = logins();
    // lb-01 itself, the bastion connection, and the test's own ssh for the count.
    expect(mid - before, 'logins on lb-01 during apply').to.equal(3);
    const check = site.plumb('check', '-i', jumpInv);
    expect(check.code, failures(check)).to.equal(0);
    for (const h of WEB) expect(recapOf(check)[h]?.execs, `${h} execs`).to.equal(1);
    expect(logins() - mid).to.equal(3);
  });

  it('checks clean through the bastion set in ~/.ssh/config (ProxyJump), and refuses a wrong bastion host key', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    // The inventory's secrets live under ~/.config: the same ones, only ~/.ssh differs.
    symlinkSync(join(homedir(), '.config'), join(home, '.config'));
    const lb = site.addr('lb-01');
    const webs = WEB.map((h) => site.addr(h)).join(' ');
    writeFileSync(join(home, '.ssh', 'config'), `Host ${webs}\n  ProxyJump root@${lb}\n`);
    const env = { ...process.env, HOME: home };
    const run = (...flags: string[]) => {
      const r = spawnSync(
        process.execPath,
        [resolve(ROOT, 'dist/src/cli/main.js'), 'check', resolve(ROOT, 'playbooks/site.yml'), '-i', lab.inventory, '--json', ...flags],
        { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 },
      );
      const events = (r.stdout ?? '')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', events };
    };
    const ok = run();
    expect(ok.code, failures(ok)).to.equal(0);
    for (const h of WEB) expect(recapOf(ok)[h]?.execs, `${h} execs`).to.equal(1);

    // The bastion's own known_hosts (UserKnownHostsFile) records another key for lb-01.
    const bad = join(dir, 'bad_known_hosts');
    const other = join(dir, 'other');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    writeFileSync(bad, `${lb} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    writeFileSync(join(home, '.ssh', 'config'), `Host ${webs}\n  ProxyJump root@${lb}\nHost ${lb}\n  UserKnownHostsFile ${bad}\n`);
    const refused = run('--limit', 'webservers');
    for (const h of WEB) expect(recapOf(refused)[h]?.unreachable, refused.stdout).to.equal(true);
    expect(refused.stdout + refused.stderr).to.match(/through bastion root@[\d.]+: HOST KEY CHANGED/);
  });

  it('the bastion connection going away makes its hosts UNREACHABLE, with the bastion as the reason', async () => {
    const pb = join(dir, 'long.yml');
    writeFileSync(pb, '- hosts: webservers\n  tasks:\n    - name: long\n      command: sleep 20\n');
    const started = Date.now();
    const p = spawn(process.execPath, [resolve(ROOT, 'dist/src/cli/main.js'), 'apply', pb, '-i', lab.inventory, '-i', jumpInv], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number>((res) => p.on('close', (code) => res(code ?? -1)));
    // The bastion's sshd session on lb-01 is the one from the machine that is not this ssh's own.
    let pid = '';
    await new Promise((r) => setTimeout(r, 3000)); // the hosts behind it are connected and running `sleep 20`
    for (let i = 0; i < 20 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 250));
      pid = site
        .onHost(
          'lb-01',
          `ss -tnpH state established '( sport = :22 )' | grep -v " $(echo $SSH_CLIENT | cut -d' ' -f1):$(echo $SSH_CLIENT | cut -d' ' -f2) " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2`,
          true,
        )
        .out.trim();
    }
    expect(pid, out).to.match(/^\d+$/);
    site.onHost('lb-01', `kill ${pid}`);
    const code = await done;
    expect(code).to.not.equal(0);
    expect(out).to.match(/web-01: connection lost: bastion root@[\d.]+ lost: connection closed by the bastion/);
    expect(Date.now() - started, 'well before the 20 s task ends').to.be.below(15_000);
  });
});
