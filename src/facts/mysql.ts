// mysql: read-only probes of a local MariaDB/MySQL server, used by the mysql_db, mysql_user
// and mysql_replication modules. Every probe connects as root over the unix socket
// (Debian's MariaDB authenticates root by unix_socket, so no password is involved) and
// reports "unavailable" instead of failing when there is no server yet, so that a module
// can say "would create" in check mode on a fresh host.
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import { raw, script, sh, type Shell } from '../sh.js';
import type { Fact, FactMerger, RawFact } from './types.js';

export const DEFAULT_SOCKET = '/run/mysqld/mysqld.sock';

/** Connection options shared by the mysql modules. */
export interface MysqlLogin {
  /** Unix socket of the local server (default /run/mysqld/mysqld.sock). */
  login_unix_socket?: string;
}

export const loginSchema = {
  login_unix_socket: { type: 'string', pattern: '^/' },
} as const;

/**
 * The client command line, as root over the socket. --no-defaults keeps option files
 * (and whatever a previous operator left in ~/.my.cnf) out of the picture.
 */
export function mysqlClient(login: MysqlLogin, ...extra: string[]): Shell {
  return sh`mysql --no-defaults --protocol=socket ${`--socket=${login.login_unix_socket ?? DEFAULT_SOCKET}`} --user=root --connect-timeout=5 ${extra}`;
}

/** A server-side result, or the reason there is none (client missing, server down, ...). */
export type Probed<T> = { available: true; value: T } | { available: false; reason: string };

/**
 * A module's answer to an unavailable server: fine when `mayWait` (check mode, or an earlier
 * unapplied change such as the package install explains it: the module then plans "would
 * create"); otherwise the task fails with the client's reason.
 */
export function requireServer(what: string, state: Extract<Probed<unknown>, { available: false }>, mayWait: boolean): void {
  if (mayWait) return;
  throw new TaskError(
    `${what}: MariaDB is not available: ${state.reason}`,
    'install and start mariadb-server before this task, and run it with become (the mysql modules log in as root over the unix socket)',
  );
}

/** SQL string literal (default sql_mode: backslash escapes are active, so escape both). */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/**
 * A bound argument as an SQL literal, safe whatever the session's sql_mode: a string with no
 * backslash or control character is quoted with its quotes doubled (which both the default
 * mode and NO_BACKSLASH_ESCAPES read the same way); any other string becomes a hex literal
 * with a utf8mb4 introducer, which no escaping rule can reinterpret. Numbers and booleans go
 * in as numbers, null as NULL; anything else is refused.
 */
export function sqlLiteral(v: unknown): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TaskError(`cannot bind ${v} as an SQL value`);
    return String(v);
  }
  if (typeof v !== 'string') throw new TaskError(`cannot bind ${JSON.stringify(v)} as an SQL value`, 'arguments are strings, numbers, booleans or null');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this tests for
  if (!/[\\\x00-\x1f\x7f]/.test(v)) return `'${v.replace(/'/g, "''")}'`;
  return `_utf8mb4 X'${Buffer.from(v, 'utf8').toString('hex').toUpperCase()}'`;
}

/** SQL identifier (database, table). */
export function sqlIdent(s: string): string {
  return `\`${s.replace(/`/g, '``')}\``;
}

/** 'user'@'host' account name. */
export function sqlAccount(user: string, host: string): string {
  return `${sqlString(user)}@${sqlString(host)}`;
}

/** Undo the escaping of the client's --batch output (\t, \n, \\, \0). */
export function unescapeBatch(field: string): string {
  return field.replace(/\\([tn0\\])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\'));
}

/** Rows of --batch output, fields unescaped. */
export function batchRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t').map(unescapeBatch));
}

/**
 * A probe body: `steps` run with `q SQL` available (q prints --batch output, fails on
 * error; qh does the same with a header line of column names). The first output line is
 * "ok", or "unavailable" when the FIRST query fails (no server): that is not a probe
 * failure. No separate ping: every client start costs a process and a connection.
 */
