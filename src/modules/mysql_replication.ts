// mysql_replication: make the local MariaDB a GTID replica of a primary, seeding it first
// when it has never replicated. Seeding pulls a consistent dump over the network
// (mysqldump --single-transaction --gtid --master-data) and loads it with the binary log
// off, so the dump's gtid_slave_pos is exactly where replication resumes, however much
// data the primary already holds. A replica that is configured and healthy is left alone:
// a re-run never reseeds or even restarts it. The primary's password reaches the host only
// on stdin (an option file in a 0700 temp dir, and CHANGE MASTER SQL), never in argv.
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import { raw, script, sh, type Shell } from '../sh.js';
import { loginSchema, mysqlClient, requireServer, sqlString, type MysqlLogin } from '../facts/mysql.js';
import { mysqlReplicationFact, type ReplicaState } from '../facts/mysql_replication.js';
import { defineModule, definePlan, type Change, type Plan } from './types.js';

export interface MysqlReplicationArgs extends MysqlLogin {
  primary_host: string;
  primary_port?: number;
  /** Replication account on the primary (REPLICATION SLAVE; for seeding also SELECT, RELOAD, ... on the seeded databases). */
  user: string;
  password: string;
  /** Databases to copy from the primary before replication starts on a fresh replica. */
  seed_databases?: string[];
  connect_retry?: number;
  /** Seconds to wait for both replication threads to run after a change (default 20). */
  start_timeout?: number;
  /**
   * The primary's history: its @@gtid_binlog_state and its @@gtid_slave_pos (what it applied
   * as a replica, a seed dump included, is not always in its own binlog), comma-joined. Given, a server that replicates from nobody but has a
   * binary log history of its own (a former primary) REJOINS instead of being reseeded: only
   * when its history is a prefix of the primary's (gtidPrefixProblems), with
   * MASTER_DEMOTE_TO_SLAVE=1; a diverged one is refused with the steps to reseed it.
   */
  primary_gtid_state?: string;
}

/** A gtid_binlog_state (or _pos): `domain-server-seq` items, comma separated. */
export function parseGtidList(s: string): { domain: number; server: number; seq: number }[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(x);
      if (!m) throw new TaskError(`not a GTID: ${x}`, 'a GTID is domain-server_id-sequence, e.g. 0-1-42');
      return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    });
}

/**
 * Why the local history is NOT a prefix of the primary's ([] when it is). The rule, for
 * MariaDB with gtid_strict_mode and unique server_ids: a server's binlog state holds the
 * last sequence number per (domain, server_id). Each of the local ones must be in the
 * primary's state with a sequence number at least as high: the primary then applied that
 * server's transactions up to and past it, in order (strict mode), so it holds every
 * transaction the local server has. A local (domain, server_id) that the primary lacks,
 * or one further ahead, is a transaction the primary never saw: a diverged history.
 */
export function gtidPrefixProblems(local: string, primary: string): string[] {
  // The primary's list may name a (domain, server_id) twice (its binlog state and its
  // gtid_slave_pos, for what it applied from a seed dump and never logged): the highest counts.
  const theirs = new Map<string, number>();
  for (const g of parseGtidList(primary)) theirs.set(`${g.domain}-${g.server}`, Math.max(g.seq, theirs.get(`${g.domain}-${g.server}`) ?? 0));
  const out: string[] = [];
  for (const g of parseGtidList(local)) {
    const seq = theirs.get(`${g.domain}-${g.server}`);
    const gtid = `${g.domain}-${g.server}-${g.seq}`;
    if (seq === undefined) out.push(`${gtid}: the primary has no transaction of server ${g.server} in domain ${g.domain}`);
    else if (seq < g.seq)
      out.push(`${gtid}: the primary has server ${g.server}'s transactions in domain ${g.domain} only up to ${g.domain}-${g.server}-${seq}`);
  }
  return out;
}

/** Separates the option file from the SQL on the seeding script's stdin. */
export const STDIN_SEPARATOR = '--plumb-sql--';

