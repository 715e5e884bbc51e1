// A reload that did not take is a failure (issue 10, part 4), on the converged stack: an
// HAProxy or Nginx configuration that passes its own check but cannot bind (a port another
// process holds, an address the host does not have) is written, and its reload handler
// fails without signalling the daemon: the site keeps serving through the change (a bounded
// request loop: 0 failures), the old workers keep running, the handler stays pending on the
// host and `check` exits 2. Once the conflict is gone, `apply` runs the owed reload, the new
// configuration is live (seen on the host) and `check` exits 0. Each case then puts the
// stack's own value back. And a configuration `haproxy -c` refuses is never written: the
// task fails with HAProxy's own alert and no reload is owed.
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { changed, failures, SiteRun, sleep, tasks } from './site-run.js';

const PENDING = '/var/lib/plumb/pending-handlers';

interface Conflict {
  name: string;
  host: 'lb-01' | 'web-01';
  unit: 'haproxy' | 'nginx';
  handler: string;
  /** The stack variable set with -e, and the value that cannot bind. */
  variable: string;
  value: string;
  /** A listener the test starts on the host first (127.0.0.1:PORT), stopped to undo the conflict. */
  squat?: number;
  message: RegExp;
  /** Seen on the host once the new configuration is live. */
  live: string;
}

const SQUAT = 8405;
const conflicts: Conflict[] = [
  {
    name: 'HAProxy stats on a port another process holds',
    host: 'lb-01',
    unit: 'haproxy',
    handler: 'reload haproxy',
    variable: 'haproxy_stats_bind',
    value: `127.0.0.1:${SQUAT}`,
    squat: SQUAT,
    message: new RegExp(`127\\.0\\.0\\.1:${SQUAT} is in use by python3`),
    live: `curl -s --max-time 3 http://127.0.0.1:${SQUAT}/metrics | grep -c '^haproxy_'`,
  },
  {
    name: 'HAProxy stats on an address the host does not have',
    host: 'lb-01',
    unit: 'haproxy',
    handler: 'reload haproxy',
    variable: 'haproxy_stats_bind',
    value: '10.254.254.254:8404',
    message: /10\.254\.254\.254:8404 is not an address of this host/,
    live: '',
  },
  {
    name: 'Nginx status page on a port another process holds',
    host: 'web-01',
    unit: 'nginx',
    handler: 'reload nginx',
    variable: 'nginx_status_listen',
    value: `127.0.0.1:${SQUAT}`,
    squat: SQUAT,
    message: new RegExp(`127\\.0\\.0\\.1:${SQUAT} is in use by python3`),
    live: `curl -s --max-time 3 http://127.0.0.1:${SQUAT}/nginx_status | grep -c '^Active connections'`,
  },
];

