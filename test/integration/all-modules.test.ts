// Issue 13, acceptance 2: one playbook using every module in the registry (51) on web-02; a no-op
// run (apply and check) is 1 exec per host, counted in the recap and on the host. The playbook's
// module keys are compared with the registry, so a new module fails the coverage test until it is
// added here. Each no-op run is made with -v, so every exec is named by its task (execsByTask).
// Measured (slot 6): the no-op apply and the check are 1 exec each, on the host and in the recap
// (wait_for, uri and the SELECT of mysql_query are live reads in the batch, src/facts/live.ts;
// pause waits on the controller). Before that they were 5: one exec each for those four.
// Then a hand-made drift of several modules: check names exactly those tasks (exit 2) and
// leaves the host as it was; apply puts them back; the next apply changes nothing.
// Only local traffic: before() starts on the host an HTTP server on its loopback (uri, get_url),
// a bare git repository cloned over file:// (git, pinned to its commit's full sha, so a no-op
// never fetches), and a second mariadbd (port 3307, server_id 2, binary log, a replication
// account) that the host's own server replicates from (mysql_replication; mysql_topology then
// finds web-02 a replica of the inventory's primary, am-primary at 127.0.0.1). The other mysql_*
// tasks use the local server as root over its socket. The repositories of apt_repository and
// deb822_repository are local file: paths, the cache never refreshed. tempfile creates something
// every run (changed by nature), so it runs on the first apply only: `when:
// bool(d(am_first, false))`, the first apply given -e am_first=true. locale_gen generates a
// locale (the locales package installed first). modprobe persists `dummy` for the next boot
// (modules-load.d and its options in modprobe.d) without loading it: the lab's containers
// see no kernel modules (no /proc/modules, no /sys/module), so loading and unloading are
// unit-tested only.
// Resets web-02.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { modules } from '../../src/modules/index.js';
import { TEST_KEY } from '../unit/modules/edit-fixtures.js';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { changed, failures, recapOf, runBookOn, type Run, SiteRun } from './site-run.js';

const HOST = 'web-02';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1bWJ0ZXN0a2V5b25seWZvcnRoZWxhYmhvc3Rz plumb-test@lab';

const PLAYBOOK = `- hosts: ${HOST}
  become: true
  tasks:
    - name: apt
      apt: { name: [ufw, git, mariadb-server], state: present }
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
      uri: { url: http://127.0.0.1:8766/app.txt }
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
    - name: apt_key
      apt_key:
        keyring: /etc/apt/keyrings/plumb-am.gpg
        data: |
APTKEY
    - name: apt_repository (a local file repository, cache not refreshed)
      apt_repository:
        repo: "deb [signed-by=/etc/apt/keyrings/plumb-am.gpg] file:/srv/am-repo ./"
        filename: plumb-am
        update_cache: false
    - name: deb822_repository
      deb822_repository: { name: plumb-am2, types: deb, uris: 'file:/srv/am-repo2', suites: ./, signed_by: /etc/apt/keyrings/plumb-am.gpg }
    - name: debconf
      debconf: { name: tzdata, question: tzdata/Areas, vtype: select, value: Europe }
    - name: mount (a tmpfs)
      mount: { path: /mnt/am-tmp, src: tmpfs, fstype: tmpfs, opts: 'size=1m,mode=0755', state: mounted }
    - name: alternatives (the test's own group, whose auto choice is /bin/false)
      alternatives: { name: am-tool, path: /bin/true }
    - name: locale_gen
      locale_gen: { name: de_DE.UTF-8 }
    - name: modprobe (not loaded now, loaded with its options from the next boot)
      modprobe: { name: dummy, state: absent, params: numdummies=2, persistent: present }
    - name: ufw (a rule, kept in ufw's files while ufw is stopped)
      ufw: { rule: allow, port: '22', proto: tcp }
    - name: get_url
      get_url: { url: 'http://127.0.0.1:8766/app.txt', dest: /srv/am/app.txt, checksum: 'sha256:APPSUM' }
    - name: unarchive (from the controller)
      unarchive: { src: TGZ, dest: /srv/am }
    - name: fetch
      fetch: { src: /srv/am/copy.txt, dest: FETCHED }
    - name: git (pinned to the commit, so a no-op needs no fetch)
      git: { repo: 'file:///srv/am-up.git', dest: /srv/am-app, version: GITSHA }
    - name: tempfile (first apply only; changed by nature)
      tempfile: { state: directory, suffix: .am }
      when: bool(d(am_first, false))
    - name: mysql_db
      mysql_db: { name: amdb }
    - name: mysql_user
      mysql_user: { name: amdbuser, host: localhost, password: am-pw, priv: 'amdb.*:SELECT' }
    - name: mysql_variables
      mysql_variables: { variable: max_connections, value: 200 }
    - name: mysql_query (a read)
      mysql_query: { query: SELECT COUNT(*) AS n FROM information_schema.SCHEMATA }
    - name: mysql_replication (from the second server on 127.0.0.1:3307)
      mysql_replication: { primary_host: 127.0.0.1, primary_port: 3307, user: amrepl, password: amrepl-pw }
    - name: mysql_topology (web-02 is a replica of the inventory's primary)
      mysql_topology: { server: '{{ inventory_hostname }}', primary: am-primary, addresses: { am-primary: 127.0.0.1 } }
`;

