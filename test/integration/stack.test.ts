// The www.foobar.com stack on the lab, from fresh hosts, as its users and its operator see
// it (issue 4's acceptance 1-7): cold apply, HTTPS round robin through HAProxy, writes
// reaching the replica, the firewall tested from the hosts themselves, a no-op re-run that
// restarts nothing, drift found by `check` and fixed by `apply`, and a web server lost
// without a failed request. The cases run in order on one lab and stop at the first failure.
import { selfSignedArgs } from '../../src/lab/cert.js';
import type { HostRecap } from '../../src/report/events.js';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { sshArgs } from '../../src/lab/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const PLAYBOOK = resolve(ROOT, 'playbooks/site.yml');
const HOSTS = ['lb-01', 'web-01', 'web-02'] as const;
type HostName = (typeof HOSTS)[number];
const DOMAIN = 'www.foobar.com';

interface LabHostLike {
  name: string;
  address: string;
  sshHost?: string;
  port: number;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  events: Array<Record<string, unknown>>;
}

type Recap = HostRecap;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`the foobar stack on the lab (issue 4), Debian ${process.env.PLUMB_LAB_RELEASE ?? '12'} hosts`, function () {
  this.timeout(900_000);
  // Each step builds on the previous one: after a failure the rest are skipped. (Mocha's own
  // this.bail() would also skip this whole suite when any EARLIER file had a failure.)
  let broken = false;
  beforeEach(function () {
    if (broken) this.skip();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') broken = true;
  });

  let lab: { hosts: LabHostLike[]; inventory: string; knownHosts: string };
  let extra: string[] = [];
  const addr = (h: HostName): string => {
    const x = lab.hosts.find((y) => y.name === h);
    if (!x) throw new Error(`lab has no ${h}`);
    return x.address;
  };

  /** Run a command on a lab host with the machine's OpenSSH (strict host keys). */
  const onHost = (h: HostName, cmd: string, allowFail = false): { code: number; out: string; err: string } => {
    const x = lab.hosts.find((y) => y.name === h)!;
    const args = sshArgs({ host: x.sshHost ?? x.address, port: x.port, knownHosts: lab.knownHosts });
    const r = spawnSync(args[0]!, [...args.slice(1), '--', cmd], { encoding: 'utf8', timeout: 60_000 });
    const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
    if (!allowFail && res.code !== 0) throw new Error(`${h}: ${cmd}: exit ${res.code}\n${res.err}${res.out}`);
    return res;
  };

  const plumb = (verb: 'apply' | 'check', ...flags: string[]): Run => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, verb, PLAYBOOK, '-i', lab.inventory, ...extra, ...flags], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = flags.includes('--json')
      ? (r.stdout ?? '')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0, events };
  };

  const recapOf = (r: Run): Record<string, Recap> => {
    const e = r.events.find((x) => x.type === 'recap');
    if (!e) throw new Error(`no recap (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
    return e.hosts as Record<string, Recap>;
  };
  const failures = (r: Run): string =>
    r.events
      .filter((e) => e.type === 'task' && (e.status === 'failed' || e.status === 'unreachable'))
      .map((e) => `${String(e.host)} / ${String(e.task)}: ${String(e.message)}`)
      .join('\n') || r.stderr.slice(-3000);
  /** What each changed task said and showed, for a failure message. */
  const changedDetail = (r: Run): string =>
    r.events
      .filter((e) => e.type === 'task' && e.status === 'changed')
      .map((e) => `${String(e.host)} / ${String(e.task)}: ${String(e.message)}\n${JSON.stringify(e.diff ?? [])}`)
      .join('\n');
  const changedTasks = (r: Run): string[] =>
    r.events
      .filter((e) => e.type === 'task' && e.status === 'changed' && e.handler !== true)
      .map((e) => `${String(e.host)}: ${String(e.task)}`)
      .sort();

  /** curl from the machine to lb-01 (a lab address: this test's own namespace). */
  const curl = (args: string[]): { code: number; out: string } => {
    const r = spawnSync(
      'curl',
      ['-sS', '--max-time', '5', '--resolve', `${DOMAIN}:443:${addr('lb-01')}`, '--resolve', `${DOMAIN}:80:${addr('lb-01')}`, ...args],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    return { code: r.status ?? -1, out: r.stdout ?? '' };
  };
  const get = (path: string): { status: number; server: string; body: Record<string, unknown> } => {
    const r = curl(['-k', '-w', '\n%{http_code}', `https://${DOMAIN}${path}`]);
    const nl = r.out.lastIndexOf('\n');
    const status = Number(r.out.slice(nl + 1));
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(r.out.slice(0, nl)) as Record<string, unknown>;
    } catch {
      // not JSON (an HAProxy error page): status says it
    }
    return { status, server: String(body.server ?? ''), body };
  };
  const mainPid = (h: HostName, unit: string): number => Number(onHost(h, `systemctl show -p MainPID --value ${unit}`).out.trim());
  const pids = () => ({
    haproxy: mainPid('lb-01', 'haproxy'),
    'nginx web-01': mainPid('web-01', 'nginx'),
    'nginx web-02': mainPid('web-02', 'nginx'),
    'gunicorn web-01': mainPid('web-01', 'foobar-app'),
    'gunicorn web-02': mainPid('web-02', 'foobar-app'),
    'mariadb web-01': mainPid('web-01', 'mariadb'),
    'mariadb web-02': mainPid('web-02', 'mariadb'),
    'prometheus lb-01': mainPid('lb-01', 'prometheus'),
    'alertmanager lb-01': mainPid('lb-01', 'prometheus-alertmanager'),
    'mysqld exporter web-02': mainPid('web-02', 'prometheus-mysqld-exporter'),
  });
  /**
   * The monitoring and backup files plumb writes (configs, exporters' options, scripts,
   * units, the backup's settings and the store's key), as `sha256  path` lines per host:
   * whatever of this list the host has.
   */
  const MANAGED_FILES = [
    '/etc/prometheus',
    '/etc/default/prometheus*',
    '/usr/local/sbin/promtool-test-rules',
    '/usr/local/sbin/mysql-replication-metrics',
    '/etc/systemd/system/mysql-replication-metrics.*',
    '/usr/local/sbin/foobar-backup',
    '/usr/local/sbin/foobar-backup-key',
    '/etc/systemd/system/foobar-backup.*',
    '/etc/foobar-backup',
    '/srv/backups/.ssh',
  ];
  const fileHashes = (): Record<HostName, string> =>
    Object.fromEntries(
      HOSTS.map((h) => [h, onHost(h, `find ${MANAGED_FILES.join(' ')} -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum`, true).out]),
    ) as Record<HostName, string>;
  /** Can `from` open a TCP connection to `to`:`port`? (ufw drops: a bounded timeout says no.) */
  const tcpOpen = (from: HostName, to: HostName, port: number): boolean =>
    onHost(from, `timeout 3 bash -c '</dev/tcp/${addr(to)}/${port}' 2>/dev/null && echo open || echo closed`).out.trim() === 'open';
  const mysql = (h: HostName, sql: string): string => onHost(h, `mysql --batch --skip-column-names -e ${JSON.stringify(sql)}`).out.trim();

  const timings: Record<string, number> = {};
  /** apt-get installs recorded in the host's own /var/log/apt/history.log (counted on the host, not by plumb). */
  const aptInstalls = (h: HostName): number =>
    Number(onHost(h, "grep -Ec '^Commandline: (/usr/bin/)?apt-get( .*)? install ' /var/log/apt/history.log 2>/dev/null || true").out.trim() || '0');
  const installsBefore: Partial<Record<HostName, number>> = {};

  // PLUMB_STACK_KEEP=1 skips the reset to fresh hosts (for iterating on a converged lab).
  const fresh = process.env.PLUMB_STACK_KEEP !== '1';

  before(async () => {
    lab = (await ensureLab()) as typeof lab;
    if (fresh) await resetHosts([...HOSTS]);
    // Behind the lab's latency proxy, ansible_host is 127.0.0.1: give the stack the hosts'
    // real addresses. Without it (the usual case) the command is exactly the operator's.
    if (lab.hosts.some((h) => h.sshHost !== undefined && h.sshHost !== h.address)) {
      extra = ['-e', JSON.stringify({ stack_addresses: Object.fromEntries(lab.hosts.map((h) => [h.name, h.address])) })];
    }
  });

  after(() => {
    if (Object.keys(timings).length) console.log(`      stack timings: ${JSON.stringify(timings)}`);
  });

  it('0. check on fresh hosts plans the whole stack without failing (exit 2) and changes nothing', function () {
    if (!fresh) this.skip();
    const r = plumb('check', '--json');
    timings.freshCheckMs = r.ms;
    expect(r.code, failures(r)).to.equal(2);
    const recap = recapOf(r);
    for (const h of HOSTS) expect(recap[h], h).to.include({ failed: 0, unreachable: false });
    expect(onHost('web-01', 'command -v mysqld nginx haproxy || true').out.trim()).to.equal('');
    // The plan installs every host's packages in ONE apt step; no apt task installs on its own.
    for (const h of HOSTS) {
      const installs = r.events.filter((e) => e.type === 'task' && e.host === h && e.status === 'changed' && /\binstall\b/.test(String(e.message)));
      expect(
        installs.map((e) => e.task),
        h,
      ).to.have.length(1);
      expect(String(installs[0]!.task), h).to.match(/^Packages: one apt transaction/);
    }
  });

  it('1. a cold apply on three fresh hosts exits 0, with one apt-get install per host', () => {
    for (const h of HOSTS) installsBefore[h] = aptInstalls(h);
    const r = plumb('apply', '--json', '--diff');
    timings[fresh ? 'coldApplyMs' : 'firstApplyMs'] = r.ms;
    expect(r.code, failures(r)).to.equal(0);
    const recap = recapOf(r);
    for (const h of HOSTS) {
      expect(recap[h], h).to.include({ failed: 0, unreachable: false });
      if (fresh) expect(recap[h]!.changed, h).to.be.greaterThan(0);
    }
    // The generated database passwords never reach the output, not even in the app config's diff.
    for (const f of ['app_db_password', 'mysql_replication_password']) {
      const secret = readFileSync(join(homedir(), '.config/plumb/foobar', f), 'utf8').trim();
      expect(secret.length, f).to.be.greaterThan(8);
      expect(r.stdout.includes(secret) || r.stderr.includes(secret), `${f} leaked into the output`).to.equal(false);
    }
    if (fresh) expect(r.stdout).to.include('DB_PASSWORD=<redacted>');
    if (fresh) for (const h of HOSTS) expect(aptInstalls(h) - installsBefore[h]!, `${h}: apt-get install transactions in its history.log`).to.equal(1);
    // The cold apply includes monitoring and backups (issue 15, acceptance 1): Prometheus and
    // Alertmanager run on the monitor, every host runs its exporters, the replica's backup is scheduled.
    expect(onHost('lb-01', 'systemctl is-active prometheus prometheus-alertmanager prometheus-blackbox-exporter').out.split('\n').slice(0, 3)).to.deep.equal([
      'active',
      'active',
      'active',
    ]);
    for (const h of HOSTS) expect(onHost(h, 'systemctl is-active prometheus-node-exporter').out.trim(), `${h}: node exporter`).to.equal('active');
    for (const h of ['web-01', 'web-02'] as const) {
      expect(onHost(h, 'systemctl is-active prometheus-mysqld-exporter prometheus-nginx-exporter').out.split('\n').slice(0, 2), h).to.deep.equal([
        'active',
        'active',
      ]);
    }
    expect(onHost('web-02', 'systemctl is-enabled foobar-backup.timer; systemctl is-active foobar-backup.timer').out.split('\n').slice(0, 2)).to.deep.equal([
      'enabled',
      'active',
    ]);
    expect(onHost('web-01', 'systemctl is-enabled foobar-backup.timer 2>/dev/null || true').out.trim(), 'no backup on the primary').not.to.equal('enabled');
  });

  it('2. HTTPS through lb-01 alternates between both web servers; HTTP redirects to HTTPS', async () => {
    // HAProxy may still be finishing its first health checks right after the apply, and a
    // reload near the end of the run leaves the old worker accepting for a moment, with a
    // round-robin turn of its own: wait until both servers are UP in HAProxy's own stats
    // and one worker runs (master + worker), up to 15 s.
    for (let i = 0; i < 20 && get('/health').status !== 200; i++) await sleep(250);
    const settled = (): boolean => {
      const up = onHost(
        'lb-01',
        `echo "show stat" | socat stdio /run/haproxy/admin.sock | awk -F, '$1 == "web" && ($2 == "web-01" || $2 == "web-02") { print $18 }'`,
        true,
      ).out.trim();
      return up === 'UP\nUP' && onHost('lb-01', 'pgrep -c -x haproxy', true).out.trim() === '2';
    };
    const t0 = Date.now();
    for (let i = 0; i < 60 && !settled(); i++) await sleep(250);
    console.log(`      HAProxy settled (both servers UP, one worker) after ${Date.now() - t0} ms`);
    const servers: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = get('/');
      expect(r.status, `request ${i}: ${JSON.stringify(r.body)}`).to.equal(200);
      expect(r.body.items, 'a row count from the local database').to.be.a('number');
      servers.push(r.server);
    }
    expect(new Set(servers)).to.deep.equal(new Set(['web-01', 'web-02']));
    for (let i = 1; i < servers.length; i++) expect(servers[i], `request ${i} of ${servers.join(' ')}`).not.to.equal(servers[i - 1]);

    const redirect = curl(['-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `http://${DOMAIN}/items?x=1`]);
    expect(redirect.out).to.equal(`301 https://${DOMAIN}/items?x=1`);
  });

  it('3. a POST through the LB reaches the replica within 2 s; the replica runs both threads and is read_only', async () => {
    const name = `it-${Date.now()}`;
    const post = curl(['-k', '-w', '\n%{http_code}', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ name }), `https://${DOMAIN}/items`]);
    expect(post.out.trim().split('\n').pop(), post.out).to.equal('201');
    const t0 = Date.now();
    let seen = '0';
    while (Date.now() - t0 < 2000) {
      seen = mysql('web-02', `SELECT COUNT(*) FROM foobar.items WHERE name = '${name}'`);
      if (seen === '1') break;
      await sleep(100);
    }
    timings.replicaVisibleMs = Date.now() - t0;
    expect(seen, 'row on the replica within 2 s').to.equal('1');
    const status = onHost('web-02', "mysql -E -e 'SHOW SLAVE STATUS'").out;
    expect(status).to.match(/Slave_IO_Running: Yes/);
    expect(status).to.match(/Slave_SQL_Running: Yes/);
    expect(status).to.match(/Using_Gtid: Slave_Pos/);
    expect(mysql('web-02', 'SELECT @@read_only')).to.equal('1');
    expect(mysql('web-01', 'SELECT @@read_only')).to.equal('0');
    // The replication health a monitor scrapes: node exporter's :9100, fed by a 15 s timer.
    expect(onHost('web-02', '/usr/local/sbin/mysql-replication-metrics replica -').out).to.match(/^mysql_replication_healthy\{role="replica"\} 1$/m);
    let scraped = '';
    for (let i = 0; i < 40 && !/^mysql_replication_healthy\{role="replica"\} 1$/m.test(scraped); i++) {
      scraped = onHost('web-02', 'curl -s --max-time 3 http://127.0.0.1:9100/metrics', true).out;
      if (!/^mysql_replication_healthy\{role="replica"\} 1$/m.test(scraped)) await sleep(500);
    }
    expect(scraped, 'node exporter serves the replication gauges').to.match(/^mysql_replication_healthy\{role="replica"\} 1$/m);
  });

  it('4. firewall: HTTP on the web servers only from lb-01, MariaDB on web-01 only from web-02, exporters only from the monitor', () => {
    for (const web of ['web-01', 'web-02'] as const) {
      expect(onHost('lb-01', `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${addr(web)}/health`).out, `lb-01 -> ${web}:80`).to.equal('200');
    }
    expect(tcpOpen('web-02', 'web-01', 80), 'web-02 -> web-01:80').to.equal(false);
    expect(tcpOpen('web-01', 'web-02', 80), 'web-01 -> web-02:80').to.equal(false);
    const fromMachine = spawnSync('curl', ['-s', '--max-time', '3', `http://${addr('web-01')}/health`], { encoding: 'utf8', timeout: 10_000 });
    expect(fromMachine.status, 'machine -> web-01:80 must fail').not.to.equal(0);

    expect(tcpOpen('web-02', 'web-01', 3306), 'web-02 -> web-01:3306').to.equal(true);
    expect(tcpOpen('lb-01', 'web-01', 3306), 'lb-01 -> web-01:3306').to.equal(false);
    expect(tcpOpen('web-01', 'web-02', 3306), 'web-01 -> web-02:3306').to.equal(false);
    // Local-only endpoints stay local.
    expect(tcpOpen('web-01', 'lb-01', 8404), 'HAProxy stats from web-01').to.equal(false);
    expect(onHost('lb-01', "curl -s --max-time 3 http://127.0.0.1:8404/metrics | grep -c '^haproxy_'").out.trim()).to.match(/^[1-9][0-9]*$/);
    expect(onHost('web-01', 'curl -s --max-time 3 http://127.0.0.1:8080/nginx_status').out).to.match(/^Active connections:/);
    // Exporters are open to the monitors (lb-01) only.
    expect(tcpOpen('lb-01', 'web-01', 9100), 'node exporter from lb-01, the monitor').to.equal(true);
    expect(tcpOpen('web-02', 'web-01', 9100), 'node exporter from web-02').to.equal(false);
    for (const [port, what] of [
      [9104, 'mysqld exporter'],
      [9113, 'nginx exporter'],
    ] as const) {
      expect(tcpOpen('lb-01', 'web-01', port), `${what} from lb-01, the monitor`).to.equal(true);
      expect(tcpOpen('web-02', 'web-01', port), `${what} from web-02`).to.equal(false);
    }
    // Prometheus and Alertmanager answer on the monitor's loopback only (reached by an SSH tunnel).
    for (const port of [9090, 9093]) expect(tcpOpen('web-01', 'lb-01', port), `web-01 -> lb-01:${port}`).to.equal(false);
    expect(onHost('lb-01', 'curl -s -o /dev/null -w %{http_code} --max-time 3 http://127.0.0.1:9090/-/ready').out).to.equal('200');
  });

  it('5. a second apply changes nothing and restarts nothing (main PIDs and the monitoring and backup files compared)', () => {
    const before = pids();
    for (const [k, v] of Object.entries(before)) expect(v, `${k} main PID`).to.be.greaterThan(0);
    const hashesBefore = fileHashes();
    // Not a vacuous comparison: each host's list has the files that matter there.
    const has = (h: HostName, path: string) => expect(hashesBefore[h], `${h}: ${path} hashed`).to.match(new RegExp(`^[0-9a-f]{64}  ${path}$`, 'm'));
    for (const f of [
      'prometheus.yml',
      'alertmanager.yml',
      'blackbox.yml',
      'rules/foobar.yml',
      'rules-tests/foobar.test.yml',
      'rules-tests/foobar.long.test.yml',
    ])
      has('lb-01', `/etc/prometheus/${f}`);
    has('lb-01', '/etc/default/prometheus');
    has('lb-01', '/srv/backups/.ssh/authorized_keys');
    for (const h of ['web-01', 'web-02'] as const) {
      has(h, '/etc/default/prometheus-mysqld-exporter');
      has(h, '/etc/default/prometheus-nginx-exporter');
    }
    for (const f of [
      '/usr/local/sbin/foobar-backup',
      '/etc/systemd/system/foobar-backup.service',
      '/etc/systemd/system/foobar-backup.timer',
      '/etc/foobar-backup/backup.conf',
    ])
      has('web-02', f);
    const r = plumb('apply', '--json');
    timings.noopApplyMs = r.ms;
    expect(r.code, failures(r)).to.equal(0);
    expect(changedTasks(r), changedDetail(r)).to.deep.equal([]);
    const recap = recapOf(r);
    for (const h of HOSTS) expect(recap[h], h).to.include({ changed: 0, failed: 0 });
    timings.noopExecs = HOSTS.reduce((n, h) => n + recap[h]!.execs, 0);
    expect(pids()).to.deep.equal(before);
    expect(fileHashes(), 'sha256 of the monitoring and backup files').to.deep.equal(hashesBefore);
  });

  it('6. check finds exactly a hand-edited site file and a stopped haproxy (exit 2), and apply fixes both', () => {
    const clean = plumb('check', '--diff', '--json');
    timings.noopCheckMs = clean.ms;
    expect(clean.code, failures(clean)).to.equal(0);
    expect(changedTasks(clean), changedDetail(clean)).to.deep.equal([]);

    onHost('web-02', "printf '# hand edit\\n' >> /etc/nginx/sites-available/foobar");
    onHost('lb-01', 'systemctl stop haproxy');
    const sumBefore = onHost('web-02', 'sha256sum /etc/nginx/sites-available/foobar').out;

    const drift = plumb('check', '--diff', '--json');
    expect(drift.code, failures(drift)).to.equal(2);
    expect(changedTasks(drift), changedDetail(drift)).to.deep.equal(['lb-01: HAProxy running at boot', 'web-02: Site']);
    const site = drift.events.find((e) => e.type === 'task' && e.host === 'web-02' && e.task === 'Site') as {
      diff?: { label: string; before: string; after: string }[];
    };
    expect(site.diff?.[0]?.label).to.equal('/etc/nginx/sites-available/foobar');
    expect(site.diff?.[0]?.before).to.include('# hand edit');
    expect(site.diff?.[0]?.after).not.to.include('# hand edit');

    // The operator's view: a unified diff of the file.
    const human = plumb('check', '--diff');
    expect(human.code).to.equal(2);
    expect(human.stdout).to.match(/^\s*--- \/etc\/nginx\/sites-available\/foobar/m);
    expect(human.stdout).to.match(/^\s*\+\+\+ \/etc\/nginx\/sites-available\/foobar/m);
    expect(human.stdout).to.match(/^\s*-# hand edit$/m);

    // check left the hosts alone.
    expect(onHost('web-02', 'sha256sum /etc/nginx/sites-available/foobar').out).to.equal(sumBefore);
    expect(onHost('lb-01', 'systemctl is-active haproxy', true).out.trim()).to.equal('inactive');

    const fix = plumb('apply', '--json');
    expect(fix.code, failures(fix)).to.equal(0);
    expect(changedTasks(fix), changedDetail(fix)).to.deep.equal(['lb-01: HAProxy running at boot', 'web-02: Site']);
    expect(onHost('web-02', 'grep -c "# hand edit" /etc/nginx/sites-available/foobar', true).out.trim()).to.equal('0');
    expect(onHost('lb-01', 'systemctl is-active haproxy').out.trim()).to.equal('active');
    expect(plumb('check', '--json').code).to.equal(0);
  });

  it('7. with nginx stopped on web-01, requests keep succeeding, served by web-02', async () => {
    for (let i = 0; i < 20 && get('/health').status !== 200; i++) await sleep(250);
    onHost('web-01', 'systemctl stop nginx');
    try {
      // Wait for HAProxy's health check (inter 2s, fall 2) to take web-01 out.
      const t0 = Date.now();
      let down = false;
      while (!down && Date.now() - t0 < 20_000) {
        const csv = onHost('lb-01', "curl -s --max-time 3 'http://127.0.0.1:8404/stats;csv'").out;
        down = csv.split('\n').some((l) => l.startsWith('web,web-01,') && l.split(',')[17]?.startsWith('DOWN'));
        if (!down) await sleep(500);
      }
      timings.markedDownMs = Date.now() - t0;
      expect(down, 'HAProxy marks web-01 DOWN').to.equal(true);
      const servers: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = get('/');
        expect(r.status, `request ${i}`).to.equal(200);
        servers.push(r.server);
      }
      expect(new Set(servers)).to.deep.equal(new Set(['web-02']));
    } finally {
      onHost('web-01', 'systemctl start nginx');
    }
  });

  it('8. a fresh replica seeds from a primary that already holds data, then follows it', async function () {
    if (!fresh) this.skip();
    // Data the replica has never seen, written while it does not exist.
    mysql('web-01', "INSERT INTO foobar.items (name, created_by) SELECT CONCAT('seed-', seq), 'it' FROM foobar.seq_1_to_500");
    await resetHosts(['web-02']);
    const primaryCount = mysql('web-01', 'SELECT COUNT(*) FROM foobar.items');
    const primaryGtid = mysql('web-01', 'SELECT @@gtid_binlog_pos');
    const r = plumb('apply', '--json');
    timings.replicaRebuildMs = r.ms;
    expect(r.code, failures(r)).to.equal(0);
    expect(recapOf(r)['lb-01'], 'lb-01 untouched').to.include({ changed: 0 });
    expect(mysql('web-02', 'SELECT COUNT(*) FROM foobar.items')).to.equal(primaryCount);
    expect(mysql('web-02', 'SELECT @@gtid_slave_pos')).to.equal(primaryGtid);
    const name = `after-seed-${Date.now()}`;
    mysql('web-01', `INSERT INTO foobar.items (name, created_by) VALUES ('${name}', 'it')`);
    let seen = '0';
    for (let i = 0; i < 40 && seen !== '1'; i++) {
      seen = mysql('web-02', `SELECT COUNT(*) FROM foobar.items WHERE name = '${name}'`);
      if (seen !== '1') await sleep(100);
    }
    expect(seen, 'a write after the seed reaches the replica').to.equal('1');
    const again = plumb('apply', '--json');
    expect(again.code, failures(again)).to.equal(0);
    expect(changedTasks(again), changedDetail(again)).to.deep.equal([]);
  });

  it("9. an operator's certificate replaces the self-signed one; one whose key does not match is refused and the live one stays", () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumb-cert-'));
    try {
      const make = (name: string): { cert: string; key: string; fingerprint: string } => {
        const crt = join(dir, `${name}.crt`);
        const key = join(dir, `${name}.key`);
        const r = spawnSync('openssl', selfSignedArgs(DOMAIN, 30, key, crt), { encoding: 'utf8' });
        expect(r.status, r.stderr).to.equal(0);
        const fp = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', crt], { encoding: 'utf8' }).stdout.trim();
        return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8'), fingerprint: fp };
      };
      /** The certificate lb-01 serves on 443, as its SHA-256 fingerprint line. */
      const served = (): string =>
        spawnSync(
          'sh',
          ['-c', `openssl s_client -connect ${addr('lb-01')}:443 -servername ${DOMAIN} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`],
          { encoding: 'utf8', timeout: 15_000 },
        ).stdout.trim();
      const onDisk = (): string => onHost('lb-01', 'sha256sum /etc/haproxy/certs/site.pem').out.split(' ')[0]!;
      const withPem = (pem: string): string[] => ['-e', JSON.stringify({ haproxy_tls_operator_cert: true, haproxy_tls_pem_secret: pem })];
      const a = make('a');
      const b = make('b');
      expect(served(), 'the self-signed certificate is served before').to.not.equal(a.fingerprint);

      const good = plumb('apply', '--json', '--limit', 'lb-01', ...withPem(a.cert + a.key));
      expect(good.code, failures(good)).to.equal(0);
      expect(changedTasks(good)).to.deep.equal(["lb-01: Operator's certificate"]);
      expect(good.stdout.includes(a.key.split('\n')[1]!), 'the key never reaches the output').to.equal(false);
      expect(served()).to.equal(a.fingerprint);
      const live = onDisk();

      // a's certificate with b's key: validated on the host before the rename, refused.
      const bad = plumb('apply', '--json', '--limit', 'lb-01', ...withPem(a.cert + b.key));
      expect(bad.code).to.equal(1);
      expect(failures(bad)).to.include("Operator's certificate");
      expect(onDisk(), 'the live PEM is untouched').to.equal(live);
      expect(
        onHost('lb-01', 'ls -a /etc/haproxy/certs')
          .out.split('\n')
          .filter((f) => f.startsWith('.'))
          .filter((f) => f !== '.' && f !== '..'),
        'no temp file left behind',
      ).to.deep.equal([]);
      expect(served()).to.equal(a.fingerprint);

      const again = plumb('apply', '--json', '--limit', 'lb-01', ...withPem(a.cert + a.key));
      expect(again.code, failures(again)).to.equal(0);
      expect(changedTasks(again)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
