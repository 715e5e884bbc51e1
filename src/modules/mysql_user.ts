// mysql_user: an account on the local MariaDB/MySQL server with a password and exact
// privileges. The password is compared by its mysql_native_password hash computed here,
// so it never leaves the controller except inside SQL on stdin. `sql_log_bin: false`
// keeps the statements out of the binary log: each server of a replicated pair then
// manages its own accounts, and the replica never gets a local GTID that would break
// gtid_strict_mode.
import { InputError } from '../errors.js';
import { raw, script } from '../sh.js';
import {
  loginSchema,
  mysqlClient,
  mysqlUserFact,
  nativePasswordHash,
  requireServer,
  sqlAccount,
  sqlIdent,
  sqlString,
  canonicalPriv,
  type MysqlLogin,
  type PrivMap,
} from '../facts/mysql.js';
import { defineModule, definePlan, type Change, type Diff, type Plan } from './types.js';

export interface MysqlUserArgs extends MysqlLogin {
  name: string;
  /** Host part of the account: 'localhost' (unix socket), an address, or a pattern like '10.0.0.%'. */
  host?: string;
  password?: string;
  state?: 'present' | 'absent';
  /**
   * Exact privileges, Ansible style: "db.*:SELECT,INSERT/*.*:REPLICATION SLAVE", or a map
   * {"db.*": "SELECT,INSERT"}. "GRANT" in a list means WITH GRANT OPTION. Omitted: privileges
   * are left as they are.
   */
  priv?: string | Record<string, string | string[]>;
  update_password?: 'always' | 'on_create';
  sql_log_bin?: boolean;
}

const TARGET_RE = /^(\*|[A-Za-z0-9_$-]+)\.(\*|[A-Za-z0-9_$-]+)$/;
const PRIV_RE = /^[A-Za-z][A-Za-z ]*$/;

/** Parse the priv argument into canonical targets and sorted privilege names. */
export function parsePrivArg(priv: NonNullable<MysqlUserArgs['priv']>): PrivMap {
  const entries: [string, string[]][] =
    typeof priv === 'string'
      ? priv
          .split('/')
          .filter((s) => s.trim() !== '')
          .map((part) => {
            const i = part.lastIndexOf(':');
            if (i < 0) throw InputError.one(`mysql_user priv '${part}' needs the form target:PRIV,PRIV`, undefined, 'for example foobar.*:SELECT,INSERT');
            return [part.slice(0, i).trim(), part.slice(i + 1).split(',')];
          })
      : Object.entries(priv).map(([t, p]) => [t.trim(), Array.isArray(p) ? p : p.split(',')]);
  const out: PrivMap = {};
  const problems: string[] = [];
  for (const [target, privs] of entries) {
    if (!TARGET_RE.test(target)) problems.push(`target '${target}' must be db.table, db.* or *.*`);
    const names = new Set<string>();
    for (const p of privs) {
      if (!PRIV_RE.test(p.trim())) {
        problems.push(`privilege '${p.trim()}' is not a privilege name`);
        continue;
      }
      const c = canonicalPriv(p);
      if (c !== 'USAGE') names.add(c === 'GRANT OPTION' ? 'GRANT' : c);
    }
    const merged = new Set([...(out[target] ?? []), ...names]);
    if (merged.size > 0) out[target] = [...merged].sort();
  }
  if (problems.length > 0) throw new InputError(problems.map((message) => ({ message: `mysql_user: ${message}` })));
  return out;
}

function sqlTarget(target: string): string {
  const [db = '*', table = '*'] = target.split('.');
  return `${db === '*' ? '*' : sqlIdent(db)}.${table === '*' ? '*' : sqlIdent(table)}`;
}

/** GRANT/REVOKE statements that turn `have` into exactly `want`. */
export function privStatements(account: string, have: PrivMap, want: PrivMap): string[] {
  const out: string[] = [];
  const targets = [...new Set([...Object.keys(have), ...Object.keys(want)])].sort();
  for (const t of targets) {
    const h = new Set(have[t] ?? []);
    const w = new Set(want[t] ?? []);
    const on = sqlTarget(t);
    const hGrant = h.delete('GRANT');
    const wGrant = w.delete('GRANT');
    if (h.has('ALL PRIVILEGES') && !w.has('ALL PRIVILEGES')) {
      out.push(`REVOKE ALL PRIVILEGES ON ${on} FROM ${account}`);
      h.clear();
    }
    // Under ALL PRIVILEGES, listed privileges add nothing: compare against ALL alone.
    if (w.has('ALL PRIVILEGES')) for (const p of [...w]) if (p !== 'ALL PRIVILEGES') w.delete(p);
    const revoke = [...h].filter((p) => !w.has(p)).sort();
    const grant = [...w].filter((p) => !h.has(p)).sort();
    if (revoke.length > 0) out.push(`REVOKE ${revoke.join(', ')} ON ${on} FROM ${account}`);
    if (hGrant && !wGrant) out.push(`REVOKE GRANT OPTION ON ${on} FROM ${account}`);
    if (grant.length > 0 || (wGrant && !hGrant)) {
      out.push(`GRANT ${grant.length > 0 ? grant.join(', ') : 'USAGE'} ON ${on} TO ${account}${wGrant ? ' WITH GRANT OPTION' : ''}`);
    }
  }
  return out;
}

