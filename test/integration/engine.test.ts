// The engine against real OpenSSH servers on the lab: every module converges (changed, then
// ok), `check` reports hand-made drift with the right diff and exit 2 without touching the
// host, secrets stay out of `ps`, host keys are enforced, and a 30-task no-op check costs at
// most 2 execs counted by the host itself.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { LAB_NET } from '../../src/lab/paths.js';
import { labExecCount, sshArgs, type LabHost, type LabStatus } from '../../src/lab/index.js';

// The CLI compiled next to this test (dist/ normally), run as a child process like an operator would.
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const HOST = 'lb-01';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown>>;
}

function plumb(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  const events = args.includes('--json')
    ? r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, events };
}

function recap(r: CliResult): Record<string, { ok: number; changed: number; failed: number; execs: number }> {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap in output:\n${r.stdout}\n${r.stderr}`);
  return e.hosts as Record<string, { ok: number; changed: number; failed: number; execs: number }>;
}

describe('engine on real sshd hosts (lab)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let host: LabHost;
  let work: string;

  const onHost = (cmd: string): string => {
    const r = spawnSync(
      sshArgs({ host: host.sshHost, port: host.port, knownHosts: lab.knownHosts })[0]!,
      [...sshArgs({ host: host.sshHost, port: host.port, knownHosts: lab.knownHosts }).slice(1), '--', cmd],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`ssh ${cmd}: ${r.stderr}`);
    return r.stdout;
  };

  /** A project dir (playbooks/ + templates/) holding one play of `tasks` for HOST. */
  const project = (name: string, tasks: string, opts: { handlers?: string; vars?: string; templates?: Record<string, string> } = {}): string => {
    const dir = join(work, name);
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    mkdirSync(join(dir, 'templates'), { recursive: true });
    for (const [f, t] of Object.entries(opts.templates ?? {})) writeFileSync(join(dir, 'templates', f), t);
    const pb = join(dir, 'playbooks', 'site.yml');
    writeFileSync(
      pb,
      `- name: ${name}\n  hosts: ${HOST}\n${opts.vars ? `  vars:\n${opts.vars.replace(/^/gm, '    ')}\n` : ''}  tasks:\n${tasks.replace(/^/gm, '    ')}\n${opts.handlers ? `  handlers:\n${opts.handlers.replace(/^/gm, '    ')}\n` : ''}`,
    );
    return pb;
  };

  before(async () => {
    lab = await ensureLab();
    const h = lab.hosts.find((x) => x.name === HOST);
    if (!h) throw new Error(`lab has no ${HOST}`);
    host = h;
    work = mkdtempSync(join(tmpdir(), 'plumb-engine-it-'));
    onHost('rm -rf /srv/plumb-it /var/lib/plumb/pending-handlers; mkdir -p /srv/plumb-it');
  });

  // Each case: tasks to converge, a hand edit that makes drift, a probe of the host state that
  // check must leave untouched, and text the unified diff must contain.
  const cases: Array<{ module: string; undo: string; tasks: string; drift: string; state: string; diff: RegExp; templates?: Record<string, string> }> = [
    {
      module: 'copy',
      undo: 'rm -f /srv/plumb-it/copy.txt',
      tasks: `- name: copy a file\n  copy: { dest: /srv/plumb-it/copy.txt, content: "line one\\nline two\\n", mode: "0640" }`,
      drift: `sed -i 's/two/TWO/' /srv/plumb-it/copy.txt`,
      state: 'sha256sum /srv/plumb-it/copy.txt; stat -c %a /srv/plumb-it/copy.txt',
      diff: /-line TWO[\s\S]*\+line two/,
    },
    {
      module: 'template',
      undo: 'rm -f /srv/plumb-it/t.conf',
      tasks: `- name: render a template\n  template: { src: t.conf.ejs, dest: /srv/plumb-it/t.conf, mode: "0644", validate: "grep -q port %s" }`,
      templates: { 't.conf.ejs': 'host <%= inventory_hostname %>\nport <%= 8000 + 80 %>\n' },
      drift: `echo 'extra = 1' >> /srv/plumb-it/t.conf`,
      state: 'sha256sum /srv/plumb-it/t.conf',
      diff: /-extra = 1/,
    },
    {
      module: 'file',
      undo: 'rm -rf /srv/plumb-it/dir /srv/plumb-it/link',
      tasks: `- name: a directory\n  file: { path: /srv/plumb-it/dir, state: directory, mode: "0750" }\n- name: a link\n  file: { path: /srv/plumb-it/link, state: link, src: /srv/plumb-it/dir }`,
      drift: 'chmod 0777 /srv/plumb-it/dir',
      state: 'stat -c %a /srv/plumb-it/dir; readlink /srv/plumb-it/link',
      diff: /0777[\s\S]*0750|mode=0777/,
    },
    {
      module: 'command',
      undo: 'rm -f /srv/plumb-it/created',
      tasks: `- name: create once\n  command: { argv: [touch, /srv/plumb-it/created], creates: /srv/plumb-it/created }`,
      drift: 'rm -f /srv/plumb-it/created',
      state: 'ls /srv/plumb-it',
      diff: /./,
    },
    {
      module: 'shell',
      undo: 'rm -f /srv/plumb-it/shell.txt',
      tasks: `- name: append unless present\n  shell: { cmd: "echo marker >> /srv/plumb-it/shell.txt", unless: "grep -q marker /srv/plumb-it/shell.txt" }`,
      drift: ': > /srv/plumb-it/shell.txt',
      state: 'sha256sum /srv/plumb-it/shell.txt',
      diff: /./,
    },
    {
      module: 'group',
      undo: 'userdel plumbit 2>/dev/null || true; groupdel plumbit 2>/dev/null || true',
      tasks: `- name: a group\n  group: { name: plumbit, system: true }`,
      drift: 'groupdel plumbit',
      state: 'getent group plumbit || echo none',
      diff: /plumbit|absent|present/,
    },
    {
      module: 'user',
      undo: 'userdel plumbit 2>/dev/null || true; groupdel plumbit2 2>/dev/null || true',
      tasks: `- name: a group first\n  group: { name: plumbit2 }\n- name: a user\n  user: { name: plumbit, shell: /usr/sbin/nologin, system: true, groups: [plumbit2] }`,
      drift: 'usermod -s /bin/bash plumbit',
      state: 'getent passwd plumbit',
      diff: /\/bin\/bash[\s\S]*nologin/,
    },
    {
      module: 'apt',
      undo: 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ssl-cert >/dev/null 2>&1 || true',
      tasks: `- name: a package\n  apt: { name: [ssl-cert], state: present, update_cache: true, cache_valid_time: 3600 }`,
      drift: 'dpkg --purge --force-depends ssl-cert >/dev/null 2>&1',
      state: "dpkg-query -W -f='${db:Status-Abbrev}' ssl-cert 2>/dev/null || echo none",
      diff: /ssl-cert/,
    },
    {
      module: 'service',
      undo: 'systemctl disable --now plumb-it 2>/dev/null || true; rm -f /etc/systemd/system/plumb-it.service; systemctl daemon-reload',
      tasks: `- name: a unit\n  copy: { dest: /etc/systemd/system/plumb-it.service, content: "[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n" }\n- name: start it\n  service: { name: plumb-it, state: started, enabled: true, daemon_reload: true }`,
      drift: 'systemctl stop plumb-it',
      state: 'systemctl is-active plumb-it || true; systemctl is-enabled plumb-it || true',
      diff: /inactive|stopped/,
    },
    {
      module: 'ufw',
      undo: 'if command -v ufw >/dev/null; then ufw --force reset >/dev/null; fi',
      tasks: `- name: install ufw\n  apt: { name: ufw }\n- name: allow ssh\n  ufw: { rule: allow, port: "22", proto: tcp }\n- name: allow web from the bridge\n  ufw: { rule: allow, port: "8080", proto: tcp, from: ${LAB_NET.prefix}.0/24 }\n- name: enable\n  ufw: { state: enabled, default_incoming: deny }`,
      drift: `ufw --force delete allow from ${LAB_NET.prefix}.0/24 to any port 8080 proto tcp >/dev/null`,
      state: 'cat /etc/ufw/user.rules | grep -v "^#" | sha256sum',
      diff: /8080/,
    },
  ];

  for (const c of cases) {
    it(`${c.module}: changed, then ok, then check reports drift (exit 2) without touching the host`, () => {
      const pb = project(`mod-${c.module}`, c.tasks, { templates: c.templates });
      const inv = lab.inventory;
      onHost(c.undo);
      const first = plumb(['apply', pb, '-i', inv, '--json']);
      expect(first.code, first.stdout + first.stderr).to.equal(0);
      expect(recap(first)[HOST]!.changed).to.be.greaterThan(0);
      const second = plumb(['apply', pb, '-i', inv, '--json']);
      expect(second.code, second.stdout + second.stderr).to.equal(0);
      expect(recap(second)[HOST]!.changed, second.stdout).to.equal(0);
      onHost(c.drift);
      const before = onHost(c.state);
      const check = plumb(['check', pb, '-i', inv, '--json', '--diff']);
      const after = onHost(c.state);
      expect(check.code, check.stdout + check.stderr).to.equal(2);
      expect(after, 'check must not change the host').to.equal(before);
      const changed = check.events.filter((e) => e.type === 'task' && e.status === 'changed');
      expect(changed.length).to.be.greaterThan(0);
      const diffs = changed.flatMap((e) => (e.diff as Array<{ before: string; after: string; label: string }> | undefined) ?? []);
      const text =
        diffs
          .map(
            (d) =>
              `${d.label}\n${d.before
                .split('\n')
                .map((l) => `-${l}`)
                .join('\n')}\n${d.after
                .split('\n')
                .map((l) => `+${l}`)
                .join('\n')}`,
          )
          .join('\n') + changed.map((e) => String(e.message)).join('\n');
      expect(text).to.match(c.diff);
      // And apply puts it back.
      const fix = plumb(['apply', pb, '-i', inv, '--json']);
      expect(fix.code, fix.stdout + fix.stderr).to.equal(0);
      expect(plumb(['check', pb, '-i', inv, '--json']).code).to.equal(0);
    });
  }

  it('a file diff in check --diff (text output) is a unified diff', () => {
    const pb = project('unified', `- name: conf\n  copy: { dest: /srv/plumb-it/u.conf, content: "a\\nb\\nc\\n" }`);
    expect(plumb(['apply', pb, '-i', lab.inventory]).code).to.equal(0);
    onHost(`sed -i 's/^b$/B/' /srv/plumb-it/u.conf`);
    const r = plumb(['check', pb, '-i', lab.inventory, '--diff']);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.include('--- /srv/plumb-it/u.conf (before)');
    expect(r.stdout).to.include('+++ /srv/plumb-it/u.conf (after)');
    expect(r.stdout).to.match(/-B\n\s*\+b/);
  });

  it('a no-op check of 30 tasks costs at most 2 execs, counted by the host', () => {
    const tasks = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? `- name: dir ${i}\n  file: { path: /srv/plumb-it/n${i}, state: directory }`
        : `- name: file ${i}\n  copy: { dest: /srv/plumb-it/f${i}.txt, content: "file ${i}\\n" }`,
    ).join('\n');
    const pb = project('thirty', tasks);
    expect(plumb(['apply', pb, '-i', lab.inventory]).code).to.equal(0);
    const before = labExecCount(HOST);
    const r = plumb(['check', pb, '-i', lab.inventory, '--json', '--limit', HOST]);
    const after = labExecCount(HOST);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(after - before, 'execs seen by the host').to.be.at.most(2);
    expect(recap(r)[HOST]!.execs).to.equal(after - before);
    const before2 = labExecCount(HOST);
    const a = plumb(['apply', pb, '-i', lab.inventory, '--json', '--limit', HOST]);
    expect(a.code).to.equal(0);
    expect(labExecCount(HOST) - before2).to.be.at.most(2);
  });

  it('a secret never shows in output, --json, diffs, or ps on the host during the run', async () => {
    const secret = 'Zq9-very-secret-Value-41';
    const pb = project(
      'secret',
      `- name: config with a password\n  template: { src: s.conf.ejs, dest: /srv/plumb-it/s.conf, mode: "0600" }\n- name: slow consumer of the secret\n  shell: { cmd: "cat > /srv/plumb-it/s.in; sleep 3", stdin: "{{ app_db_password }}" }`,
      { vars: `app_db_password: ${secret}`, templates: { 's.conf.ejs': 'user=app\npassword=<%= app_db_password %>\n' } },
    );
    // Watch the host's process list while the run is in flight.
    const seenInPs: string[] = [];
    const child = spawn(process.execPath, [CLI, 'apply', pb, '-i', lab.inventory, '--diff', '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
    for (let i = 0; i < 20; i++) {
      const ps = onHost('ps -eo args');
      if (ps.includes(secret)) seenInPs.push(ps);
      if (ps.includes('sleep 3')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await done).to.equal(0);
    expect(seenInPs, 'secret seen in ps').to.deep.equal([]);
    expect(out).not.to.include(secret);
    expect(onHost('cat /srv/plumb-it/s.in')).to.equal(secret);
    // Drift in the secret-bearing file: the diff is shown, the secret is not.
    onHost(`sed -i 's/^user=app$/user=root/' /srv/plumb-it/s.conf`);
    const j = plumb(['check', pb, '-i', lab.inventory, '--diff', '--json']);
    expect(j.code).to.equal(2);
    expect(j.stdout).to.include('<redacted>');
    expect(j.stdout).not.to.include(secret);
    const t = plumb(['check', pb, '-i', lab.inventory, '--diff']);
    expect(t.stdout + t.stderr).not.to.include(secret);
  });

  it('refuses an unknown host key by default, records it with --accept-new-host-keys, and always refuses a changed key', () => {
    const dir = join(work, 'keys');
    mkdirSync(dir, { recursive: true });
    const known = join(dir, 'known_hosts');
    writeFileSync(known, '');
    const inv = join(dir, 'inv.yml');
    writeFileSync(
      inv,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${lab.keyFile}\n    plumb_known_hosts: ${known}\n  hosts:\n    ${HOST}:\n      ansible_host: ${host.sshHost}\n      ansible_port: ${host.port}\n`,
    );
    const pb = project('keys', `- name: noop\n  file: { path: /srv/plumb-it, state: directory }`);
    const unknown = plumb(['check', pb, '-i', inv]);
    expect(unknown.code).to.equal(1);
    expect(unknown.stdout + unknown.stderr).to.match(/unknown host key/);
    expect(readFileSync(known, 'utf8')).to.equal('');
    const accepted = plumb(['check', pb, '-i', inv, '--accept-new-host-keys']);
    expect(accepted.code, accepted.stdout + accepted.stderr).to.equal(0);
    const recorded = readFileSync(known, 'utf8');
    expect(recorded).to.match(/ssh-ed25519 |ecdsa-sha2|ssh-rsa /);
    expect(plumb(['check', pb, '-i', inv]).code).to.equal(0);
    // Same key type, different key: a changed host key.
    const [token, type] = recorded.trim().split(/\s+/);
    const fake = spawnSync('ssh-keygen', [
      '-t',
      type === 'ssh-ed25519' ? 'ed25519' : type!.startsWith('ecdsa') ? 'ecdsa' : 'rsa',
      '-N',
      '',
      '-q',
      '-f',
      join(dir, 'fake'),
    ]);
    expect(fake.status).to.equal(0);
    const fakePub = readFileSync(join(dir, 'fake.pub'), 'utf8').trim().split(/\s+/);
    writeFileSync(known, `${token} ${fakePub[0]} ${fakePub[1]}\n`);
    for (const extra of [[], ['--accept-new-host-keys']]) {
      const changed = plumb(['check', pb, '-i', inv, ...extra]);
      expect(changed.code).to.equal(1);
      expect(changed.stdout + changed.stderr).to.match(/HOST KEY CHANGED/);
    }
  });

  it('an unreachable host is reported while the others carry on', () => {
    const dir = join(work, 'unreach');
    mkdirSync(dir, { recursive: true });
    const inv = join(dir, 'inv.yml');
    writeFileSync(
      inv,
      `all:\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${lab.keyFile}\n    plumb_known_hosts: ${lab.knownHosts}\n  hosts:\n    ${HOST}:\n      ansible_host: ${host.sshHost}\n      ansible_port: ${host.port}\n    ghost:\n      ansible_host: 127.0.0.1\n      ansible_port: 9\n`,
    );
    const pb = join(work, 'unreach.yml');
    mkdirSync(join(work, 'unreach-pb', 'playbooks'), { recursive: true });
    const file = join(work, 'unreach-pb', 'playbooks', 'site.yml');
    writeFileSync(file, `- hosts: all\n  tasks:\n    - name: noop\n      file: { path: /srv/plumb-it, state: directory }\n`);
    void pb;
    const r = plumb(['check', file, '-i', inv, '--json', '--connect-timeout', '2000']);
    expect(r.code).to.equal(1);
    const rc = r.events.find((e) => e.type === 'recap')!.hosts as Record<string, { unreachable: boolean; ok: number }>;
    expect(rc.ghost!.unreachable).to.equal(true);
    expect(rc[HOST]!.ok).to.equal(1);
  });
});
