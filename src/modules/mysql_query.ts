// mysql_query: run SQL statements on a MariaDB/MySQL server, with community.mysql.mysql_query's
// names (query, positional_args, named_args, login_db, single_transaction, login_*). It has no
// state to compare: it always runs. Changed follows Ansible's rule: a DML statement (INSERT,
// UPDATE, DELETE, REPLACE) that touched a row, or a DDL statement (CREATE, DROP, ALTER, RENAME,
// TRUNCATE) that did not end in an "already exists" / "unknown table" note. A list of reads
// only (SELECT, SHOW, DESCRIBE, EXPLAIN) is a read-only change: it runs in check mode too,
// inside a read-only transaction, so a registered result can drive later `when:` conditions;
// anything else says "would run" in check mode. Credentials go in a 0600 option file written
// from stdin and removed after; arguments are bound as SQL literals (sqlLiteral), never pasted
// in unquoted. The client's --xml output is parsed as data.
import { TaskError } from '../errors.js';
import { DEFAULT_SOCKET, sqlIdent, sqlLiteral } from '../facts/mysql.js';
import { liveFact } from '../facts/live.js';
import type { Fact } from '../facts/types.js';
import { raw, script, sh } from '../sh.js';
import { has } from './common/schema.js';
import { defineModule, definePlan, type Plan, type Vars } from './types.js';

export interface MysqlQueryArgs {
  query: string | string[];
  positional_args?: unknown[];
  named_args?: Record<string, unknown>;
  login_db?: string;
  single_transaction?: boolean;
  login_user?: string;
  login_password?: string;
  login_host?: string;
  login_port?: number;
  login_unix_socket?: string;
  connect_timeout?: number;
}

const END = '@@plumb-end-of-options@@';
const RC = 'plumb_rowcount';
const WC = 'plumb_warnings';
const DML = ['INSERT', 'UPDATE', 'DELETE', 'REPLACE'];
const DDL = ['CREATE', 'DROP', 'ALTER', 'RENAME', 'TRUNCATE'];
const READS = /^\s*(SELECT|SHOW|DESCRIBE|DESC|EXPLAIN)\b/i;

/**
 * Bind arguments as the Python driver does (`query % args`): %s takes the next positional
 * argument, %(name)s a named one, %% is a literal %. Without arguments the query is as written.
 */
export function bindQuery(query: string, positional?: readonly unknown[], named?: Record<string, unknown>): string {
  if (positional === undefined && named === undefined) return query;
  let next = 0;
  const out = query.replace(/%(?:\(([^)]*)\))?(.)/gs, (m, name: string | undefined, conv: string) => {
    if (m === '%%') return '%';
    if (conv !== 's') throw new TaskError(`query has '${m}': only %s, %(name)s and %% are placeholders`, 'write a literal % as %%');
    if (name !== undefined) {
      if (named === undefined) throw new TaskError(`query uses %(${name})s but no named_args are given`);
      if (!(name in named)) throw new TaskError(`named_args has no '${name}'`, `named_args has: ${Object.keys(named).join(', ') || 'nothing'}`);
      return sqlLiteral(named[name]);
    }
    if (positional === undefined) throw new TaskError('query uses %s but no positional_args are given');
    if (next >= positional.length) throw new TaskError(`query has more %s than the ${positional.length} positional_args`);
    return sqlLiteral(positional[next++]);
  });
  if (positional !== undefined && next < positional.length)
    throw new TaskError(
      `query uses ${next} of the ${positional.length} positional_args`,
      'every query of the list is bound to the same arguments (as Ansible does): give as many %s, or split the task',
    );
  return out;
}

