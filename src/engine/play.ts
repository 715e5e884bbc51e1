// One play on one host: prepare every task, gather all their facts in one exec, then plan
// and (unless checking) apply task by task, re-probing only facts a change invalidated.

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError, PlumbError, TaskError, UnreachableError } from '../errors.js';
import { aptCacheFact } from '../facts/pkg.js';
import { isLive } from '../facts/live.js';
import type { Fact } from '../facts/types.js';
import { isSecretName, secretLeaves } from '../inventory/secrets.js';
import { modules } from '../modules/index.js';
import type { ModuleContext, Plan, Vars } from '../modules/types.js';
import { evaluate, interpolate, UndefinedName } from '../playbook/expr.js';
import type { Frame, Play, Playbook, Task } from '../playbook/load.js';
import { parseSetup } from '../facts/setup.js';
import { USER_NAME_PATTERN } from '../playbook/schema.js';
import { renderFile, templatePath } from '../render/ejs.js';
import type { Status } from '../report/events.js';
import { definedNames, definesNamesAtRunTime, runAction } from './actions.js';
import { execute, type Outcome } from './executor.js';
import { clearPending, pendingFact } from './handlers.js';
import { afterBatch, batchWindow, pkgFactsOf, planPackageBatch, type Step, windowFacts } from './packages.js';
import { controllerPath, localSha1 } from './local-write.js';
import { inputsOf, serviceInputMap } from './reads.js';
import type { Become, HostSession } from './session.js';
import { type Instance, localFile, moduleOf, type Prepared, prepareTask } from './task.js';

const USER_NAME = new RegExp(USER_NAME_PATTERN);
/** A task as written (its copies per include pass share it): throttle's key. */
const taskKey = (t: Task): string => `${t.loc.src.file}:${t.loc.path.join('.')}`;

/** A host's tasks in run order (all its plays), and the apt tasks a batch already took in. */
export interface HostPackages {
  steps: Step[];
  covered: Set<Task>;
}

export interface PlayOptions {
  /** Tasks checkReferences prepared from what a run cannot change (References.prepared): used as they are. */
  known?: ReadonlyMap<Task, Prepared>;
  check: boolean;
  diff: boolean;
  forceHandlers: boolean;
  /** Tasks left out by --tags/--skip-tags. */
  selected: (t: Task) => boolean;
  /** delegate_to: the session of another host (connected on first use), null when unreachable. */
  sessionFor?: (host: string) => Promise<HostSession | null>;
  /** run_once: shared by the hosts of one serial batch; its first host runs the task. */
  once?: OnceBatch;
  /** any_errors_fatal and throttle: shared by the hosts of one serial batch. */
  batch?: BatchControl;
}

/**
 * What the hosts of one serial batch share besides run_once: a failure under
 * any_errors_fatal (the others stop before their next task; hosts are not in lockstep, so
 * one may already be past the failed task: docs/playbooks.md), and throttle's slots.
 */
export class BatchControl {
  fatal?: { host: string; task: string };
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  trip(host: string, task: string): void {
    this.fatal ??= { host, task };
  }

  /** Wait for one of the task's `limit` slots; the returned function frees it. */
  async acquire(key: string, limit: number): Promise<() => void> {
    let sl = this.slots.get(key);
    if (!sl) this.slots.set(key, (sl = { active: 0, waiting: [] }));
    const slot = sl;
    while (slot.active >= limit) await new Promise<void>((r) => slot.waiting.push(r));
    slot.active++;
    return () => {
      slot.active--;
      slot.waiting.shift()?.();
    };
  }
}

/** What a run_once task left for the other hosts of its batch. */
export interface OnceResult {
  host: string;
  registered?: unknown;
  facts?: Vars;
  /** The first host ended its play without reaching the task (failed, unreachable, or skipped it). */
  notRun?: boolean;
}

/**
 * run_once for one serial batch: the batch's first host (inventory order) runs the task and
 * the others take its result, so check and apply pick the same host on every run. When that
 * host ends without reaching the task, the others skip it too (Ansible would move to the next
 * host: a run_once task then never runs twice, nor on a host chosen by timing).
 */
export class OnceBatch {
  private readonly slots = new Map<string, { p: Promise<OnceResult>; resolve: (r: OnceResult) => void; done: boolean }>();
  constructor(readonly first: string | undefined) {}

  private slot(key: string) {
    let sl = this.slots.get(key);
    if (!sl) {
      let resolve!: (r: OnceResult) => void;
      const p = new Promise<OnceResult>((r) => (resolve = r));
      sl = { p, resolve, done: false };
      this.slots.set(key, sl);
    }
    return sl;
  }

  result(key: string): Promise<OnceResult> {
    return this.slot(key).p;
  }

  settle(key: string, r: OnceResult): void {
    const sl = this.slot(key);
    if (sl.done) return;
    sl.done = true;
    sl.resolve(r);
  }

