// mysql_replication: this server's replica side (SHOW SLAVE STATUS) and GTID state, plus a
// sha256 of the primary password stored in master.info so that a changed password is
// detected without the password ever leaving the host.
import { raw, script } from '../sh.js';
import type { Fact } from './types.js';
import { batchRows, parseProbe, probeScript, queryInto, type MysqlLogin, type Probed } from './mysql.js';

export interface ReplicaState {
  /** A primary is configured (SHOW SLAVE STATUS has a row with a Master_Host). */
  configured: boolean;
  primaryHost: string;
  primaryPort: number;
  user: string;
  /** "Yes", "No" or "Connecting". */
  ioRunning: string;
  sqlRunning: string;
  /** "No", "Current_Pos" or "Slave_Pos". */
  usingGtid: string;
  connectRetry: number;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  secondsBehind: number | null;
  gtidSlavePos: string;
  gtidBinlogPos: string;
  /** The last GTID of each (domain, server_id) in this server's binary log: its own history. */
  gtidBinlogState: string;
  readOnly: boolean;
  serverId: number;
  /** sha256 (hex) of the password in master.info, '' when there is none. */
  passwordSha256: string;
}

export function mysqlReplicationFact(login: MysqlLogin = {}): Fact<Probed<ReplicaState>> {
  return {
    key: 'mysql:replication',
    probe: probeScript(
      login,
      script(
        queryInto('status', 'SHOW SLAVE STATUS', true),
        queryInto('vars', 'SELECT @@gtid_slave_pos, @@gtid_binlog_pos, @@read_only, @@server_id, @@datadir, @@gtid_binlog_state'),
        raw(`printf 'vars\\t%s\\n' "$vars"`),
        raw(`d=$(printf '%s' "$vars" | cut -f5)`),
        raw(
          `if [ -n "$d" ] && [ -f "$d/master.info" ]; then printf 'pw\\t%s\\n' "$(sed -n 6p "$d/master.info" | tr -d '\\n' | sha256sum | cut -c1-64)"; else printf 'pw\\t\\n'; fi`,
        ),
        raw(`printf '%s\\n' "$status"`),
      ),
    ),
    parse: (out, code) => parseProbe(out, code, parseReplicaBody),
  };
}

export function parseReplicaBody(body: string): ReplicaState {
  const rows = batchRows(body);
  const vars = rows.find((r) => r[0] === 'vars') ?? [];
  const pw = rows.find((r) => r[0] === 'pw') ?? [];
  const rest = rows.filter((r) => r[0] !== 'vars' && r[0] !== 'pw');
  const header = rest[0] ?? [];
  const values = rest[1] ?? [];
  const col = (name: string): string => {
    const i = header.indexOf(name);
    return i < 0 ? '' : (values[i] ?? '');
  };
  const num = (s: string): number => (s === '' || s === 'NULL' ? 0 : Number(s));
  const behind = col('Seconds_Behind_Master');
  return {
    configured: col('Master_Host') !== '',
    primaryHost: col('Master_Host'),
    primaryPort: num(col('Master_Port')),
    user: col('Master_User'),
    ioRunning: col('Slave_IO_Running') || 'No',
    sqlRunning: col('Slave_SQL_Running') || 'No',
    usingGtid: col('Using_Gtid') || 'No',
    connectRetry: num(col('Connect_Retry')),
    lastIoErrno: num(col('Last_IO_Errno')),
    lastIoError: col('Last_IO_Error'),
    lastSqlErrno: num(col('Last_SQL_Errno')),
    lastSqlError: col('Last_SQL_Error'),
    secondsBehind: behind === '' || behind === 'NULL' ? null : Number(behind),
    gtidSlavePos: vars[1] ?? '',
    gtidBinlogPos: vars[2] ?? '',
    gtidBinlogState: vars[6] ?? '',
    readOnly: vars[3] === '1',
    serverId: num(vars[4] ?? ''),
    passwordSha256: pw[1] ?? '',
  };
}