/** An option-file value: double-quoted, with the escapes the client reads there. */
function optionValue(v: string | number): string {
  return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The [client] option file: root over the local socket unless login_user / login_host say otherwise. */
export function optionFile(args: MysqlQueryArgs): string {
  const tcp = args.login_host !== undefined && args.login_host !== 'localhost';
  const lines = ['[client]', `user=${optionValue(args.login_user ?? 'root')}`];
  if (args.login_password !== undefined) lines.push(`password=${optionValue(args.login_password)}`);
  if (tcp) lines.push(`host=${optionValue(args.login_host ?? '')}`, `port=${args.login_port ?? 3306}`, 'protocol=tcp');
  else lines.push(`socket=${optionValue(args.login_unix_socket ?? DEFAULT_SOCKET)}`, 'protocol=socket');
  lines.push(`connect-timeout=${args.connect_timeout ?? 30}`, 'default-character-set=utf8mb4');
  return `${lines.join('\n')}\n`;
}

const decode = (s: string): string =>
  s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_m, e: string) => {
    const k = e.toLowerCase();
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'amp') return '&';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    return String.fromCodePoint(k.startsWith('#x') ? Number.parseInt(k.slice(2), 16) : Number(k.slice(1)));
  });

type Row = Record<string, string | null>;

/** Result sets of `mysql --xml` output, in order: each a list of rows (field name -> text, null for NULL). */
export function parseXmlResultSets(xml: string): Row[][] {
  const sets: Row[][] = [];
  let set: Row[] | undefined;
  let row: Row | undefined;
  const re = /<resultset\b[^>]*?(\/?)>|<\/resultset>|<row>|<\/row>|<field name="([^"]*)"(\s+xsi:nil="true")?\s*(?:\/>|>([^<]*)<\/field>)/g;
  for (const m of xml.matchAll(re)) {
    const tag = m[0];
    if (tag.startsWith('<resultset')) {
      set = [];
      sets.push(set);
      if (m[1] === '/') set = undefined;
    } else if (tag === '</resultset>') set = undefined;
    else if (tag === '<row>') {
      row = {};
      set?.push(row);
    } else if (tag === '</row>') row = undefined;
    else if (row && m[2] !== undefined) row[decode(m[2])] = m[3] ? null : decode(m[4] ?? '');
  }
  return sets;
}

const keyword = (q: string): string => (/^\s*([A-Za-z]+)/.exec(q)?.[1] ?? '').toUpperCase();

/** Registered values and Ansible's `changed` from the result sets of the statements run. */
export function queryResults(xml: string, queries: readonly string[]): Vars {
  const sets = parseXmlResultSets(xml);
  const query_result: Row[][] = [];
  const rowcount: number[] = [];
  let changed = false;
  let i = 0;
  let pending: Row[] | undefined;
  for (const set of sets) {
    const first = set[0];
    if (first && RC in first) {
      const q = queries[i] ?? '';
      const rows = pending ?? [];
      const affected = Number(first[RC] ?? '0');
      const notes = Number(first[WC] ?? '0');
      const count = affected < 0 ? rows.length : affected;
      const kw = keyword(q);
      if (DML.includes(kw) && count > 0) changed = true;
      if (DDL.includes(kw) && notes === 0) changed = true;
      query_result.push(rows);
      rowcount.push(count);
      pending = undefined;
      i++;
    } else pending = set;
  }
  return { query_result, rowcount, executed_queries: queries.slice(0, i), changed };
}

