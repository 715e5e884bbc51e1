// Monitoring on the lab (issue 15, acceptance 1-5): the converged stack with Prometheus and
// Alertmanager on the monitor (lb-01), short intervals and for: values set for the test
// with -e, a webhook receiver the test runs on the monitor. Every target is up; each fault
// fires its alert in Alertmanager and the alert resolves once the fault is undone; the
// webhook gets the firing alert; the rules pass their promtool unit tests. Prometheus and
// Alertmanager are asked FROM the monitor (ssh + curl on loopback), never from elsewhere.
// The last step applies the stack without the test's variables, as the lab was.
import { expect } from 'chai';
import { parse } from 'yaml';
import { changedTasks, failures, recapOf, SITE, StackOps, stepwise, waitFor } from './stack-ops.js';

const MONITOR = 'lb-01';
const WEBHOOK_PORT = 9799;
const WEBHOOK_LOG = '/tmp/plumb-test-webhook.log';
const SCRAPE_S = 2;
/** monitoring_evaluation_interval, set to the scrape interval for the test. */
const EVAL_S = SCRAPE_S;
const FOR_S = 4;
/** Polling (1 s), ssh and curl, Prometheus's notifier queue: what no interval accounts for. */
const SLACK_S = 5;
/** Prometheus's --rules.alert.resend-delay (its default; the role does not set it). */
const RESEND_DELAY_S = 60;

// Records every POST body as one line of WEBHOOK_LOG; ends itself after 15 minutes.
const WEBHOOK_PY = `
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        with open(sys.argv[2], 'ab') as f:
            f.write(body.replace(b'\\n', b' ') + b'\\n')
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
`;

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string };
}

