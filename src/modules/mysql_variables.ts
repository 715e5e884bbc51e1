// mysql_variables: a global server variable of the local MariaDB/MySQL server, compared with
// the value the RUNNING server uses (information_schema.SYSTEM_VARIABLES), not with its
// config file: a `SET GLOBAL read_only = 0` on a replica leaves the file as it was. Ansible's
// community.mysql.mysql_variables names and arguments. A dynamic variable is set back with
// SET GLOBAL; one the server only reads at start (log_bin, log_slave_updates, bind_address,
// ...) cannot be, so the task reports it changed with "restart needed" and does nothing
// itself: give it `notify:` with the server's restart handler (the mariadb role does), and
// the restart that the drift owes is what fixes it.
import { TaskError } from '../errors.js';
import { raw, script } from '../sh.js';
import { loginSchema, mysqlClient, mysqlVariableFact, requireServer, sqlString, type MysqlLogin, type VariableState } from '../facts/mysql.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface MysqlVariablesArgs extends MysqlLogin {
  variable: string;
  value?: string | number | boolean;
  /** global (SET GLOBAL). persist / persist_only are MySQL 8's SET PERSIST: MariaDB has none. */
  mode?: 'global' | 'persist' | 'persist_only';
}

const BOOL_ON = new Set(['ON', '1', 'TRUE', 'YES']);
const BOOL_OFF = new Set(['OFF', '0', 'FALSE', 'NO']);
const UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function text(v: string | number | boolean): string {
  return typeof v === 'boolean' ? (v ? 'ON' : 'OFF') : String(v);
}

/** A value in the form the server reports for a variable of this type ('1M' -> '1048576', 'yes' -> 'ON'). */
export function canonicalValue(v: string, type: string): string {
  const up = v.trim().toUpperCase();
  if (type === 'BOOLEAN') return BOOL_ON.has(up) ? 'ON' : BOOL_OFF.has(up) ? 'OFF' : up;
  if (/INT|DOUBLE|DECIMAL/.test(type)) {
    const m = /^(\d+(?:\.\d+)?)([KMGT])?$/.exec(up);
    if (m) return String(Number(m[1]) * (m[2] ? UNITS[m[2]]! : 1));
    return up;
  }
  if (type === 'ENUM' || type === 'SET')
    return up
      .split(',')
      .map((x) => x.trim())
      .join(',');
  return v;
}

/** The value as SQL: keywords and numbers bare, anything else a string literal. */
export function sqlValue(v: string, type: string): string {
  const c = canonicalValue(v, type);
  if (type === 'BOOLEAN' && (c === 'ON' || c === 'OFF')) return c;
  if (/INT|DOUBLE|DECIMAL/.test(type) && /^\d+(\.\d+)?$/.test(c)) return c;
  return sqlString(v);
}

function line(name: string, v: string): string {
  return `${name}=${v}\n`;
}

export default defineModule<MysqlVariablesArgs>({
  name: 'mysql_variables',
  schema: {
    type: 'object',
    properties: {
      variable: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 64, errorMessage: 'variable is a server variable name such as read_only' },
      value: { type: ['string', 'number', 'boolean'] },
      mode: { enum: ['global', 'persist', 'persist_only'] },
      ...loginSchema,
    },
    required: ['variable'],
    additionalProperties: false,
  },
  facts: (args) => [mysqlVariableFact(args.variable, args)],

  plan(args, facts, ctx): Plan {
    const name = args.variable.toLowerCase();
    if (args.mode !== undefined && args.mode !== 'global') {
      throw new TaskError(
        `mysql_variables: mode ${args.mode} is MySQL 8's SET PERSIST, which MariaDB does not have`,
        "set the variable in the server's config file (a template task) and keep mode: global here",
      );
    }
    const fact = mysqlVariableFact(args.variable, args);
    const probed = facts.get(fact);
    if (!probed.available) {
      const mayWait = ctx.mayChange(fact);
      requireServer(`mysql variable ${name}`, probed, mayWait);
      if (args.value === undefined) return definePlan({ summary: `MariaDB not running yet: ${probed.reason}` });
      // Not running yet (a fresh host in check mode): it starts with the config, and is compared then.
      return definePlan({
        changes: [{ description: `${name}=${text(args.value)} (checked once MariaDB runs)`, script: raw(':'), invalidates: [fact.key] }],
        summary: `${name}=${text(args.value)} (MariaDB not running yet: ${probed.reason})`,
      });
    }
    const st: VariableState = probed.value;
    if (!st.exists)
      throw new TaskError(`mysql_variables: the server has no variable ${name}`, 'see SHOW GLOBAL VARIABLES for the names this server version knows');
    const result = { value: st.value, dynamic: st.dynamic };
    if (args.value === undefined) return definePlan({ summary: `${name}=${st.value}`, result });
    const want = text(args.value);
    const have = canonicalValue(st.value, st.type);
    const wanted = canonicalValue(want, st.type);
    if (have === wanted) return definePlan({ summary: `${name}=${st.value}`, result });
    const diffs = [{ label: 'mysql variables', before: line(name, st.value), after: line(name, wanted) }];
    if (!st.dynamic) {
      // SET GLOBAL would fail ("read only variable"): only a start with the config sets it.
      const description = `apply ${name}=${wanted} by a restart (running with ${st.value}; read only at start)`;
      return definePlan({ changes: [{ description, script: raw(':'), invalidates: [fact.key] }], diffs, summary: description, result });
    }
    const sql = `SET GLOBAL ${name} = ${sqlValue(want, st.type)};\n`;
    const description = `SET GLOBAL ${name} = ${wanted} (was ${st.value})`;
    return definePlan({
      changes: [{ description, script: script(raw('set -e'), mysqlClient(args)), stdin: sql, invalidates: [fact.key] }],
      diffs,
      summary: description,
      result,
    });
  },
});
