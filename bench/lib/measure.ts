// The results model shared by every scenario, and the one loop that measures both tools:
// runs alternate (plumb, Ansible, plumb, ...) so a burst of load from other work on the
// machine hits both, and each run's host-side exec counts are taken around it.
import os from 'node:os';
import { summarize, speedup, type Summary } from './stats.js';
import { execCounts, execDelta } from './hosts.js';
import type { Timed } from './proc.js';

export interface Sample {
  ms: number;
  code: number;
  /** Tasks changed (apply) or that would change (check), over all hosts. */
  changed: number;
  failed: number;
  /** Host-side exec counts for this run: the busiest and the quietest host. */
  execsMax?: number;
  execsMin?: number;
  rssKb?: number;
  /** What changed (first 10), when something did. */
  changedTasks?: string[];
  /** What failed (first 5), when something did. */
  failedTasks?: string[];
  phases?: Phases;
  /** Load average (1 min) when the run started. */
  load1: number;
}

export interface ToolResult {
  samples: Sample[];
  summary?: Summary;
  execsPerHost?: number;
  rssMb?: Summary;
  /** Medians of the samples' phases (plumb with -v). */
  phases?: Phases;
}

export interface ScenarioResult {
  id: string;
  title: string;
  hosts: number;
  measuredAt: string;
  /** Load averages (1, 5, 15 min) when the scenario started. */
  load: number[];
  plumb?: ToolResult;
  ansible?: ToolResult;
  /** Ansible median / plumb median. */
  ratio?: number;
  /** bench/floor.ts on the same hosts: node start, one SSH connection and one exec per host. */
  floor?: Summary;
  notes: string[];
  extra?: Record<string, unknown>;
}

export function newScenario(id: string, title: string, hosts: number): ScenarioResult {
  return { id, title, hosts, measuredAt: new Date().toISOString(), load: os.loadavg().map((v) => +v.toFixed(2)), notes: [] };
}

export interface Measured {
  ms: number;
  code: number;
  changed: number;
  failed: number;
  rssKb?: number;
  changedTasks?: string[];
  failedTasks?: string[];
  phases?: Phases;
}

/** Where a plumb run's wall time went, from its exec events (needs -v). */
export interface Phases {
  /** Spawn to the first remote command: node start, loading, validation, SSH connect. */
  beforeFirstExecMs: number;
  /** Time any remote command was running. */
  remoteBusyMs: number;
  /** Last remote command's end to exit: handlers bookkeeping, recap, connection close. */
  afterLastExecMs: number;
}

export function toolResult(samples: Sample[]): ToolResult {
  const med = (xs: number[]): number | undefined => summarize(xs)?.median;
  const execs = samples.map((s) => s.execsMax).filter((v): v is number => v !== undefined);
  const rss = samples
    .map((s) => s.rssKb)
    .filter((v): v is number => v !== undefined)
    .map((kb) => kb / 1024);
  const ph = samples.map((s) => s.phases).filter((p): p is Phases => p !== undefined);
  const phases = ph.length
    ? {
        beforeFirstExecMs: Math.round(med(ph.map((p) => p.beforeFirstExecMs))!),
        remoteBusyMs: Math.round(med(ph.map((p) => p.remoteBusyMs))!),
        afterLastExecMs: Math.round(med(ph.map((p) => p.afterLastExecMs))!),
      }
    : undefined;
  return { samples, summary: summarize(samples.map((s) => s.ms)), execsPerHost: med(execs), rssMb: summarize(rss), phases };
}

export function finish(s: ScenarioResult): ScenarioResult {
  s.ratio = speedup(s.ansible?.summary, s.plumb?.summary);
  return s;
}

export interface Contender<R extends Measured> {
  run: () => Promise<R>;
  /** Called after each run, e.g. to check it did what the scenario expects. */
  after?: (r: R, i: number) => void;
}

/**
 * `runs` alternating runs of each contender; exec counts are read on the hosts around every
 * run (`hosts` empty: not counted). Returns the samples per contender.
 */
export async function alternate<P extends Measured, A extends Measured>(
  runs: number,
  hosts: readonly string[],
  plumb: Contender<P> | undefined,
  ansible: Contender<A> | undefined,
  progress: (msg: string) => void,
  /** Stop a contender once its runs took this long in total (it always gets one run). */
  budgetMs = Infinity,
): Promise<{ plumb: Sample[]; ansible: Sample[] }> {
  const out = { plumb: [] as Sample[], ansible: [] as Sample[] };
  const spent = (xs: Sample[]): number => xs.reduce((t, x) => t + x.ms, 0);
  const one = async <R extends Measured>(label: string, c: Contender<R>, i: number, into: Sample[]): Promise<void> => {
    const load1 = +os.loadavg()[0]!.toFixed(2);
    const before = hosts.length ? execCounts(hosts) : {};
    const r = await c.run();
    const d = hosts.length ? Object.values(execDelta(before, execCounts(hosts))) : [];
    into.push({
      ms: r.ms,
      code: r.code,
      changed: r.changed,
      failed: r.failed,
      execsMax: d.length ? Math.max(...d) : undefined,
      execsMin: d.length ? Math.min(...d) : undefined,
      rssKb: r.rssKb,
      changedTasks: r.changed > 0 ? r.changedTasks?.slice(0, 10) : undefined,
      failedTasks: r.failedTasks?.length ? r.failedTasks.slice(0, 5) : undefined,
      phases: r.phases,
      load1,
    });
    progress(
      `  ${label} run ${i + 1}/${runs}: ${(r.ms / 1000).toFixed(2)} s, exit ${r.code}, changed ${r.changed}${d.length ? `, execs/host ${Math.min(...d)}-${Math.max(...d)}` : ''}`,
    );
    c.after?.(r, i);
  };
  for (let i = 0; i < runs; i++) {
    if (plumb && spent(out.plumb) < budgetMs) await one('plumb', plumb, i, out.plumb);
    if (ansible && spent(out.ansible) < budgetMs) await one('ansible', ansible, i, out.ansible);
  }
  return out;
}

/** Notes for runs that did not do what the scenario expects (a no-op that changed, ...). */
export function expectEach(samples: readonly Sample[], tool: string, want: { code?: number[]; changed?: number }, notes: string[]): void {
  const bad = samples.filter((s) => (want.code && !want.code.includes(s.code)) || (want.changed !== undefined && s.changed !== want.changed));
  if (bad.length === 0) return;
  notes.push(
    `${tool}: ${bad.length}/${samples.length} runs not as expected (want${want.code ? ` exit ${want.code.join('|')}` : ''}${want.changed !== undefined ? ` changed=${want.changed}` : ''}; got ${bad.map((s) => `exit ${s.code} changed=${s.changed}`).join(', ')})${bad[0]?.changedTasks ? `; changed: ${bad[0].changedTasks.join('; ')}` : ''}${bad[0]?.failedTasks ? `; failed: ${bad[0].failedTasks.join('; ')}` : ''}`,
  );
}

export type { Timed };
