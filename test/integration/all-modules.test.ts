// Issue 13, acceptance 2: one playbook using every module in the registry; a no-op run (apply and
// check) is 1 exec per host, counted in the recap and on the host. The playbook's module keys are
// compared with the registry, so a new module fails the coverage test until it is added here.
// Measured (slot 6): the no-op apply is 4 execs on web-02 (recap 4). Without wait_for, uri and
// pause it is 1 exec in apply and in check: wait_for and uri each probe live in an exec of their
// own every run (not batched), and pause (seconds: 0) splits the batch in two. Not yet fixed.
// Servers (HTTP for uri) are started by the test on the host's loopback. Resets web-02.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { modules } from '../../src/modules/index.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, recapOf, runBookOn, type Run, SiteRun } from './site-run.js';

const HOST = 'web-02';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bWJ0ZXN0a2V5b25seWZvcnRoZWxhYmhvc3Rz plumb-test@lab';

const PLAYBOOK = `- hosts: ${HOST}
  become: true
  tasks:
    - name: apt
      apt: { name: ufw, state: present }
    - name: package
      package: { name: ufw, state: present }
    - name: group
      group: { name: amgroup }
    - name: user
      user: { name: amuser, shell: /bin/sh, groups: [amgroup] }
    - name: file
      file: { path: /srv/am, state: directory }
    - name: copy
      copy: { dest: /srv/am/copy.txt, content: "hello\\n" }
    - name: template
      template: { src: TPL, dest: /srv/am/tpl.txt }
    - name: command
      command: { cmd: touch /srv/am/cmd, creates: /srv/am/cmd }
    - name: shell
      shell: { cmd: "printf 'colour=1\\\\n' > /srv/am/r.txt", creates: /srv/am/r.txt }
    - name: lineinfile
      lineinfile: { path: /srv/am/hosts.txt, create: true, line: '10.0.0.1 db' }
    - name: blockinfile
      blockinfile: { path: /srv/am/motd.txt, create: true, block: "hello\\n" }
    - name: replace
      replace: { path: /srv/am/r.txt, regexp: '^colour=', replace: 'color=' }
    - name: ini_file
      ini_file: { path: /srv/am/app.ini, section: main, option: port, value: '8080' }
    - name: authorized_key
      authorized_key: { user: amuser, key: '${KEY}' }
    - name: sysctl
      sysctl: { name: net.ipv4.ip_forward, value: '1', sysctl_file: /etc/sysctl.d/90-am.conf }
    - name: cron
      cron: { name: am job, cron_file: plumb-am, user: root, minute: '*/5', job: /bin/true }
    - name: hostname
      hostname: { name: am-web }
    - name: timezone
      timezone: { name: Europe/Paris }
    - name: systemd
      systemd: { name: ufw, state: stopped, enabled: false }
    - name: service
      service: { name: ssh, state: started, enabled: true }
    - name: stat
      stat: { path: /srv/am/app.ini }
    - name: slurp
      slurp: { src: /srv/am/r.txt }
    - name: find
      find: { paths: /srv/am, patterns: '*.txt' }
    - name: getent
      getent: { database: passwd, key: amuser }
    - name: wait_for
      wait_for: { port: 22, timeout: 10 }
    - name: uri
      uri: { url: http://127.0.0.1:8766/hostname }
    - name: setup
      setup: {}
    - name: service_facts
      service_facts: {}
    - name: package_facts
      package_facts: { manager: auto }
    - name: reboot (never on this run; by nature it is a skip when the guard is false)
      reboot: {}
      when: false
    - name: pause (seconds 0)
      pause: { seconds: 0 }
`;

/** The module keys the playbook's tasks use (task keys that are registry names). */
const usedModules = (text: string): string[] => [...new Set([...text.matchAll(/^ {6}([a-z_0-9]+):/gm)].map((m) => m[1]!).filter((k) => k in modules))].sort();

describe('every module in one playbook (issue 13, acceptance 2)', function () {
  this.timeout(900_000);
  let site: SiteRun;
  let book: string;
  const run = (verb: 'apply' | 'check'): Run => runBookOn(site.lab, verb, book, HOST);

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    const dir = mkdtempSync(join(tmpdir(), 'plumb-allmods-'));
    book = join(dir, 'all.yml');
    writeFileSync(join(dir, 'am.txt.ejs'), 'host=<%= inventory_hostname %>\n');
    writeFileSync(book, PLAYBOOK.replace('TPL', join(dir, 'am.txt.ejs')));
    site.onHost(
      HOST,
      'systemd-run --unit=am-http python3 -m http.server 8766 --bind 127.0.0.1 -d /etc && for i in 1 2 3 4 5 6 7 8 9 10; do bash -c "exec 3<>/dev/tcp/127.0.0.1/8766" 2>/dev/null && break; sleep 0.3; done',
    );
  });
  after(async () => {
    await resetHosts([HOST]);
  });

  it('converges, then a no-op apply and a check are 1 exec per host (recap and host log)', () => {
    const first = run('apply');
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    for (const verb of ['apply', 'check'] as const) {
      const before = labExecCount(HOST);
      const r = run(verb);
      const onHost = labExecCount(HOST) - before;
      const recap = recapOf(r)[HOST]?.execs;
      process.stderr.write(`      [allmods] no-op ${verb}: ${onHost} exec(s) on ${HOST}, recap execs ${String(recap)}\n`);
      expect(r.code, failures(r)).to.equal(0);
      expect(changed(r), verb).to.deep.equal([]);
      expect(recap, `${verb}: recap execs`).to.equal(1);
      expect(onHost, `${verb}: execs in the host log`).to.equal(1);
    }
  });

  it('uses every module of the registry', () => {
    const used = usedModules(PLAYBOOK);
    const missing = Object.keys(modules)
      .filter((m) => !used.includes(m))
      .sort();
    expect(missing, 'modules not in the playbook').to.deep.equal([]);
    expect(used.length).to.equal(Object.keys(modules).length);
  });
});
