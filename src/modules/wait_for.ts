// wait_for: a port open or closed, a path present or absent (optionally containing a
// regex), polled on the host until `timeout`. The condition is first read as a live fact,
// in the host's batch (facts/live.ts): when it already holds (and there is no `delay`) the
// task is ok with no exec of its own. Otherwise the plan polls: a read-only change, run in
// check mode too, ok when the condition comes to hold. In check mode, when a change that was
// not applied may be what would make it hold, the plan says it would wait instead of
// waiting out a timeout that the check itself caused.
import type { Fact } from '../facts/types.js';
import { liveFact } from '../facts/live.js';
import { raw, sh, type Shell } from '../sh.js';
import { defineModule, definePlan } from './types.js';

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  timeout?: number;
  delay?: number;
  sleep?: number;
  search_regex?: string;
  connect_timeout?: number;
  msg?: string;
}

function condition(a: WaitForArgs): Shell {
  const state = a.state ?? 'started';
  if (a.path !== undefined) {
    const there = a.search_regex !== undefined ? sh`grep -Eq -- ${a.search_regex} ${a.path} 2>/dev/null` : sh`[ -e ${a.path} ]`;
    return state === 'absent' ? sh`! { ${there}; }` : there;
  }
  const host = a.host ?? '127.0.0.1';
  // bash's /dev/tcp: no nc needed on a minimal host. The host is an argument, never code.
  const open = sh`timeout ${a.connect_timeout ?? 5} bash -c ${'exec 3<>"/dev/tcp/$0/$1"'} ${host} ${a.port ?? 0} 2>/dev/null`;
  return state === 'stopped' || state === 'drained' ? sh`! ${open}` : open;
}

/** Whether the condition holds now (one try, no polling). */
export const holdsFact = (a: WaitForArgs): Fact<boolean> =>
  liveFact('wait_for', sh`if ${condition(a)}; then exit 0; else exit 1; fi`, (_out, code) => code === 0);

export default defineModule<WaitForArgs>({
  name: 'wait_for',
  schema: {
    type: 'object',
    properties: {
      host: { type: 'string', pattern: '^[A-Za-z0-9.:_-]+$' },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      path: { type: 'string', pattern: '^/' },
      state: { enum: ['started', 'stopped', 'present', 'absent', 'drained'] },
      timeout: { type: 'integer', minimum: 0 },
      delay: { type: 'integer', minimum: 0 },
      sleep: { type: 'integer', minimum: 1 },
      search_regex: { type: 'string' },
      connect_timeout: { type: 'integer', minimum: 1 },
      msg: { type: 'string' },
    },
    additionalProperties: false,
  },
  facts: (args) => [holdsFact(args)],
  plan(args, facts, ctx) {
    const timeout = args.timeout ?? 300;
    const what =
      args.path !== undefined ? `${args.path} ${args.state ?? 'present'}` : `${args.host ?? '127.0.0.1'}:${String(args.port ?? '')} ${args.state ?? 'started'}`;
    const where = args.path !== undefined ? { path: args.path } : { port: args.port };
    const fact = holdsFact(args);
    if (!args.delay && facts.get(fact)) return definePlan({ summary: `${what}`, result: { elapsed: 0, ...where } });
    const script = raw(
      [
        `sleep ${args.delay ?? 0}`,
        `end=$(( $(date +%s) + ${timeout} ))`,
        `while :; do if ${condition(args).text}; then echo "elapsed=$(( $(date +%s) - end + ${timeout} ))"; exit 0; fi`,
        `  if [ "$(date +%s)" -ge "$end" ]; then echo ${sh`${args.msg ?? `Timeout when waiting for ${what}`}`.text} >&2; exit 1; fi`,
        `  sleep ${args.sleep ?? 1}; done`,
      ].join('\n'),
    );
    // Check mode: an unapplied change may be what would make it hold; waiting here would only
    // wait out the timeout the check caused. Say what the run would do instead.
    const unknowable = ctx.mayChange(fact);
    return definePlan({
      changes: [
        {
          description: unknowable ? `wait for ${what} (not now: a change this check did not apply may be what brings it)` : `wait for ${what}`,
          script,
          invalidates: [],
          readOnly: !unknowable,
          parse: (o) => ({
            elapsed: Number(/elapsed=(\d+)/.exec(o.stdout)?.[1] ?? 0),
            ...where,
          }),
        },
      ],
      summary: unknowable ? `wait for ${what} (a change this check did not apply may be what brings it)` : `wait for ${what}`,
    });
  },
});