const INSTALL = `- hosts: ${HOST}
  become: true
  tasks:
    - name: git, mariadb and locales
      apt: { name: [git, mariadb-server, locales], update_cache: true }
`;
const APP = 'served on the loopback\n';
const P = '/var/lib/am-primary';
const PSOCK = '/run/am-primary/mysqld.sock';
const PRIMARY = [
  'set -e',
  `install -d -o mysql -g mysql ${P} /run/am-primary`,
  `mariadb-install-db --no-defaults --user=mysql --datadir=${P} --auth-root-authentication-method=socket --skip-test-db >/dev/null`,
  `systemd-run --unit=am-primary -p User=mysql /usr/sbin/mariadbd --no-defaults --datadir=${P} --socket=${PSOCK} --pid-file=/run/am-primary/mysqld.pid --port=3307 --bind-address=127.0.0.1 --server-id=2 --log-bin=${P}/binlog --skip-name-resolve`,
  `for i in $(seq 60); do mariadb --no-defaults -S ${PSOCK} -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done`,
  `mariadb --no-defaults -S ${PSOCK} -e "CREATE USER 'amrepl'@'127.0.0.1' IDENTIFIED BY 'amrepl-pw'; GRANT REPLICATION SLAVE ON *.* TO 'amrepl'@'127.0.0.1'"`,
].join('\n');
const indent = (s: string, n: number) =>
  s
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

/** Each exec of a run (needs -v) as "purpose: task", the task being the next one reported after it. */
const execsByTask = (r: Run): string[] =>
  r.events.flatMap((e, i) => {
    if (e.type !== 'exec') return [];
    const next = r.events.slice(i + 1).find((x) => x.type === 'task');
    return [`${String(e.purpose)}: ${next ? String(next.task) : '(after the last task)'}`];
  });

/** Modules added for the full coverage that change a fresh host (the others are reads or already-true states there). */
const FIRST_CHANGES = [
  'apt_key',
  'apt_repository',
  'deb822_repository',
  'debconf',
  'mount',
  'alternatives',
  'locale_gen',
  'ufw',
  'get_url',
  'unarchive',
  'fetch',
  'git',
  'tempfile',
  'mysql_db',
  'mysql_user',
  'mysql_variables',
  'mysql_replication',
];

/** The module keys the playbook's tasks use (task keys that are registry names). */
const usedModules = (text: string): string[] => [...new Set([...text.matchAll(/^ {6}([a-z_0-9]+):/gm)].map((m) => m[1]!).filter((k) => k in modules))].sort();

