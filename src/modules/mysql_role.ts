// mysql_role: the live topology agrees with the inventory, and read_only follows it. Every
// server starts read_only (the mariadb role's config file), so a primary that died and comes
// back after a failover takes no writes; this task is what turns read_only off, on the
// inventory's primary only, and only once the live state says it really is the primary:
//
//   - it replicates from another server: it was demoted (a switchover): refuse;
//   - it never took a write (no GTID history): a fresh server, open it;
//   - it has a history: open it only when every inventory replica streams from it (a
//     Binlog Dump connection), else it is a fenced old primary or its replicas are away.
//
// On a replica it refuses when the replica is the live primary (not replicating, writable:
// promoted by an emergency failover), and otherwise keeps read_only on. It never demotes or
// repoints anything: when the inventory and the live servers disagree it fails, naming the
// live primary and what to run (docs/stack.md, "Switchover and failover").
import { TaskError } from '../errors.js';
import { raw, script, sh } from '../sh.js';
import {
  batchRows,
  loginSchema,
  mysqlClient,
  parseProbe,
  probeScript,
  queryInto,
  requireServer,
  sqlString,
  type MysqlLogin,
  type Probed,
} from '../facts/mysql.js';
import { mysqlReplicationFact, type ReplicaState } from '../facts/mysql_replication.js';
import type { Fact } from '../facts/types.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface MysqlRoleArgs extends MysqlLogin {
  role: 'primary' | 'replica';
  /** The inventory primary's address (what a replica follows). */
  primary: string;
  /** The inventory replicas' addresses: a primary with a history opens only when all stream from it. */
  replicas?: string[];
  /** Host name -> address, so that messages name hosts. */
  hosts?: Record<string, string>;
  /** Seconds a primary with a history waits for its replicas to connect (default 30). */
  wait?: number;
  /** Open the primary although its replicas are not connected (they are down, and it only restarted). */
  force?: boolean;
}

/** Addresses that stream this server's binary log (replicas connected to it). */
export function binlogClientsFact(login: MysqlLogin = {}): Fact<Probed<string[]>> {
  return {
    key: 'mysql:binlog_clients',
    probe: probeScript(
      login,
      script(
        queryInto('c', "SELECT SUBSTRING_INDEX(HOST, ':', 1) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"),
        raw(`printf '%s\\n' "$c"`),
      ),
    ),
    parse: (out, code) =>
      parseProbe(out, code, (body) =>
        batchRows(body)
          .map((r) => r[0] ?? '')
          .filter((x) => x !== ''),
      ),
  };
}

export type LiveRole = { kind: 'replica'; follows: string } | { kind: 'primary' } | { kind: 'fenced' } | { kind: 'fresh' };

/** What the server is, from its own state. */
export function liveRole(st: Pick<ReplicaState, 'configured' | 'primaryHost' | 'readOnly' | 'gtidBinlogPos'>): LiveRole {
  if (st.configured) return { kind: 'replica', follows: st.primaryHost };
  if (st.gtidBinlogPos === '') return { kind: 'fresh' };
  return st.readOnly ? { kind: 'fenced' } : { kind: 'primary' };
}

function nameOf(args: MysqlRoleArgs, addr: string): string {
  const n = Object.entries(args.hosts ?? {}).find(([, a]) => a === addr)?.[0];
  return n ? `${n} (${addr})` : addr;
}

const SQL_ON = 'SET GLOBAL read_only = 1;\n';
const SQL_OFF = 'SET GLOBAL read_only = 0;\n';

