// The run: plays in order; within a play, hosts in parallel (up to --forks), in `serial`
// batches, each host running its task list independently. One connection per host for
// the whole run. Input is validated for every host before any connection is made.

import { InputError, type InputProblem, PlumbError, UnreachableError } from '../errors.js';
import type { Inventory } from '../inventory/load.js';
import { defaultUser } from '../inventory/load.js';
import { resolvePattern } from '../inventory/pattern.js';
import type { Vars } from '../modules/types.js';
import { resolveVar, withTemplates } from '../playbook/expr.js';
import type { BatchSize, HostOrder, Play, Playbook, Task } from '../playbook/load.js';
import type { Emit, HostRecap } from '../report/events.js';
import { Redactor } from '../report/redact.js';
import { collectNotes } from '../report/recap.js';
import type { Transport } from '../ssh/transport.js';
import { definedNames, definesNamesAtRunTime } from './actions.js';
import { describeHolder, type LockOwner, lockHosts, lockOwner } from './lock.js';
import { BatchControl, type HostPackages, OnceBatch, PlayRunner, readsVariable, gatheredStandIns, setFacts } from './play.js';
import { parseSetup, setupFact } from '../facts/setup.js';
import { HostSession, type RunWorld } from './session.js';
import { type Prepared, prepareTask } from './task.js';

/** A host's default command time limit: plumb_command_timeout, else the run's. */
function commandTimeoutOf(inv: Inventory, host: string, fallback: number): number {
  const v = inv.hosts.get(host)?.vars.plumb_command_timeout;
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw InputError.one(`plumb_command_timeout of ${host} must be whole seconds (0: no limit), not ${JSON.stringify(v)}`);
  return n;
}

export interface RunOptions {
  mode: 'apply' | 'check';
  diff: boolean;
  limit?: string;
  tags: string[];
  skipTags: string[];
  forks: number;
  extraVars: Vars;
  forceHandlers: boolean;
  /** Tasks left out of the run whatever their tags (--start-at-task: the ones before it). */
  skipTasks?: ReadonlySet<Task>;
  emit: Emit;
  /** `remoteUser`: the plays' remote_user, for a host whose inventory sets no ansible_user. */
  connect: (hostName: string, remoteUser?: string) => Promise<Transport>;
  /** Default time limit of every command, in seconds (0 or unset: none); hosts may set plumb_command_timeout. */
  commandTimeoutS?: number;
  /** checkReferences' result for these same options, when the caller already ran it. */
  references?: References;
  /** apply: lock every host before any change (src/engine/lock.ts), waiting up to waitS for another run. */
  lock?: { waitS: number; owner?: LockOwner };
}

export interface RunResult {
  hosts: Record<string, HostRecap>;
  durationMs: number;
  /** 0 in sync (or applied cleanly), 2 check found drift, 1 failure or unreachable. */
  exitCode: 0 | 1 | 2;
}

export function tagFilter(tags: string[], skip: string[]): (t: Task) => boolean {
  return (t) => {
    if (skip.length && t.tags.some((x) => skip.includes(x))) return false;
    if (!tags.length || tags.includes('all')) return true;
    return t.tags.includes('always') || t.tags.some((x) => tags.includes(x));
  };
}

export function hostVars(inv: Inventory, play: Play, host: string, extra: Vars, registered: Vars = {}, task?: Task): Vars {
  const h = inv.hosts.get(host)!;
  const { groups, hostvars } = inventoryViews(inv);
  // Only the operator-written layers hold templates; registered results are data (src/playbook/expr.ts).
  return withTemplates(
    {
      ...play.roleDefaults,
      ...h.vars,
      ...play.vars,
      // role vars/main.yml, block vars and task vars (Ansible's 15-17) sit below registered
      // results, set_fact and include_vars (18-19); role params (20) above them.
      ...task?.vars,
      ...registered,
      ...task?.roleVars,
      // include params (Ansible's 21): the include's vars and loop variable.
      ...task?.params,
      ...extra,
      inventory_hostname: host,
      group_names: h.groups.filter((g) => g !== 'all'),
      groups,
      hostvars,
    },
    [extra, task?.params, task?.roleVars, task?.vars, play.vars, h.vars, play.roleDefaults],
  );
}

const views = new WeakMap<Inventory, { groups: Record<string, string[]>; hostvars: Record<string, Vars> }>();

