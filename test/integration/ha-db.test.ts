// The database half of issue 14 on the HA lab (acceptance 3, 4, 6): a planned switchover
// under a write loop, then the primary's host killed under a write loop and an emergency
// failover to the survivor, site.yml right after it (before the inventory is edited), and
// the old primary's return: read_only, rejoining when its history is a prefix, refused when
// it diverged. Write loops POST through the floating address, each request with a unique
// name, at most 60 s and a fixed count, only to this slot's lab addresses; every row that
// got a 201 must be on the new primary. The cases run in order on one lab.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureHaLab, hostLink, killHost, resetHosts } from './lab-fixture.js';
import { SiteRun, ROOT, DOMAIN, failures, changed, tasks, sleep, type Run } from './site-run.js';
import { LAB_VIP } from '../../src/lab/paths.js';
import type { LabStatus } from '../../src/lab/index.js';

/** The tasks of the mariadb, foobar_db and mariadb_replica roles. */
const DB_TASKS = [
  'Replication settings',
  'restart mariadb',
  'The running server',
  'App account',
  'Replication account',
  'App database',
  'Replicate from the primary',
  'Firewall lets',
];
const CLI = path.resolve(import.meta.dirname, '../../src/cli/main.js');

interface Writes {
  /** Names whose POST got a 201. */
  acked: string[];
  failed: number;
  ms: number;
}

