// mysql_topology: the database servers' live roles against the inventory's, before plumb
// touches any of them. plumb never flips roles by itself (docs/stack.md, "Switchover and
// failover"): after a failover the live primary is another host until host_vars are edited,
// and a run that went on would set read_only OFF on the old primary (two primaries) or
// repoint the live one. So a disagreement fails the task (in check: reported as drift),
// naming the live primary and what to run. The servers' states come in as arguments (each
// server's read-only probe, delegated, registered by the role): they are other hosts'.
import { TaskError } from '../errors.js';
import { raw } from '../sh.js';
import { defineModule, definePlan, type Plan } from './types.js';

export interface MysqlTopologyArgs {
  /** The inventory's primary (an inventory host name). */
  primary: string;
  /** Each server's probe output: `read_only=0|1 primary=<address>`, or absent, down, unknown. */
  servers: { host: string; probe: string }[];
  /** Inventory host name -> the address replicas use for it (stack_addresses). */
  addresses?: Record<string, string>;
}

export type LiveRole =
  | { kind: 'primary' }
  | { kind: 'replica'; of: string }
  /** read_only and replicating from nobody: a fresh server, or one fenced after a failover. */
  | { kind: 'fenced' }
  | { kind: 'unknown'; why: string };

export function parseLive(probe: string, addresses: Record<string, string> = {}): LiveRole {
  const m = /^read_only=([01]) primary=(\S*)\s*$/.exec(probe.trim());
  if (!m) return { kind: 'unknown', why: probe.trim() || 'no answer' };
  if (m[2]) {
    const name = Object.keys(addresses).find((h) => addresses[h] === m[2]);
    return { kind: 'replica', of: name ?? m[2] };
  }
  return m[1] === '0' ? { kind: 'primary' } : { kind: 'fenced' };
}

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
  const others = [...live.keys()].filter((h) => h !== lp);
  return (
    `${lp} is the live primary. If it was promoted on purpose (playbooks/failover.yml or switchover.yml), make the inventory say so: ` +
    `mysql_role: primary in host_vars/${lp}.yml and mysql_role: replica in ${others.map((h) => `host_vars/${h}.yml`).join(', ')}, ` +
    `then run site.yml again (a former primary rejoins as a replica only when its GTID history is a prefix of ${lp}'s). ` +
    `To go back to ${primary} instead: playbooks/switchover.yml -e new_primary=${primary}`
  );
}

function table(live: ReadonlyMap<string, LiveRole>, want: (h: string) => string): string {
  return [...live.keys()].map((h) => `${h}: ${want(h)}\n`).join('');
}

export default defineModule<MysqlTopologyArgs>({
  name: 'mysql_topology',
  schema: {
    type: 'object',
    properties: {
      primary: {
        type: 'string',
        minLength: 1,
        errorMessage: 'primary is the inventory host name of the primary (mysql_primary): is one host mysql_role: primary?',
      },
      servers: {
        type: 'array',
        items: {
          type: 'object',
          properties: { host: { type: 'string', minLength: 1 }, probe: { type: 'string' } },
          required: ['host', 'probe'],
          additionalProperties: false,
        },
      },
      addresses: { type: 'object', additionalProperties: { type: 'string' } },
    },
    required: ['primary', 'servers'],
    additionalProperties: false,
  },
  facts: () => [],

  plan(args, _facts, ctx): Plan {
    const live = new Map(args.servers.map((s) => [s.host, parseLive(s.probe, args.addresses)] as const));
    const result = { live: Object.fromEntries([...live].map(([h, r]) => [h, describeLive(r)])), live_primary: livePrimary(args.primary, live) ?? '' };
    const problems = topologyProblems(args.primary, live);
    if (problems.length === 0)
      return definePlan({ summary: `inventory primary ${args.primary}: ${[...live].map(([h, r]) => `${h} ${describeLive(r)}`).join('; ')}`, result });
    const msg = `the live database topology is not the inventory's: ${problems.join('; ')}`;
    if (!ctx.check) throw new TaskError(msg, advice(args.primary, live));
    // check: drift, with the live roles against the inventory's, and nothing run.
    return definePlan({
      changes: [{ description: `${msg}. ${advice(args.primary, live)}`, script: raw(':'), invalidates: [] }],
      diffs: [
        {
          label: 'database roles',
          before: table(live, (h) => describeLive(live.get(h)!)),
          after: table(live, (h) => (h === args.primary ? 'primary' : `replica of ${args.primary}`)),
        },
      ],
      summary: msg,
      result,
    });
  },
});
