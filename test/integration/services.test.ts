// Services running an older configuration are drift (issue 17, "services and the files they
// read"), on the converged stack: a unit file changed on disk without a daemon-reload, and a
// config file written after the service loaded it with no restart owed. `check` exits 2 and
// names it with a diff, touching nothing; `apply` restarts or reloads it (seen on the host:
// new processes, the new definition live); the next `check` exits 0. A clean `check` stays
// one exec per host.
import { expect } from 'chai';
import { labExecCount } from '../../src/lab/index.js';
import { ensureLab } from './lab-fixture.js';
import { changed, failures, recapOf, SiteRun, tasks } from './site-run.js';

describe('services running an older configuration (issue 17)', function () {
  this.timeout(900_000);
  let site: SiteRun;
  const HOSTS = ['lb-01', 'web-01', 'web-02'];

  const processes = (host: string, unit: string): string =>
    site.onHost(host, `m=$(systemctl show -p MainPID --value ${unit}); echo $m $(ps -o pid= --ppid $m | sort -n)`).out.trim();

  before(async () => {
    site = new SiteRun(await ensureLab());
    const r = site.plumb('apply');
    expect(r.code, `the stack converges first:\n${failures(r)}`).to.equal(0);
  });

  it('a clean check is exit 0 at one exec per host, counted on the host', () => {
    const before = Object.fromEntries(HOSTS.map((h) => [h, labExecCount(h)]));
    const r = site.plumb('check');
    expect(r.code, failures(r)).to.equal(0);
    for (const h of HOSTS) {
      expect(recapOf(r)[h]!.execs, h).to.equal(1);
      expect(labExecCount(h) - before[h]!, `${h}: execs in its own log`).to.equal(1);
    }
  });

  it('a drop-in edited without daemon-reload: check names foobar-app (NeedDaemonReload), apply restarts it with the new definition', () => {
    const dropin = '/etc/systemd/system/foobar-app.service.d/plumb-test.conf';
    const env = (): string =>
      site
        .onHost('web-02', "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value foobar-app)/environ | grep -c '^PLUMB_TEST_DROPIN=1$' || true")
        .out.trim();
    const write = (v: number): string => `printf '[Service]\\nEnvironment=PLUMB_TEST_DROPIN=${v}\\n' > ${dropin}`;
    try {
      // systemd tracks the drop-ins it loaded: load one, then edit it behind its back.
      site.onHost('web-02', `mkdir -p ${dropin.replace(/\/[^/]+$/, '')} && ${write(0)} && systemctl daemon-reload && systemctl restart foobar-app`);
      site.onHost('web-02', `sleep 1.2; ${write(1)}`);
      expect(site.onHost('web-02', 'systemctl show -p NeedDaemonReload --value foobar-app').out.trim()).to.equal('yes');
      const pid = processes('web-02', 'foobar-app');

      const audit = site.plumb('check', '--diff');
      expect(audit.code, failures(audit)).to.equal(2);
      expect(changed(audit)).to.deep.equal(['web-02: App running at boot']);
      const t = tasks(audit).find((e) => e.host === 'web-02' && e.task === 'App running at boot')!;
      expect(t.message).to.match(/running with an older configuration \(unit file changed on disk/);
      expect(t.diff?.[0]).to.deep.include({ label: 'service foobar-app' });
      expect(t.diff?.[0]?.before).to.include('config=unit file changed on disk, not loaded by systemd (NeedDaemonReload=yes)');
      expect(t.diff?.[0]?.after).to.include('config=current');
      expect(processes('web-02', 'foobar-app'), 'check touched nothing').to.equal(pid);
      expect(site.onHost('web-02', 'systemctl show -p NeedDaemonReload --value foobar-app').out.trim()).to.equal('yes');

      const fix = site.plumb('apply');
      expect(fix.code, failures(fix)).to.equal(0);
      expect(changed(fix)).to.deep.equal(['web-02: App running at boot']);
      expect(site.onHost('web-02', 'systemctl show -p NeedDaemonReload --value foobar-app').out.trim()).to.equal('no');
      expect(processes('web-02', 'foobar-app')).to.not.equal(pid);
      expect(env(), 'the restarted app runs the new definition').to.equal('1');
      expect(site.plumb('check').code).to.equal(0);
    } finally {
      site.onHost('web-02', `rm -rf ${dropin.replace(/\/[^/]+$/, '')}`);
      site.plumb('apply');
    }
    expect(env()).to.equal('0');
    expect(site.plumb('check').code).to.equal(0);
  });

  const touched = [
    { host: 'lb-01', unit: 'haproxy', file: '/etc/haproxy/haproxy.cfg', task: 'HAProxy running at boot', verb: 'reload' },
    { host: 'web-01', unit: 'nginx', file: '/etc/nginx/sites-available/foobar', task: 'Nginx running at boot', verb: 'reload' },
    { host: 'web-02', unit: 'foobar-app', file: '/etc/foobar/foobar.conf', task: 'App running at boot', verb: 'restart' },
  ];
  for (const c of touched) {
    it(`${c.file} written after ${c.unit} loaded it, nothing owed: check names it, apply ${c.verb}s ${c.unit}`, () => {
      // Same content, a newer mtime: the file task is in sync, only the service is behind.
      site.onHost(c.host, `sleep 1.2; touch ${c.file}`);
      const mtime = site.onHost(c.host, `stat -c %Y ${c.file}`).out;
      const pids = processes(c.host, c.unit);

      const audit = site.plumb('check', '--diff');
      expect(audit.code, failures(audit)).to.equal(2);
      expect(changed(audit)).to.deep.equal([`${c.host}: ${c.task}`]);
      const t = tasks(audit).find((e) => e.host === c.host && e.task === c.task)!;
      // foobar-app's task has daemon_reload: true, so its restart comes after one.
      expect(t.message).to.match(/^would /);
      expect(t.message).to.include(`${c.verb} ${c.unit}: running with an older configuration (${c.file} written`);
      expect(t.diff?.[0]?.before).to.match(new RegExp(`^config=${c.file.replace(/[/.]/g, '\\$&')} written .*, after the (workers|service) started`, 'm'));
      expect(t.diff?.[0]?.after).to.include('config=current');
      expect(processes(c.host, c.unit), 'check touched nothing').to.equal(pids);
      expect(site.onHost(c.host, `stat -c %Y ${c.file}`).out).to.equal(mtime);

      const fix = site.plumb('apply');
      expect(fix.code, failures(fix)).to.equal(0);
      expect(changed(fix)).to.deep.equal([`${c.host}: ${c.task}`]);
      expect(processes(c.host, c.unit), `${c.unit} has new processes`).to.not.equal(pids);
      expect(site.onHost(c.host, `systemctl is-active ${c.unit}`).out.trim()).to.equal('active');
      expect(site.plumb('check').code).to.equal(0);
    });
  }
});