export function probeScript(login: MysqlLogin, steps: Shell): Shell {
  const client = mysqlClient(login, '--batch');
  return script(
    raw(`q() { ${client.text} --skip-column-names -e "$1" 2>&1; }`),
    raw(`qh() { ${client.text} -e "$1" 2>&1; }`),
    raw(`if ! command -v mysql >/dev/null 2>&1; then printf 'unavailable\\nthe mysql client is not installed\\n'; exit 0; fi`),
    raw('started='),
    steps,
  );
}

/**
 * Run one query into a shell variable. The first successful query prints "ok". If the
 * first query fails the server is unavailable (exit 0); a later failure is a query error
 * (the client's message, exit 1).
 */
export function queryInto(variable: string, sql: string, withHeader = false): Shell {
  const v = raw(variable);
  return script(
    sh`if ! ${v}=$(${raw(withHeader ? 'qh' : 'q')} ${sql}); then`,
    sh`  if [ -z "$started" ]; then printf 'unavailable\\n%s\\n' "$${v}"; exit 0; fi`,
    sh`  printf '%s\\n' "$${v}"; exit 1`,
    raw('fi'),
    raw(`if [ -z "$started" ]; then echo ok; started=1; fi`),
  );
}

export function parseProbe<T>(out: string, code: number, parse: (body: string) => T): Probed<T> {
  const nl = out.indexOf('\n');
  const head = nl < 0 ? out : out.slice(0, nl);
  const body = nl < 0 ? '' : out.slice(nl + 1);
  if (head === 'ok' && code !== 0) return { available: false, reason: `query failed: ${body.trim().split('\n').slice(-1)[0] ?? ''}` };
  if (head === 'ok') return { available: true, value: parse(body) };
  const reason = (head === 'unavailable' ? body : out).trim().split('\n')[0] || 'no answer from the mysql client';
  return { available: false, reason };
}

// ---------------------------------------------------------------------------------------
// Databases

export interface DatabaseState {
  exists: boolean;
  charset?: string;
  collation?: string;
  tables: string[];
}

export function mysqlDatabaseFact(name: string, login: MysqlLogin = {}): Fact<Probed<DatabaseState>> {
  const n = sqlString(name);
  const sql =
    `SELECT 'db', SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${n}` +
    ` UNION ALL SELECT 'table', TABLE_NAME, '', '' FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${n}`;
  return {
    key: `mysql:db:${name}`,
    probe: probeScript(login, script(queryInto('rows', sql), raw(`printf '%s\\n' "$rows"`))),
    merge: { merger: mysqlMerger(login), arg: JSON.stringify({ rows: sql }) },
    parse: (out, code) =>
      parseProbe(out, code, (body) => {
        const st: DatabaseState = { exists: false, tables: [] };
        for (const [kind, a = '', b = '', c = ''] of batchRows(body)) {
          if (kind === 'db') Object.assign(st, { exists: a === name, charset: b, collation: c });
          else if (kind === 'table') st.tables.push(a);
        }
        st.tables.sort();
        return st;
      }),
  };
}

// ---------------------------------------------------------------------------------------
// Users

/** Privileges by target ("db.*", "*.*"), each a sorted list of canonical names; "GRANT" means WITH GRANT OPTION. */
export type PrivMap = Record<string, string[]>;

export type UserState = { exists: false } | { exists: true; plugin: string; authString: string; privs: PrivMap };

export function mysqlUserFact(user: string, host: string, login: MysqlLogin = {}): Fact<Probed<UserState>> {
  const select = `SELECT plugin, authentication_string FROM mysql.user WHERE User = ${sqlString(user)} AND Host = ${sqlString(host)}`;
  const grants = `SHOW GRANTS FOR ${sqlAccount(user, host)}`;
  return {
    key: `mysql:user:${user}@${host}`,
    merge: { merger: mysqlMerger(login), arg: JSON.stringify({ user: select, grants }) },
    probe: probeScript(
      login,
      script(
        queryInto('row', select),
        raw(`if [ -z "$row" ]; then echo absent; exit 0; fi`),
        raw(`printf 'present\\t%s\\n' "$row"`),
        queryInto('grants', grants),
        raw(`printf '%s\\n' "$grants"`),
      ),
    ),
    parse: (out, code) => parseProbe(out, code, parseUserBody),
  };
}