  /** The first host is done with the play: what it did not reach is not run by anyone. */
  finish(host: string): void {
    if (host !== this.first) return;
    for (const [key, sl] of this.slots) if (!sl.done) this.settle(key, { host, notRun: true });
    this.ended = true;
  }

  /** True once the first host ended: a slot asked for afterwards is settled at once. */
  private ended = false;
  isEnded(): boolean {
    return this.ended;
  }
}

type BlockState = 'rescuing' | 'failed' | 'abort';

/** `after`: index of the last earlier task whose registered result this task reads (-1: none). */
type Slot = { task: Task; prepared?: Prepared; after: number };

export class PlayRunner {
  private readonly notified = new Set<string>();
  /** Names recorded in the host's pending file (by this run or an earlier one). */
  private readonly persisted = new Set<string>();

  constructor(
    private readonly s: HostSession,
    private readonly play: Play,
    private readonly book: Playbook,
    private readonly vars: (t?: Task) => Vars,
    private readonly opts: PlayOptions,
  ) {}

  private become(t: Task): boolean {
    return t.become ?? (this.play.become || this.s.host.conn.become);
  }

  /**
   * Whom a task's changes run as: false (the connection's user), true (root), or a user
   * name (become_user of the task, its blocks or play, else the host's ansible_become_user).
   * Keywords beat the inventory variable, unlike Ansible (docs/playbooks.md).
   */
  private becomeAs(t: Task, vars: Vars): Become {
    if (!this.become(t)) return false;
    const raw = t.becomeUser ?? this.s.host.conn.becomeUser;
    if (raw === undefined) return true;
    const user = String(interpolate(raw, vars));
    if (!USER_NAME.test(user))
      throw new TaskError(`become_user must be a user name, got ${JSON.stringify(user)}`, 'lower-case letters, digits, _ . - (as useradd accepts)');
    return user === 'root' ? true : user;
  }

  private ctx(t: Task, vars: Vars): ModuleContext {
    return {
      host: this.s.host.name,
      diff: this.opts.diff,
      become: this.become(t),
      user: this.s.user,
      vars,
      mayChange: (f) => this.s.mayChange(f),
      serviceInputs: (unit) => inputsOf(this.inputs(), unit, this.notified),
      renderTemplate: (src) => renderFile(localFile(t, 'templates', src, templatePath(this.book.templatesDir, src)), vars),
      readLocal: (src) => {
        const p = localFile(t, 'files', src, isAbsolute(src) ? src : join(this.book.root, src));
        try {
          return readFileSync(p);
        } catch {
          throw InputError.one(`file not found: ${p}`, undefined, 'copy src is relative to the project root (the folder that holds playbooks/)');
        }
      },
      localChecksum: (p) => localSha1(controllerPath(p, this.book.root)),
    };
  }

  private inputMap?: ReturnType<typeof serviceInputMap>;
  /** Which files each service reads, per the play's notify edges (src/engine/reads.ts). */
  private inputs(): ReturnType<typeof serviceInputMap> {
    this.inputMap ??= serviceInputMap(this.play, (t) => {
      try {
        return this.prepared(t);
      } catch {
        return undefined; // reported where the task runs
      }
    });
    return this.inputMap;
  }

  /** A task prepared once per run where its inputs are static (checkReferences), else now. */
  private prepared(t: Task): Prepared {
    return this.opts.known?.get(t) ?? prepareTask(t, this.vars(t));
  }

  private prepare(slot: Slot): void {
    slot.prepared = this.prepared(slot.task);
  }

  private factsOf(slot: Slot): Fact<unknown>[] {
    // Actions need no facts; a delegated task's facts are gathered on the host it runs on.
    if (!slot.prepared || 'skip' in slot.prepared || !isModule(slot.task) || slot.task.delegateTo) return [];
    const m = moduleOf(slot.task);
    const vars = this.vars(slot.task);
    return slot.prepared.instances.flatMap((i) => m.facts(i.args as never, this.ctx(slot.task, { ...vars, [slot.task.loopVar]: i.item })));
  }

  /**
   * A task that waits only because its `when` reads a result registered later (`when:
   * out.changed`): its facts from its arguments and loop alone, so that they travel in the
   * first exec and the task costs no exec of its own when reached. A probe only reads, so
   * one gathered for a task that then does not run costs nothing; live reads (a port, a URL,
   * a query: they may wait) and command probes (an `unless:` the operator guarded with that
   * `when`, find, getent: they may be slow) are left for when the task is reached.
   */
  private speculativeFacts(task: Task): Fact<unknown>[] {
    if (!isModule(task) || task.delegateTo || task.includedBy || !task.when.length) return [];
    try {
      const slot: Slot = { task: { ...task, when: [] }, after: -1 };
      this.prepare(slot);
      return this.factsOf(slot).filter((f) => !isLive(f.key) && !f.key.startsWith('cmd:'));
    } catch {
      return []; // its arguments read what is not there yet: gathered when reached
    }
  }

