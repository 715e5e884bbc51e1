// ansible.cfg on the lab: plumb run from a directory holding an ansible.cfg (inventory,
// remote_user, private_key_file, forks) and no -i reaches the lab hosts; ssh_args' ProxyJump
// takes the web servers through lb-01; a malformed line stops the run before any connection.
// What plumb reads from the file is compared with what Ansible reads from it
// (`ansible-config dump --only-changed`, `ansible-inventory --list`; Debian's ansible-core).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAnsibleCfg } from '../../src/cli/ansible-cfg.js';
import type { LabStatus } from '../../src/lab/index.js';
import { ensureLab } from './lab-fixture.js';
import { ROOT, SiteRun } from './site-run.js';

const CLI = resolve(ROOT, 'dist/src/cli/main.js');

describe('ansible.cfg: plumb reads it as Ansible does', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let site: SiteRun;
  let dir: string;
  let home: string;
  /** An environment with no ANSIBLE_CONFIG and a HOME without ~/.ansible.cfg: ./ansible.cfg is the one. */
  let env: NodeJS.ProcessEnv;

  const plumb = (cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 300_000 });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const ansible = (cwd: string, cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(home, 'tmp') }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  };
  const cfg = (lines: string[]) => writeFileSync(join(dir, 'ansible.cfg'), `${lines.join('\n')}\n`);
  const base = () => [
    '# the lab, as an operator would write it',
    '[defaults]',
    'inventory = hosts.yml',
    'remote_user = root',
    `private_key_file = ${lab.keyFile}`,
    'forks = 2',
    'gathering = smart ; no effect in plumb',
    '[ssh_connection]',
    'pipelining = True',
  ];

  before(async () => {
    lab = await ensureLab();
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-ansible-cfg-'));
    home = join(dir, 'home');
    mkdirSync(join(home, 'tmp'), { recursive: true });
    const { ANSIBLE_CONFIG: _c, ANSIBLE_VAULT_PASSWORD_FILE: _v, ...rest } = process.env;
    env = { ...rest, HOME: home };
    // No user and no key in the inventory: both come from ansible.cfg.
    const group = (name: string, prefix: string) =>
      `    ${name}:\n      hosts:\n${lab.hosts
        .filter((h) => h.name.startsWith(prefix))
        .map((h) => `        ${h.name}:\n          ansible_host: ${h.address}\n          ansible_port: ${h.port}\n`)
        .join('')}`;
    writeFileSync(
      join(dir, 'hosts.yml'),
      `all:\n  vars:\n    plumb_known_hosts: ${lab.knownHosts}\n  children:\n${group('loadbalancers', 'lb-')}${group('webservers', 'web-')}`,
    );
    writeFileSync(join(dir, 'sleep.yml'), '- hosts: all\n  tasks:\n    - name: sleep\n      command: sleep 3\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('no -i: the cfg inventory, as remote_user with private_key_file; -v names the file; an unhonoured option is named once', () => {
    cfg(base());
    const r = plumb(dir, ['run', 'all', '-a', 'id -un', '-v']);
    expect(r.code, r.out + r.err).to.equal(0);
    for (const h of lab.hosts) expect(r.out).to.match(new RegExp(`${h.name} \\| CHANGED \\| rc=0 >>\\nroot\\n`));
    expect(r.err).to.include(`using ${join(dir, 'ansible.cfg')}\n`);
    expect(r.err).to.match(/no effect in plumb \(one connection per host already\): \[ssh_connection\] pipelining\n/);
    expect(r.err.match(/ansible.cfg:7: \[defaults\] gathering has no effect in plumb/g)).to.have.length(1);
    // Without -v the file is not named, but the warning still is.
    const quiet = plumb(dir, ['run', 'all', '-a', 'true']);
    expect(quiet.err).to.not.include('using ');
    expect(quiet.err).to.include('gathering has no effect');
  });

  it("remote_user: the host's ansible_user and the play's remote_user win over it", () => {
    cfg(base().map((l) => l.replace('remote_user = root', 'remote_user = nosuchuser')));
    const own = plumb(dir, ['run', 'all', '-a', 'true', '--connect-timeout', '3000']);
    expect(own.code, 'as nosuchuser: refused').to.equal(1);
    expect(own.out + own.err).to.match(/UNREACHABLE/);
    writeFileSync(join(dir, 'as-root.yml'), '- hosts: all\n  remote_user: root\n  tasks:\n    - name: who\n      command: id -un\n');
    const play = plumb(dir, ['apply', 'as-root.yml']);
    expect(play.code, play.out + play.err).to.equal(0);
    // The lab's own inventory names ansible_user root (and its key) for every host.
    const host = plumb(dir, ['run', 'all', '-a', 'id -un', '-i', lab.inventory]);
    expect(host.code, host.out + host.err).to.equal(0);
    expect(host.out.match(/\nroot\n/g)).to.have.length(lab.hosts.length);
  });

  it('host_key_checking = False records unknown host keys, with a warning; without it they are refused', () => {
    const known = join(dir, 'empty_known_hosts');
    writeFileSync(known, '');
    const inv = join(dir, 'fresh.yml');
    const lb = lab.hosts.find((h) => h.name === 'lb-01')!;
    writeFileSync(inv, `all:\n  hosts:\n    lb-01:\n      ansible_host: ${lb.address}\n      ansible_port: ${lb.port}\n      plumb_known_hosts: ${known}\n`);
    cfg(base());
    const strict = plumb(dir, ['run', 'all', '-a', 'true', '-i', inv]);
    expect(strict.code).to.equal(1);
    expect(strict.out + strict.err).to.match(/unknown host key for .* is not in .*empty_known_hosts/);
    cfg([...base().slice(0, 3), 'host_key_checking = False', ...base().slice(3)]);
    const loose = plumb(dir, ['run', 'all', '-a', 'true', '-i', inv]);
    expect(loose.code, loose.out + loose.err).to.equal(0);
    expect(loose.err).to.match(/ansible.cfg:4: \[defaults\] host_key_checking = False: host keys are not checked strictly/);
    expect(readFileSync(known, 'utf8')).to.include(lb.address);
  });

  it('forks = 2 runs two hosts at a time; -f wins over it', () => {
    cfg(base());
    const timed = (args: string[]) => {
      const t = Date.now();
      const r = plumb(dir, ['apply', 'sleep.yml', ...args]);
      expect(r.code, r.out + r.err).to.equal(0);
      return Date.now() - t;
    };
    // Three hosts, `sleep 3` each: two rounds with forks 2, one with -f 3.
    expect(timed([]), 'forks from ansible.cfg').to.be.at.least(6000);
    expect(timed(['-f', '3']), '-f 3').to.be.below(6000);
  });

  it('ANSIBLE_CONFIG names the file; [ssh_connection] ssh_args -o ProxyJump takes the web servers through lb-01', () => {
    const other = join(dir, 'elsewhere');
    mkdirSync(other, { recursive: true });
    const lb = site.addr('lb-01');
    writeFileSync(
      join(other, 'jump.cfg'),
      [
        ...base().map((l) => l.replace('inventory = hosts.yml', `inventory = ${join(dir, 'hosts.yml')}`)),
        `ssh_args = -C -o ControlMaster=auto -o ProxyJump=root@${lb}`,
        '',
      ].join('\n'),
    );
    const stamp = site.onHost('web-01', 'date +%s').out.trim();
    const r = plumb(home, ['run', 'webservers', '-a', 'true', '-v'], { ANSIBLE_CONFIG: join(other, 'jump.cfg') });
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.err).to.include(`using ${join(other, 'jump.cfg')}\n`);
    // sshd on web-01 saw plumb's login come from lb-01, not from the machine.
    const seen = site.onHost('web-01', `journalctl -u ssh --no-pager -o cat --since @${stamp} | grep 'Accepted publickey for root'`).out;
    expect(seen).to.include(`from ${lb} `);
  });

  it('a malformed line is an input error at file:line:col, before anything connects', () => {
    cfg([...base(), 'retries 3']);
    const r = plumb(dir, ['apply', 'sleep.yml']);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(
      /error: 1 problem in the input \(nothing was run\):\n {2}ansible.cfg:10:1: expected key = value, got "retries 3"\n {4}hint: write `key = value`/,
    );
    expect(r.out).to.equal('');
    // Ansible's configparser refuses the same line.
    const a = ansible(dir, 'ansible-config', ['dump', '--only-changed']);
    expect(a.code).to.not.equal(0);
    expect(a.err + a.out).to.match(/retries 3/);
  });

  it('reads inventory, remote_user, private_key_file, forks, roles_path, timeout, host_key_checking and become* as ansible-config does', () => {
    cfg([
      '[defaults]',
      'inventory = hosts.yml',
      'remote_user = root',
      `private_key_file = ${lab.keyFile}`,
      'forks = 2',
      'roles_path = roles:~/shared-roles',
      'timeout = 7',
      'host_key_checking = False',
      'vault_password_file = .vault-pass',
      '[privilege_escalation]',
      'become = yes',
      'become_user = app',
      'become_ask_pass = False',
    ]);
    writeFileSync(join(dir, '.vault-pass'), 'x\n');
    const a = ansible(dir, 'ansible-config', ['dump', '--only-changed', '--format', 'json']);
    expect(a.code, a.err).to.equal(0);
    const theirs = Object.fromEntries((JSON.parse(a.out) as Array<{ name: string; value: unknown }>).map((s) => [s.name, s.value]));
    const { cfg: ours } = loadAnsibleCfg(env, dir, home);
    expect(ours).to.not.equal(undefined);
    expect(ours!.file).to.equal(theirs.CONFIG_FILE);
    expect({
      DEFAULT_HOST_LIST: ours!.inventory,
      DEFAULT_REMOTE_USER: ours!.remoteUser,
      DEFAULT_PRIVATE_KEY_FILE: ours!.privateKeyFile,
      DEFAULT_FORKS: ours!.forks,
      DEFAULT_ROLES_PATH: ours!.rolesPath,
      DEFAULT_TIMEOUT: ours!.timeoutS,
      HOST_KEY_CHECKING: ours!.hostKeyChecking,
      DEFAULT_VAULT_PASSWORD_FILE: ours!.vaultPasswordFile,
      DEFAULT_BECOME: ours!.become,
      DEFAULT_BECOME_USER: ours!.becomeUser,
      DEFAULT_BECOME_ASK_PASS: ours!.becomeAskPass,
    }).to.deep.equal({
      DEFAULT_HOST_LIST: theirs.DEFAULT_HOST_LIST,
      DEFAULT_REMOTE_USER: theirs.DEFAULT_REMOTE_USER,
      DEFAULT_PRIVATE_KEY_FILE: theirs.DEFAULT_PRIVATE_KEY_FILE,
      DEFAULT_FORKS: theirs.DEFAULT_FORKS,
      DEFAULT_ROLES_PATH: theirs.DEFAULT_ROLES_PATH,
      DEFAULT_TIMEOUT: theirs.DEFAULT_TIMEOUT,
      HOST_KEY_CHECKING: theirs.HOST_KEY_CHECKING,
      DEFAULT_VAULT_PASSWORD_FILE: theirs.DEFAULT_VAULT_PASSWORD_FILE,
      DEFAULT_BECOME: theirs.DEFAULT_BECOME,
      DEFAULT_BECOME_USER: theirs.DEFAULT_BECOME_USER,
      // False is Ansible's default, so --only-changed leaves it out.
      DEFAULT_BECOME_ASK_PASS: theirs.DEFAULT_BECOME_ASK_PASS ?? false,
    });
  });

  it('the cfg inventory, with no -i: plumb inventory lists what ansible-inventory --list does', () => {
    cfg(base());
    const a = ansible(dir, 'ansible-inventory', ['--list']);
    expect(a.code, a.err).to.equal(0);
    const p = plumb(dir, ['inventory']);
    expect(p.code, p.err).to.equal(0);
    expect(JSON.parse(p.out)).to.deep.equal(JSON.parse(a.out));
  });

  it('./ansible.cfg in a world-writable directory: skipped with a warning by both', () => {
    const open = join(dir, 'open');
    mkdirSync(open, { recursive: true });
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'ansible.cfg'), '[defaults]\nforks = 3\n');
    const a = ansible(open, 'ansible-config', ['dump', '--only-changed', '--format', 'json']);
    expect(a.err + a.out).to.match(/world writable directory/);
    expect((JSON.parse(a.out) as Array<{ name: string }>).map((s) => s.name)).to.not.include('DEFAULT_FORKS');
    const p = plumb(open, ['inventory']);
    expect(p.err).to.match(/world-writable: ignoring its ansible.cfg/);
    expect(p.err).to.match(/no inventory given/);
  });
});