export default defineModule<MysqlQueryArgs>({
  name: 'mysql_query',
  secretArgs: ['login_password'],
  schema: {
    type: 'object',
    properties: {
      query: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
        ],
        errorMessage: 'query must be an SQL statement or a list of them',
      },
      positional_args: { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] } },
      named_args: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
      login_db: { type: 'string', minLength: 1, maxLength: 64 },
      single_transaction: { type: 'boolean' },
      login_user: { type: 'string', minLength: 1 },
      login_password: { type: 'string' },
      login_host: { type: 'string', minLength: 1 },
      login_port: { type: 'integer', minimum: 1, maximum: 65535 },
      login_unix_socket: { type: 'string', pattern: '^/' },
      connect_timeout: { type: 'integer', minimum: 1 },
    },
    required: ['query'],
    additionalProperties: false,
    allOf: [{ not: has('positional_args', 'named_args'), errorMessage: 'positional_args and named_args are mutually exclusive: give one' }],
  },
  facts: (args) => {
    const f = readFact(args);
    return f ? [f] : [];
  },

  plan(args, facts): Plan {
    const { queries, reads, sql, db } = statements(args);
    const fact = readFact(args);
    const read = fact ? facts.get(fact) : undefined;
    // The batch already read it: its rows are the result, no exec of its own.
    if (read?.ok) {
      const { ok: _, changed: __, ...result } = read;
      return definePlan({ summary: `read ${queries.length === 1 ? short(queries[0] ?? '') : `${queries.length} queries`}`, result });
    }
    // The option file (credentials) comes first on stdin, up to the END line; then the SQL.
    const client = script(
      raw(`f=$(umask 077 && mktemp) || exit 1`),
      raw(`trap 'rm -f "$f"' EXIT`),
      sh`while IFS= read -r l && [ "$l" != ${END} ]; do printf '%s\\n' "$l"; done > "$f"`,
      raw(`mysql --defaults-file="$f" --xml --unbuffered`),
    );
    const shown = queries.length === 1 ? short(queries[0] ?? '') : `${queries.length} queries`;
    return definePlan({
      changes: [
        {
          description: `${reads ? 'read' : 'run'} ${shown}`,
          script: client,
          stdin: `${optionFile(args)}${END}\n${db}${sql}`,
          invalidates: reads ? [] : ['mysql:*'],
          readOnly: reads,
          parse: (o) => queryResults(o.stdout, queries),
        },
      ],
      summary: reads ? `read ${shown}` : `run ${shown} (a statement's effect is only known once it ran)`,
      result: { executed_queries: queries },
    });
  },
});

/** The statements as they run: bound, and framed by the row-count probe after each. */
function statements(args: MysqlQueryArgs): { queries: string[]; reads: boolean; sql: string; db: string } {
  const list = (Array.isArray(args.query) ? args.query : [args.query]).map((q) => q.trim().replace(/;+\s*$/, ''));
  const queries = list.map((q) => bindQuery(q, args.positional_args, args.named_args));
  const reads = queries.every((q) => READS.test(q) && !/\bINTO\s+(OUTFILE|DUMPFILE)\b/i.test(q));
  const probe = `SELECT ROW_COUNT() AS \`${RC}\`, @@warning_count AS \`${WC}\`;`;
  const body = queries.map((q) => `${q};\n${probe}\n`).join('');
  // Reads run in a read-only transaction (rolled back); writes in one transaction only when asked.
  const sql = reads ? `START TRANSACTION READ ONLY;\n${body}ROLLBACK;\n` : args.single_transaction ? `START TRANSACTION;\n${body}COMMIT;\n` : body;
  const db = args.login_db !== undefined ? `USE ${sqlIdent(args.login_db)};\n` : '';
  return { queries, reads, sql, db };
}

/**
 * Reads with no password to send (root over the socket, or a user without one) are a live
 * fact in the host's batch (facts/live.ts). A fact has no stdin, so the statements are in the
 * batch's script: never with a password (that only travels on stdin, in the option file).
 */
export function readFact(args: MysqlQueryArgs): Fact<Vars & { ok: boolean }> | undefined {
  if (args.login_password !== undefined) return undefined;
  let st: ReturnType<typeof statements>;
  try {
    st = statements(args);
  } catch {
    return undefined; // a binding error is the plan's to report
  }
  if (!st.reads) return undefined;
  const tcp = args.login_host !== undefined && args.login_host !== 'localhost';
  const where = tcp
    ? [`--host=${args.login_host ?? ''}`, `--port=${args.login_port ?? 3306}`, '--protocol=tcp']
    : [`--socket=${args.login_unix_socket ?? DEFAULT_SOCKET}`, '--protocol=socket'];
  const client = [
    '--no-defaults',
    `--user=${args.login_user ?? 'root'}`,
    ...where,
    `--connect-timeout=${args.connect_timeout ?? 30}`,
    '--default-character-set=utf8mb4',
    '--xml',
    '--unbuffered',
  ];
  // printf is the shell's builtin: the statements reach mysql on its stdin.
  return liveFact('mysql_query', sh`printf '%s' ${st.db + st.sql} | mysql ${client}`, (out, code) =>
    code === 0 ? { ok: true, ...queryResults(out, st.queries) } : { ok: false },
  );
}

function short(q: string): string {
  const one = q.replace(/\s+/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
