// mysql_db: a database on the local MariaDB/MySQL server, optionally with a schema file
// whose tables must exist. The schema is applied (whole file, so it must be idempotent:
// CREATE TABLE IF NOT EXISTS) when the database is created or any table it names is
// missing. SQL travels on stdin, never on the command line.
import { TaskError } from '../errors.js';
import { raw, script } from '../sh.js';
import { mysqlClient, mysqlDatabaseFact, loginSchema, requireServer, sqlIdent, type MysqlLogin } from '../facts/mysql.js';
import { defineModule, definePlan, type Change, type Plan } from './types.js';

export interface MysqlDbArgs extends MysqlLogin {
  name: string;
  state?: 'present' | 'absent';
  encoding?: string;
  collation?: string;
  /** A controller-side SQL file (project-relative) of idempotent DDL for this database. */
  schema_src?: string;
}

/** Table names created by a schema; every CREATE TABLE must say IF NOT EXISTS. */
export function schemaTables(sql: string, src = 'schema'): string[] {
  const tables: string[] = [];
  const re = /\bCREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)/gi;
  for (const m of sql.matchAll(re)) {
    const name = m[2] ?? '';
    if (!m[1])
      throw new TaskError(
        `${src}: CREATE TABLE ${name} must say IF NOT EXISTS`,
        'the schema is re-applied whenever a table is missing, so every statement must be idempotent',
      );
    tables.push(name.startsWith('`') ? name.slice(1, -1).replace(/``/g, '`') : name);
  }
  if (tables.length === 0) throw new TaskError(`${src}: no CREATE TABLE IF NOT EXISTS statement found`);
  return tables.sort();
}

function dbOptions(args: MysqlDbArgs): string {
  // Both are restricted to [A-Za-z0-9_] by the schema, so they go in unquoted.
  return (args.encoding ? ` CHARACTER SET ${args.encoding}` : '') + (args.collation ? ` COLLATE ${args.collation}` : '');
}

function sqlChange(args: MysqlDbArgs, description: string, sql: string): Change {
  return {
    description,
    script: script(raw('set -e'), mysqlClient(args)),
    stdin: sql,
    invalidates: [`mysql:db:${args.name}`],
  };
}

export default defineModule<MysqlDbArgs>({
  name: 'mysql_db',
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64 },
      state: { enum: ['present', 'absent'] },
      encoding: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
      collation: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
      schema_src: { type: 'string', minLength: 1 },
      ...loginSchema,
    },
    required: ['name'],
    additionalProperties: false,
  },
  freeForm: 'name',
  facts: (args) => [mysqlDatabaseFact(args.name, args)],

  plan(args, facts, ctx): Plan {
    const fact = mysqlDatabaseFact(args.name, args);
    const probed = facts.get(fact);
    const state = args.state ?? 'present';
    const label = `mysql database ${args.name}`;
    const schema = args.schema_src !== undefined && state === 'present' ? ctx.readLocal(args.schema_src).toString('utf8') : undefined;
    const wantTables = schema !== undefined ? schemaTables(schema, args.schema_src) : [];
    const useAndSchema = schema !== undefined ? `USE ${sqlIdent(args.name)};\n${schema}\n` : '';

    if (!probed.available) {
      requireServer(label, probed, ctx.mayChange(fact));
      const changes =
        state === 'present'
          ? [
              sqlChange(
                args,
                `create database ${args.name}${schema ? ' and its tables' : ''}`,
                `CREATE DATABASE IF NOT EXISTS ${sqlIdent(args.name)}${dbOptions(args)};\n${useAndSchema}`,
              ),
            ]
          : [sqlChange(args, `drop database ${args.name}`, `DROP DATABASE IF EXISTS ${sqlIdent(args.name)};\n`)];
      return definePlan({ changes, summary: `${changes[0]?.description} (MariaDB not running yet: ${probed.reason})` });
    }

    const st = probed.value;
    const describe = (exists: boolean, charset?: string, collation?: string, tables: string[] = []) =>
      exists
        ? `present${charset ? ` charset=${charset}` : ''}${collation ? ` collation=${collation}` : ''}\n${tables.length ? `tables: ${tables.join(', ')}\n` : ''}`
        : 'absent\n';
    const before = describe(st.exists, st.charset, st.collation, st.tables);

    if (state === 'absent') {
      if (!st.exists) return definePlan({ summary: 'absent' });
      return definePlan({
        changes: [sqlChange(args, `drop database ${args.name}`, `DROP DATABASE ${sqlIdent(args.name)};\n`)],
        diffs: [{ label, before, after: 'absent\n' }],
        summary: `drop database ${args.name}`,
      });
    }

    if (!st.exists) {
      const description = `create database ${args.name}${schema ? ` with tables ${wantTables.join(', ')}` : ''}`;
      return definePlan({
        changes: [sqlChange(args, description, `CREATE DATABASE ${sqlIdent(args.name)}${dbOptions(args)};\n${useAndSchema}`)],
        diffs: [{ label, before, after: describe(true, args.encoding, args.collation, wantTables) }],
        summary: description,
      });
    }

    const changes: Change[] = [];
    const charsetDrift = args.encoding !== undefined && args.encoding.toLowerCase() !== (st.charset ?? '').toLowerCase();
    const collationDrift = args.collation !== undefined && args.collation.toLowerCase() !== (st.collation ?? '').toLowerCase();
    if (charsetDrift || collationDrift) {
      changes.push(
        sqlChange(args, `alter database ${args.name}${dbOptions(args).toLowerCase()}`, `ALTER DATABASE ${sqlIdent(args.name)}${dbOptions(args)};\n`),
      );
    }
    const missing = wantTables.filter((t) => !st.tables.includes(t));
    if (missing.length > 0) {
      changes.push(sqlChange(args, `create tables ${missing.join(', ')} in ${args.name}`, useAndSchema));
    }
    if (changes.length === 0) return definePlan({ summary: 'in sync' });
    const after = describe(
      true,
      charsetDrift ? args.encoding : st.charset,
      collationDrift ? args.collation : st.collation,
      [...new Set([...st.tables, ...wantTables])].sort(),
    );
    return definePlan({ changes, diffs: [{ label, before, after }], summary: changes.map((c) => c.description).join('; ') });
  },
});
