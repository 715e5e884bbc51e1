// wait_for: a port open or closed, a path present or absent (optionally containing a
// regex), polled on the host until `timeout`. Inherently a read each run (exempt from the
// one-exec rule): a read-only change, run in check mode too, ok when the condition holds.
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
  facts: () => [],
  plan(args) {
    const timeout = args.timeout ?? 300;
    const what =
      args.path !== undefined ? `${args.path} ${args.state ?? 'present'}` : `${args.host ?? '127.0.0.1'}:${String(args.port ?? '')} ${args.state ?? 'started'}`;
    const script = raw(
      [
        `sleep ${args.delay ?? 0}`,
        `end=$(( $(date +%s) + ${timeout} ))`,
        `while :; do if ${condition(args).text}; then echo "elapsed=$(( $(date +%s) - end + ${timeout} ))"; exit 0; fi`,
        `  if [ "$(date +%s)" -ge "$end" ]; then echo ${sh`${args.msg ?? `Timeout when waiting for ${what}`}`.text} >&2; exit 1; fi`,
        `  sleep ${args.sleep ?? 1}; done`,
      ].join('\n'),
    );
    return definePlan({
      changes: [
        {
          description: `wait for ${what}`,
          script,
          invalidates: [],
          readOnly: true,
          parse: (o) => ({
            elapsed: Number(/elapsed=(\d+)/.exec(o.stdout)?.[1] ?? 0),
            ...(args.path !== undefined ? { path: args.path } : { port: args.port }),
          }),
        },
      ],
      summary: `wait for ${what}`,
    });
  },
});
