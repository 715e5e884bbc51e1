// Running plumb under measurement: the compiled CLI, exactly as an operator runs it
// (`node dist/src/cli/main.js`), with --json so the recap can be checked, and -v when the
// exec events are wanted for the remote-time accounting of a cold converge.
import path from 'node:path';
import { runTimed, type Timed } from './proc.js';
import { unionLength } from './stats.js';
import { REPO } from './paths.js';
import type { Phases } from './measure.js';

export const PLUMB_CLI = path.join(REPO, 'dist', 'src', 'cli', 'main.js');

export interface PlumbRecap {
  hosts: Record<string, { ok: number; changed: number; failed: number; skipped: number; unreachable: boolean; execs: number }>;
}

export interface PlumbRun extends Timed {
  recap?: PlumbRecap;
  /** Tasks reported changed (apply) or would-change (check), over all hosts. */
  changed: number;
  failed: number;
  /** `task (host)` for every changed result. */
  changedTasks: string[];
  /** `task (host): message` for every failed or unreachable result. */
  failedTasks: string[];
  /** From the exec events, when the run was verbose. */
  phases?: Phases;
  /** Per exec: host, purpose, and its [start, end] in ms since spawn (end = arrival of its event). */
  execs: { host: string; purpose: string; start: number; end: number; command: string }[];
}

export interface PlumbArgs {
  mode: 'apply' | 'check' | 'validate';
  playbook: string;
  inventory: string;
  diff?: boolean;
  verbose?: boolean;
  forks?: number;
  extraVars?: string[];
  rss?: boolean;
  timeoutMs?: number;
}

export async function runPlumb(a: PlumbArgs): Promise<PlumbRun> {
  const argv = ['node', PLUMB_CLI, a.mode, a.playbook, '-i', a.inventory];
  if (a.mode !== 'validate') argv.push('--json');
  if (a.diff) argv.push('--diff');
  if (a.verbose) argv.push('-v');
  if (a.forks !== undefined) argv.push('--forks', String(a.forks));
  for (const e of a.extraVars ?? []) argv.push('-e', e);
  const execs: PlumbRun['execs'] = [];
  let recap: PlumbRecap | undefined;
  let changed = 0;
  let failed = 0;
  const changedTasks: string[] = [];
  const failedTasks: string[] = [];
  const r = await runTimed(argv, {
    cwd: REPO,
    rss: a.rss,
    timeoutMs: a.timeoutMs,
    onLine: (line, at) => {
      if (!line.startsWith('{')) return;
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (e.type === 'exec') {
        const d = Number(e.durationMs);
        execs.push({ host: String(e.host), purpose: String(e.purpose), start: at - d, end: at, command: String(e.command) });
      } else if (e.type === 'task') {
        if (e.status === 'changed') {
          changed++;
          changedTasks.push(`${String(e.task)}${e.item !== undefined ? ` [${String(e.item)}]` : ''} (${String(e.host)})`);
        }
        if (e.status === 'failed' || e.status === 'unreachable') {
          failed++;
          failedTasks.push(`${String(e.task)} (${String(e.host)}): ${String(e.message ?? '').slice(0, 200)}`);
        }
      } else if (e.type === 'recap') {
        recap = e as unknown as PlumbRecap;
      }
    },
  });
  const phases = execs.length
    ? {
        beforeFirstExecMs: Math.round(Math.min(...execs.map((e) => e.start))),
        remoteBusyMs: Math.round(unionLength(execs.map((e) => [Math.max(0, e.start), e.end] as const))),
        afterLastExecMs: Math.round(r.ms - Math.max(...execs.map((e) => e.end))),
      }
    : undefined;
  return { ...r, recap, changed, failed, changedTasks, failedTasks, execs, phases };
}

/** Wall-clock time during which at least one remote command was running on some host. */
export function remoteBusyMs(run: PlumbRun): number {
  return unionLength(run.execs.map((e) => [Math.max(0, e.start), e.end] as const));
}

/** Remote time per host (sum of that host's exec durations). */
export function remotePerHost(run: PlumbRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of run.execs) out[e.host] = (out[e.host] ?? 0) + (e.end - e.start);
  return out;
}