  /** Secret-named play vars and role defaults join the redactor once resolved for this host. */
  private registerSecrets(): void {
    const vars = this.vars();
    const explicit = new Set(Array.isArray(vars.plumb_secret_vars) ? (vars.plumb_secret_vars as unknown[]).map(String) : []);
    for (const name of Object.keys({ ...this.play.roleDefaults, ...this.play.vars })) {
      if (!isSecretName(name, explicit) && !this.s.host.secretNames.has(name)) continue;
      try {
        this.s.redactor.add(secretLeaves(interpolate(vars[name], vars)));
      } catch {
        // An unresolvable secret is reported where a task uses it.
      }
    }
  }

  /**
   * Every fact this play's tasks need, as far as they can be evaluated now. The run gathers
   * these for ALL of a host's plays in one exec before its first play, so a no-op run of a
   * many-play playbook still costs one exec per host. Tasks that cannot be evaluated yet
   * (they read results registered later) are simply left out: they gather when reached.
   */
  upfrontFacts(): { facts: Fact<unknown>[]; become: boolean; steps: Step[] } {
    const tasks = this.play.tasks.filter(this.opts.selected);
    const facts: Fact<unknown>[] = [pendingFact];
    const steps: Step[] = [];
    for (const task of tasks) {
      const slot: Slot = { task, after: -1 };
      try {
        if (!task.includedBy) this.prepare(slot);
        facts.push(...this.factsOf(slot));
      } catch {
        // evaluated, and reported, when the task is reached
        facts.push(...this.speculativeFacts(task));
      }
      steps.push({ task, prepared: slot.prepared, become: this.become(task) });
    }
    return { facts, become: this.play.become || this.s.host.conn.become || tasks.some((t) => t.become), steps };
  }

