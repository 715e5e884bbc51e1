// mysql_topology: the database servers' live roles against the inventory's, before plumb
// touches any of them. plumb never flips roles by itself (docs/stack.md, "Switchover and
// failover"): after a failover the live primary is another host until host_vars are edited,
// and a run that went on would set read_only OFF on the old primary (two primaries) or
// repoint the live one. So a disagreement fails the task (in check: reported as drift),
// naming the live primary and what to run. One task judges ONE server (`server`), from that
// server's own replication state: the role loops over the database servers with
// `delegate_to`, so every host checks every server, and no registered result is needed.
import { sh } from '../sh.js';
import { mysqlReplicationFact, type ReplicaState } from '../facts/mysql_replication.js';
import { loginSchema, type MysqlLogin } from '../facts/mysql.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface MysqlTopologyArgs extends MysqlLogin {
  /** The server this task judges (an inventory host name; the task runs there). */
  server: string;
  /** The inventory's primary (an inventory host name). */
  primary: string;
  /** Inventory host name -> the address replicas use for it (stack_addresses). */
  addresses?: Record<string, string>;
}

/** A server's live role from its replication state. */
export function liveRole(st: ReplicaState, addresses: Record<string, string> = {}): LiveRole {
  if (st.configured) {
    const name = Object.keys(addresses).find((h) => addresses[h] === st.primaryHost);
    return { kind: 'replica', of: name ?? st.primaryHost };
  }
  if (st.readOnly) return { kind: 'fenced' };
  // Writable with no GTID history at all: a fresh install (Debian's defaults, before the
  // role's config), not a primary anybody writes to.
  if (st.gtidBinlogState === '' && st.gtidSlavePos === '') return { kind: 'unknown', why: 'fresh: no GTID history' };
  return { kind: 'primary' };
}

export type LiveRole =
  | { kind: 'primary' }
  | { kind: 'replica'; of: string }
  /** read_only and replicating from nobody: a fresh server, or one fenced after a failover. */
  | { kind: 'fenced' }
  | { kind: 'unknown'; why: string };

export function describeLive(r: LiveRole): string {
  switch (r.kind) {
    case 'primary':
      return 'primary (read_only OFF, replicates from nobody)';
    case 'replica':
      return `replica of ${r.of}`;
    case 'fenced':
      return 'read_only, replicates from nobody';
    case 'unknown':
      return `unknown (${r.why})`;
  }
}

/** What is wrong with the live topology for this inventory primary; [] when plumb may go on. */
export function topologyProblems(primary: string, live: ReadonlyMap<string, LiveRole>): string[] {
  const out: string[] = [];
  for (const [h, r] of live) {
    if (h !== primary && r.kind === 'primary') out.push(`${h} is a live primary, but the inventory's primary is ${primary}`);
    if (h === primary && r.kind === 'replica') out.push(`${primary}, the inventory's primary, replicates from ${r.of}`);
  }
  return out;
}

/** The live primary to name in the advice: one that takes writes, else the one the inventory primary follows. */
export function livePrimary(primary: string, live: ReadonlyMap<string, LiveRole>): string | undefined {
  const writers = [...live].filter(([h, r]) => h !== primary && r.kind === 'primary').map(([h]) => h);
  if (writers.length > 0) return writers[0];
  const p = live.get(primary);
  return p?.kind === 'replica' ? p.of : undefined;
}

export function advice(primary: string, live: ReadonlyMap<string, LiveRole>): string {
  const lp = livePrimary(primary, live);
  if (!lp) return 'inspect the servers (SHOW SLAVE STATUS, @@read_only) and fix the inventory or the servers by hand';
  const others = [...new Set([...live.keys(), primary])].filter((h) => h !== lp);
  return (
    `${lp} is the live primary. If it was promoted on purpose (playbooks/failover.yml or switchover.yml), make the inventory say so: ` +
    `mysql_role: primary in host_vars/${lp}.yml and mysql_role: replica in ${others.map((h) => `host_vars/${h}.yml`).join(', ')}, ` +
    `then run site.yml again (a former primary rejoins as a replica only when its GTID history is a prefix of ${lp}'s). ` +
    `To go back to ${primary} instead: playbooks/switchover.yml -e new_primary=${primary}`
  );
}

export default defineModule<MysqlTopologyArgs>({
  name: 'mysql_topology',
  schema: {
    type: 'object',
    properties: {
      server: { type: 'string', minLength: 1 },
      primary: {
        type: 'string',
        minLength: 1,
        errorMessage: 'primary is the inventory host name of the primary (mysql_primary): is one host mysql_role: primary?',
      },
      addresses: { type: 'object', additionalProperties: { type: 'string' } },
      ...loginSchema,
    },
    required: ['server', 'primary'],
    additionalProperties: false,
  },
  facts: (args) => [mysqlReplicationFact(args)],

  plan(args, facts): Plan {
    const probed = facts.get(mysqlReplicationFact(args));
    // Not installed or not running: no claim (a fresh host, a stopped server).
    if (!probed.available) return definePlan({ summary: `${args.server}: no live role (${probed.reason})` });
    const role = liveRole(probed.value, args.addresses);
    const live = new Map([[args.server, role]]);
    const result = { live: describeLive(role), live_primary: livePrimary(args.primary, live) ?? '' };
    const problems = topologyProblems(args.primary, live);
    if (problems.length === 0) return definePlan({ summary: `${args.server}: ${describeLive(role)} (inventory primary ${args.primary})`, result });
    const msg = `the live database topology is not the inventory's: ${problems.join('; ')}`;
    // A step that refuses: apply fails this host here, before anything is changed, with the
    // message and what to run; check reports it as drift with the roles' diff, running nothing.
    const why = `${msg}. ${advice(args.primary, live)}`;
    return definePlan({
      changes: [{ description: why, script: sh`printf '%s\n' ${why} >&2; exit 1`, invalidates: [] }],
      diffs: [
        {
          label: 'database roles',
          before: `${args.server}: ${describeLive(role)}\n`,
          after: `${args.server}: ${args.server === args.primary ? 'primary' : `replica of ${args.primary}`}\n`,
        },
      ],
      summary: msg,
      result,
    });
  },
});