/** `groups` and `hostvars`, built once per inventory (not per task and host). */
function inventoryViews(inv: Inventory): { groups: Record<string, string[]>; hostvars: Record<string, Vars> } {
  let v = views.get(inv);
  if (!v) {
    const groups: Record<string, string[]> = {};
    for (const g of inv.groups.values()) groups[g.name] = g.hosts;
    const hostvars: Record<string, Vars> = {};
    for (const [n, x] of inv.hosts) {
      const own: Vars = withTemplates({ ...x.vars, inventory_hostname: n }, [x.vars]);
      // hostvars['web-01'].x resolves a {{ }} in x against web-01's own variables, lazily
      // (inventory values only: they are the operator's; what they yield is data).
      hostvars[n] = new Proxy(own, { get: (t, k) => (typeof k === 'string' ? resolveVar(t, k) : undefined) });
    }
    v = { groups, hostvars };
    views.set(inv, v);
  }
  return v;
}

export function playHosts(inv: Inventory, play: Play, limit?: string): string[] {
  const hosts = resolvePattern(inv, play.hosts);
  if (!limit) return hosts;
  const allowed = new Set(resolvePattern(inv, limit));
  return hosts.filter((h) => allowed.has(h));
}

/**
 * remote_user, per host: the plays' keyword, for hosts whose inventory names no user
 * (ansible_user wins, as in Ansible). plumb keeps one connection per host for the whole
 * run, so two plays naming different users for one host is an error, not a reconnect.
 */
export function remoteUsers(inv: Inventory, book: Playbook, limit?: string): { users: Map<string, string>; problems: InputProblem[] } {
  const users = new Map<string, string>();
  const by = new Map<string, Play>();
  const problems: InputProblem[] = [];
  for (const play of book.plays) {
    if (!play.remoteUser) continue;
    let hosts: string[];
    try {
      hosts = playHosts(inv, play, limit);
    } catch {
      continue; // reported by checkReferences
    }
    for (const h of hosts) {
      if (inv.hosts.get(h)?.conn.user !== undefined) continue;
      const had = users.get(h);
      if (had === undefined) {
        users.set(h, play.remoteUser);
        by.set(h, play);
      } else if (had !== play.remoteUser)
        problems.push({
          pos: posOf(play.loc.src, [...play.loc.path, 'remote_user']),
          message: `remote_user ${play.remoteUser} for ${h}, but play '${by.get(h)!.name}' connects to it as ${had}: plumb keeps one connection per host for the whole run`,
          hint: `give ${h} its user in the inventory (ansible_user), or use one remote_user in every play that reaches it`,
        });
    }
  }
  return { users, problems };
}

/** What checkReferences established, for the run to reuse rather than work out again. */
export interface References {
  /** remote_user per host (remoteUsers). */
  users: Map<string, string>;
  /**
   * Per host, each task as prepared here (when, loop, arguments) whose preparation read only
   * what a run cannot change (inventory, play, role and task vars, -e): the run uses these
   * rather than preparing them again. A task that read a name a run defines (a register,
   * set_fact, facts: stand-ins here), or enumerated the variables, is prepared when reached.
   */
  prepared: Map<string, Map<Task, Prepared>>;
}

/** `vars`, recording every variable name read through it ('*' when they are enumerated). */
function trackReads(vars: Vars, into: Set<string>): Vars {
  const note = (k: string | symbol) => typeof k === 'string' && into.add(k);
  return new Proxy(vars, {
    get: (t, k, r) => (note(k), Reflect.get(t, k, r)),
    has: (t, k) => (note(k), Reflect.has(t, k)),
    getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
    ownKeys: (t) => (into.add('*'), Reflect.ownKeys(t)),
  });
}

