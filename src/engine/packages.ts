// One apt transaction per host, where the playbook allows it. An apt task with `batch: true`
// that has something to install also installs, in the same transaction, what the following
// `batch: true` apt tasks of the host (in this and later plays) would install: one cache
// refresh, one dpkg run, one round of triggers, instead of one per task. Those tasks then
// find their packages present and report ok. The batch is planned from facts, so `check`
// shows the same step that `apply` runs.
//
// Opting in is the role's word that its packages need nothing done first. The window still
// stops, and everything from there installs at its own place, at the first task that could
// change what apt installs or how: an apt task that is not batchable; a task that names
// /etc/apt; a command or shell that mentions apt, dpkg or debconf; a task that cannot be
// evaluated yet (it reads a result registered earlier, or a value known only later) unless
// its module writes nothing on the host (debug, stat, assert...).
// Batchable: state present, no purge, no install_recommends, no register, notify or
// ignore_errors, and `batch: true`.
import type { AptArgs } from '../modules/apt.js';
import type { Fact, FactResults } from '../facts/types.js';
import { aptCacheFact, pkgFact, type PkgStates } from '../facts/pkg.js';
import type { Task } from '../playbook/load.js';
import type { Prepared } from './task.js';
import { readsVariable } from './play.js';
import { asList } from '../modules/common/schema.js';

/** One task of the host's run, in order, as evaluated up front (prepared is absent when it could not be). */
export interface Step {
  task: Task;
  prepared?: Prepared;
  become: boolean;
}

export interface PackageBatch {
  /** A synthetic apt task (become when any batched task becomes): its plan is the one transaction. */
  task: Task;
  /** The batched tasks (the anchor first). */
  tasks: Task[];
  /** The union's package states, derived from the facts already gathered (no extra probe). */
  union: [Fact<PkgStates>, PkgStates];
  /** The packages the batch installs. */
  packages: string[];
  /** Whether it refreshes the apt cache. */
  refreshes: boolean;
}

const APT_WORDS = /\b(apt|apt-get|aptitude|apt-key|add-apt-repository|dpkg|dpkg-reconfigure|debconf|debconf-set-selections)\b/;
const APT_DIR = /\/etc\/apt\b/;

// Modules that write nothing on the host: whatever their arguments turn out to be, they
// cannot change what a later apt install does, so they never stop the window, even when
// they cannot be evaluated up front (a debug or a stat that reads an earlier register).
const WRITES_NOTHING = new Set([
  'debug',
  'set_fact',
  'assert',
  'fail',
  'stat',
  'slurp',
  'find',
  'getent',
  'wait_for',
  'pause',
  'package_facts',
  'service_facts',
  'setup',
  'include_vars',
]);

const names = (a: AptArgs): string[] => asList(a.name);

function instances(st: Step): AptArgs[] {
  return st.prepared && 'instances' in st.prepared ? st.prepared.instances.map((i) => i.args as AptArgs) : [];
}

/** The package facts of every apt task among `steps` (what check mode re-reads after a batch). */
export function pkgFactsOf(steps: readonly Step[]): Fact<PkgStates>[] {
  return steps.filter((st) => st.task.module === 'apt').flatMap((st) => instances(st).map((a) => pkgFact(names(a))));
}

function batchable(st: Step): boolean {
  const t = st.task;
  if (t.module !== 'apt' || !st.prepared || t.register || t.notify.length || t.ignoreErrors) return false;
  if ('skip' in st.prepared) return true; // never runs: neither joins nor stops the window
  return instances(st).every(
    (a) => a.batch === true && (a.state ?? 'present') === 'present' && !a.purge && a.install_recommends === undefined && names(a).length > 0,
  );
}

/** Could this task change what a later apt install does (sources, keys, preseeded answers)? */
function stops(st: Step): boolean {
  const t = st.task;
  if (WRITES_NOTHING.has(t.module)) return false;
  if (!st.prepared) return true; // not known yet: it could be anything
  if ('skip' in st.prepared) return false;
  if (t.module === 'apt') return !batchable(st);
  const text = JSON.stringify([t.args, instances(st)]) ?? '';
  return APT_DIR.test(text) || ((t.module === 'command' || t.module === 'shell') && APT_WORDS.test(text));
}

