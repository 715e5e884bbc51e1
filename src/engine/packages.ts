// One apt transaction per host. Before a host's first play, the packages that its `apt`
// tasks (in every play it takes part in) would install are installed together: one cache
// refresh, one dpkg run, one round of triggers, instead of one per task. The apt tasks then
// find their packages present and report ok. Planned from the facts gathered up front, so
// `check` shows the same single step that `apply` runs.
//
// Only what is safe to move earlier is batched. Scanning the host's tasks in run order, the
// batch stops at the first task that could change what apt can install or how: an apt task
// that is not batchable, a task that touches /etc/apt, a command or shell that mentions
// apt, dpkg or debconf, or a task that cannot be evaluated up front. An apt task is batchable
// when it installs (state present), has no register, notify, ignore_errors, purge or
// install_recommends, and does not say `batch: false`.
import type { AptArgs } from '../modules/apt.js';
import type { Fact, FactResults } from '../facts/types.js';
import { pkgFact, type PkgStates } from '../facts/pkg.js';
import type { Task } from '../playbook/load.js';
import type { Prepared } from './task.js';
import { readsVariable } from './play.js';

/** One task of the host's run, in order, as evaluated up front (prepared is absent when it could not be). */
export interface Step {
  task: Task;
  prepared?: Prepared;
  become: boolean;
}

export interface PackageBatch {
  /** A synthetic apt task: its plan is the one transaction. */
  task: Task;
  become: boolean;
  /** Names of the batched tasks, for the report. */
  from: string[];
  /** The union's package states, derived from the facts already gathered (no extra probe). */
  union: [Fact<PkgStates>, PkgStates];
  /** Check mode: what the batched tasks would see once the batch ran. */
  assumeAfter: [Fact<PkgStates>, PkgStates][];
}

const APT_WORDS = /\b(apt|apt-get|aptitude|apt-key|add-apt-repository|dpkg|dpkg-reconfigure|debconf|debconf-set-selections)\b/;
const APT_DIR = /\/etc\/apt\b/;

function names(a: AptArgs): string[] {
  return a.name === undefined ? [] : Array.isArray(a.name) ? a.name : [a.name];
}

function batchableArgs(a: AptArgs): boolean {
  return (a.state ?? 'present') === 'present' && !a.purge && a.install_recommends === undefined && a.batch !== false && names(a).length > 0;
}

function batchableTask(t: Task): boolean {
  return !t.register && !t.notify.length && !t.ignoreErrors;
}

/** Could this task change what a later apt install does (sources, keys, preseeded answers)? */
function touchesApt(st: Step): boolean {
  const t = st.task;
  const shell = t.module === 'command' || t.module === 'shell';
  // A command not known yet could run anything.
  if (shell && !st.prepared) return true;
  const text = JSON.stringify([t.args, st.prepared && 'instances' in st.prepared ? st.prepared.instances.map((i) => i.args) : null]) ?? '';
  return APT_DIR.test(text) || (shell && APT_WORDS.test(text));
}

/**
 * The host's batch, or undefined when fewer than two apt tasks have anything to install
 * (then each task installs its own, where it stands, and reports it).
 */
export function planPackageBatch(steps: readonly Step[], facts: FactResults): PackageBatch | undefined {
  const wanted: { task: Task; args: AptArgs; fact: Fact<PkgStates>; states: PkgStates }[] = [];
  const registers: string[] = [];
  for (const step of steps) {
    const t = step.task;
    // Up front, a result registered earlier does not exist yet: such a task is decided later.
    const st = registers.some((r) => readsVariable(t, r)) ? { ...step, prepared: undefined } : step;
    if (t.register) registers.push(t.register);
    if (t.module !== 'apt') {
      if (touchesApt(st)) break;
      continue;
    }
    if (!st.prepared) break; // evaluated only later: it and everything after it keep their place
    if ('skip' in st.prepared) continue;
    const all = st.prepared.instances.map((i) => i.args as AptArgs);
    if (!batchableTask(t) || !all.every(batchableArgs)) break;
    for (const args of all) {
      const fact = pkgFact(names(args));
      wanted.push({ task: t, args, fact, states: facts.get(fact) });
    }
  }
  const missing = wanted.filter((w) => names(w.args).some((n) => !w.states[n]?.installed));
  if (new Set(missing.map((w) => w.task)).size < 2) return undefined;

  const pkgs = [...new Set(missing.flatMap((w) => names(w.args).filter((n) => !w.states[n]?.installed)))];
  const union: PkgStates = {};
  for (const w of wanted) for (const n of names(w.args)) if (pkgs.includes(n)) union[n] = w.states[n] ?? { status: '', installed: false };
  const updating = missing.filter((w) => w.args.update_cache);
  const args: AptArgs = { name: pkgs, state: 'present' };
  if (updating.length) {
    args.update_cache = true;
    // Keep a freshness window only if every task that asked for a refresh gave one.
    const windows = updating.map((w) => w.args.cache_valid_time);
    if (windows.every((x): x is number => x !== undefined)) args.cache_valid_time = Math.min(...windows);
  }
  const first = missing[0]!.task;
  const from = [...new Set(missing.map((w) => w.task.name))];
  const task: Task = {
    name: `Packages: one apt transaction for ${from.length} apt tasks`,
    module: 'apt',
    args,
    when: [],
    notify: [],
    listen: [],
    tags: [],
    loopVar: 'item',
    noLog: false,
    ignoreErrors: false,
    loc: first.loc,
  };
  const installed = (s: PkgStates): PkgStates =>
    Object.fromEntries(Object.entries(s).map(([n, v]) => [n, v.installed || !pkgs.includes(n) ? v : { status: 'ii', installed: true }]));
  return {
    task,
    become: steps.some((st) => missing.some((w) => w.task === st.task) && st.become),
    from,
    union: [pkgFact(pkgs), union],
    assumeAfter: [...new Map(wanted.map((w) => [w.fact.key, [w.fact, installed(w.states)] as [Fact<PkgStates>, PkgStates]])).values()],
  };
}
