// systemd: service's superset with Ansible's systemd arguments. masked, daemon_reload and
// daemon_reexec are planned here; state and enabled are service's plan (one code path).
import { raw, sh, type Shell } from '../sh.js';
import { TaskError } from '../errors.js';
import { serviceFact, type ServiceState } from '../facts/svc.js';
import type { Fact, FactResults } from '../facts/types.js';
import service, { type ServiceArgs } from './service.js';
import { steps } from './common/steps.js';
import { has } from './common/schema.js';
import { defineModule, definePlan, type Change, type Plan } from './types.js';

export interface SystemdArgs {
  name?: string;
  state?: ServiceArgs['state'];
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  daemon_reexec?: boolean;
  scope?: 'system';
  no_block?: boolean;
  force?: boolean;
}

/** Whether any loaded unit's file changed on disk since systemd read it (for a bare daemon_reload). */
export const staleUnitsFact: Fact<string[]> = {
  key: 'svc:#stale',
  probe: raw(
    "systemctl list-units --all --plain --no-legend --no-pager 2>/dev/null | awk '{print $1}' | xargs -r systemctl show -p Id,NeedDaemonReload -- 2>/dev/null",
  ),
  parse(out) {
    const stale: string[] = [];
    let id = '';
    for (const l of out.split('\n')) {
      if (l.startsWith('Id=')) id = l.slice(3);
      else if (l === 'NeedDaemonReload=yes' && id) stale.push(id);
    }
    return stale;
  },
};

function serviceArgs(a: SystemdArgs): ServiceArgs | undefined {
  if (!a.name || (a.state === undefined && a.enabled === undefined)) return undefined;
  const s: ServiceArgs = { name: a.name };
  if (a.state !== undefined) s.state = a.state;
  if (a.enabled !== undefined) s.enabled = a.enabled;
  if (a.daemon_reload) s.daemon_reload = true;
  return s;
}

export default defineModule<SystemdArgs>({
  name: 'systemd',
  schema: {
    type: 'object',
    properties: {
      ...(service.schema.properties as Record<string, unknown>),
      masked: { type: 'boolean' },
      daemon_reexec: { type: 'boolean' },
      scope: { enum: ['system'], errorMessage: 'plumb manages system units only (scope: system); user units need the user session' },
      no_block: { type: 'boolean' },
      force: { type: 'boolean' },
    },
    additionalProperties: false,
    anyOf: [has('name'), has('daemon_reload'), has('daemon_reexec')],
    errorMessage: 'systemd needs name (with state, enabled or masked) or daemon_reload / daemon_reexec',
  },
  facts(args, ctx) {
    const s = serviceArgs(args);
    const list: Fact<unknown>[] = s ? service.facts(s, ctx) : args.name ? [serviceFact(args.name)] : [];
    if (args.daemon_reload && !args.name) list.push(staleUnitsFact);
    return list;
  },
  plan(args, facts: FactResults, ctx): Plan {
    const pre: Shell[] = [];
    const what: string[] = [];
    const before: string[] = [];
    const after: string[] = [];
    if (args.daemon_reexec) {
      // Re-executing systemd leaves no trace to compare with: asked for, it always runs.
      pre.push(sh`systemctl daemon-reexec`);
      what.push('daemon-reexec');
    }
    if (args.daemon_reload && !args.name) {
      const stale = facts.get(staleUnitsFact);
      if (stale.length) {
        pre.push(sh`systemctl daemon-reload`);
        what.push('daemon-reload');
        before.push(`stale units=${stale.join(',')}\n`);
        after.push('stale units=\n');
      }
    }
    let st: ServiceState | undefined;
    if (args.name) st = facts.get(serviceFact(args.name));
    if (args.name && args.masked !== undefined && st?.kind === 'unit') {
      const masked = st.load === 'masked' || st.unitFile.startsWith('masked');
      if (masked !== args.masked) {
        pre.push(args.masked ? sh`systemctl mask -- ${args.name}` : sh`systemctl unmask -- ${args.name}`);
        what.push(`${args.masked ? 'mask' : 'unmask'} ${args.name}`);
        before.push(`masked=${String(masked)}\n`);
        after.push(`masked=${String(args.masked)}\n`);
      }
    }
    const s = serviceArgs(args);
    let inner: Plan = definePlan({});
    if (s && !(args.masked === true)) {
      // Unmasked in this plan: service plans on the unit as it will be, loaded and disabled.
      const unmasking = args.masked === false && st?.kind === 'unit' && st.load === 'masked';
      const view: FactResults = unmasking
        ? { get: <T>(f: Fact<T>) => (f.key === serviceFact(args.name!).key ? ({ ...st, load: 'loaded', unitFile: 'disabled' } as T) : facts.get(f)) }
        : facts;
      inner = service.plan(s, view, ctx);
    } else if (s && args.masked === true && (s.state === 'started' || s.enabled === true)) {
      throw new TaskError(`systemd ${args.name}: masked: true contradicts state: started / enabled: true`, 'a masked unit cannot start: drop one of them');
    }
    if (!pre.length) return inner;
    const change: Change = { description: what.join(', '), script: steps(...pre), invalidates: ['svc:*', 'proc:*', 'cmd:*'] };
    return definePlan({
      changes: [change, ...inner.changes],
      diffs: [{ label: `systemd ${args.name ?? ''}`.trim(), before: before.join(''), after: after.join('') }, ...inner.diffs],
      summary: [what.join(', '), inner.summary].filter((x) => x && x !== 'in sync').join('; '),
    });
  },
});