/** A value for a MariaDB option file: double-quoted, with \\ and \" escaped. */
export function optionValue(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function changeMasterSql(args: MysqlReplicationArgs, demote = false): string {
  const opts = [
    `MASTER_HOST = ${sqlString(args.primary_host)}`,
    `MASTER_PORT = ${args.primary_port ?? 3306}`,
    `MASTER_USER = ${sqlString(args.user)}`,
    `MASTER_PASSWORD = ${sqlString(args.password)}`,
    'MASTER_USE_GTID = slave_pos',
    // A former primary: its own binlog history becomes its slave position (MariaDB >= 10.10).
    ...(demote ? ['MASTER_DEMOTE_TO_SLAVE = 1'] : []),
    ...(args.connect_retry !== undefined ? [`MASTER_CONNECT_RETRY = ${args.connect_retry}`] : []),
  ];
  return `CHANGE MASTER TO ${opts.join(', ')};\nSTART SLAVE;\n`;
}

/** Poll until both threads run; on timeout print the replica's errors and fail. */
function waitRunning(client: Shell, timeout: number): Shell {
  const tries = Math.max(1, Math.round(timeout * 2));
  return script(
    raw('n=0'),
    raw('while :; do'),
    raw(`  s=$(${client.text} -E -e 'SHOW SLAVE STATUS')`),
    raw(`  io=$(printf '%s\\n' "$s" | sed -n 's/^ *Slave_IO_Running: //p')`),
    raw(`  sq=$(printf '%s\\n' "$s" | sed -n 's/^ *Slave_SQL_Running: //p')`),
    raw('  if [ "$io" = Yes ] && [ "$sq" = Yes ]; then break; fi'),
    raw('  n=$((n + 1))'),
    raw(`  if [ "$n" -ge ${tries} ]; then`),
    raw(`    printf '%s\\n' "$s" | grep -E 'Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Error:' >&2`),
    raw(`    echo "replication did not start within ${timeout} s" >&2; exit 1`),
    raw('  fi'),
    raw('  sleep 0.5'),
    raw('done'),
  );
}

/** Fresh replica: dump from the primary FIRST (a failed dump leaves the replica untouched), then reset, load and start. */
function seedChange(args: MysqlReplicationArgs, dbs: string[], timeout: number): Change {
  const client = mysqlClient(args);
  const cnf = [
    '[client]',
    `host=${optionValue(args.primary_host)}`,
    `port=${args.primary_port ?? 3306}`,
    `user=${optionValue(args.user)}`,
    `password=${optionValue(args.password)}`,
    '',
  ].join('\n');
  return {
    description: `seed from ${args.primary_host} (${dbs.join(', ')}) and start GTID replication`,
    script: script(
      raw('set -eu'),
      raw('umask 077'),
      raw('d=$(mktemp -d)'),
      raw(`trap 'rm -rf "$d"' EXIT`),
      raw(`while IFS= read -r line && [ "$line" != ${STDIN_SEPARATOR} ]; do printf '%s\\n' "$line"; done > "$d/primary.cnf"`),
      raw('cat > "$d/change.sql"'),
      sh`mysqldump --defaults-file="$d/primary.cnf" --single-transaction --gtid --master-data=1 --add-drop-database --routines --events --triggers --databases ${dbs} > "$d/seed.sql"`,
      // The replica's own binlog must hold no GTIDs of its own, or gtid_strict_mode rejects
      // the primary's; the dump sets gtid_slave_pos to the primary's position at dump time.
      sh`${client} -e ${'STOP SLAVE; RESET SLAVE ALL; RESET MASTER;'}`,
      raw(`{ echo 'SET SESSION sql_log_bin = 0;'; cat "$d/seed.sql"; } | ${client.text}`),
      raw(`${client.text} < "$d/change.sql"`),
      waitRunning(client, timeout),
    ),
    stdin: `${cnf}${STDIN_SEPARATOR}\n${changeMasterSql(args)}`,
    invalidates: ['mysql:*'],
  };
}

/** Configured to the wrong primary/user/password, or never seeded and nothing to seed: point it and start. */
function pointChange(args: MysqlReplicationArgs, description: string, timeout: number, demote = false): Change {
  const client = mysqlClient(args);
  return {
    description,
    script: script(raw('set -eu'), sh`${client} -e ${'STOP SLAVE;'}`, client, waitRunning(client, timeout)),
    stdin: changeMasterSql(args, demote),
    invalidates: ['mysql:replication'],
  };
}

function startChange(args: MysqlReplicationArgs, st: ReplicaState, timeout: number): Change {
  const client = mysqlClient(args);
  return {
    description: `start replication (IO thread: ${st.ioRunning}, SQL thread: ${st.sqlRunning})`,
    script: script(raw('set -eu'), sh`${client} -e ${'START SLAVE;'}`, waitRunning(client, timeout)),
    invalidates: ['mysql:replication'],
  };
}

function describe(st: ReplicaState | undefined): string {
  if (!st || !st.configured) return 'not replicating\n';
  return `primary: ${st.primaryHost}:${st.primaryPort} user=${st.user} using_gtid=${st.usingGtid}\nio_thread: ${st.ioRunning}\nsql_thread: ${st.sqlRunning}\n`;
}

function describeWanted(args: MysqlReplicationArgs): string {
  return `primary: ${args.primary_host}:${args.primary_port ?? 3306} user=${args.user} using_gtid=Slave_Pos\nio_thread: Yes\nsql_thread: Yes\n`;
}

export default defineModule<MysqlReplicationArgs>({
  name: 'mysql_replication',
  schema: {
    type: 'object',
    properties: {
      primary_host: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.:_-]+$' },
      primary_port: { type: 'integer', minimum: 1, maximum: 65535 },
      user: { type: 'string', minLength: 1, maxLength: 80 },
      password: { type: 'string', minLength: 1, pattern: '^[^\\n\\r]*$' },
      seed_databases: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } },
      connect_retry: { type: 'integer', minimum: 1 },
      start_timeout: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
      primary_gtid_state: { type: 'string', pattern: '^[0-9,\\s-]*$' },
      ...loginSchema,
    },
    required: ['primary_host', 'user', 'password'],
    additionalProperties: false,
  },
  secretArgs: ['password'],
  facts: (args) => [mysqlReplicationFact(args)],

  plan(args, facts, ctx): Plan {
    const fact = mysqlReplicationFact(args);
    const probed = facts.get(fact);
    const dbs = args.seed_databases ?? [];
    const timeout = args.start_timeout ?? 20;
    const label = 'replication';
    const fresh = (st?: ReplicaState): Plan => {
      const c = dbs.length > 0 ? seedChange(args, dbs, timeout) : pointChange(args, `start GTID replication from ${args.primary_host}`, timeout);
      return definePlan({
        changes: [c],
        diffs: [{ label, before: describe(st), after: describeWanted(args) + (dbs.length ? `seeded: ${dbs.join(', ')}\n` : '') }],
        summary: c.description,
      });
    };

    if (!probed.available) {
      requireServer(label, probed, ctx.mayChange(fact));
      const p = fresh();
      return { ...p, summary: `${p.summary} (MariaDB not running yet: ${probed.reason})` };
    }
    const st = probed.value;
    const result = {
      io_running: st.ioRunning,
      sql_running: st.sqlRunning,
      gtid_slave_pos: st.gtidSlavePos,
      seconds_behind: st.secondsBehind,
      read_only: st.readOnly,
    };
    if (!st.configured && args.primary_gtid_state !== undefined && st.gtidBinlogState !== '') {
      // A former primary (after a switchover or a failover): rejoin, never reseed on its own.
      const problems = gtidPrefixProblems(st.gtidBinlogState, args.primary_gtid_state);
      if (problems.length > 0) {
        throw new TaskError(
          `${ctx.host} has a history ${args.primary_host} never had (its transactions after the failover, or unacknowledged at the crash), so it cannot rejoin: ${problems.join('; ')}`,
          `reseed it from ${args.primary_host} (its own diverged transactions are dropped; keep a dump first if they matter, e.g. mysqldump --all-databases > /root/diverged.sql): on ${ctx.host} run mariadb -e 'STOP SLAVE; RESET SLAVE ALL; RESET MASTER;' and apply site.yml again, which seeds it from a dump of the primary (or restore a backup: playbooks/restore.yml)`,
        );
      }
      const c = pointChange(
        args,
        `rejoin as a replica of ${args.primary_host} (history ${st.gtidBinlogState} is a prefix of the primary's; MASTER_DEMOTE_TO_SLAVE=1)`,
        timeout,
        true,
      );
      return definePlan({ changes: [c], diffs: [{ label, before: describe(st), after: describeWanted(args) }], summary: c.description, result });
    }
    if (!st.configured) return { ...fresh(st), result };

    const wrong: string[] = [];
    if (st.primaryHost !== args.primary_host) wrong.push(`primary ${st.primaryHost} -> ${args.primary_host}`);
    if (st.primaryPort !== (args.primary_port ?? 3306)) wrong.push(`port ${st.primaryPort} -> ${args.primary_port ?? 3306}`);
    if (st.user !== args.user) wrong.push(`user ${st.user} -> ${args.user}`);
    if (st.usingGtid !== 'Slave_Pos') wrong.push(`using_gtid ${st.usingGtid} -> Slave_Pos`);
    if (args.connect_retry !== undefined && st.connectRetry !== args.connect_retry) wrong.push(`connect_retry ${st.connectRetry} -> ${args.connect_retry}`);
    if (st.passwordSha256 !== sha256Hex(args.password)) wrong.push('password');
    if (wrong.length > 0) {
      // Repoint without reseeding: the data is the primary's up to gtid_slave_pos already.
      const c = pointChange(args, `repoint replication (${wrong.join(', ')})`, timeout);
      return definePlan({ changes: [c], diffs: [{ label, before: describe(st), after: describeWanted(args) }], summary: c.description, result });
    }
    if (st.sqlRunning !== 'Yes' && st.lastSqlErrno !== 0) {
      // Restarting would replay the same failing event; reseeding would discard data. Both are the operator's call.
      throw new TaskError(
        `replication SQL thread stopped with error ${st.lastSqlErrno}: ${st.lastSqlError}`,
        `fix the cause and run START SLAVE, or reseed: run STOP SLAVE; RESET SLAVE ALL; on ${ctx.host} and apply again`,
      );
    }
    const ioOk = st.ioRunning === 'Yes' || st.ioRunning === 'Connecting';
    if (!ioOk || st.sqlRunning !== 'Yes') {
      const c = startChange(args, st, timeout);
      return definePlan({ changes: [c], diffs: [{ label, before: describe(st), after: describeWanted(args) }], summary: c.description, result });
    }
    const note = st.ioRunning === 'Connecting' ? ` (IO thread connecting${st.lastIoError ? `: ${st.lastIoError}` : ''})` : '';
    return definePlan({ summary: `in sync: replicating from ${st.primaryHost}, gtid ${st.gtidSlavePos || '(none)'}${note}`, result });
  },
});
