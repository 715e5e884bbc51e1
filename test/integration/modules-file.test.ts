// The file and data modules of issue 13 on one fresh lab host: a small playbook using each
// of them is changed on the first apply, ok on the second at ONE exec (counted on the host),
// and a hand-made drift (an ini value, the running kernel's sysctl, a removed key) is reported
// by `check` with exit 2 while the host stays untouched (hashes and the live value compared).
// Registered results port: a `when:` reads stat.exists, find.matched, slurp's encoding and
// getent_passwd. tempfile is changed on every run (it creates a file, as in Ansible), so it
// runs in a playbook of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { labExecCount, type LabStatus } from '../../src/lab/index.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, recapOf, ROOT, SiteRun, tasks, type Run } from './site-run.js';

const H = 'web-01';
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bWJ0ZXN0a2V5b25seWZvcnRoZWxhYmhvc3Rz plumb-test@lab';

// The read-only modules, registering what the results play checks.
const READS = `    - name: Stat
      stat: { path: /srv/mf/app.ini }
      register: st
    - name: Slurp
      slurp: { src: /srv/mf/r.txt }
      register: sl
    - name: Find
      find: { paths: /srv/mf, patterns: '*.txt' }
      register: fd
    - name: Getent
      getent: { database: passwd, key: mfuser }
      register: ge
`;

const PLAYBOOK = `- hosts: ${H}
  tasks:
    - name: Directory
      file: { path: /srv/mf, state: directory }
    - name: Account
      user: { name: mfuser, shell: /bin/sh }
    - name: Seed for replace
      shell: { cmd: "printf 'colour=1\\n' > /srv/mf/r.txt", creates: /srv/mf/r.txt }
    - name: Line
      lineinfile: { path: /srv/mf/hosts.txt, create: true, regexp: '^10\\.0\\.0\\.1 ', line: '10.0.0.1 db' }
    - name: Block
      blockinfile:
        path: /srv/mf/motd.txt
        create: true
        block: |
          hello
          world
    - name: Replace
      replace: { path: /srv/mf/r.txt, regexp: '^colour=', replace: 'color=' }
    - name: Ini
      ini_file: { path: /srv/mf/app.ini, section: main, option: port, value: '8080', mode: '0640' }
    - name: Ini without section
      ini_file: { path: /srv/mf/app.ini, option: debug, value: 'false' }
    - name: Key
      authorized_key: { user: mfuser, key: '${KEY}' }
    - name: Forwarding
      sysctl: { name: net.ipv4.ip_forward, value: '1', sysctl_file: /etc/sysctl.d/90-plumb-test.conf }
    - name: Cron
      cron: { name: mf job, cron_file: plumb-test, user: root, minute: '*/5', job: /bin/true }
${READS}`;

// A task whose `when:` reads registered results is planned once they exist, so its facts
// come in an exec of their own: this play is kept apart from the one-exec playbook.
const RESULTS = `- hosts: ${H}
  tasks:
${READS}    - name: Results port
      file: { path: /srv/mf/results-ok, state: touch }
      when: st.stat.exists && st.stat.mode == '0640' && fd.matched == 3 && sl.encoding == 'base64' && sl.content == 'Y29sb3I9MQo=' && ge.ansible_facts.getent_passwd.mfuser[4] == '/home/mfuser'
`;

const TEMPFILE = `- hosts: ${H}
  tasks:
    - name: Temp
      tempfile: { state: directory, suffix: .mf }
      register: tmp
    - name: Mark it
      file: { path: '{{ tmp.path }}/mark', state: touch }
`;