export default defineModule<MysqlRoleArgs>({
  name: 'mysql_role',
  schema: {
    type: 'object',
    properties: {
      role: { enum: ['primary', 'replica'] },
      primary: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.:_-]+$' },
      replicas: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9.:_-]+$' } },
      hosts: { type: 'object', additionalProperties: { type: 'string' } },
      wait: { type: 'number', minimum: 0, maximum: 600 },
      force: { type: 'boolean' },
      ...loginSchema,
    },
    required: ['role', 'primary'],
    additionalProperties: false,
  },
  facts: (args) => [mysqlReplicationFact(args), binlogClientsFact(args)],

  plan(args, facts, ctx): Plan {
    const fact = mysqlReplicationFact(args);
    const probed = facts.get(fact);
    const label = 'mysql role';
    if (!probed.available) {
      requireServer(label, probed, ctx.check || ctx.mayChange(fact));
      return definePlan({
        changes: [{ description: `${args.role} (checked once MariaDB runs)`, script: raw(':'), invalidates: [fact.key] }],
        summary: `${args.role} (MariaDB not running yet: ${probed.reason})`,
      });
    }
    const st = probed.value;
    const live = liveRole(st);
    const result = { live: live.kind, read_only: st.readOnly, gtid_binlog_pos: st.gtidBinlogPos };
    const me = nameOf(args, args.primary);
    const diff = (before: boolean, after: boolean) => [{ label, before: `read_only=${before ? 'ON' : 'OFF'}\n`, after: `read_only=${after ? 'ON' : 'OFF'}\n` }];
    const setRo = (on: boolean, why: string): Plan =>
      definePlan({
        changes: [
          {
            description: `read_only ${on ? 'ON' : 'OFF'} (${why})`,
            script: script(raw('set -e'), mysqlClient(args)),
            stdin: on ? SQL_ON : SQL_OFF,
            invalidates: [fact.key],
          },
        ],
        diffs: diff(st.readOnly, on),
        summary: `read_only ${on ? 'ON' : 'OFF'}: ${why}`,
        result,
      });

    if (args.role === 'replica') {
      if (live.kind === 'primary') {
        throw new TaskError(
          `${ctx.host} is the live primary (not replicating, read_only OFF, GTID ${st.gtidBinlogPos}), but the inventory says it is a replica of ${me}: not demoting it`,
          `after an emergency failover or a switchover to ${ctx.host}, edit host_vars: mysql_role: primary for ${ctx.host} and mysql_role: replica for the old primary, then apply playbooks/site.yml (it rejoins the old primary if its history allows). To move the primary back, run playbooks/switchover.yml -e new_primary=<host> after that`,
        );
      }
      if (!st.readOnly) return setRo(true, 'a replica takes no local writes');
      const what =
        live.kind === 'replica'
          ? `replica of ${nameOf(args, live.follows)}`
          : live.kind === 'fenced'
            ? 'not replicating yet (a former primary: rejoined by the next task if its history allows)'
            : 'fresh';
      return definePlan({ summary: `replica, read_only ON: ${what}`, result });
    }

    if (live.kind === 'replica') {
      throw new TaskError(
        `${ctx.host} replicates from ${nameOf(args, live.follows)}: the live primary is there, but the inventory says ${ctx.host} is the primary: not promoting it`,
        `after a switchover, edit host_vars so that ${nameOf(args, live.follows)} has mysql_role: primary and ${ctx.host} mysql_role: replica, then apply again; to make ${ctx.host} the primary, run playbooks/switchover.yml -e new_primary=${ctx.host}`,
      );
    }
    if (live.kind === 'primary') return definePlan({ summary: 'primary, read_only OFF', result });
    if (live.kind === 'fresh') return setRo(false, 'the primary, with no history yet');

    // A history and read_only: restarted (every server starts read_only) or fenced after a failover.
    const replicas = args.replicas ?? [];
    const clients = facts.get(binlogClientsFact(args));
    const connected = clients.available ? clients.value : [];
    const missing = replicas.filter((r) => !connected.includes(r));
    if (missing.length === 0 || args.force)
      return setRo(
        false,
        replicas.length === 0
          ? 'the primary, with no replicas'
          : args.force
            ? 'forced'
            : `the primary: ${replicas.map((r) => nameOf(args, r)).join(', ')} replicate from it`,
      );
    const wait = args.wait ?? 30;
    const client = mysqlClient(args, '--batch', '--skip-column-names');
    const count = `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND SUBSTRING_INDEX(HOST, ':', 1) IN (${missing.map(sqlString).join(', ')})`;
    const why = `the primary once ${missing.map((r) => nameOf(args, r)).join(', ')} replicate from it`;
    const hint = `${ctx.host} has a GTID history (${st.gtidBinlogPos}) and came up read_only, and ${missing.map((r) => nameOf(args, r)).join(', ')} do not replicate from it within ${wait} s. If a failover promoted another host, ${ctx.host} is fenced: edit host_vars (mysql_role: primary on the new primary, replica here) and apply playbooks/site.yml to rejoin it. If it only restarted while its replicas are down, run with -e mysql_role_force=true`;
    return definePlan({
      changes: [
        {
          description: `read_only OFF (${why})`,
          script: script(
            raw('set -e'),
            raw(`n=0; while [ "$(${sh`${client} -e ${count}`.text})" -lt ${missing.length} ]; do n=$((n + 1)); if [ "$n" -gt ${wait * 2} ]; then`),
            sh`  printf '%s\\n' ${hint} >&2; exit 1`,
            raw('fi; sleep 0.5; done'),
            mysqlClient(args),
          ),
          stdin: SQL_OFF,
          invalidates: [fact.key, 'mysql:binlog_clients'],
        },
      ],
      diffs: diff(true, false),
      summary: `read_only OFF: ${why}`,
      result,
    });
  },
});