  /** `packages`: the host's tasks in run order, for its apt batches (src/engine/packages.ts). */
  async run(packages?: HostPackages): Promise<void> {
    this.registerSecrets();
    const tasks = this.play.tasks.filter(this.opts.selected);
    // A task that reads a result registered earlier in this play is evaluated only once that
    // task has run; every other task is evaluated now, so all their facts travel in one exec.
    const slots: Slot[] = tasks.map((task, i) => ({ task, after: this.waitsFor(task, tasks.slice(0, i)) }));
    for (const sl of slots) if (sl.after < 0) this.prepare(sl);
    const become = this.play.become || this.s.host.conn.become || tasks.some((t) => t.become);
    // ONE exec: every fact every ready task needs, plus the host's pending handlers.
    await this.s.gather([pendingFact, ...slots.flatMap((sl) => (sl.prepared ? this.factsOf(sl) : this.speculativeFacts(sl.task)))], become);
    const handlerTopics = new Set(this.play.handlers.flatMap((h) => [h.name, ...h.listen]));
    for (const name of this.s.view().get(pendingFact)) {
      if (handlerTopics.has(name)) {
        this.notified.add(name);
        this.persisted.add(name);
      }
    }

    // Blocks: a failure inside one moves to its rescue (or its always); see failIn().
    const state = new Map<Frame, BlockState>();
    let failing = false;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const fatal = this.opts.batch?.fatal;
      if (fatal && fatal.host !== this.s.host.name) {
        await this.stopForFatal(fatal);
        return;
      }
      const go = runsNow(slot.task, state, failing);
      if (go === 'stop') break;
      if (go === 'skip' || slot.after === Number.MAX_SAFE_INTEGER) continue; // skipped, or its include was left out by tags
      if (slot.task.module === 'meta') {
        await this.runHandlers();
        continue;
      }
      if (!slot.prepared) {
        // Every waiting task whose registered inputs now exist is evaluated together, so
        // their facts are gathered below in one exec rather than one exec per task.
        for (const later of slots.slice(i)) if (!later.prepared && later.after < i) this.prepare(later);
      }
      if (isInclude(slot.task)) {
        this.expandInclude(slots, i);
        continue;
      }
      if (packages && slot.task.module === 'apt' && !packages.covered.has(slot.task)) await this.batchFrom(slot.task, packages);
      // Facts invalidated by applied changes are re-probed together for all remaining tasks.
      if (this.s.missing(this.factsOf(slot)).length) {
        await this.s.gather(
          slots.slice(i).flatMap((sl) => this.factsOf(sl)),
          become,
        );
      }
      const release = slot.task.throttle && this.opts.batch ? await this.opts.batch.acquire(taskKey(slot.task), slot.task.throttle) : undefined;
      const ok = await this.runTask(slot.task, slot.prepared!, false).finally(() => release?.());
      if (ok) continue;
      if (failIn(slot.task, state)) {
        // Rescued: the host goes on, and the failure counts as rescued, not failed.
        this.s.failed = false;
        this.s.recap.failed--;
        this.s.recap.rescued = (this.s.recap.rescued ?? 0) + 1;
      } else {
        failing = true;
        if (slot.task.anyErrorsFatal) this.opts.batch?.trip(this.s.host.name, this.s.redactor.redact(slot.task.name));
      }
    }
    if (!this.s.failed || this.opts.forceHandlers || this.play.forceHandlers) await this.runHandlers();
  }

  /** Another host's failure under any_errors_fatal: this host stops here, its handlers unrun (unless forced). */
  private async stopForFatal(fatal: { host: string; task: string }): Promise<void> {
    this.s.emit({
      type: 'task',
      host: this.s.host.name,
      play: this.play.name,
      task: 'any_errors_fatal',
      handler: false,
      status: 'skipped',
      message: `play stopped: ${fatal.host} failed '${fatal.task}' (any_errors_fatal)`,
      durationMs: 0,
    });
    if (this.opts.forceHandlers || this.play.forceHandlers) await this.runHandlers();
  }

  /** Index of the last earlier task defining a name this task reads (-1: none); an included task waits for its include. */
  private waitsFor(task: Task, earlier: Task[]): number {
    if (task.includedBy) return Number.MAX_SAFE_INTEGER;
    let after = -1;
    earlier.forEach((e, j) => {
      // A set_fact with templated names may define any name: what follows it waits.
      if (definesNamesAtRunTime(e) || definedNames(e).some((n) => readsVariable(task, n))) after = j;
    });
    return after;
  }

  /**
   * include_tasks / include_role, reached: its `when` and loop, evaluated now, say how often
   * its tasks run. They stand after it in the slots, once; they are replaced by one copy per
   * item (with the loop variable as a task variable), or removed when it is skipped.
   */
  private expandInclude(slots: Slot[], i: number): void {
    const inc = slots[i]!.task;
    const prepared = slots[i]!.prepared!;
    let end = i + 1;
    while (end < slots.length && descends(slots[end]!.task, inc)) end++;
    const children = slots.slice(i + 1, end).map((sl) => sl.task);
    const host = this.s.host.name;
    const name = this.s.redactor.redact(inc.name);
    this.s.emit({ type: 'task_start', host, play: this.play.name, task: name, handler: false });
    if ('skip' in prepared) {
      slots.splice(i + 1, end - i - 1);
      this.s.recap.skipped++;
      this.s.emit({ type: 'task', host, play: this.play.name, task: name, handler: false, status: 'skipped', message: prepared.skip, durationMs: 0 });
      return;
    }
    const copies: Slot[] = [];
    for (const inst of prepared.instances) {
      const frames = new Map<Frame, Frame>();
      const tasks = new Map<Task, Task>();
      const itemVars = inc.loop !== undefined ? { [inc.loopVar]: inst.item, ...(inc.indexVar ? { [inc.indexVar]: inst.index } : {}) } : {};
      for (const c of children) {
        const copy: Task = {
          ...c,
          vars: { ...c.vars, ...itemVars },
          params: { ...c.params, ...itemVars },
          includedBy: c.includedBy === inc ? undefined : (tasks.get(c.includedBy!) ?? c.includedBy),
          // Each pass through the file has blocks of its own: a rescue in pass 1 says nothing of pass 2.
          frames: c.frames?.map((f) => {
            const own = inc.frames?.some((o) => o.frame === f.frame);
            if (own) return f;
            if (!frames.has(f.frame)) frames.set(f.frame, { ...f.frame });
            return { frame: frames.get(f.frame)!, section: f.section };
          }),
        };
        tasks.set(c, copy);
        copies.push({ task: copy, after: copy.includedBy ? Number.MAX_SAFE_INTEGER : -1 });
      }
    }
    // A task of the file that reads what an earlier one of it defines (setup's facts, a
    // register) waits for that one, as in the play (waitsFor); the copies start at i + 1.
    copies.forEach((sl, k) => {
      if (sl.after !== -1) return;
      const j = this.waitsFor(
        sl.task,
        copies.slice(0, k).map((c) => c.task),
      );
      if (j >= 0) sl.after = i + 1 + j;
    });
    slots.splice(i + 1, end - i - 1, ...copies);
    this.s.recap.ok++;
    this.s.emit({
      type: 'task',
      host,
      play: this.play.name,
      task: name,
      handler: false,
      status: 'ok',
      message: `included ${children.length} task(s)${inc.loop !== undefined ? ` for ${prepared.instances.length} item(s)` : ''}`,
      durationMs: 0,
    });
  }

  /**
   * At an apt task with `batch: true`: install what it and the following batchable apt tasks
   * of the host would install, in one transaction (src/engine/packages.ts).
   */
  private async batchFrom(anchor: Task, packages: HostPackages): Promise<void> {
    const window = batchWindow(
      packages.steps,
      packages.steps.findIndex((st) => st.task === anchor),
    );
    window.forEach((st) => packages.covered.add(st.task));
    if (window.length < 2) return;
    const become = window.some((st) => st.become);
    await this.s.gather(windowFacts(window), become);
    const batch = planPackageBatch(window, this.s.view());
    if (!batch) return;
    this.s.assume(...batch.union);
    await this.runTask(batch.task, { instances: [{ args: batch.task.args }] }, false);
    if (!this.opts.check) return; // apply: the install invalidated every fact; they are probed again
    // Check mode: the host's apt tasks plan as they would once the batch had run.
    for (const f of pkgFactsOf(packages.steps)) {
      const v = this.s.peek(f);
      if (v) this.s.assume(f, afterBatch(v, batch));
    }
    if (batch.refreshes && this.s.peek(aptCacheFact()) !== undefined) this.s.assume(aptCacheFact(), 0);
  }

  /** Run notified handlers in declaration order. Returns after clearing their pending marks. */
  private async runHandlers(): Promise<void> {
    if (!this.notified.size) return;
    const due = this.play.handlers.filter((h) => this.notified.has(h.name) || h.listen.some((l) => this.notified.has(l)));
    const topics = [...this.notified];
    this.notified.clear();
    const slots: Slot[] = due.map((h) => ({ task: h, prepared: this.prepared(h), after: -1 }));
    const become = this.play.become || this.s.host.conn.become || due.some((h) => h.become);
    await this.s.gather(
      slots.flatMap((sl) => this.factsOf(sl)),
      become,
    );
    let allOk = true;
    for (const sl of slots) {
      if (this.s.missing(this.factsOf(sl)).length) await this.s.gather(this.factsOf(sl), become);
      allOk = (await this.runTask(sl.task, sl.prepared!, true)) && allOk;
      if (!allOk) break;
    }
    const toClear = topics.filter((t) => this.persisted.has(t));
    if (allOk && toClear.length && !this.opts.check) {
      await this.s.run(clearPending(toClear), become, 'handlers');
      toClear.forEach((t) => this.persisted.delete(t));
    }
  }

  /** Plan and apply one task on this host (all loop items). Returns false if the host must stop. */
  private async runTask(t: Task, prepared: Prepared, handler: boolean): Promise<boolean> {
    if (t.runOnce && !handler && this.opts.once) {
      const once = this.opts.once;
      const key = `${t.loc.src.file}:${t.loc.path.join('/')}:${this.play.name}`;
      if (this.s.host.name !== once.first) {
        // The batch's first host runs it; this one takes its result.
        if (once.isEnded()) once.settle(key, { host: once.first ?? '', notRun: true });
        const r = await once.result(key);
        if (t.register && r.registered !== undefined) this.s.registered[t.register] = r.registered;
        if (r.facts) Object.assign(this.s.registered, r.facts);
        this.s.emit({
          type: 'task',
          host: this.s.host.name,
          play: this.play.name,
          task: this.s.redactor.redact(t.name),
          handler,
          status: 'skipped',
          message: r.notRun ? `run once: ${r.host} did not reach it` : `run once, on ${r.host}`,
          durationMs: 0,
        });
        return true;
      }
      const factsBefore = new Set(Object.keys(this.s.registered));
      try {
        return await this.runTaskHere(t, prepared, handler);
      } finally {
        const facts =
          t.module === 'set_fact' || t.module === 'include_vars'
            ? Object.fromEntries(Object.entries(this.s.registered).filter(([k]) => !factsBefore.has(k) || definedNames(t).includes(k)))
            : undefined;
        once.settle(key, { host: this.s.host.name, registered: t.register ? this.s.registered[t.register] : undefined, facts });
      }
    }
    return this.runTaskHere(t, prepared, handler);
  }

  private async runTaskHere(t: Task, prepared: Prepared, handler: boolean): Promise<boolean> {
    const started = Date.now();
    const host = this.s.host.name;
    const play = this.play.name;
    const red = this.s.redactor;
    const name = red.redact(t.name);
    this.s.emit({ type: 'task_start', host, play, task: name, handler });
    if ('skip' in prepared) {
      this.s.recap.skipped++;
      if (t.register) this.s.registered[t.register] = { changed: false, failed: false, skipped: true };
      this.s.emit({ type: 'task', host, play, task: name, handler, status: 'skipped', message: prepared.skip, durationMs: Date.now() - started });
      return true;
    }
    const results: Vars[] = [];
    let worst: Status = 'ok';
    for (const [n, inst] of prepared.instances.entries()) {
      if (n > 0 && t.pause) await sleep(t.pause * 1000);
      const vars = { ...this.vars(t), [t.loopVar]: inst.item, ...(t.indexVar ? { [t.indexVar]: inst.index } : {}) };
      const out = await this.attempts(t, inst, handler, vars);
      const result = { ...out.result, changed: out.status === 'changed', failed: out.status === 'failed', skipped: out.status === 'skipped', item: inst.item };
      results.push(result);
      const diff = t.noLog
        ? out.diffs.length
          ? [{ label: '(no_log)', before: '', after: '<hidden by no_log>\n' }]
          : undefined
        : out.diffs.length && this.opts.diff
          ? red.redactDeep(out.diffs)
          : undefined;
      let label: string | undefined;
      if (inst.item !== undefined) {
        try {
          label = t.label !== undefined ? String(interpolate(t.label, vars)) : typeof inst.item === 'string' ? inst.item : JSON.stringify(inst.item);
        } catch {
          label = JSON.stringify(inst.item);
        }
      }
      this.s.emit({
        type: 'task',
        host: out.delegate ? `${host} -> ${out.delegate}` : host,
        play,
        task: name,
        handler,
        status: out.status,
        message:
          out.message === undefined
            ? undefined
            : t.noLog
              ? out.status === 'failed'
                ? `failed; output hidden by no_log${out.result.rc !== undefined ? ` (exit ${String(out.result.rc)})` : ''}`
                : '<hidden by no_log>'
              : red.redact(out.message),
        item: label === undefined ? undefined : t.noLog ? '<hidden>' : red.redact(label),
        diff,
        output:
          t.noLog || !isModule(t) || !moduleOf(t).reportsOutput || typeof out.result.rc !== 'number'
            ? undefined
            : { rc: out.result.rc, stdout: red.redact(String(out.result.stdout ?? '')), stderr: red.redact(String(out.result.stderr ?? '')) },
        durationMs: Date.now() - started,
      });
      if (out.status === 'failed' || out.status === 'unreachable') worst = out.status;
      else if (out.status === 'changed' && worst !== 'failed') worst = 'changed';
      else if (out.status === 'skipped' && worst === 'ok' && prepared.instances.length === 1) worst = 'skipped';
      if (out.status === 'unreachable' && !t.ignoreUnreachable && !out.delegate)
        throw Object.assign(new UnreachableError(host, out.message ?? 'connection lost'), { reported: true });
      if (out.status === 'failed' && !t.ignoreErrors) break;
    }
    const counted: Status =
      (worst === 'failed' && t.ignoreErrors) || (worst === 'unreachable' && t.ignoreUnreachable) ? 'ok' : worst === 'unreachable' ? 'failed' : worst;
    if (counted === 'ok') this.s.recap.ok++;
    else if (counted === 'changed') this.s.recap.changed++;
    else if (counted === 'skipped') this.s.recap.skipped++;
    else if (counted === 'failed') this.s.recap.failed++;
    if (t.register) {
      const first = results[0] ?? {};
      this.s.registered[t.register] =
        prepared.instances.length > 1 || t.loop !== undefined ? { changed: worst === 'changed', failed: worst === 'failed', results } : first;
    }
    const facts = results[0]?.ansible_facts;
    if (worst !== 'failed' && facts && typeof facts === 'object') setFacts(this.s.registered, facts as Vars);
    if (worst === 'changed') t.notify.forEach((n) => this.notified.add(n));
    if (counted === 'failed') {
      this.s.failed = true;
      return false;
    }
    return true;
  }

  /**
   * One item: planned and applied, then judged by changed_when / failed_when; with `until`,
   * again (one exec per try) until it holds or the retries are spent.
   */
  private async attempts(t: Task, inst: Instance, handler: boolean, vars: Vars): Promise<Outcome> {
    const tries = t.until === undefined ? 1 : Math.max(1, toNumber(interpolate(t.retries ?? 3, vars), 'retries') + 1);
    const delay = t.until === undefined ? 0 : toNumber(interpolate(t.delay ?? 5, vars), 'delay');
    let out!: Outcome;
    for (let n = 1; n <= tries; n++) {
      if (n > 1 && delay > 0) await sleep(delay * 1000);
      // A retry reads the task's facts again: `until: st.stat.exists` waits for the host.
      out = await this.judge(t, await this.runInstance(t, inst, handler, vars, n > 1), vars);
      if (t.until === undefined) return out;
      // Judged when something ran or the facts alone made it ok; a change check mode did not make has no result to judge.
      if (out.status === 'unreachable' || (!out.ran && out.status !== 'ok')) return { ...out, result: { ...out.result, attempts: n } };
      const seen = { ...vars, ...(t.register ? { [t.register]: { ...out.result, changed: out.status === 'changed', failed: out.status === 'failed' } } : {}) };
      let done = false;
      try {
        done = Boolean(evaluate(t.until, seen));
      } catch (e) {
        return { ...out, status: 'failed', message: `until: ${(e as Error).message}` };
      }
      if (done) return { ...out, message: n > 1 ? `${out.message ?? ''} (after ${n} attempts)`.trim() : out.message, result: { ...out.result, attempts: n } };
      this.s.emit({
        type: 'task',
        host: this.s.host.name,
        play: this.play.name,
        task: this.s.redactor.redact(t.name),
        handler,
        status: 'skipped',
        message: `until not met: retrying (${n} of ${tries})`,
        durationMs: 0,
      });
    }
    return {
      ...out,
      status: 'failed',
      message: `until never held: ${tries} attempts (last: ${out.message ?? out.status})`,
      result: { ...out.result, attempts: tries },
    };
  }

  /** changed_when / failed_when, with the task's own result under its register name. */
  private judge(t: Task, out: Outcome, vars: Vars): Outcome {
    if ((!t.changedWhen && !t.failedWhen) || out.status === 'unreachable' || out.status === 'skipped') return out;
    const reg = { ...out.result, changed: out.status === 'changed', failed: out.status === 'failed' };
    const scope = { ...vars, ...(t.register ? { [t.register]: reg } : {}) };
    const holds = (conds: (string | boolean)[]) => conds.every((c) => (typeof c === 'boolean' ? c : Boolean(evaluate(c, scope))));
    let status = out.status;
    try {
      // In check mode a change that did not run has no output to judge: it stays "would change".
      if (t.changedWhen && status !== 'failed' && (out.ran || t.changedWhen.every((c) => typeof c === 'boolean')))
        status = holds(t.changedWhen) ? 'changed' : 'ok';
      if (t.failedWhen && out.ran)
        status = holds(t.failedWhen) ? 'failed' : status === 'failed' ? (out.status === 'failed' && t.changedWhen === undefined ? 'changed' : 'ok') : status;
    } catch (e) {
      if (e instanceof UndefinedName && !out.ran) return out;
      return { ...out, status: 'failed', message: `${t.changedWhen ? 'changed_when' : 'failed_when'}: ${(e as Error).message}` };
    }
    return status === out.status
      ? out
      : { ...out, status, message: status === 'failed' && out.status !== 'failed' ? `failed_when held${out.message ? `: ${out.message}` : ''}` : out.message };
  }

  private async runInstance(t: Task, inst: Instance, handler: boolean, vars: Vars, fresh = false): Promise<Outcome> {
    if (!isModule(t)) {
      try {
        const r = runAction(t, inst.args, vars);
        if (r.facts) Object.assign(this.s.registered, r.facts);
        // Redacted here like every message; no_log keeps it out of the recap too.
        if (r.note !== undefined && !t.noLog) {
          const note = this.s.redactor.redact(r.note);
          if (!this.s.notes.includes(note)) this.s.notes.push(note);
        }
        return { status: r.status, message: r.message, diffs: [], result: r.result, ran: true };
      } catch (e) {
        if (e instanceof InputError || e instanceof UndefinedName || e instanceof TaskError)
          return { status: 'failed', message: e.message, diffs: [], result: {} };
        if (e instanceof Error && e.name !== 'InternalError') return { status: 'failed', message: e.message, diffs: [], result: {} };
        throw e;
      }
    }
    const m = moduleOf(t);
    // delegate_to: facts, checks and changes on that host; variables stay this host's.
    let s = this.s;
    let delegate: string | undefined;
    if (t.delegateTo) {
      let target: unknown;
      try {
        target = interpolate(t.delegateTo, vars);
      } catch (e) {
        return { status: 'failed', message: `delegate_to: ${(e as Error).message}`, diffs: [], result: {} };
      }
      if (String(target) !== this.s.host.name) {
        delegate = String(target);
        const other = this.opts.sessionFor ? await this.opts.sessionFor(delegate) : null;
        if (!other)
          return { status: 'unreachable', message: `delegated host ${delegate} is unreachable or not in the inventory`, diffs: [], result: {}, delegate };
        s = other;
      }
    }
    const out = await this.planAndApply(t, m, inst, handler, vars, s, fresh);
    return delegate ? { ...out, delegate } : out;
  }

  private async planAndApply(
    t: Task,
    m: ReturnType<typeof moduleOf>,
    inst: Instance,
    handler: boolean,
    vars: Vars,
    s: HostSession,
    fresh = false,
  ): Promise<Outcome> {
    const delegated = s !== this.s;
    const ctx = this.ctx(t, vars);
    if (delegated) ctx.host = s.host.name;
    ctx.mayChange = (f) => s.mayChange(f);
    if (m.secretArgs && inst.args && typeof inst.args === 'object') {
      const a = inst.args as Vars;
      this.s.redactor.add(m.secretArgs.map((k) => a[k]).filter((v): v is string => typeof v === 'string'));
    }
    let plan: Plan;
    let as: Become;
    try {
      as = this.becomeAs(t, vars);
      const needed = m.facts(inst.args as never, ctx);
      if (fresh) s.forget(needed);
      if (s.missing(needed).length) await s.gather(needed, ctx.become);
      plan = m.plan(inst.args as never, s.view(), ctx);
    } catch (e) {
      if (e instanceof UnreachableError) return { status: 'unreachable', message: e.message, diffs: [], result: {} };
      if (e instanceof TaskError || e instanceof InputError || e instanceof UndefinedName)
        return { status: 'failed', message: e.message, diffs: [], result: {} };
      throw e;
    }
    // Pending handlers are recorded on this host; a delegated change's notify stays in memory.
    return execute(plan, s, {
      // check_mode: true never applies, not even in apply; false applies in check too (command/shell only, see the loader).
      check: t.checkMode ?? this.opts.check,
      become: as,
      notify: !handler && !delegated && t.notify.length ? t.notify : [],
      kind: handler ? 'handlers' : 'change',
      noLog: t.noLog,
      timeoutS: t.timeout ?? s.commandTimeoutS,
      notified: (names) => names.forEach((x) => this.persisted.add(x)),
      root: this.book.root,
    });
  }
}