/**
 * The window that starts at steps[from] (a batchable apt task): the batchable apt tasks up
 * to the first step that stops it. Empty when steps[from] is not a batchable apt task.
 */
export function batchWindow(steps: readonly Step[], from: number): Step[] {
  const first = steps[from];
  if (!first || !batchable(first) || (first.prepared && 'skip' in first.prepared)) return [];
  const registers = steps.slice(0, from).flatMap((s) => (s.task.register ? [s.task.register] : []));
  const out: Step[] = [];
  for (const step of steps.slice(from)) {
    // A result registered earlier in the run does not exist up front: such a task is decided later.
    const st = registers.some((r) => readsVariable(step.task, r)) ? { ...step, prepared: undefined } : step;
    if (st.task.register) registers.push(st.task.register);
    if (stops(st)) break;
    if (st.task.module === 'apt' && st.prepared && 'instances' in st.prepared) out.push(st);
  }
  return out;
}

/** The facts a window's plan reads. */
export function windowFacts(window: readonly Step[]): Fact<unknown>[] {
  const fs: Fact<unknown>[] = pkgFactsOf(window);
  if (window.some((st) => instances(st).some((a) => a.update_cache && a.cache_valid_time !== undefined))) fs.push(aptCacheFact());
  return fs;
}

/**
 * The batch for a window, or undefined when fewer than two of its tasks have anything to
 * install (then each task installs its own, where it stands, and reports it).
 */
export function planPackageBatch(window: readonly Step[], facts: FactResults): PackageBatch | undefined {
  const wanted = window.flatMap((st) => instances(st).map((args) => ({ st, args, states: facts.get(pkgFact(names(args))) })));
  const missing = wanted.filter((w) => names(w.args).some((n) => !w.states[n]?.installed));
  const tasks = [...new Set(missing.map((w) => w.st.task))];
  if (tasks.length < 2) return undefined;
  const last = window.indexOf(missing[missing.length - 1]!.st);

  const pkgs = [...new Set(missing.flatMap((w) => names(w.args).filter((n) => !w.states[n]?.installed)))];
  const union: PkgStates = Object.fromEntries(pkgs.map((n) => [n, { status: '', installed: false }]));
  const args: AptArgs = { name: pkgs, state: 'present' };
  // Every task up to the last one batched would have refreshed the cache before that
  // install could happen; the batch does it once.
  const updating = wanted.filter((w) => w.args.update_cache && window.indexOf(w.st) <= last);
  if (updating.length) {
    args.update_cache = true;
    // A freshness window holds only if every refreshing task gave one (the shortest wins).
    const windows = updating.map((w) => w.args.cache_valid_time);
    if (windows.every((x): x is number => x !== undefined)) args.cache_valid_time = Math.min(...windows);
  }
  const anchor = window[0]!.task;
  const task: Task = {
    name: `Packages: one apt transaction for ${tasks.length} apt tasks`,
    module: 'apt',
    args,
    when: [],
    notify: [],
    listen: [],
    tags: [],
    loopVar: 'item',
    noLog: false,
    // A failed batch is not the end: each task then installs at its own place, and the one
    // that owns a bad package fails with its own file:line.
    ignoreErrors: true,
    become: window.some((st) => tasks.includes(st.task) && st.become),
    loc: anchor.loc,
  };
  return {
    task,
    tasks,
    union: [pkgFact(pkgs), union],
    packages: pkgs,
    refreshes: args.update_cache === true,
  };
}

/** Check mode: package states as they would be once the batch ran. */
export function afterBatch(states: PkgStates, batch: PackageBatch): PkgStates {
  return Object.fromEntries(Object.entries(states).map(([n, v]) => [n, v.installed || !batch.packages.includes(n) ? v : { status: 'ii', installed: true }]));
}