describe('monitoring on the lab (issue 15: acceptance 1-5)', function () {
  this.timeout(900_000);
  stepwise();

  let s: StackOps;
  let webhookPid = 0;
  const timings: Record<string, number> = {};
  const forAll = Object.fromEntries(
    [
      'target_down',
      'backend_down',
      'all_backends_down',
      'mariadb_down',
      'replication_stopped',
      'replication_lag',
      'nginx_down',
      'site_probe',
      'cert_expiry',
      'disk',
      'backup_failed',
      'backup_too_old',
      'backup_missing',
    ].map((k) => [`alert_${k}_for`, `${FOR_S}s`]),
  );
  const testVars = (): string[] => [
    '-e',
    JSON.stringify({
      monitoring_scrape_interval: `${SCRAPE_S}s`,
      monitoring_evaluation_interval: `${SCRAPE_S}s`,
      ...forAll,
      alertmanager_webhook_url: `http://127.0.0.1:${WEBHOOK_PORT}/`,
      alertmanager_group_wait: '1s',
      alertmanager_group_interval: '2s',
      alertmanager_repeat_interval: '1h',
    }),
  ];
  const onMon = (cmd: string) => s.on(MONITOR, cmd).out;
  const apiJson = <T>(url: string): T => JSON.parse(onMon(`curl -sS --max-time 5 ${url}`)) as T;
  const amAlerts = (): AmAlert[] => apiJson<AmAlert[]>("'http://127.0.0.1:9093/api/v2/alerts?active=true&silenced=false&inhibited=false'");
  const firing = (name: string, labels: Record<string, string> = {}): AmAlert | undefined =>
    amAlerts().find((a) => a.labels.alertname === name && a.status.state === 'active' && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
  // The bound, for: plus two scrape intervals (the next scrape sees the fault; the
  // next evaluation, as often as the scrapes here, makes the alert pending), plus one
  // evaluation interval (for: counts from that evaluation, and only a later evaluation
  // makes it fire), plus the time the fault takes to show in a metric at all (detectS:
  // HAProxy's health checks for a backend server; 0 for what a scrape sees itself), plus SLACK_S.
  const fireLimitMs = (detectS: number): number => (FOR_S + 2 * SCRAPE_S + EVAL_S + detectS + SLACK_S) * 1000;
  const RESOLVE_LIMIT_MS = 60_000;
  /** HAProxy's worst case to mark a server DOWN: fall checks, inter apart, as the live config says. */
  const haproxyDetectS = (): number => {
    const line = s.on('lb-01', 'grep -m1 -E "^\\s*default-server " /etc/haproxy/haproxy.cfg').out;
    const inter = /\binter (\d+)(ms|s|m)?\b/.exec(line);
    const fall = /\bfall (\d+)\b/.exec(line);
    if (!inter || !fall) throw new Error(`no inter and fall in: ${line}`);
    const interS = Number(inter[1]) * ({ ms: 0.001, s: 1, m: 60 } as Record<string, number>)[inter[2] ?? 'ms']!;
    return Number(fall[1]) * interS;
  };

  /** Make the fault, wait for the alert (detectS: see fireLimitMs), undo the fault, wait for it to resolve. */
  const drill = async (key: string, name: string, labels: Record<string, string>, detectS: number, fault: () => void, undo: () => void): Promise<void> => {
    // Step 1 may have provisioned hosts afresh (earlier tests reset them), so an alert of
    // that time can still be active: Prometheus sends its resolution at the next evaluation,
    // or one resend delay later when that send was dropped by a config reload. Start clean.
    await waitFor(`${name} ${JSON.stringify(labels)} inactive before the fault`, (RESEND_DELAY_S + 4 * SCRAPE_S + 20) * 1000, () =>
      firing(name, labels) ? undefined : true,
    );
    fault();
    try {
      timings[`${key}FireLimitMs`] = fireLimitMs(detectS);
      const fired = await waitFor(`${name} ${JSON.stringify(labels)} in Alertmanager`, fireLimitMs(detectS), () => firing(name, labels));
      timings[`${key}FireMs`] = fired.ms;
    } finally {
      undo();
    }
    const resolved = await waitFor(`${name} to resolve`, RESOLVE_LIMIT_MS, () => (firing(name, labels) ? undefined : true));
    timings[`${key}ResolveMs`] = resolved.ms;
  };

  before(async () => {
    s = await StackOps.open();
  });

  after(() => {
    if (webhookPid) s.on(MONITOR, `kill ${webhookPid} 2>/dev/null; rm -f ${WEBHOOK_LOG} /tmp/plumb-test-webhook.py`, { allowFail: true });
    if (Object.keys(timings).length) console.log(`      monitoring timings: ${JSON.stringify(timings)}`);
  });

  it('1. the stack converges with monitoring (test intervals, the webhook receiver); a re-run changes and restarts nothing', () => {
    s.on(MONITOR, `cat > /tmp/plumb-test-webhook.py && rm -f ${WEBHOOK_LOG}`, { input: WEBHOOK_PY });
    webhookPid = Number(
      s.on(MONITOR, `nohup timeout 900 python3 /tmp/plumb-test-webhook.py ${WEBHOOK_PORT} ${WEBHOOK_LOG} >/dev/null 2>&1 & echo $!`).out.trim(),
    );
    expect(webhookPid).to.be.greaterThan(0);

    const first = s.plumb('apply', SITE, ...testVars());
    timings.applyMs = first.ms;
    expect(first.code, failures(first)).to.equal(0);

    const units = {
      [MONITOR]: ['prometheus', 'prometheus-alertmanager', 'prometheus-blackbox-exporter', 'prometheus-node-exporter', 'haproxy'],
      'web-01': ['prometheus-mysqld-exporter', 'prometheus-nginx-exporter', 'prometheus-node-exporter'],
      'web-02': ['prometheus-mysqld-exporter', 'prometheus-nginx-exporter', 'prometheus-node-exporter'],
    };
    const snapshot = () =>
      Object.fromEntries(
        Object.entries(units).map(([h, us]) => [
          h,
          s.on(
            h,
            `for u in ${us.join(' ')}; do echo "$u $(systemctl show -p MainPID --value $u)"; done; sha256sum /etc/prometheus/*.yml /etc/prometheus/*/*.yml /etc/prometheus/*.cnf /etc/default/prometheus* 2>/dev/null | sort`,
          ).out,
        ]),
      );
    const before = snapshot();
    for (const [h, out] of Object.entries(before)) expect(out, h).not.to.match(/ 0$/m);
    const again = s.plumb('apply', SITE, ...testVars());
    timings.noopApplyMs = again.ms;
    expect(again.code, failures(again)).to.equal(0);
    expect(changedTasks(again)).to.deep.equal([]);
    for (const [h, r] of Object.entries(recapOf(again))) expect(r, h).to.include({ changed: 0, failed: 0, execs: 1 });
    expect(snapshot(), 'main PIDs and config hashes').to.deep.equal(before);
  });

  it('2. Prometheus on the monitor has every target of the inventory up', async () => {
    type Targets = { data: { activeTargets: { labels: { job: string; instance: string }; health: string; lastError: string }[] } };
    const expected = [
      'alertmanager lb-01',
      'blackbox lb-01',
      'haproxy lb-01',
      'mysqld web-01',
      'mysqld web-02',
      'nginx web-01',
      'nginx web-02',
      'node lb-01',
      'node web-01',
      'node web-02',
      'prometheus lb-01',
      'site lb-01',
    ];
    const all = await waitFor('every target up', 60_000, () => {
      const t = apiJson<Targets>('http://127.0.0.1:9090/api/v1/targets').data.activeTargets;
      return t.length === expected.length && t.every((x) => x.health === 'up') ? t : undefined;
    });
    expect(all.value.map((t) => `${t.labels.job} ${t.labels.instance}`).sort()).to.deep.equal(expected);
    // The Watchdog proves rules reach Alertmanager, routed to its own receiver. Prometheus
    // sends a firing alert again only every --rules.alert.resend-delay (1 min), and drops a
    // send made while its notifier rediscovers Alertmanager just after a config reload (step
    // 1 reloads it; prometheus_notifications_dropped_total counts them): so the Watchdog can
    // be missing from Alertmanager for up to one resend delay plus an evaluation.
    const limitMs = (RESEND_DELAY_S + 2 * SCRAPE_S + 30) * 1000;
    try {
      await waitFor('Watchdog in Alertmanager', limitMs, () => firing('Watchdog'));
    } catch (e) {
      const notifier = onMon("curl -sS --max-time 5 http://127.0.0.1:9090/metrics | grep '^prometheus_notifications_' || true");
      const rules = onMon("curl -sS --max-time 5 'http://127.0.0.1:9090/api/v1/alerts' || true");
      throw new Error(`${(e as Error).message}\nPrometheus notifier:\n${notifier}\nPrometheus alerts: ${rules.slice(0, 2000)}`);
    }
  });

  it('2b. BackupMissing (for: 4 s here) fires for the replica exactly when it has recorded no backup', async () => {
    // On a lab fresh from stack.test.ts no backup has run; after backup.test.ts one has.
    type Query = { data: { result: { metric: Record<string, string> }[] } };
    const metric = "'http://127.0.0.1:9090/api/v1/query?query=foobar_backup_last_success_timestamp_seconds'";
    const recorded = apiJson<Query>(metric).data.result.some((r) => r.metric.instance === 'web-02');
    // Like the Watchdog: up to one resend delay after step 1's reload.
    const limitMs = (RESEND_DELAY_S + 2 * SCRAPE_S + 30) * 1000;
    const t = await waitFor(`BackupMissing for web-02 ${recorded ? 'inactive' : 'firing'}`, limitMs, () =>
      Boolean(firing('BackupMissing', { instance: 'web-02', job: 'node' })) === !recorded ? true : undefined,
    );
    timings[recorded ? 'backupMissingQuietMs' : 'backupMissingFireMs'] = t.ms;
  });

  it('3+4. each fault fires its alert, the webhook receives it, and it resolves when the fault is undone', async () => {
    await drill(
      'nginxStopped',
      'HAProxyServerDown',
      { server: 'web-01' },
      haproxyDetectS(),
      () => s.on('web-01', 'systemctl stop nginx'),
      () => s.on('web-01', 'systemctl start nginx'),
    );
    // The webhook got the firing alert (Alertmanager's webhook payload, one POST per line).
    const posts = s
      .on(MONITOR, `cat ${WEBHOOK_LOG} 2>/dev/null || true`)
      .out.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { status: string; alerts: { labels: Record<string, string>; status: string }[] });
    expect(
      posts.some((p) => p.alerts.some((a) => a.status === 'firing' && a.labels.alertname === 'HAProxyServerDown' && a.labels.server === 'web-01')),
      JSON.stringify(posts).slice(0, 2000),
    ).to.equal(true);
    expect(
      posts.some((p) => p.alerts.some((a) => a.labels.alertname === 'Watchdog')),
      'the Watchdog never reaches the operator',
    ).to.equal(false);

    await drill(
      'sqlThreadStopped',
      'ReplicationSQLStopped',
      { instance: 'web-02' },
      0,
      () => s.on('web-02', "mysql -e 'STOP SLAVE SQL_THREAD'"),
      () => s.on('web-02', "mysql -e 'START SLAVE SQL_THREAD'"),
    );

    await drill(
      'haproxyStopped',
      'SiteProbeFailing',
      { instance: 'lb-01' },
      0,
      () => s.on('lb-01', 'systemctl stop haproxy'),
      () => s.on('lb-01', 'systemctl start haproxy'),
    );

    // A certificate with 5 days left, served for the length of the drill; then the live one again.
    const pem = '/etc/haproxy/certs/site.pem';
    await drill(
      'cert5Days',
      'CertificateExpiring',
      { instance: 'lb-01' },
      0,
      () =>
        s.on(
          'lb-01',
          `set -e; cp -p ${pem} /root/site.pem.plumb-test; d=$(mktemp -d); openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 5 -subj /CN=www.foobar.com -keyout $d/k -out $d/c 2>/dev/null; cat $d/c $d/k > ${pem}; rm -rf $d; systemctl reload haproxy`,
        ),
      () => s.on('lb-01', `mv /root/site.pem.plumb-test ${pem} && systemctl reload haproxy`),
    );
    const resolvedPosts = s.on(MONITOR, `cat ${WEBHOOK_LOG}`).out;
    expect(resolvedPosts, 'resolved notifications reach the webhook too').to.match(/"status":"resolved"/);
  });

  it('5. promtool test rules passes on the monitor and covers every rule, including a case that must not fire', () => {
    // Two files (the role's tasks): the cases evaluated every second, and those whose for: is hours.
    const files = ['/etc/prometheus/rules-tests/foobar.test.yml', '/etc/prometheus/rules-tests/foobar.long.test.yml'];
    const out = s.on(MONITOR, `/usr/local/sbin/promtool-test-rules /etc/prometheus/rules/foobar.yml ${files.join(' ')} 2>&1`).out;
    expect(out.match(/SUCCESS/g), out).to.have.length(files.length);
    const rules = parse(onMon('cat /etc/prometheus/rules/foobar.yml')) as { groups: { rules: { alert: string }[] }[] };
    type Tests = { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const cases = files.flatMap((f) => (parse(onMon(`cat ${f}`)) as Tests).tests.flatMap((t) => t.alert_rule_test));
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.length).to.be.greaterThan(10);
    for (const a of alerts)
      expect(
        cases.some((c) => c.alertname === a && c.exp_alerts.length > 0),
        `${a} has a firing case`,
      ).to.equal(true);
    expect(
      cases.some((c) => c.alertname === 'HAProxyServerDown' && c.exp_alerts.length === 0),
      'a backend down for less than for: must not fire',
    ).to.equal(true);
    expect(
      cases.some((c) => c.alertname === 'BackupMissing' && c.exp_alerts.length === 0),
      'a backup host with no backup yet, before for: has passed, must not fire',
    ).to.equal(true);
  });

  it('6. applied again without the test variables, the monitor is back to its defaults', () => {
    const r = s.plumb('apply', SITE);
    expect(r.code, failures(r)).to.equal(0);
    expect(onMon('grep -c 127.0.0.1:9799 /etc/prometheus/alertmanager.yml || true').trim()).to.equal('0');
    expect(onMon('grep scrape_interval /etc/prometheus/prometheus.yml')).to.include('15s');
  });
});