/** Stand-ins for the gathered facts (ansible_*) when a play of the book has gather_facts: the checks before connecting know their names. */
export function gatheredStandIns(book: Playbook): Vars {
  const out: Vars = {};
  if (book.plays.some((p) => p.gatherFacts)) setFacts(out, parseSetup(''));
  return out;
}

/** A module's ansible_facts become ansible_facts.<name> and ansible_<name>: host data, never templated again. */
export function setFacts(registered: Vars, facts: Vars): void {
  const prev = (registered['ansible_facts'] ?? {}) as Vars;
  registered['ansible_facts'] = { ...prev, ...facts };
  for (const [k, v] of Object.entries(facts)) registered[`ansible_${k}`] = v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toNumber(v: unknown, what: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw InputError.one(`${what} must be a number of ${what === 'delay' ? 'seconds' : 'tries'}, not ${JSON.stringify(v)}`);
  return n;
}

const isModule = (t: Task): boolean => t.module in modules;
const isInclude = (t: Task): boolean => t.module === 'include_tasks' || t.module === 'include_role';

/** Whether `t` came (directly or through nested includes) from include `inc`. */
function descends(t: Task, inc: Task): boolean {
  for (let p = t.includedBy; p; p = p.includedBy) if (p === inc) return true;
  return false;
}

/**
 * Whether a task runs, given the state of its blocks: a block's own tasks stop at its first
 * failure, its rescue runs only after one, its always in any case. 'stop': the host failed
 * outside every block still handling it.
 */
export function runsNow(t: Task, state: ReadonlyMap<Frame, BlockState>, failing: boolean): 'run' | 'skip' | 'stop' {
  const frames = t.frames ?? [];
  if (failing && !(frames[0] && state.has(frames[0].frame))) return 'stop';
  for (const { frame, section } of frames) {
    const st = state.get(frame);
    if (st === 'abort') return 'skip';
    if (section === 'block' && st) return 'skip';
    if (section === 'rescue' && st !== 'rescuing') return 'skip';
  }
  return 'run';
}

/**
 * A task failed: mark its blocks, innermost first. Returns true when a rescue takes it (the
 * host goes on); false when it fails the host (always parts still run on the way out).
 */
export function failIn(t: Task, state: Map<Frame, BlockState>): boolean {
  const frames = t.frames ?? [];
  for (let k = frames.length - 1; k >= 0; k--) {
    const { frame, section } = frames[k]!;
    if (section === 'block' && frame.hasRescue && !state.has(frame)) {
      state.set(frame, 'rescuing');
      return true;
    }
    state.set(frame, section === 'always' ? 'abort' : 'failed');
  }
  return false;
}

const inputsText = new WeakMap<Task, string>();

/** Whether what a task is prepared from (arguments, `when`, `loop`, its own and its role's `vars`, `environment`, `delegate_to`) mentions `name` as a variable. */
export function readsVariable(t: Task, name: string): boolean {
  let text = inputsText.get(t);
  if (text === undefined) {
    text = JSON.stringify([t.args, t.when, t.loop, t.vars, t.roleVars, t.params, t.environment, t.delegateTo]);
    inputsText.set(t, text);
  }
  return new RegExp(`(^|[^A-Za-z0-9_$.])${name.replace(/\$/g, '\\$')}([^A-Za-z0-9_$]|$)`).test(text);
}

export function isPlumbError(e: unknown): e is PlumbError {
  return e instanceof PlumbError;
}