function parseUserBody(body: string): UserState {
  const lines = body.split('\n').filter((l) => l !== '');
  const first = lines[0] ?? 'absent';
  if (!first.startsWith('present\t')) return { exists: false };
  const [, plugin = '', authString = ''] = first.split('\t').map(unescapeBatch);
  return { exists: true, plugin, authString, privs: parseGrants(lines.slice(1).map(unescapeBatch)) };
}

const PRIV_ALIASES: Record<string, string> = {
  ALL: 'ALL PRIVILEGES',
  'REPLICATION CLIENT': 'BINLOG MONITOR',
  'REPLICA MONITOR': 'SLAVE MONITOR',
  'REPLICATION REPLICA': 'REPLICATION SLAVE',
};

export function canonicalPriv(p: string): string {
  const up = p.trim().replace(/\s+/g, ' ').toUpperCase();
  return PRIV_ALIASES[up] ?? up;
}

/** "`foo`.*" -> "foo.*"; "*.*" stays. */
export function canonicalTarget(t: string): string {
  const m = /^(`(?:[^`]|``)*`|\*|[^.`]+)\.(`(?:[^`]|``)*`|\*|[^.`]+)$/.exec(t.trim());
  if (!m) return t.trim();
  const part = (s: string) => (s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s);
  return `${part(m[1] ?? '')}.${part(m[2] ?? '')}`;
}

/** Parse SHOW GRANTS lines into a PrivMap. USAGE (no privileges) and PROXY grants are left out. */
export function parseGrants(lines: readonly string[]): PrivMap {
  const privs: PrivMap = {};
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (\S+) TO \S+/.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    if (/^PROXY$/i.test(m[1])) continue;
    const target = canonicalTarget(m[2]);
    const set = new Set(privs[target] ?? []);
    for (const p of splitPrivs(m[1])) if (p !== 'USAGE') set.add(p);
    if (/ WITH GRANT OPTION\s*$/.test(line)) set.add('GRANT');
    if (set.size > 0) privs[target] = [...set].sort();
  }
  return privs;
}

/** "SELECT, INSERT (a, b), UPDATE" -> canonical names; column lists are kept with their privilege. */
export function splitPrivs(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(canonicalPriv(cur));
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(canonicalPriv(cur));
  return out;
}

/** The mysql_native_password hash: '*' + upper hex SHA1(SHA1(password)), as PASSWORD() computes. */
export function nativePasswordHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------
// Server variables: the value the running server uses, not the one its config file says
// (a `SET GLOBAL read_only = 0` leaves the file as it was), and whether SET GLOBAL can
// change it (READ_ONLY = 'YES': only a restart with the config does).

export interface VariableState {
  exists: boolean;
  /** GLOBAL_VALUE as the server prints it: ON/OFF for booleans, digits for numbers. */
  value: string;
  /** SET GLOBAL can change it (information_schema.SYSTEM_VARIABLES.READ_ONLY = 'NO'). */
  dynamic: boolean;
  /** VARIABLE_TYPE: BOOLEAN, ENUM, SET, INT UNSIGNED, BIGINT UNSIGNED, VARCHAR, ... */
  type: string;
}

export function mysqlVariableFact(name: string, login: MysqlLogin = {}): Fact<Probed<VariableState>> {
  const sql = `SELECT VARIABLE_NAME, GLOBAL_VALUE, READ_ONLY, VARIABLE_TYPE FROM information_schema.SYSTEM_VARIABLES WHERE VARIABLE_NAME = ${sqlString(name.toUpperCase())}`;
  return {
    key: `mysql:variable:${name.toLowerCase()}`,
    probe: probeScript(login, script(queryInto('rows', sql), raw(`printf '%s\\n' "$rows"`))),
    merge: { merger: mysqlMerger(login), arg: JSON.stringify({ rows: sql }) },
    parse: (out, code) => parseProbe(out, code, parseVariableBody),
  };
}

