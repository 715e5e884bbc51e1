// The audit sees what the hosts DO, not only what their files say (issue 17): a firewall that
// is configured on but not running, a firewall whose chain policy was opened by hand, a
// writable replica, a server variable the server only reads at start. Each case injects its
// drift on the converged stack, then: `check` exits 2 and names it with a diff, the hosts are
// untouched by `check` (their state is compared before and after), `apply` fixes it (seen on
// the host, not through plumb's facts), and the next `check` exits 0. Last, the drift audit:
// fourteen kinds of drift at once on the three hosts, all named, all fixed by one apply.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { sshArgs } from '../../src/lab/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const PLAYBOOK = resolve(ROOT, 'playbooks/site.yml');
const HOSTS = ['lb-01', 'web-01', 'web-02'] as const;
type HostName = (typeof HOSTS)[number];

interface TaskEvent {
  type: string;
  host: string;
  task: string;
  status: string;
  message?: string;
  handler?: boolean;
  diff?: { label: string; before: string; after: string }[];
}

describe('the audit reads the running system (issue 17)', function () {
  this.timeout(900_000);
  let lab: { hosts: { name: string; address: string; sshHost?: string; port: number }[]; inventory: string; knownHosts: string };
  const addr = (h: HostName): string => lab.hosts.find((x) => x.name === h)!.address;

  const sh = (h: HostName, cmd: string, allowFail = false): string => {
    const x = lab.hosts.find((y) => y.name === h)!;
    const args = sshArgs({ host: x.sshHost ?? x.address, port: x.port, knownHosts: lab.knownHosts });
    const r = spawnSync(args[0]!, [...args.slice(1), '--', cmd], { encoding: 'utf8', timeout: 120_000 });
    if (!allowFail && r.status !== 0) throw new Error(`${h}: ${cmd}: exit ${String(r.status)}\n${r.stderr}${r.stdout}`);
    return (r.stdout ?? '').trim();
  };
  const sql = (h: HostName, q: string): string => sh(h, `mysql --batch --skip-column-names -e ${JSON.stringify(q)}`);

  const plumb = (verb: 'apply' | 'check'): { code: number; tasks: TaskEvent[]; execs: Record<string, number>; tail: string } => {
    const r = spawnSync(process.execPath, [CLI, verb, PLAYBOOK, '-i', lab.inventory, '--json', '--diff'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const recap = (events.find((e) => e.type === 'recap')?.hosts ?? {}) as Record<string, { execs: number }>;
    return {
      code: r.status ?? -1,
      tasks: events.filter((e) => e.type === 'task') as unknown as TaskEvent[],
      execs: Object.fromEntries(Object.entries(recap).map(([h, v]) => [h, v.execs])),
      tail: `${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-2000)}`,
    };
  };
  const changed = (tasks: TaskEvent[], handlers = false): string[] =>
    tasks
      .filter((t) => t.status === 'changed' && (t.handler === true) === handlers)
      .map((t) => `${t.host}: ${t.task}`)
      .sort();
  const detail = (tasks: TaskEvent[]): string =>
    tasks
      .filter((t) => t.status !== 'ok' && t.status !== 'skipped')
      .map((t) => `${t.host} / ${t.task} [${t.status}]: ${t.message ?? ''} ${JSON.stringify(t.diff ?? [])}`)
      .join('\n');
  const diffOf = (tasks: TaskEvent[], host: HostName, task: string): string =>
    tasks
      .filter((t) => t.host === host && t.task.startsWith(task) && t.status === 'changed')
      .flatMap((t) => t.diff ?? [])
      .map((d) => `${d.label}\n-${d.before.trimEnd().split('\n').join('\n-')}\n+${d.after.trimEnd().split('\n').join('\n+')}`)
      .join('\n');

  /**
   * What `check` must not touch, read on the host: the kernel's firewall, dpkg's database,
   * the services, every file under /etc (path, mode, owner, link target, content), the
   * MariaDB settings and threads, and plumb's pending handlers.
   */
  const STATE = [
    '{ iptables -S; ip6tables -S; } 2>&1 | sha256sum',
    "dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\\n' | sha256sum",
    'for u in haproxy nginx mariadb foobar-app prometheus-node-exporter ssh; do systemctl show -p Id,ActiveState,UnitFileState,MainPID "$u" 2>/dev/null | tr "\\n" " "; echo; done',
    "find /etc /usr/local -xdev -printf '%p %m %u %g %l\\n' | sort | sha256sum",
    'find /etc /usr/local -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum',
    'getent passwd foobar || true',
    "if command -v mysql >/dev/null && systemctl -q is-active mariadb; then mysql -N -e 'SELECT @@global.read_only, @@global.gtid_strict_mode, @@global.log_slave_updates, @@global.binlog_format'; mysql -E -e 'SHOW SLAVE STATUS' | grep -E '_Running:'; fi",
    'cat /var/lib/plumb/pending-handlers 2>/dev/null || true',
  ].join('; echo @; ');
  const snapshot = (): Record<string, string> => Object.fromEntries(HOSTS.map((h) => [h, sh(h, STATE)]));

  /** check names the drift (exit 2) and leaves every host as it was. */
  const checkNames = (expected: string[], diffs: [HostName, string, RegExp][] = []): TaskEvent[] => {
    const before = snapshot();
    const r = plumb('check');
    expect(r.code, r.tail).to.equal(2);
    expect(changed(r.tasks), detail(r.tasks)).to.include.members(expected);
    for (const [h, task, re] of diffs) expect(diffOf(r.tasks, h, task), `${h}: ${task}\n${detail(r.tasks)}`).to.match(re);
    // Still one exec per host: the live reads travel in the one fact batch.
    for (const h of HOSTS) expect(r.execs[h], `${h} execs`).to.equal(1);
    const after = snapshot();
    for (const h of HOSTS) expect(after[h], `${h} was changed by check`).to.equal(before[h]);
    return r.tasks;
  };
  /** apply changes exactly `expected` (plus the handlers they owe), then check is clean. */
  const applyFixes = (expected: string[], owedHandlers: string[] = []): void => {
    const r = plumb('apply');
    expect(r.code, `${detail(r.tasks)}\n${r.tail}`).to.equal(0);
    expect(changed(r.tasks), detail(r.tasks)).to.deep.equal([...expected].sort());
    expect(owedHandlers, `handlers run: ${changed(r.tasks, true).join(', ')}`).to.include.members(changed(r.tasks, true));
  };
  const checkClean = (): void => {
    const r = plumb('check');
    expect(r.code, detail(r.tasks)).to.equal(0);
  };

  const ufwActive = (h: HostName): string => sh(h, 'ufw status | head -1');
  const userRules = (h: HostName): number => Number(sh(h, 'iptables -S | grep -c "^-A ufw-user-input" || true'));

  // A failed case must not leave its drift to the next one: converge again.
  afterEach(function () {
    if (this.currentTest?.state === 'failed') plumb('apply');
  });

  before(async function () {
    lab = (await ensureLab()) as typeof lab;
    // The converged stack: whatever ran before, apply brings it there.
    const r = plumb('apply');
    expect(r.code, `${detail(r.tasks)}\n${r.tail}`).to.equal(0);
    checkClean();
  });

  it('ufw removed by apt and reinstalled: apply starts the firewall (not only the package), and check agrees', () => {
    const rules = userRules('web-02');
    expect(rules).to.be.greaterThan(0);
    sh('web-02', 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ufw >/dev/null 2>&1');
    expect(sh('web-02', 'grep ^ENABLED /etc/ufw/ufw.conf'), 'the config stays behind').to.equal('ENABLED=yes');
    checkNames(['web-02: Base packages', 'web-02: Firewall on'], [['web-02', 'Firewall on', /state=disabled\n\+state=enabled/]]);
    applyFixes(['web-02: Base packages', 'web-02: Firewall on']);
    expect(ufwActive('web-02')).to.equal('Status: active');
    expect(userRules('web-02'), 'every rule of the role is loaded').to.equal(rules);
    checkClean();
  });

  it('ufw configured on (ENABLED=yes) but not running: state=inactive -> state=active', () => {
    sh('web-01', '/lib/ufw/ufw-init stop >/dev/null');
    expect(ufwActive('web-01')).to.equal('Status: inactive');
    checkNames(['web-01: Firewall on'], [['web-01', 'Firewall on', /-state=inactive\n\+state=active/]]);
    applyFixes(['web-01: Firewall on']);
    expect(ufwActive('web-01')).to.equal('Status: active');
    // The firewall works again: web-02 may not reach web-01's HTTP, lb-01 may.
    expect(sh('web-02', `timeout 3 bash -c '</dev/tcp/${addr('web-01')}/80' 2>/dev/null && echo open || echo closed`)).to.equal('closed');
    expect(sh('lb-01', `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${addr('web-01')}/health`)).to.equal('200');
    checkClean();
  });

  it('a rule of the role dropped from the running firewall: loaded_rules=N-1 -> N, fixed by ufw reload', () => {
    const n = userRules('web-02');
    sh('web-02', `iptables -D ufw-user-input -s ${addr('lb-01')}/32 -p tcp -m tcp --dport 80 -j ACCEPT`);
    expect(sh('lb-01', `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${addr('web-02')}/health`, true)).not.to.equal('200');
    const tasks = checkNames(['web-02: Firewall on'], [['web-02', 'Firewall on', /-loaded_rules=\d+\n\+loaded_rules=\d+/]]);
    const [, loaded, inFiles] = /-loaded_rules=(\d+)\n\+loaded_rules=(\d+)/.exec(diffOf(tasks, 'web-02', 'Firewall on'))!;
    expect(Number(inFiles) - Number(loaded), 'one rule missing').to.equal(1);
    applyFixes(['web-02: Firewall on']);
    expect(userRules('web-02')).to.equal(n);
    expect(sh('lb-01', `curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://${addr('web-02')}/health`)).to.equal('200');
    checkClean();
  });

  it('the INPUT policy opened by hand (iptables -P INPUT ACCEPT) while ufw says deny', () => {
    sh('lb-01', 'iptables -P INPUT ACCEPT');
    checkNames(['lb-01: Firewall on'], [['lb-01', 'Firewall on', /-policy_in_force_incoming=allow\n\+policy_in_force_incoming=deny/]]);
    applyFixes(['lb-01: Firewall on']);
    expect(sh('lb-01', 'iptables -S INPUT | head -1')).to.equal('-P INPUT DROP');
    checkClean();
  });

  it('a writable replica (SET GLOBAL read_only = 0): read_only=OFF -> read_only=ON, set back without a restart', () => {
    const pid = sh('web-02', 'systemctl show -p MainPID --value mariadb');
    sql('web-02', 'SET GLOBAL read_only = 0');
    checkNames(
      ["web-02: The running server uses the config's settings"],
      [['web-02', "The running server uses the config's settings", /-read_only=OFF\n\+read_only=ON/]],
    );
    applyFixes(["web-02: The running server uses the config's settings"]);
    expect(sql('web-02', 'SELECT @@global.read_only')).to.equal('1');
    expect(sh('web-02', 'systemctl show -p MainPID --value mariadb'), 'no restart for a dynamic variable').to.equal(pid);
    checkClean();
  });

  it('a setting the server reads only at start (log_slave_updates): named, and fixed by the restart it owes', () => {
    sh('web-02', 'systemctl set-environment MYSQLD_OPTS=--skip-log-slave-updates && systemctl restart mariadb; systemctl unset-environment MYSQLD_OPTS');
    expect(sql('web-02', 'SELECT @@global.log_slave_updates')).to.equal('0');
    checkNames(
      ["web-02: The running server started with the config's settings"],
      [['web-02', "The running server started with the config's settings", /-log_slave_updates=OFF\n\+log_slave_updates=ON/]],
    );
    applyFixes(["web-02: The running server started with the config's settings"], ['web-02: restart mariadb']);
    expect(sql('web-02', 'SELECT @@global.log_slave_updates')).to.equal('1');
    expect(sh('web-02', "mysql -E -e 'SHOW SLAVE STATUS' | grep -c 'Running: Yes'")).to.equal('2');
    checkClean();
  });

  it('a half-configured package (dpkg status iF) is not installed: apt completes it', () => {
    sh('lb-01', "sed -i '/^Package: curl$/,/^$/s/^Status: install ok installed$/Status: install ok half-configured/' /var/lib/dpkg/status");
    expect(sh('lb-01', "dpkg-query -W -f='${db:Status-Abbrev}' curl").trim()).to.equal('iF');
    checkNames(['lb-01: Base packages'], [['lb-01', 'Base packages', /-curl: half-configured \(dpkg iF\)\n\+curl: present/]]);
    applyFixes(['lb-01: Base packages']);
    expect(sh('lb-01', "dpkg-query -W -f='${db:Status-Abbrev}' curl").trim()).to.equal('ii');
    checkClean();
  });

  it('the drift audit: fourteen kinds of drift at once on the three hosts, all named by check, all fixed by one apply', () => {
    const lb = addr('lb-01');
    // web-01 (primary): mode and owner, a removed link, a stopped service, the firewall not
    // running, a user's shell, a live variable, a variable read only at start.
    sh('web-01', 'systemctl set-environment MYSQLD_OPTS=--skip-log-slave-updates && systemctl restart mariadb; systemctl unset-environment MYSQLD_OPTS');
    sh(
      'web-01',
      [
        'chmod 0644 /etc/foobar/foobar.conf && chown nobody /etc/foobar/foobar.conf',
        'rm /etc/nginx/sites-enabled/foobar',
        'systemctl stop foobar-app',
        '/lib/ufw/ufw-init stop >/dev/null',
        'usermod -s /bin/bash foobar',
        "mysql -e 'SET GLOBAL gtid_strict_mode = 0'",
      ].join(' && '),
    );
    // web-02 (replica): an edited config, a disabled service, a removed package (ufw: the
    // firewall goes with it), stopped replication, a writable replica.
    sh(
      'web-02',
      [
        "printf '# audit edit\\n' >> /etc/nginx/sites-available/foobar",
        'systemctl disable -q prometheus-node-exporter',
        'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q ufw >/dev/null 2>&1',
        "mysql -e 'STOP SLAVE; SET GLOBAL read_only = 0'",
      ].join(' && '),
    );
    // lb-01: an edited config, a stopped and disabled service, the INPUT policy opened.
    sh(
      'lb-01',
      ["printf '# audit edit\\n' >> /etc/haproxy/haproxy.cfg", 'systemctl disable -q --now prometheus-node-exporter', 'iptables -P INPUT ACCEPT'].join(' && '),
    );

    const expected = [
      'lb-01: HAProxy config',
      'lb-01: Node exporter running at boot',
      'lb-01: Firewall on',
      'web-01: App config',
      'web-01: Site enabled',
      'web-01: App running at boot',
      'web-01: Firewall on',
      'web-01: App user',
      "web-01: The running server uses the config's settings",
      "web-01: The running server started with the config's settings",
      'web-02: Site',
      'web-02: Node exporter running at boot',
      'web-02: Base packages',
      'web-02: Firewall on',
      'web-02: Replicate from the primary',
      "web-02: The running server uses the config's settings",
    ];
    const tasks = checkNames(expected, [
      ['web-01', 'App config', /mode=0644|0644/],
      ['web-01', 'Firewall on', /-state=inactive\n\+state=active/],
      ['web-01', "The running server uses the config's settings", /-gtid_strict_mode=OFF\n\+gtid_strict_mode=ON/],
      ['web-01', "The running server started with the config's settings", /-log_slave_updates=OFF\n\+log_slave_updates=ON/],
      ['web-02', "The running server uses the config's settings", /-read_only=OFF\n\+read_only=ON/],
      ['web-02', 'Site', /audit edit/],
      ['lb-01', 'Firewall on', /-policy_in_force_incoming=allow/],
    ]);
    // Beyond the drifts, check may only add the handlers they owe and what an earlier
    // unapplied change (the ufw reinstall, a restart) could alter: "would" steps it cannot prove.
    const extra = tasks.filter((t) => t.status === 'changed' && t.handler !== true && !expected.includes(`${t.host}: ${t.task}`));
    // (web-02's ufw rules: ufw is not installed until the reinstall, so each would be added.)
    const unexplained = extra
      .map((t) => `${t.host}: ${t.task}: ${t.message ?? ''} ${JSON.stringify(t.diff ?? [])}`)
      .filter((l) => !/earlier task|^web-02: Firewall /.test(l));
    expect(unexplained).to.deep.equal([]);

    // web-01's app restart is a rolling one: out of rotation first, back in after (the rotation roles' handlers).
    // Its MariaDB restart brings it back fenced (every file says read_only ON and semi-sync's
    // primary side OFF): the runtime settings task then sets both back, one item each.
    applyFixes(
      [...expected, "web-01: The running server uses the config's settings"],
      [
        'lb-01: reload haproxy',
        'web-01: Out of rotation (marker)',
        'web-01 -> lb-01: Out of rotation on every load balancer',
        'web-01: restart foobar-app',
        'web-01: reload nginx',
        'web-01: restart mariadb',
        'web-01: The app answers through Nginx again',
        'web-01 -> lb-01: Back in rotation on every load balancer',
        'web-01: Back in rotation (marker)',
        'web-02: reload nginx',
      ],
    );

    // Seen on the hosts.
    expect(sh('web-01', 'stat -c "%a %U %G" /etc/foobar/foobar.conf')).to.equal('640 root foobar');
    expect(sh('web-01', 'readlink /etc/nginx/sites-enabled/foobar')).to.equal('/etc/nginx/sites-available/foobar');
    expect(sh('web-01', 'systemctl is-active foobar-app')).to.equal('active');
    expect(ufwActive('web-01')).to.equal('Status: active');
    expect(sh('web-01', 'getent passwd foobar | cut -d: -f7')).to.equal('/usr/sbin/nologin');
    expect(sql('web-01', 'SELECT @@global.gtid_strict_mode, @@global.log_slave_updates')).to.equal('1\t1');
    expect(sh('web-02', 'grep -c "audit edit" /etc/nginx/sites-available/foobar', true)).to.equal('0');
    expect(sh('web-02', 'systemctl is-enabled prometheus-node-exporter')).to.equal('enabled');
    expect(sh('web-02', "dpkg-query -W -f='${db:Status-Abbrev}' ufw").trim()).to.equal('ii');
    expect(ufwActive('web-02')).to.equal('Status: active');
    expect(sh('web-02', "mysql -E -e 'SHOW SLAVE STATUS' | grep -c 'Running: Yes'")).to.equal('2');
    expect(sql('web-02', 'SELECT @@global.read_only')).to.equal('1');
    expect(sh('lb-01', 'grep -c "audit edit" /etc/haproxy/haproxy.cfg', true)).to.equal('0');
    expect(sh('lb-01', 'systemctl is-active prometheus-node-exporter; systemctl is-enabled prometheus-node-exporter')).to.equal('active\nenabled');
    expect(sh('lb-01', 'iptables -S INPUT | head -1')).to.equal('-P INPUT DROP');
    // The stack still serves, and a write on the primary reaches the replica.
    expect(sh('lb-01', `curl -sk -o /dev/null -w '%{http_code}' --max-time 5 --resolve www.foobar.com:443:${lb} https://www.foobar.com/health`)).to.equal(
      '200',
    );
    const name = `audit-${Date.now()}`;
    sql('web-01', `INSERT INTO foobar.items (name, created_by) VALUES ('${name}', 'audit')`);
    let seen = '0';
    for (let i = 0; i < 50 && seen !== '1'; i++) seen = sql('web-02', `SELECT COUNT(*) FROM foobar.items WHERE name = '${name}'`);
    expect(seen, 'a write on the primary reaches the replica').to.equal('1');
    checkClean();
  });
});