/** Static checks that need variables: undefined names, bad loops, args after interpolation. */
export function checkReferences(inv: Inventory, book: Playbook, opts: Pick<RunOptions, 'limit' | 'extraVars' | 'tags' | 'skipTags'>): References {
  const remote = remoteUsers(inv, book, opts.limit);
  const problems: InputProblem[] = [...remote.problems];
  const seen = new Set<string>();
  const selected = tagFilter(opts.tags, opts.skipTags);
  // gather_facts (in any play: the facts are host variables from the run's start): the
  // ansible_* names exist at run time (stand-ins here, as for registers).
  const registered: Vars = gatheredStandIns(book);
  const prepared = new Map<string, Map<Task, Prepared>>();
  // Once a task may define names only known when it runs, no later preparation is kept.
  let keep = true;
  // A name a run defines: a register, set_fact or fact stand-in, the ansible_facts every
  // task result with facts updates, and the ansible_<name> copy it makes of each.
  const runTime = (n: string) =>
    n === '*' || n === 'ansible_facts' || Object.hasOwn(registered, n) || (n.startsWith('ansible_') && Object.hasOwn(registered, n.slice(8)));
  for (const play of book.plays) {
    let hosts: string[];
    try {
      hosts = playHosts(inv, play, opts.limit);
    } catch (e) {
      const pos = { file: book.file, line: 1, col: 1 };
      problems.push({
        pos: play.loc ? posOfPlay(play) : pos,
        message: (e as Error).message,
        hint: `known groups and hosts: ${[...inv.groups.keys(), ...inv.hosts.keys()].join(', ')}`,
      });
      continue;
    }
    for (const t of [...play.tasks.filter(selected), ...play.handlers]) {
      for (const n of definedNames(t))
        registered[n] = { changed: false, failed: false, skipped: false, rc: 0, stdout: '', stderr: '', stdout_lines: [], results: [] };
    }
    // Tasks reading a registered result are checked at run time, when the result exists:
    // a placeholder cannot say whether out.stdout_lines[0] will be there.
    const names = Object.keys(registered);
    // A dynamic include's tasks are checked when the include runs, with its loop item.
    // After a set_fact with templated names, any name may be defined: those tasks too.
    const all = [...play.tasks.filter(selected), ...play.handlers];
    const dynamicAt = all.findIndex(definesNamesAtRunTime);
    const checkable = all.filter((t, i) => !t.includedBy && !names.some((n) => readsVariable(t, n)) && (dynamicAt < 0 || i < dynamicAt));
    const keepHere = keep;
    if (dynamicAt >= 0) keep = false;
    for (const host of hosts) {
      const vars = hostVars(inv, play, host, opts.extraVars, registered);
      let known = prepared.get(host);
      if (!known) prepared.set(host, (known = new Map()));
      for (const t of checkable) {
        try {
          const reads = new Set<string>();
          const p = prepareTask(t, trackReads(t.roleVars || t.vars || t.params ? hostVars(inv, play, host, opts.extraVars, registered, t) : vars, reads));
          if (keepHere && ![...reads].some(runTime)) known.set(t, p);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          for (const p of e.problems) {
            const id = `${p.pos?.file}:${p.pos?.line}:${p.message}`;
            if (seen.has(id)) continue;
            seen.add(id);
            problems.push({ ...p, message: `${p.message} (host ${host})` });
          }
        }
      }
    }
  }
  if (problems.length) throw new InputError(problems);
  return { users: remote.users, prepared };
}

import { posOf } from '../schema/yaml.js';

function posOfPlay(play: Play) {
  return posOf(play.loc.src, [...play.loc.path, 'hosts']);
}