describe('file and data modules on the lab (issue 13)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let site: SiteRun;
  let dir: string;

  const plumb = (verb: 'apply' | 'check', file: string, ...flags: string[]): Run => {
    const r = spawnSync(process.execPath, [CLI, verb, join(dir, file), '-i', lab.inventory, '--json', ...flags], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', events };
  };
  const hashes = (): string =>
    site.onHost(
      H,
      'sha256sum /srv/mf/* /etc/sysctl.d/90-plumb-test.conf /etc/cron.d/plumb-test /home/mfuser/.ssh/authorized_keys; cat /proc/sys/net/ipv4/ip_forward',
    ).out;

  before(async () => {
    lab = await ensureLab();
    await resetHosts([H]);
    site = new SiteRun(lab);
    dir = mkdtempSync(join(tmpdir(), 'plumb-modfile-'));
    writeFileSync(join(dir, 'file.yml'), PLAYBOOK);
    writeFileSync(join(dir, 'tempfile.yml'), TEMPFILE);
    writeFileSync(join(dir, 'results.yml'), RESULTS);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('first apply changes every file module', () => {
    const r = plumb('apply', 'file.yml');
    expect(r.code, failures(r) + r.stderr).to.equal(0);
    expect(changed(r)).to.include.members(['Line', 'Block', 'Replace', 'Ini', 'Ini without section', 'Key', 'Forwarding', 'Cron'].map((t) => `${H}: ${t}`));
    expect(site.onHost(H, 'cat /srv/mf/r.txt').out).to.equal('color=1\n');
    expect(site.onHost(H, 'cat /srv/mf/app.ini').out).to.equal('debug = false\n[main]\nport = 8080\n');
    expect(site.onHost(H, 'stat -c %a /srv/mf/app.ini').out.trim()).to.equal('640');
    expect(site.onHost(H, 'cat /srv/mf/motd.txt').out).to.equal('# BEGIN ANSIBLE MANAGED BLOCK\nhello\nworld\n# END ANSIBLE MANAGED BLOCK\n');
    expect(site.onHost(H, 'cat /etc/cron.d/plumb-test').out).to.equal('#Ansible: mf job\n*/5 * * * * root /bin/true\n');
    expect(site.onHost(H, 'cat /proc/sys/net/ipv4/ip_forward; cat /etc/sysctl.d/90-plumb-test.conf').out).to.equal('1\nnet.ipv4.ip_forward=1\n');
    expect(site.onHost(H, 'stat -c "%a %U" /home/mfuser/.ssh /home/mfuser/.ssh/authorized_keys').out).to.equal('700 mfuser\n600 mfuser\n');
  });

  it('registered results port to when: (stat, find, slurp, getent)', () => {
    const r = plumb('apply', 'results.yml');
    expect(r.code, failures(r) + r.stderr).to.equal(0);
    expect(site.onHost(H, 'test -e /srv/mf/results-ok && echo yes', true).out.trim(), 'the when: over stat, find, slurp and getent results held').to.equal(
      'yes',
    );
  });

  it('second apply: 0 changed at 1 exec, counted on the host', () => {
    const before = labExecCount(H);
    const r = plumb('apply', 'file.yml');
    expect(r.code, failures(r)).to.equal(0);
    expect(changed(r)).to.deep.equal([]);
    expect(recapOf(r)[H]!.execs).to.equal(1);
    expect(labExecCount(H) - before, 'execs in the host log').to.equal(1);
  });

  it('check after a hand-made drift: exit 2, the drifted tasks named with diffs, the host untouched', () => {
    site.onHost(H, "sed -i 's/^port = 8080/port = 9090/' /srv/mf/app.ini && sysctl -q -w net.ipv4.ip_forward=0 && : > /home/mfuser/.ssh/authorized_keys");
    const snap = hashes();
    const before = labExecCount(H);
    const r = plumb('check', 'file.yml', '--diff');
    expect(r.code, failures(r)).to.equal(2);
    expect(changed(r).sort()).to.deep.equal(['Forwarding', 'Ini', 'Key'].map((t) => `${H}: ${t}`));
    expect(labExecCount(H) - before, 'a check is one exec').to.equal(1);
    expect(hashes(), 'check touched nothing').to.equal(snap);
    const diffOf = (task: string) => tasks(r).find((e) => e.host === H && e.task === task)?.diff ?? [];
    expect(diffOf('Ini')).to.deep.equal([
      { label: '/srv/mf/app.ini', before: 'debug = false\n[main]\nport = 9090\n', after: 'debug = false\n[main]\nport = 8080\n' },
    ]);
    expect(diffOf('Forwarding')).to.deep.equal([{ label: 'sysctl net.ipv4.ip_forward (running kernel)', before: '0\n', after: '1\n' }]);
    expect(diffOf('Key')).to.deep.equal([{ label: '/home/mfuser/.ssh/authorized_keys (keys)', before: '', after: 'ssh-ed25519 plumb-test@lab\n' }]);
    const text = r.stdout;
    expect(text).not.to.include('AAAAC3NzaC1lZDI1NTE5AAAAIGx1bWJ0ZXN0', 'a key body never shows in a diff');
    const fix = plumb('apply', 'file.yml');
    expect(fix.code, failures(fix)).to.equal(0);
    expect(site.onHost(H, 'cat /proc/sys/net/ipv4/ip_forward').out.trim()).to.equal('1');
    const at = labExecCount(H);
    const clean = plumb('check', 'file.yml');
    expect(clean.code, failures(clean)).to.equal(0);
    expect(recapOf(clean)[H]!.execs, 'a clean check is one exec').to.equal(1);
    expect(labExecCount(H) - at, 'execs in the host log').to.equal(1);
  });

  it('tempfile: a new directory every run, its path registered', () => {
    const r = plumb('apply', 'tempfile.yml');
    expect(r.code, failures(r) + r.stderr).to.equal(0);
    expect(changed(r)).to.include(`${H}: Temp`);
    expect(site.onHost(H, 'ls -d /tmp/ansible.*.mf/mark | wc -l').out.trim()).to.equal('1');
  });
});
