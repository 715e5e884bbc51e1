// service: a systemd unit's run state (started, stopped, restarted, reloaded) and whether
// it starts at boot. restarted/reloaded always change: they are what handlers are for.
import { sh } from '../sh.js';
import { steps } from './common/steps.js';
import { reloadScript, restartScript } from './common/reload.js';
import { PROBES } from './common/put-file.js';
import { TaskError } from '../errors.js';
import { configLoadedAt, mtimeFact, workersStartedAt, processTableFact, serviceFact, type ServiceState } from '../facts/svc.js';
import type { FactResults } from '../facts/types.js';
import { defineModule, definePlan, type ModuleContext, type Plan } from './types.js';

export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  daemon_reload?: boolean;
}

// `systemctl is-enabled` exits 0 for these: the unit starts at boot or is pulled in.
const ENABLED = new Set(['enabled', 'enabled-runtime', 'alias', 'static', 'indirect', 'generated', 'transient']);
// Nothing to disable: only `enabled` (and runtime/linked variants) have symlinks to remove.
const DISABLED = new Set(['disabled', 'static', 'indirect', 'generated', 'transient', 'masked', 'masked-runtime', 'bad', '']);
const RUNNING = new Set(['active', 'activating', 'reloading']);

function runState(active: string): string {
  return RUNNING.has(active) ? 'started' : 'stopped';
}

function stateText(run?: string, enabled?: boolean | string): string {
  return (run !== undefined ? `state=${run}\n` : '') + (enabled !== undefined ? `enabled=${String(enabled)}\n` : '');
}

/** What a restart or reload of a running daemon can alter: its unit, processes, live server state, probes. */
const LIVE = ['svc:*', 'proc:*', 'mysql:*', 'ufw:*', PROBES] as const;

interface Older {
  why: string;
  verb: 'restarted' | 'reloaded';
}