function privText(p: PrivMap): string {
  const keys = Object.keys(p).sort();
  return keys.length === 0 ? 'privileges: none\n' : `privileges:\n${keys.map((k) => `  ${k}: ${(p[k] ?? []).join(', ')}\n`).join('')}`;
}

export default defineModule<MysqlUserArgs>({
  name: 'mysql_user',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 80 },
      host: { type: 'string', minLength: 1, maxLength: 255 },
      password: { type: 'string', minLength: 1, pattern: '^[^\\n\\r]*$' },
      state: { enum: ['present', 'absent'] },
      priv: {
        oneOf: [
          { type: 'string', minLength: 1 },
          { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
        ],
      },
      update_password: { enum: ['always', 'on_create'] },
      sql_log_bin: { type: 'boolean' },
      ...loginSchema,
    },
    required: ['name'],
    additionalProperties: false,
  },
  secretArgs: ['password'],
  facts: (args) => [mysqlUserFact(args.name, args.host ?? 'localhost', args)],

  plan(args, facts, ctx): Plan {
    const host = args.host ?? 'localhost';
    const fact = mysqlUserFact(args.name, host, args);
    const probed = facts.get(fact);
    const state = args.state ?? 'present';
    const want = args.priv !== undefined ? parsePrivArg(args.priv) : undefined;
    const account = sqlAccount(args.name, host);
    const label = `mysql user ${args.name}@${host}`;

    const change = (description: string, statements: string[]): Change => ({
      description,
      script: script(raw('set -e'), mysqlClient(args)),
      // Statements (and any password) on stdin; the binlog switch first when asked.
      stdin: [...(args.sql_log_bin === false ? ['SET SESSION sql_log_bin = 0'] : []), ...statements].map((s) => `${s};\n`).join(''),
      invalidates: [`mysql:user:${args.name}@${host}`],
    });
    const createStatements = (): string[] => [
      `CREATE USER ${account}${args.password !== undefined ? ` IDENTIFIED BY ${sqlString(args.password)}` : ''}`,
      ...privStatements(account, {}, want ?? {}),
    ];
    const created: Diff = { label, before: 'absent\n', after: `present${args.password !== undefined ? ' (password set)' : ''}\n${privText(want ?? {})}` };

    if (!probed.available) {
      requireServer(label, probed, ctx.mayChange(fact));
      const c =
        state === 'present'
          ? change(`create user ${args.name}@${host}`, createStatements())
          : change(`drop user ${args.name}@${host}`, [`DROP USER IF EXISTS ${account}`]);
      return definePlan({ changes: [c], summary: `${c.description} (MariaDB not running yet: ${probed.reason})` });
    }
    const st = probed.value;

    if (state === 'absent') {
      if (!st.exists) return definePlan({ summary: 'absent' });
      return definePlan({
        changes: [change(`drop user ${args.name}@${host}`, [`DROP USER ${account}`])],
        diffs: [{ label, before: `present\n${privText(st.privs)}`, after: 'absent\n' }],
        summary: `drop user ${args.name}@${host}`,
      });
    }

    if (!st.exists) {
      return definePlan({
        changes: [change(`create user ${args.name}@${host}`, createStatements())],
        diffs: [created],
        summary: `create user ${args.name}@${host}`,
      });
    }

    const statements: string[] = [];
    const what: string[] = [];
    const passwordDrift =
      args.password !== undefined &&
      (args.update_password ?? 'always') === 'always' &&
      (st.plugin !== 'mysql_native_password' || st.authString !== nativePasswordHash(args.password));
    if (passwordDrift) {
      statements.push(`ALTER USER ${account} IDENTIFIED BY ${sqlString(args.password ?? '')}`);
      what.push('password');
    }
    const privChanges = want !== undefined ? privStatements(account, st.privs, want) : [];
    const privDrift = privChanges.length > 0;
    if (privDrift) {
      statements.push(...privChanges);
      what.push('privileges');
    }
    if (statements.length === 0) return definePlan({ summary: 'in sync' });

    const diffs: Diff[] = [];
    if (privDrift && want !== undefined) diffs.push({ label, before: privText(st.privs), after: privText(want) });
    // Never the password or its hash: only that it changes.
    if (passwordDrift) diffs.push({ label: `${label} (password)`, before: 'password: (current)\n', after: 'password: (new)\n' });
    const description = `update ${what.join(' and ')} of ${args.name}@${host}`;
    return definePlan({ changes: [change(description, statements)], diffs, summary: description });
  },
});