/** POSTs one at a time through the floating address, unique names, bounded by count and 60 s. */
function writeLoop(tag: string, max: number): { stop: () => void; result: Promise<Writes> } {
  const loop = `i=0; while [ $i -lt ${max} ] && [ ! -e "$STOP" ]; do
    n="${tag}-$i"
    c=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 3 --resolve ${DOMAIN}:443:${LAB_VIP} -H 'Content-Type: application/json' -d "{\\"name\\":\\"$n\\"}" https://${DOMAIN}/items)
    echo "$n $c"; i=$((i+1)); sleep 0.02; done`;
  const stopFile = path.join(tmpdir(), `.hadb-loop-stop-${process.pid}-${Date.now()}`);
  const started = Date.now();
  const p = spawn('timeout', ['60', 'sh', '-c', loop], { env: { ...process.env, STOP: stopFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const result = new Promise<Writes>((done) =>
    p.on('close', () => {
      rmSync(stopFile, { force: true });
      const rows = out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]);
      done({ acked: rows.filter((r) => r[1] === '201').map((r) => r[0]), failed: rows.filter((r) => r[1] !== '201').length, ms: Date.now() - started });
    }),
  );
  return { stop: () => writeFileSync(stopFile, ''), result };
}

describe('database switchover and failover on the HA lab (issue 14)', function () {
  this.timeout(1_800_000);
  let lab: LabStatus;
  let site: SiteRun;
  const dirs: string[] = [];

  /** The lab's inventory with host_vars saying which web server is the primary (an operator's edit). */
  const inventoryWith = (primary: string): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'hadb-inv-'));
    dirs.push(d);
    cpSync(lab.inventory, path.join(d, 'lab.yml'));
    cpSync(path.join(ROOT, 'inventory/group_vars'), path.join(d, 'group_vars'), { recursive: true });
    cpSync(path.join(ROOT, 'inventory/host_vars'), path.join(d, 'host_vars'), { recursive: true });
    for (const [h, id] of [
      ['web-01', 1],
      ['web-02', 2],
    ] as const)
      writeFileSync(path.join(d, 'host_vars', `${h}.yml`), `mysql_role: ${h === primary ? 'primary' : 'replica'}\nmysql_server_id: ${id}\n`);
    return path.join(d, 'lab.yml');
  };
  const plumb = (verb: 'apply' | 'check', book: string, inv: string, ...flags: string[]): Run => {
    const r = spawnSync(process.execPath, [CLI, verb, path.join(ROOT, 'playbooks', book), '-i', inv, '--json', ...flags], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    const events = (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', events };
  };
  const plumbAsync = (verb: 'apply', book: string, inv: string, ...flags: string[]): Promise<Run> =>
    new Promise((done) => {
      const p = spawn(process.execPath, [CLI, verb, path.join(ROOT, 'playbooks', book), '-i', inv, '--json', ...flags], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) =>
        done({
          code: code ?? -1,
          stdout: out,
          stderr: err,
          events: out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        }),
      );
    });
  const sql = (h: string, q: string): string => site.onHost(h, `mariadb -N -B -e ${JSON.stringify(q)}`).out.trim();
  /** Every acknowledged name is a row on host h: the names missing. */
  const missing = (h: string, names: string[]): string[] => {
    const have = new Set(sql(h, "SELECT name FROM foobar.items WHERE name LIKE 'hadb-%'").split('\n'));
    return names.filter((n) => !have.has(n));
  };
  const replicatesFrom = (h: string): { host: string; io: string; sql: string } => {
    const s = site.onHost(h, "mariadb -e 'SHOW SLAVE STATUS\\G'").out;
    const f = (k: string) => new RegExp(`^\\s*${k}: (.*)$`, 'm').exec(s)?.[1] ?? '';
    return { host: f('Master_Host'), io: f('Slave_IO_Running'), sql: f('Slave_SQL_Running') };
  };
  const waitReplicating = async (h: string, ms: number): Promise<{ host: string; io: string; sql: string }> => {
    let r = replicatesFrom(h);
    for (const end = Date.now() + ms; Date.now() < end && (r.io !== 'Yes' || r.sql !== 'Yes'); await sleep(500)) r = replicatesFrom(h);
    return r;
  };
  const log = (msg: string) => process.stderr.write(`      [ha-db] ${msg}\n`);

  before(async () => {
    lab = await ensureHaLab();
    site = new SiteRun(lab);
    // Fresh database hosts, web-01 the primary as the repository's inventory says.
    await resetHosts(['web-01', 'web-02']);
    const r = site.plumb('apply');
    expect(r.code, failures(r)).to.equal(0);
  });

  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('semi-sync is on (AFTER_SYNC), read_only ON in every file and OFF only on the live primary; drift of a live value is reported', () => {
    // The schema's creation waited out the timeout (no replica yet): semi-sync is back once the replica acknowledges a write.
    const semi = () => sql('web-01', "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'");
    for (let i = 0; i < 10 && semi() !== 'ON'; i++) {
      spawnSync('curl', [
        '-sk',
        '-o',
        '/dev/null',
        '--max-time',
        '10',
        '--resolve',
        `${DOMAIN}:443:${LAB_VIP}`,
        '-H',
        'Content-Type: application/json',
        '-d',
        `{"name":"hadb-semi-${i}"}`,
        `https://${DOMAIN}/items`,
      ]);
      spawnSync('sleep', ['1']);
    }
    expect(semi()).to.equal('ON');
    expect(sql('web-02', "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'")).to.equal('ON');
    expect(sql('web-01', 'SELECT @@rpl_semi_sync_master_wait_point, @@sync_binlog, @@innodb_flush_log_at_trx_commit, @@read_only')).to.equal(
      'AFTER_SYNC\t1\t1\t0',
    );
    expect(sql('web-02', 'SELECT @@sync_relay_log, @@read_only')).to.equal('1\t1');
    for (const h of ['web-01', 'web-02']) expect(site.onHost(h, 'grep -E "^read_only" /etc/mysql/mariadb.conf.d/60-foobar.cnf').out).to.match(/= ON/);
    sql('web-01', 'SET GLOBAL rpl_semi_sync_master_enabled = OFF');
    const c = site.plumb('check');
    expect(c.code).to.not.equal(0);
    expect(
      tasks(c)
        .filter((t) => t.status === 'changed')
        .map((t) => `${t.host} ${t.message}`),
    ).to.satisfy((l: string[]) => l.some((m) => m.startsWith('web-01') && m.includes('rpl_semi_sync_master_enabled')));
    const a = site.plumb('apply');
    expect(a.code, failures(a)).to.equal(0);
    expect(sql('web-01', 'SELECT @@rpl_semi_sync_master_enabled')).to.equal('1');
  });

  it('(a) planned switchover to web-02 under a write loop: every 201 row on web-02, web-01 replicates from it, check of the edited inventory exits 0', async () => {
    const loop = writeLoop('hadb-sw', 1200);
    await sleep(3000);
    const t0 = Date.now();
    const sw = await plumbAsync('apply', 'switchover.yml', lab.inventory, '-e', 'new_primary=web-02');
    const swMs = Date.now() - t0;
    await sleep(3000);
    loop.stop();
    const w = await loop.result;
    expect(sw.code, failures(sw)).to.equal(0);
    log(`switchover took ${(swMs / 1000).toFixed(1)} s; writes: ${w.acked.length} acknowledged (201), ${w.failed} failed, loop ${(w.ms / 1000).toFixed(1)} s`);
    expect(w.acked.length).to.be.greaterThan(20);
    expect(missing('web-02', w.acked)).to.deep.equal([]);
    expect(sql('web-02', 'SELECT @@read_only')).to.equal('0');
    expect(sql('web-01', 'SELECT @@read_only')).to.equal('1');
    const rep = await waitReplicating('web-01', 20_000);
    expect(rep).to.deep.equal({ host: site.addr('web-02'), io: 'Yes', sql: 'Yes' });
    // Before the edit site.yml refuses the databases; after it, it converges and check is clean.
    const before = site.plumb('apply');
    expect(before.code).to.not.equal(0);
    expect(failures(before)).to.match(/web-01, the inventory's primary, replicates from web-02|web-02 is a live primary/);
    const inv = inventoryWith('web-02');
    const a = plumb('apply', 'site.yml', inv);
    expect(a.code, failures(a)).to.equal(0);
    // Nothing of MariaDB changes (no file, no restart, no variable, no account): only the backups and metrics move.
    expect(changed(a).filter((t) => DB_TASKS.some((d) => t.includes(d)))).to.deep.equal([]);
    const c = plumb('check', 'site.yml', inv);
    expect(c.code, changed(c).join('\n')).to.equal(0);
    expect(missing('web-01', w.acked), 'the old primary has them too, as a replica').to.deep.equal([]);
  });

  it('(b) the primary (web-02) killed under a write loop; failover to web-01 with --limit: every 201 row on web-01', async () => {
    const loop = writeLoop('hadb-fo', 1500);
    await sleep(4000);
    killHost('web-02');
    const killedAt = Date.now();
    await sleep(2000);
    const inv = inventoryWith('web-02'); // the inventory as it was: web-02 the primary
    const fo = plumb('apply', 'failover.yml', inv, '-e', 'new_primary=web-01', '--limit', 'all:!web-02');
    const foMs = Date.now() - killedAt;
    await sleep(4000);
    loop.stop();
    const w = await loop.result;
    expect(fo.code, failures(fo)).to.equal(0);
    log(
      `failover done ${(foMs / 1000).toFixed(1)} s after the kill; writes: ${w.acked.length} acknowledged, ${w.failed} failed, loop ${(w.ms / 1000).toFixed(1)} s`,
    );
    expect(missing('web-01', w.acked)).to.deep.equal([]);
    expect(sql('web-01', 'SELECT @@read_only')).to.equal('0');
  });

  it('the old primary returns read_only; (c) site.yml before the edit changes nothing on the databases and says what to do', async () => {
    hostLink('web-02', 'up');
    lab = await ensureHaLab();
    site = new SiteRun(lab);
    let ro = '';
    for (const end = Date.now() + 60_000; Date.now() < end && ro !== '1'; await sleep(1000))
      ro = site.onHost('web-02', "mariadb -N -B -e 'SELECT @@read_only'", true).out.trim();
    expect(ro, 'web-02 back read_only').to.equal('1');
    expect(replicatesFrom('web-02').host).to.equal('');
    // The app on web-02 writes to itself (its foobar.conf still says so): refused.
    const post = site.onHost(
      'web-02',
      `curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"name":"hadb-fenced"}' http://127.0.0.1:8000/items`,
      true,
    ).out;
    expect(post).to.not.equal('201');
    expect(sql('web-02', "SELECT COUNT(*) FROM foobar.items WHERE name = 'hadb-fenced'")).to.equal('0');

    const inv = inventoryWith('web-02'); // not edited yet
    const gtid = { 'web-01': sql('web-01', 'SELECT @@gtid_binlog_state'), 'web-02': sql('web-02', 'SELECT @@gtid_binlog_state') };
    const r = plumb('apply', 'site.yml', inv);
    expect(r.code).to.not.equal(0);
    const msg = failures(r);
    expect(msg).to.include('web-01 is a live primary');
    expect(msg).to.include('mysql_role: primary in host_vars/web-01.yml');
    expect(changed(r).filter((t) => t.startsWith('web-'))).to.deep.equal([]);
    expect(sql('web-01', 'SELECT @@read_only')).to.equal('0');
    expect(sql('web-02', 'SELECT @@read_only')).to.equal('1');
    expect({ 'web-01': sql('web-01', 'SELECT @@gtid_binlog_state'), 'web-02': sql('web-02', 'SELECT @@gtid_binlog_state') }).to.deep.equal(gtid);
    const c = plumb('check', 'site.yml', inv);
    expect(c.code).to.not.equal(0);
    expect(JSON.stringify(tasks(c).filter((t) => t.task === "The live topology is the inventory's"))).to.include('web-01 is a live primary');
  });

  it('after the edit the old primary rejoins when its history is a prefix; a diverged one is refused with the reseed steps, and reseeding works', () => {
    const inv = inventoryWith('web-01');
    const old = sql('web-02', 'SELECT @@gtid_binlog_state');
    const now = sql('web-01', "SELECT CONCAT_WS(',', NULLIF(@@gtid_binlog_state, ''), NULLIF(@@gtid_slave_pos, ''))");
    const r = plumb('apply', 'site.yml', inv);
    // Killed during a write, web-02 may hold one transaction it never got acknowledged (AFTER_SYNC): a diverged history.
    const refused = r.code !== 0;
    log(`web-02 back with ${old}; web-01 has ${now}: rejoin ${refused ? 'REFUSED (diverged at the crash)' : 'accepted (prefix)'}`);
    if (refused) {
      expect(failures(r)).to.match(/cannot rejoin[\s\S]*RESET MASTER/);
      site.onHost('web-02', "mariadb -e 'STOP SLAVE; RESET SLAVE ALL; RESET MASTER;'");
      const again = plumb('apply', 'site.yml', inv);
      expect(again.code, failures(again)).to.equal(0);
    } else {
      expect(r.code, failures(r)).to.equal(0);
      expect(tasks(r).filter((t) => t.host === 'web-02' && t.status === 'changed' && String(t.message).includes('rejoin as a replica of'))).to.have.length(1);
    }
    expect(replicatesFrom('web-02')).to.deep.equal({ host: site.addr('web-01'), io: 'Yes', sql: 'Yes' });

    // Diverge it by hand: a write on web-02 with read_only off, away from the primary.
    site.onHost(
      'web-02',
      `mariadb -e "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF; INSERT INTO foobar.items (name, created_by) VALUES ('hadb-diverged', 'it'); SET GLOBAL read_only = ON"`,
    );
    const d = plumb('apply', 'site.yml', inv);
    expect(d.code).to.not.equal(0);
    expect(failures(d)).to.match(/web-02 has a history .* never had[\s\S]*cannot rejoin[\s\S]*RESET SLAVE ALL; RESET MASTER/);
    expect(replicatesFrom('web-02').host).to.equal('');
    // The reseed the message gives.
    site.onHost('web-02', "mariadb -e 'STOP SLAVE; RESET SLAVE ALL; RESET MASTER;'");
    const s = plumb('apply', 'site.yml', inv);
    expect(s.code, failures(s)).to.equal(0);
    expect(replicatesFrom('web-02')).to.deep.equal({ host: site.addr('web-01'), io: 'Yes', sql: 'Yes' });
    expect(sql('web-02', "SELECT COUNT(*) FROM foobar.items WHERE name = 'hadb-diverged'")).to.equal('0');
    const c = plumb('check', 'site.yml', inv);
    expect(c.code, changed(c).join('\n')).to.equal(0);
  });
});