function when(centis: number): string {
  return new Date(centis * 10).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * A running service whose unit file changed on disk without a daemon-reload, or that loaded
 * its configuration before a file it reads was last written, runs an older configuration,
 * unless the restart or reload that applies it is owed already (notified, or pending from an
 * earlier run: the handler will do it). A unit file change needs a restart; a file, what its
 * handler does.
 */
function olderConfig(args: ServiceArgs, st: Extract<ServiceState, { kind: 'unit' }>, facts: FactResults, ctx: ModuleContext): Older | undefined {
  const inputs = ctx.serviceInputs?.(args.name);
  if (inputs?.owed) return undefined;
  if (st.needReload) return { why: 'unit file changed on disk, not loaded by systemd (NeedDaemonReload=yes)', verb: 'restarted' };
  if (!inputs) return undefined;
  const table = facts.get(processTableFact);
  // Whole seconds of slack: a file written in the same instant as the start is not newer.
  const newest = (files: string[], since: number | undefined) => {
    if (since === undefined) return undefined;
    const newer = files.map((f) => ({ f, m: facts.get(mtimeFact(f)) })).filter((x) => x.m !== undefined && x.m > since + 100);
    return newer.length ? newer.reduce((a, b) => (b.m! > a.m! ? b : a)) : undefined;
  };
  const started = configLoadedAt(table, st.mainPid, false);
  const r = newest(inputs.restart, started);
  if (r) return { why: `${r.f} written ${when(r.m!)}, after the service started ${when(started!)}`, verb: 'restarted' };
  // A reload shows as workers younger than the files. A daemon that reloads in place (one
  // process, SIGHUP) leaves no trace of it: its reload-only files cannot be judged.
  const workers = workersStartedAt(table, st.mainPid);
  const l = newest(inputs.reload, workers);
  if (l) return { why: `${l.f} written ${when(l.m!)}, after the workers started ${when(workers!)}`, verb: 'reloaded' };
  return undefined;
}

export default defineModule<ServiceArgs>({
  name: 'service',
  schema: {
    type: 'object',
    properties: {
      name: {
        type: 'string',
        minLength: 1,
        pattern: '^[A-Za-z0-9:_.@\\\\-]+$',
        errorMessage: 'name must be a systemd unit name such as "nginx" or "nginx.service"',
      },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean' },
      daemon_reload: { type: 'boolean' },
    },
    required: ['name'],
    additionalProperties: false,
    // name plus at least one of state, enabled, daemon_reload (the only other keys).
    minProperties: 2,
    errorMessage: 'service needs at least one of state, enabled or daemon_reload',
  },
  facts: (args, ctx) => {
    const inputs = args.state === 'started' ? ctx.serviceInputs?.(args.name) : undefined;
    return [serviceFact(args.name), ...(inputs ? [processTableFact, ...[...inputs.restart, ...inputs.reload].map(mtimeFact)] : [])];
  },
  plan(args, facts, ctx): Plan {
    const fact = serviceFact(args.name);
    const st: ServiceState = facts.get(fact);
    const unit = args.name;
    if (st.kind === 'no-systemd') throw new TaskError(`cannot manage ${unit}: ${st.message}`, 'the service module needs a host booted with systemd');

    // The unit may come later: from a package installed earlier in this run (check mode:
    // not applied yet), or from a unit file that daemon_reload will load.
    const notFound = st.load === 'not-found';
    const pending = notFound && (ctx.mayChange(fact) || args.daemon_reload === true);
    if (notFound && !pending) {
      throw new TaskError(`unit ${unit} not found`, 'install the package that provides it first, or write its unit file and set daemon_reload: true');
    }
    if (st.load === 'masked' && (args.state === 'started' || args.state === 'restarted' || args.state === 'reloaded' || args.enabled === true)) {
      throw new TaskError(`unit ${unit} is masked`, `unmask it first: systemctl unmask ${unit}`);
    }

    const before = notFound ? { run: 'stopped', enabled: false } : { run: runState(st.active), enabled: ENABLED.has(st.unitFile) };
    const cmds: ReturnType<typeof sh>[] = [];
    const what: string[] = [];
    let runAfter: string | undefined;
    let older: Older | undefined;
    switch (args.state) {
      case 'started':
        runAfter = 'started';
        if (before.run !== 'started') {
          cmds.push(sh`systemctl start -- ${unit}`);
          what.push('start');
        } else {
          older = olderConfig(args, st, facts, ctx);
          if (older) {
            cmds.push(older.verb === 'reloaded' ? reloadScript(unit) : restartScript(unit));
            what.push(older.verb === 'reloaded' ? 'reload' : 'restart');
          }
        }
        break;
      case 'stopped':
        runAfter = 'stopped';
        if (before.run !== 'stopped') {
          cmds.push(sh`systemctl stop -- ${unit}`);
          what.push('stop');
        }
        break;
      case 'restarted':
        runAfter = 'restarted';
        cmds.push(restartScript(unit));
        what.push('restart');
        break;
      case 'reloaded':
        // A stopped service has nothing to reload: start it with the new configuration.
        runAfter = 'reloaded';
        cmds.push(before.run === 'started' ? reloadScript(unit) : sh`systemctl start -- ${unit}`);
        what.push(before.run === 'started' ? 'reload' : 'start');
        break;
      case undefined:
        break;
    }
    let enabledAfter: boolean | undefined;
    if (args.enabled !== undefined) {
      enabledAfter = args.enabled;
      const ok = args.enabled ? !notFound && ENABLED.has(st.unitFile) : notFound || DISABLED.has(st.unitFile);
      if (!ok) {
        cmds.push(args.enabled ? sh`systemctl enable -- ${unit}` : sh`systemctl disable -- ${unit}`);
        what.push(args.enabled ? 'enable' : 'disable');
      }
    }
    // daemon-reload when asked and either something else happens or systemd has stale unit
    // files; and before acting on a unit whose file changed on disk, asked or not (else the
    // start or restart would run the old definition).
    const reload =
      (args.daemon_reload === true && (cmds.length > 0 || notFound || (!notFound && st.needReload))) || (!notFound && st.needReload && cmds.length > 0);
    if (reload) what.unshift('daemon-reload');
    if (what.length === 0) return definePlan({ summary: 'in sync' });

    const description = `${what.join(', ')} ${unit}`;
    return definePlan({
      changes: [
        {
          description,
          script: steps(reload ? sh`systemctl daemon-reload` : null, ...cmds),
          // Starting or stopping a daemon changes what probes of that daemon see (a MariaDB
          // that now answers queries), so every fact is probed again before it is planned on.
          // Restarting one that runs on changes only the daemon's live state: in check mode a
          // later `file: state=absent` must not read it as "may create that file".
          invalidates: older && cmds.length === 1 ? [...LIVE] : ['*'],
        },
      ],
      diffs: [
        {
          label: `service ${unit}`,
          before:
            (notFound ? 'unit not loaded yet\n' : '') +
            stateText(args.state !== undefined ? before.run : undefined, args.enabled !== undefined ? before.enabled : undefined) +
            (older ? `config=${older.why}\n` : ''),
          after: stateText(runAfter, enabledAfter) + (older ? 'config=current\n' : ''),
        },
      ],
      summary: older ? `${description}: running with an older configuration (${older.why})` : description,
    });
  },
});