describe('every module in one playbook (issue 13, acceptance 2)', function () {
  this.timeout(900_000);
  let site: SiteRun;
  let book: string;
  let dir: string;
  const run = (verb: 'apply' | 'check', ...args: string[]): Run => runBookOn(site.lab, verb, book, HOST, args);

  before(async () => {
    site = new SiteRun(await ensureLab());
    await resetHosts([HOST]);
    dir = mkdtempSync(join(tmpdir(), 'plumb-allmods-'));
    // git (the upstream repository) and mariadb-server (the second server, the primary) are
    // needed before the playbook runs: installed by plumb's apt from the lab's local repository.
    writeFileSync(join(dir, 'install.yml'), INSTALL);
    const inst = runBookOn(site.lab, 'apply', join(dir, 'install.yml'), HOST);
    expect(inst.code, failures(inst) + inst.stderr).to.equal(0);
    // The archive unarchive sends from the controller.
    mkdirSync(join(dir, 'src/amarch'), { recursive: true });
    writeFileSync(join(dir, 'src/amarch/one.txt'), 'one\n');
    execFileSync('tar', ['-czf', join(dir, 'am.tgz'), '--owner=root', '--group=root', '-C', join(dir, 'src'), 'amarch']);
    // The HTTP server (uri, get_url) on the host's loopback, serving a directory of its own.
    site.onHost(
      HOST,
      `mkdir -p /srv/am-www && printf %s ${Buffer.from(APP).toString('base64')} | base64 -d > /srv/am-www/app.txt && ` +
        'systemd-run --unit=am-http python3 -m http.server 8766 --bind 127.0.0.1 -d /srv/am-www && for i in 1 2 3 4 5 6 7 8 9 10; do bash -c "exec 3<>/dev/tcp/127.0.0.1/8766" 2>/dev/null && break; sleep 0.3; done',
    );
    // The git upstream: a bare repository on the host with one commit, cloned over file://.
    site.onHost(
      HOST,
      'set -e; git init -q --bare -b main /srv/am-up.git; w=$(mktemp -d); git clone -q /srv/am-up.git "$w" 2>/dev/null; cd "$w"; echo one > file; git add file; ' +
        'git -c user.name=t -c user.email=t@example.org commit -q -m one; git push -q origin HEAD:main; rm -rf "$w"',
    );
    const sha = site.onHost(HOST, 'git --git-dir=/srv/am-up.git rev-parse HEAD').out.trim();
    // The replication primary: a second mariadbd (own datadir, socket, port 3307, server_id 2,
    // binary log) with a replication account; the host's own server (server_id 1) replicates from it.
    site.onHost(HOST, PRIMARY);
    // alternatives: a link group of the test's own, two choices; auto picks /bin/false (priority 20).
    site.onHost(
      HOST,
      'update-alternatives --quiet --install /usr/local/bin/am-tool am-tool /bin/true 10 && update-alternatives --quiet --install /usr/local/bin/am-tool am-tool /bin/false 20',
    );
    writeFileSync(join(dir, 'am.txt.ejs'), 'host=<%= inventory_hostname %>\n');
    const text = PLAYBOOK.replace('TPL', join(dir, 'am.txt.ejs'))
      .replace('APTKEY', indent(TEST_KEY, 10))
      .replace('APPSUM', createHash('sha256').update(APP).digest('hex'))
      .replace('TGZ', join(dir, 'am.tgz'))
      .replace('FETCHED', join(dir, 'fetched'))
      .replace('GITSHA', sha);
    book = join(dir, 'all.yml');
    writeFileSync(book, text);
  });
  after(async () => {
    site.onHost(HOST, 'systemctl stop am-primary am-http', true);
    await resetHosts([HOST]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('converges, then a no-op apply and a check are 1 exec per host (recap and host log)', () => {
    const first = run('apply', '-e', 'am_first=true');
    expect(first.code, failures(first) + first.stderr).to.equal(0);
    // The task names start with their module's name: each module that makes a change did.
    expect(changed(first).map((t) => t.slice(`${HOST}: `.length).split(' ')[0])).to.include.members(FIRST_CHANGES);
    const replica = site.onHost(HOST, "mariadb -e 'SHOW SLAVE STATUS\\G'").out;
    expect(replica, 'web-02 replicates from the second server')
      .to.match(/Slave_IO_Running: Yes/)
      .and.to.match(/Slave_SQL_Running: Yes/);
    const execs: { verb: string; recap: number | undefined; onHost: number; who: string[] }[] = [];
    for (const verb of ['apply', 'check'] as const) {
      const before = labExecCount(HOST);
      // -v: the exec events are in the JSON too, so each exec is named by its task.
      const r = run(verb, '-v');
      const onHost = labExecCount(HOST) - before;
      const recap = recapOf(r)[HOST]?.execs;
      const who = execsByTask(r);
      process.stderr.write(`      [allmods] no-op ${verb}: ${onHost} exec(s) on ${HOST}, recap execs ${String(recap)}: ${who.join('; ')}\n`);
      expect(r.code, failures(r)).to.equal(0);
      expect(changed(r), verb).to.deep.equal([]);
      execs.push({ verb, recap, onHost, who });
    }
    // Both verbs measured (and printed) before the exec counts are asserted.
    for (const { verb, recap, onHost, who } of execs) {
      expect(recap, `${verb}: recap execs (${who.join('; ')})`).to.equal(1);
      expect(onHost, `${verb}: execs in the host log`).to.equal(1);
    }
  });

  it('a hand-made drift: check names exactly the drifted tasks (exit 2) and leaves the host untouched; apply puts them back', () => {
    // Runs on the host the test above converged.
    site.onHost(
      HOST,
      [
        "sed -i 's/^10.0.0.1 db$/10.0.0.9 db/' /srv/am/hosts.txt",
        "sed -i 's/^port = 8080/port = 9090/' /srv/am/app.ini",
        'sysctl -q -w net.ipv4.ip_forward=0',
        "sed -i 's/^de_DE.UTF-8/# de_DE.UTF-8/' /etc/locale.gen && locale-gen >/dev/null",
        'update-alternatives --quiet --auto am-tool',
        "mariadb -e 'SET GLOBAL max_connections = 151'",
        'rm /etc/modules-load.d/dummy.conf',
      ].join(' && '),
    );
    const state = () =>
      site.onHost(
        HOST,
        "sha256sum /srv/am/hosts.txt /srv/am/app.ini /etc/locale.gen; sysctl -n net.ipv4.ip_forward; readlink /etc/alternatives/am-tool; locale -a | sort | tr '\\n' ' '; mariadb -N -e 'SELECT @@max_connections'; ls /etc/modules-load.d",
      ).out;
    const before = state();
    const check = run('check');
    expect(check.code, failures(check)).to.equal(2);
    const drifted = changed(check).map((t) => t.slice(`${HOST}: `.length).split(' ')[0]);
    expect([...drifted].sort()).to.deep.equal(['alternatives', 'ini_file', 'lineinfile', 'locale_gen', 'modprobe', 'mysql_variables', 'sysctl']);
    expect(state(), 'check changed nothing on the host').to.equal(before);
    const fix = run('apply');
    expect(fix.code, failures(fix)).to.equal(0);
    expect(changed(fix).map((t) => t.slice(`${HOST}: `.length).split(' ')[0])).to.include.members([
      'alternatives',
      'lineinfile',
      'ini_file',
      'sysctl',
      'locale_gen',
      'mysql_variables',
      'modprobe',
    ]);
    expect(site.onHost(HOST, 'cat /etc/modules-load.d/dummy.conf /etc/modprobe.d/dummy.conf').out).to.equal('dummy\noptions dummy numdummies=2\n');
    const again = run('apply');
    expect(again.code, failures(again)).to.equal(0);
    expect(changed(again)).to.deep.equal([]);
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