describe('a reload that did not take fails and stays owed (issue 10, part 4)', function () {
  this.timeout(900_000);
  let site: SiteRun;

  /** The unit's main PID and its children (the workers), as the host lists them. */
  const processes = (c: Conflict): string =>
    site.onHost(c.host, `m=$(systemctl show -p MainPID --value ${c.unit}); echo $m $(ps -o pid= --ppid $m | sort -n)`).out.trim();
  const pending = (c: Conflict): string => site.onHost(c.host, `cat ${PENDING} 2>/dev/null || true`).out;
  const squat = (c: Conflict, on: boolean): void => {
    const unit = `plumb-test-squat-${c.squat}`;
    if (!on) {
      site.onHost(c.host, `systemctl stop ${unit} 2>/dev/null || true`);
      return;
    }
    site.onHost(c.host, `systemd-run --quiet --collect --unit=${unit} python3 -m http.server --bind 127.0.0.1 ${c.squat}`);
    site.onHost(c.host, `for i in $(seq 50); do ss -Hltn 'sport = :${c.squat}' | grep -q . && exit 0; sleep 0.1; done; exit 1`);
  };

  before(async () => {
    site = new SiteRun(await ensureLab());
    const r = site.plumb('apply');
    expect(r.code, `the stack converges first:\n${failures(r)}`).to.equal(0);
    expect(site.plumb('check').code, 'a clean check before').to.equal(0);
  });

  after(() => {
    for (const c of conflicts) if (c.squat) squat(c, false);
    // Whatever happened, the stack's own values again.
    site.plumb('apply');
  });

  it("a config haproxy -c refuses: the task fails with HAProxy's own alert, the live file stays, no handler is owed", () => {
    const sum = site.onHost('lb-01', 'sha256sum /etc/haproxy/haproxy.cfg').out;
    const r = site.plumb('apply', '--limit', 'lb-01', '-e', JSON.stringify({ haproxy_stats_bind: '127.0.0.1:notaport' }));
    expect(r.code).to.equal(1);
    const failed = tasks(r).filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.task)).to.deep.equal(['HAProxy config']);
    expect(failed[0]!.message).to.include('validate refused the new /etc/haproxy/haproxy.cfg: haproxy -c -f %s');
    expect(failed[0]!.message).to.match(/\[ALERT\].*notaport/);
    expect(site.onHost('lb-01', 'sha256sum /etc/haproxy/haproxy.cfg').out, 'the live file is untouched').to.equal(sum);
    expect(site.onHost('lb-01', `cat ${PENDING} 2>/dev/null || true`).out, 'no reload owed for a write that did not happen').to.equal('');
    expect(site.plumb('check', '--limit', 'lb-01').code).to.equal(0);
  });

  for (const c of conflicts) {
    it(`${c.name}: the handler fails before signalling, the site keeps serving, check exits 2; apply fixes it once the conflict is gone`, async () => {
      const e = ['-e', JSON.stringify({ [c.variable]: c.value }), '--limit', c.host];
      if (c.squat) squat(c, true);
      const before = processes(c);
      const loop = site.requestLoop();
      await sleep(500);
      const r = await site.plumbAsync('apply', ...e);
      loop.stop();
      const served = await loop.result;

      expect(r.code, failures(r)).to.equal(1);
      const failed = tasks(r).filter((t) => t.status === 'failed');
      expect(failed.map((t) => `${t.host}: ${t.handler ? 'handler ' : ''}${t.task}`)).to.deep.equal([`${c.host}: handler ${c.handler}`]);
      expect(failed[0]!.message).to.match(c.message);
      expect(served.failed, `requests failed around the change (${served.ok} succeeded)`).to.equal(0);
      expect(served.ok, 'the loop ran through the change').to.be.greaterThan(20);
      // The daemon was never signalled: the same master and the same workers.
      expect(processes(c)).to.equal(before);
      expect(pending(c).split('\n')).to.include(c.handler);

      const audit = site.plumb('check', ...e);
      expect(audit.code, failures(audit)).to.equal(2);
      expect(changed(audit)).to.deep.equal([`${c.host}: handler ${c.handler}`]);
      expect(processes(c), 'check touched nothing').to.equal(before);
      expect(pending(c).split('\n')).to.include(c.handler);

      if (c.squat) {
        // Undo the conflict: the owed reload runs, and the new configuration is live.
        squat(c, false);
        const fix = site.plumb('apply', ...e);
        expect(fix.code, failures(fix)).to.equal(0);
        expect(changed(fix)).to.deep.equal([`${c.host}: handler ${c.handler}`]);
        expect(pending(c), 'nothing owed any more').to.equal('');
        expect(processes(c)).to.not.equal(before);
        expect(Number(site.onHost(c.host, c.live).out.trim()), 'the new configuration is live').to.be.greaterThan(0);
        expect(site.plumb('check', ...e).code).to.equal(0);
      }
      // The stack's own value again: written, reloaded (the pending reload with it), clean.
      const back = site.plumb('apply', '--limit', c.host);
      expect(back.code, failures(back)).to.equal(0);
      expect(pending(c)).to.equal('');
      expect(site.plumb('check', '--limit', c.host).code).to.equal(0);
    });
  }
});