async function pool<T>(items: T[], size: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/** The play's hosts in batches: `serial` as a size, a percentage, or a list of them (the last one repeats). */
export function batches(hosts: string[], serial: BatchSize | BatchSize[] | undefined): string[][] {
  if (serial === undefined) return [hosts];
  const sizes = (Array.isArray(serial) ? serial : [serial]).map((v) =>
    typeof v === 'number' ? v : Math.max(1, Math.floor((hosts.length * Number(v.replace('%', ''))) / 100)),
  );
  const out: string[][] = [];
  for (let i = 0, b = 0; i < hosts.length; b++) {
    const n = sizes[Math.min(b, sizes.length - 1)]!;
    out.push(hosts.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Ansible's play `order`. `shuffle` is a new order on every run (so run_once may pick another host). */
export function ordered(hosts: string[], order: HostOrder, random: () => number = Math.random): string[] {
  switch (order) {
    case 'inventory':
      return hosts;
    case 'reverse_inventory':
      return [...hosts].reverse();
    case 'sorted':
      return [...hosts].sort();
    case 'reverse_sorted':
      return [...hosts].sort().reverse();
    case 'shuffle': {
      const out = [...hosts];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
  }
}

export async function runPlaybook(inv: Inventory, book: Playbook, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  // The CLI checks before it asks for secrets, and hands the result over: checked once.
  const refs = opts.references ?? checkReferences(inv, book, opts);
  const redactor = new Redactor();
  for (const h of inv.hosts.values()) redactor.add(h.secretValues);
  for (const [k, v] of Object.entries(opts.extraVars)) if (/password|secret|token/i.test(k) && typeof v === 'string') redactor.add([v]);

  const sessions = new Map<string, HostSession>();
  // Changes applied (or, checking, planned) on any host: live reads go stale with them.
  const world: RunWorld = { applied: 0, unapplied: 0 };
  const dead = new Map<string, HostRecap>(); // unreachable hosts
  const connecting = new Map<string, Promise<HostSession | null>>();
  const allHosts = [...new Set(book.plays.flatMap((p) => playHosts(inv, p, opts.limit)))];
  const remote = refs.users;
  const timeouts = new Map(allHosts.map((h) => [h, commandTimeoutOf(inv, h, opts.commandTimeoutS ?? 0)]));
  opts.emit({ type: 'run', mode: opts.mode, playbook: book.file, hosts: allHosts });

  const session = (name: string): Promise<HostSession | null> => {
    let p = connecting.get(name);
    if (!p) {
      p = (async () => {
        const t0 = Date.now();
        try {
          const transport = await opts.connect(name, remote.get(name));
          const h = inv.hosts.get(name)!;
          const s = new HostSession(h, transport, h.conn.user ?? remote.get(name) ?? defaultUser(), redactor, opts.emit, timeouts.get(name), world);
          sessions.set(name, s);
          return s;
        } catch (e) {
          if (!(e instanceof UnreachableError)) throw e;
          dead.set(name, { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: true, execs: 0, durationMs: Date.now() - t0 });
          opts.emit({
            type: 'task',
            host: name,
            play: '',
            task: 'connect',
            handler: false,
            status: 'unreachable',
            message: redactor.redact(e.message),
            durationMs: Date.now() - t0,
          });
          return null;
        }
      })();
      connecting.set(name, p);
    }
    return p;
  };

  const byTags = tagFilter(opts.tags, opts.skipTags);
  const selected = (t: Task): boolean => byTags(t) && !opts.skipTasks?.has(t);
  const prefetched = new Set<string>();
  const packagesOf = new Map<string, HostPackages>();
  // delegate_to: another host's session, connected on first use (it may be outside the play).
  const sessionFor = (name: string): Promise<HostSession | null> => (inv.hosts.has(name) && !dead.has(name) ? session(name) : Promise.resolve(null));
  const runnerFor = (s: HostSession, pl: Play, once?: OnceBatch, batch?: BatchControl) =>
    new PlayRunner(s, pl, book, (t) => hostVars(inv, pl, s.host.name, opts.extraVars, s.registered, t), {
      known: refs.prepared.get(s.host.name),
      check: opts.mode === 'check',
      diff: opts.diff,
      forceHandlers: opts.forceHandlers,
      selected,
      sessionFor,
      once,
      batch,
    });
  const upfrontOf = (s: HostSession) =>
    book.plays.filter((pl) => playHosts(inv, pl, opts.limit).includes(s.host.name)).map((pl) => runnerFor(s, pl).upfrontFacts());
  /** Before a host's first play: the facts of all its plays, in one exec (with the lock step, if requested). */
  const prefetch = async (s: HostSession): Promise<void> => {
    // gather_facts: true in any of the host's plays: the setup facts travel in the same exec,
    // and are host variables (ansible_*) from here on, as Ansible's gathering at play start.
    // Up front, tasks are evaluated with stand-ins for them (the facts a task needs rarely
    // depend on their values; when one does, it gathers again once reached, with the real
    // ones), and such tasks take no part in the apt batch (it must not install a stand-in).
    const gathers = book.plays.some((pl) => pl.gatherFacts && playHosts(inv, pl, opts.limit).includes(s.host.name));
    const standIns = parseSetup('');
    if (gathers) setFacts(s.registered, standIns);
    const upfront = upfrontOf(s);
    await s.gather(
      [...upfront.flatMap((u) => u.facts), ...(gathers ? [setupFact] : [])],
      upfront.some((u) => u.become),
    );
    const setup = gathers ? s.peek(setupFact) : undefined;
    if (setup) setFacts(s.registered, setup);
    const factNames = gathers ? ['ansible_facts', ...Object.keys(standIns).map((k) => `ansible_${k}`)] : [];
    const steps = upfront.flatMap((u) => u.steps).map((st) => (factNames.some((n) => readsVariable(st.task, n)) ? { ...st, prepared: undefined } : st));
    prefetched.add(s.host.name);
    packagesOf.set(s.host.name, { steps, covered: new Set() });
  };
  let stopped = false;
  try {
    if (opts.lock) {
      const owner = opts.lock.owner ?? lockOwner();
      const { held } = await lockHosts({
        hosts: allHosts,
        owner,
        waitS: opts.lock.waitS,
        session,
        first: async (_name, s) => {
          const t0 = Date.now();
          await prefetch(s as HostSession).finally(() => ((s as HostSession).recap.durationMs += Date.now() - t0));
        },
        become: (_name, s) => upfrontOf(s as HostSession).some((u) => u.become),
        pool: (items, fn) => pool(items, opts.forks, fn),
      });
      if (held.length) {
        // Nothing was changed: the run stops on every host, naming who holds what.
        stopped = true;
        const who = held.map((e) => `${e.host} (${describeHolder(e.holder)})`).join(', ');
        for (const s of sessions.values()) {
          const e = held.find((x) => x.host === s.host.name);
          s.failed = true;
          if (e) s.recap.failed++;
          else s.recap.skipped++;
          opts.emit({
            type: 'task',
            host: s.host.name,
            play: '',
            task: 'lock',
            handler: false,
            status: e ? 'failed' : 'skipped',
            message: e ? e.message : `not run: another apply holds ${who}`,
            durationMs: 0,
          });
        }
      }
    }
    for (const play of stopped ? [] : book.plays) {
      const hosts = ordered(playHosts(inv, play, opts.limit), play.order).filter((h) => !dead.has(h) && !sessions.get(h)?.failed);
      opts.emit({ type: 'play', play: play.name, hosts });
      let aborted = false;
      for (const batch of batches(hosts, play.serial)) {
        if (aborted) break;
        const once = new OnceBatch(batch[0]);
        const control = new BatchControl();
        await pool(batch, opts.forks, async (name) => {
          const s = await session(name).catch((e: unknown) => {
            once.finish(name);
            throw e;
          });
          if (!s) {
            if (play.anyErrorsFatal) control.trip(name, 'connect');
            return once.finish(name);
          }
          const t0 = Date.now();
          try {
            if (!prefetched.has(name)) await prefetch(s);
            await runnerFor(s, play, once, control).run(packagesOf.get(name));
          } catch (e) {
            if (e instanceof UnreachableError) {
              s.recap.unreachable = true;
              s.failed = true;
              if (!e.reported)
                opts.emit({
                  type: 'task',
                  host: name,
                  play: play.name,
                  task: 'connection',
                  handler: false,
                  status: 'unreachable',
                  message: redactor.redact(e.message),
                  durationMs: 0,
                });
              if (play.anyErrorsFatal) control.trip(name, 'connection');
            } else if (e instanceof PlumbError) {
              if (play.anyErrorsFatal) control.trip(name, 'error');
              s.failed = true;
              s.recap.failed++;
              opts.emit({
                type: 'task',
                host: name,
                play: play.name,
                task: 'error',
                handler: false,
                status: 'failed',
                message: redactor.redact(e.message),
                durationMs: 0,
              });
            } else throw e;
          } finally {
            once.finish(name);
            s.recap.durationMs += Date.now() - t0;
            opts.emit({ type: 'host_done', host: name, play: play.name });
          }
        });
        const failedInBatch = batch.filter((h) => dead.has(h) || sessions.get(h)?.failed).length;
        if (play.maxFailPercentage !== undefined && batch.length && (failedInBatch * 100) / batch.length > play.maxFailPercentage) aborted = true;
        // any_errors_fatal: the play ends, and so does the run (Ansible's "NO MORE HOSTS LEFT").
        if (control.fatal) aborted = true;
      }
      if (aborted) break;
    }
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.transport.close()));
  }

  const hosts: Record<string, HostRecap> = {};
  for (const h of allHosts)
    hosts[h] = dead.get(h) ?? sessions.get(h)?.recap ?? { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, execs: 0, durationMs: 0 };
  // Hosts only delegated to: their execs are theirs, their task counts stay with the delegating hosts.
  for (const [h, s] of sessions) if (!(h in hosts)) hosts[h] = s.recap;
  const durationMs = Date.now() - started;
  const notes = collectNotes(allHosts.map((h) => [h, sessions.get(h)?.notes ?? []]));
  opts.emit({ type: 'recap', mode: opts.mode, hosts, durationMs, ...(notes.length ? { notes } : {}) });
  const values = Object.values(hosts);
  const exitCode = values.some((r) => r.failed || r.unreachable) ? 1 : opts.mode === 'check' && values.some((r) => r.changed) ? 2 : 0;
  return { hosts, durationMs, exitCode };
}
