// Backups on the lab (issue 15, acceptance 6-7), on the converged stack: rows are written,
// the replica's backup unit runs, the off-host copy on the backup store (lb-01) matches its
// checksum, a dropped table replicates, and playbooks/restore.yml brings every row written
// before the backup back on the primary, then rebuilds the replica from the same backup,
// which replicates again. A backup into an unwritable directory turns the last-backup
// metric to 0 and fires BackupFailed in Alertmanager (asked from the monitor). The stack is
// applied again without the test's variables at the end, and the restore's leftovers removed.
import { expect } from 'chai';
import { resolve } from 'node:path';
import { changedTasks, failures, recapOf, ROOT, SITE, StackOps, stepwise, waitFor } from './stack-ops.js';

const RESTORE = resolve(ROOT, 'playbooks/restore.yml');
const PRIMARY = 'web-01';
const REPLICA = 'web-02';
const STORE = 'lb-01';
const MONITOR = 'lb-01';
const DIR = '/var/backups/mariadb';

describe('backups on the lab (issue 15: acceptance 6-7)', function () {
  this.timeout(900_000);
  stepwise();

  let s: StackOps;
  const timings: Record<string, number> = {};
  const testVars = [
    '-e',
    JSON.stringify({
      monitoring_scrape_interval: '2s',
      monitoring_evaluation_interval: '2s',
      alert_backup_failed_for: '0s',
      alertmanager_group_wait: '1s',
      alertmanager_group_interval: '2s',
    }),
  ];
  const mysql = (h: string, sql: string): string => s.on(h, `mysql --batch --skip-column-names -e ${JSON.stringify(sql)}`).out.trim();
  const count = (h: string, marker: string): number => Number(mysql(h, `SELECT COUNT(*) FROM foobar.items WHERE name LIKE '${marker}%'`));
  const marker = `backup-drill-${Date.now()}-`;
  let backup = '';

  before(async () => {
    s = await StackOps.open();
  });

  after(() => {
    if (!s) return;
    s.on(REPLICA, `mountpoint -q ${DIR} && umount ${DIR}; systemctl reset-failed foobar-backup.service`, { allowFail: true });
    for (const h of [PRIMARY, REPLICA]) s.on(h, 'rm -rf /var/lib/mysql.before-restore-*', { allowFail: true });
    const r = s.plumb('apply', SITE);
    if (r.code !== 0) console.log(`      backup test cleanup: apply exit ${r.code}\n${failures(r)}`);
    if (Object.keys(timings).length) console.log(`      backup timings: ${JSON.stringify(timings)}`);
  });

  it('1. the stack converges with backups (the replica: timer, scripts; the store: its user and key); a re-run changes nothing', () => {
    const first = s.plumb('apply', SITE, ...testVars);
    expect(first.code, failures(first)).to.equal(0);
    const again = s.plumb('apply', SITE, ...testVars);
    expect(again.code, failures(again)).to.equal(0);
    expect(changedTasks(again)).to.deep.equal([]);
    for (const [h, r] of Object.entries(recapOf(again))) expect(r, h).to.include({ changed: 0, execs: 1 });
    expect(s.on(REPLICA, 'systemctl is-enabled foobar-backup.timer; systemctl is-active foobar-backup.timer').out.split('\n').slice(0, 2)).to.deep.equal([
      'enabled',
      'active',
    ]);
    expect(s.on(STORE, 'stat -c %U:%a /srv/backups /srv/backups/.ssh/authorized_keys').out.trim().split('\n')).to.deep.equal([
      'foobar-backup:700',
      'foobar-backup:600',
    ]);
  });

  it('6. drill: rows written, a backup with its off-host copy, a dropped table, restore.yml brings every row back and the replica is rebuilt and replicates', async () => {
    const values = Array.from({ length: 50 }, (_, i) => `('${marker}${i}', 'drill')`).join(',');
    mysql(PRIMARY, `INSERT INTO foobar.items (name, created_by) VALUES ${values}`);
    await waitFor('the rows on the replica', 20_000, () => (count(REPLICA, marker) === 50 ? true : undefined), 250);

    // The timer's unit, as the timer would start it.
    const t0 = Date.now();
    s.on(REPLICA, 'systemctl start foobar-backup.service');
    timings.backupMs = Date.now() - t0;
    backup = s.on(REPLICA, `ls -1 ${DIR} | sed -n 's/\\.tar\\.gz$//p' | sort | tail -n 1`).out.trim();
    expect(backup).to.match(/^\d{8}T\d{6}Z$/);
    const local = s.on(REPLICA, `cd ${DIR} && sha256sum --check ${backup}.tar.gz.sha256 && cat ${backup}.tar.gz.sha256`).out;
    // The off-host copy exists on the store, and its checksum matches the archive there and the local one.
    const remote = s.on(
      STORE,
      `cd /srv/backups/${REPLICA} && sha256sum --check ${backup}.tar.gz.sha256 && cat ${backup}.tar.gz.sha256 && sha256sum ${backup}.tar.gz`,
    ).out;
    const sum = local.trim().split('\n').pop()!.split(/\s+/)[0]!;
    expect(remote).to.include(`${backup}.tar.gz: OK`);
    expect(remote.trim().split('\n').pop()!.split(/\s+/)[0], 'the store holds the same bytes').to.equal(sum);
    expect(
      s.on(REPLICA, 'grep -E "^foobar_backup_(last_success|offhost_copied) " /var/lib/prometheus/node-exporter/foobar_backup.prom').out.trim().split('\n'),
    ).to.deep.equal(['foobar_backup_last_success 1', 'foobar_backup_offhost_copied 1']);

    // Written after the backup: gone after the restore (the backup is the point in time).
    mysql(PRIMARY, `INSERT INTO foobar.items (name, created_by) VALUES ('${marker}late', 'drill')`);
    mysql(PRIMARY, 'DROP TABLE foobar.items');
    await waitFor('the drop on the replica', 20_000, () => (mysql(REPLICA, "SHOW TABLES FROM foobar LIKE 'items'") === '' ? true : undefined), 250);

    const r = s.plumb('apply', RESTORE, '-e', `backup=${backup}`);
    timings.restoreMs = r.ms;
    expect(r.code, failures(r)).to.equal(0);
    expect(changedTasks(r)).to.include.members([
      `${PRIMARY}: Restore the chosen backup`,
      `${REPLICA}: Restore the chosen backup`,
      `${REPLICA}: Replicate from the primary`,
    ]);
    expect(count(PRIMARY, marker), 'every row written before the backup, on the primary').to.equal(50);
    expect(count(PRIMARY, `${marker}late`)).to.equal(0);
    expect(count(REPLICA, marker), 'and on the rebuilt replica').to.equal(50);
    const status = s.on(REPLICA, "mysql -E -e 'SHOW SLAVE STATUS'").out;
    expect(status).to.match(/Slave_IO_Running: Yes/);
    expect(status).to.match(/Slave_SQL_Running: Yes/);
    expect(mysql(REPLICA, 'SELECT @@read_only')).to.equal('1');
    expect(mysql(PRIMARY, 'SELECT @@read_only')).to.equal('0');

    // It replicates again: a new row on the primary reaches the rebuilt replica.
    mysql(PRIMARY, `INSERT INTO foobar.items (name, created_by) VALUES ('${marker}after', 'drill')`);
    await waitFor('a new row on the rebuilt replica', 20_000, () => (count(REPLICA, `${marker}after`) === 1 ? true : undefined), 250);

    // Run again, the restore does nothing; and the stack is as site.yml wants it.
    const again = s.plumb('apply', RESTORE, '-e', `backup=${backup}`);
    expect(again.code, failures(again)).to.equal(0);
    expect(changedTasks(again)).to.deep.equal([]);
    const site = s.plumb('apply', SITE, ...testVars);
    expect(site.code, failures(site)).to.equal(0);
    expect(changedTasks(site)).to.deep.equal([]);
  });

  it('7. a backup into an unwritable directory fails, turns foobar_backup_last_success to 0 and fires BackupFailed; the next good one resolves it', async () => {
    type Alert = { labels: Record<string, string>; status: { state: string } };
    const backupFailed = (): Alert | undefined =>
      (JSON.parse(s.on(MONITOR, "curl -sS --max-time 5 'http://127.0.0.1:9093/api/v2/alerts?active=true'").out) as Alert[]).find(
        (a) => a.labels.alertname === 'BackupFailed' && a.labels.instance === REPLICA,
      );
    const metric = (): string | undefined => {
      const q = JSON.parse(s.on(MONITOR, "curl -sS --max-time 5 'http://127.0.0.1:9090/api/v1/query?query=foobar_backup_last_success'").out) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return q.data.result.find((x) => x.metric.instance === REPLICA)?.value[1];
    };
    expect(backupFailed()).to.equal(undefined);
    s.on(REPLICA, `mount --bind ${DIR} ${DIR} && mount -o remount,bind,ro ${DIR}`);
    try {
      const run = s.on(REPLICA, 'systemctl start foobar-backup.service', { allowFail: true });
      expect(run.code, 'the unit fails').not.to.equal(0);
      expect(s.on(REPLICA, 'grep "^foobar_backup_last_success " /var/lib/prometheus/node-exporter/foobar_backup.prom').out.trim()).to.equal(
        'foobar_backup_last_success 0',
      );
      await waitFor('foobar_backup_last_success 0 in Prometheus', 30_000, () => (metric() === '0' ? true : undefined));
      const fired = await waitFor('BackupFailed in Alertmanager', 30_000, backupFailed);
      timings.backupFailedFireMs = fired.ms;
    } finally {
      s.on(REPLICA, `umount ${DIR}; systemctl reset-failed foobar-backup.service`, { allowFail: true });
    }
    s.on(REPLICA, 'systemctl start foobar-backup.service');
    const resolved = await waitFor('BackupFailed to resolve', 60_000, () => (backupFailed() ? undefined : true));
    timings.backupFailedResolveMs = resolved.ms;
  });
});
