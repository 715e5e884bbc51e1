// A reload that did not take is a failure (issue 10, part 4), on the converged stack: an
// HAProxy or Nginx configuration that passes its own check but cannot bind (a port another
// process holds, an address the host does not have) is written, and its reload handler
// fails without signalling the daemon: the site keeps serving through the change (a bounded
// request loop: 0 failures), the old workers keep running, the handler stays pending on the
// host and `check` exits 2. Once the conflict is gone, `apply` runs the owed reload, the new
// configuration is live (seen on the host) and `check` exits 0. Each case then puts the
// stack's own value back. And a configuration `haproxy -c` refuses is never written: the
// task fails with HAProxy's own alert and no reload is owed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ensureLab } from './lab-fixture.js';
import { changed, failures, type Run, runBookOn, SiteRun, sleep, tasks } from './site-run.js';

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

// The confirmation after the signal (src/modules/common/reload.ts), on a unit of the test's
// own: the bind cases above are caught before it. A plain systemd service on web-02 (a shell
// that reads /etc/plumb-rl.start at start and dies 0.3 s later unless it says "good", then
// sleeps), a config file whose change notifies its reload handler, a start file whose change
// notifies its restart handler. Each case makes the signal go out and the service not take
// it: the handler fails with what went wrong, stays pending, `check` exits 2 naming it; with
// the fault fixed, `apply` runs the owed handler and `check` exits 0.
const RL_HOST = 'web-02';
const RL_BOOK = `- hosts: ${RL_HOST}
  become: true
  vars:
    rl_reload: /bin/true
    rl_restart: "no"
    rl_start: good
    rl_version: "1"
  tasks:
    - name: plumb-rl unit
      copy:
        dest: /etc/systemd/system/plumb-rl.service
        content: |
          [Unit]
          StartLimitIntervalSec=0
          [Service]
          ExecStart=/bin/sh -c 'read v < /etc/plumb-rl.start; [ "$v" = good ] || { sleep 0.3; exit 1; }; exec sleep infinity'
          ExecReload={{ rl_reload }}
          Restart={{ rl_restart }}
          RestartSec=0.5
    - name: plumb-rl start config
      copy: { dest: /etc/plumb-rl.start, content: "{{ rl_start }}\\n" }
      notify: restart plumb-rl
    - name: plumb-rl running
      service: { name: plumb-rl, state: started, daemon_reload: true }
    - name: plumb-rl config
      copy: { dest: /etc/plumb-rl.conf, content: "version={{ rl_version }}\\n" }
      notify: reload plumb-rl
  handlers:
    - name: restart plumb-rl
      service: { name: plumb-rl, state: restarted }
    - name: reload plumb-rl
      service: { name: plumb-rl, state: reloaded }
`;

interface Untaken {
  name: string;
  handler: 'reload plumb-rl' | 'restart plumb-rl';
  /** The -e values that make the handler run and the service not take it. */
  fault: Record<string, string>;
  message: RegExp;
  /** The -e values of the fixed run (the defaults when none). */
  fix?: Record<string, string>;
}

const untaken: Untaken[] = [
  {
    name: 'ExecReload fails (/bin/false)',
    handler: 'reload plumb-rl',
    fault: { rl_reload: '/bin/false', rl_version: '2' },
    message: /Job for plumb-rl\.service failed[\s\S]*the reload of plumb-rl failed: systemctl reload exited 1/,
    // The config stays at version 2: the reload that runs is the owed one, not a new notify.
    fix: { rl_reload: '/bin/true', rl_version: '2' },
  },
  {
    name: 'the reload stops the daemon (its ExecReload kills the main process)',
    handler: 'reload plumb-rl',
    fault: { rl_reload: "/bin/sh -c 'kill $MAINPID; sleep 0.3'", rl_version: '3' },
    message: /plumb-rl is (inactive|failed) \d+\.\d s after the reload/,
    fix: { rl_reload: '/bin/true', rl_version: '3' },
  },
  {
    name: 'the daemon dies 0.3 s after the restart (systemd called it started)',
    handler: 'restart plumb-rl',
    fault: { rl_start: 'bad' },
    message: /plumb-rl is failed \d+\.\d s after the restart/,
  },
  {
    name: 'the daemon dies after the restart and Restart=always keeps starting it again',
    handler: 'restart plumb-rl',
    fault: { rl_start: 'bad', rl_restart: 'always' },
    message: /plumb-rl did not become active within 30 s of the restart/,
  },
];

describe('a reload or restart the service did not take (issue 10, part 4: the confirmation)', function () {
  this.timeout(900_000);
  let site: SiteRun;
  let book: string;
  const run = (verb: 'apply' | 'check', vars?: Record<string, string>): Run =>
    runBookOn(site.lab, verb, book, RL_HOST, vars ? ['-e', JSON.stringify(vars)] : []);
  const pending = (): string => site.onHost(RL_HOST, `cat ${PENDING} 2>/dev/null || true`).out;
  const active = (): string => site.onHost(RL_HOST, 'systemctl show -p ActiveState --value plumb-rl', true).out.trim();

  before(async () => {
    site = new SiteRun(await ensureLab());
    const dir = mkdtempSync(join(tmpdir(), 'plumb-rl-'));
    book = join(dir, 'rl.yml');
    writeFileSync(book, RL_BOOK);
    const r = run('apply');
    expect(r.code, failures(r)).to.equal(0);
    expect(active()).to.equal('active');
    expect(run('check').code, 'a clean check before').to.equal(0);
  });

  after(() => {
    site.onHost(
      RL_HOST,
      `systemctl stop plumb-rl 2>/dev/null; rm -f /etc/systemd/system/plumb-rl.service /etc/plumb-rl.start /etc/plumb-rl.conf; systemctl daemon-reload; systemctl reset-failed plumb-rl 2>/dev/null; ` +
        `f=${PENDING}; if [ -f $f ]; then sed -i '/ plumb-rl$/d' $f; [ -s $f ] || rm -f $f; fi; true`,
    );
  });

  for (const c of untaken) {
    it(`${c.name}: the handler fails, stays pending, check exits 2; apply runs it once fixed`, () => {
      const r = run('apply', c.fault);
      expect(r.code, failures(r)).to.equal(1);
      const failed = tasks(r).filter((t) => t.status === 'failed');
      expect(failed.map((t) => `${t.host}: ${t.handler ? 'handler ' : ''}${t.task}`)).to.deep.equal([`${RL_HOST}: handler ${c.handler}`]);
      expect(failed[0]!.message).to.match(c.message);
      expect(pending().split('\n')).to.include(c.handler);

      const audit = run('check', c.fault);
      expect(audit.code, failures(audit)).to.equal(2);
      expect(changed(audit)).to.include(`${RL_HOST}: handler ${c.handler}`);
      expect(pending().split('\n'), 'check leaves it owed').to.include(c.handler);

      const fix = run('apply', c.fix);
      expect(fix.code, failures(fix)).to.equal(0);
      expect(changed(fix)).to.include(`${RL_HOST}: handler ${c.handler}`);
      expect(pending(), 'nothing owed any more').to.equal('');
      expect(active()).to.equal('active');
      expect(run('check', c.fix).code).to.equal(0);
      // The defaults again (the config back to version 1 is a reload that takes).
      const back = run('apply');
      expect(back.code, failures(back)).to.equal(0);
      expect(run('check').code).to.equal(0);
    });
  }
});