export function parseVariableBody(body: string): VariableState {
  const [row] = batchRows(body);
  if (!row) return { exists: false, value: '', dynamic: false, type: '' };
  const [, value = '', readOnly = '', type = ''] = row;
  return { exists: true, value: value === 'NULL' ? '' : value, dynamic: readOnly.toUpperCase() === 'NO', type: type.toUpperCase() };
}

// ---------------------------------------------------------------------------------------
// Merged probe: every database and account probe of a host in ONE client start (a client
// start costs a process, a connection and an authentication; a stack's primary has several).
// The statements go on stdin with --force, so an error (SHOW GRANTS for an account that does
// not exist) does not stop the rest, and --unbuffered keeps each error in place between the
// marker rows. Each fact then gets exactly what its own probe would have printed.

/** rows: one SELECT whose rows a fact reads as they come (databases, server variables). */
type MergedQuery = { rows: string } | { user: string; grants: string };

const MARK = '@@plumb-mysql:';
const ERROR_LINE = /^ERROR \d+ \(\w+\)/;

const mergers = new Map<string, FactMerger>();

/** One merger per server socket: probes of the same server share a client start. */
function mysqlMerger(login: MysqlLogin): FactMerger {
  const socket = login.login_unix_socket ?? DEFAULT_SOCKET;
  let m = mergers.get(socket);
  if (!m) {
    m = makeMerger(login);
    mergers.set(socket, m);
  }
  return m;
}

function makeMerger(login: MysqlLogin): FactMerger {
  return {
    kind: 'mysql',
    probe(args) {
      const sql = args
        .map((a, i) => {
          const q = JSON.parse(a) as MergedQuery;
          return 'rows' in q ? `SELECT '${MARK}${i}'; ${q.rows};` : `SELECT '${MARK}${i}'; ${q.user}; SELECT '${MARK}${i}g'; ${q.grants};`;
        })
        .join('\n');
      return script(
        raw(`if ! command -v mysql >/dev/null 2>&1; then printf 'unavailable\\nthe mysql client is not installed\\n'; exit 0; fi`),
        sh`printf '%s\\n' ${`${sql}\nSELECT '${MARK}end';`} | ${mysqlClient(login, '--batch', '--skip-column-names', '--force', '--unbuffered')} 2>&1`,
      );
    },
    split(out, _code, args) {
      const lines = out.split('\n');
      const sections = new Map<string, string[]>();
      let current: string[] | undefined;
      for (const line of lines) {
        if (line.startsWith(MARK)) sections.set(line.slice(MARK.length), (current = []));
        else current?.push(line);
      }
      if (!sections.has('end')) {
        // No marker row back: the server is not there (or the client is not installed).
        const reason = out.startsWith('unavailable\n') ? out.slice('unavailable\n'.length) : out;
        const first =
          reason
            .trim()
            .split('\n')
            .find((l) => l !== '') ?? 'no answer from the mysql client';
        return args.map(() => ({ out: `unavailable\n${first}\n`, code: 0 }));
      }
      return args.map((a, i): RawFact => {
        const rows = (sections.get(String(i)) ?? []).filter((l) => l !== '');
        const failed = rows.find((l) => ERROR_LINE.test(l));
        if (failed) return { out: `ok\n${failed}\n`, code: 1 };
        if ('rows' in (JSON.parse(a) as MergedQuery)) return { out: `ok\n${rows.join('\n')}\n`, code: 0 };
        if (rows.length === 0) return { out: 'ok\nabsent\n', code: 0 };
        const grants = (sections.get(`${i}g`) ?? []).filter((l) => l !== '');
        const head = `ok\npresent\t${rows[0]!}\n`;
        const gFailed = grants.find((l) => ERROR_LINE.test(l));
        if (gFailed) return { out: `${head}${gFailed}\n`, code: 1 };
        return { out: `${head}${grants.join('\n')}\n`, code: 0 };
      });
    },
  };
}
