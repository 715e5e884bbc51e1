// One play on one host: prepare every task, gather all their facts in one exec, then plan
// and (unless checking) apply task by task, re-probing only facts a change invalidated.
import { CommandError, InputError, PlumbError, TaskError, UnreachableError } from '../errors.js';
import type { Fact } from '../facts/types.js';
import type { Change, Diff, ModuleContext, Plan, Vars } from '../modules/types.js';
import { modules } from '../modules/index.js';
import type { Play, Playbook, Task } from '../playbook/load.js';
import { renderFile, templatePath } from '../render/ejs.js';
import type { Status } from '../report/events.js';
import { clearPending, pendingFact, recordPending } from './handlers.js';
import { inputsOf, serviceInputMap } from './reads.js';
import type { HostSession } from './session.js';
import { moduleOf, prepareTask, type Instance, type Prepared } from './task.js';
import { afterBatch, batchWindow, pkgFactsOf, planPackageBatch, windowFacts, type Step } from './packages.js';
import { aptCacheFact } from '../facts/pkg.js';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { interpolate, UndefinedName } from '../playbook/expr.js';
import { isSecretName, secretLeaves } from '../inventory/secrets.js';

/** A host's tasks in run order (all its plays), and the apt tasks a batch already took in. */
export interface HostPackages {
  steps: Step[];
  covered: Set<Task>;
}

export interface PlayOptions {
  check: boolean;
  diff: boolean;
  forceHandlers: boolean;
  /** Tasks left out by --tags/--skip-tags. */
  selected: (t: Task) => boolean;
}

/** `after`: index of the last earlier task whose registered result this task reads (-1: none). */
type Slot = { task: Task; prepared?: Prepared; after: number };

interface Outcome {
  status: Status;
  message?: string;
  diffs: Diff[];
  result: Vars;
}

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

  private ctx(t: Task, vars: Vars): ModuleContext {
    return {
      host: this.s.host.name,
      check: this.opts.check,
      diff: this.opts.diff,
      become: this.become(t),
      user: this.s.user,
      vars,
      mayChange: (f) => this.s.mayChange(f),
      serviceInputs: (unit) => inputsOf(this.inputs(), unit, this.notified),
      renderTemplate: (src) => renderFile(templatePath(this.book.templatesDir, src), vars),
      readLocal: (src) => {
        const p = isAbsolute(src) ? src : join(this.book.root, src);
        try {
          return readFileSync(p);
        } catch {
          throw InputError.one(`file not found: ${p}`, undefined, 'copy src is relative to the project root (the folder that holds playbooks/)');
        }
      },
    };
  }

  private inputMap?: ReturnType<typeof serviceInputMap>;
  /** Which files each service reads, per the play's notify edges (src/engine/reads.ts). */
  private inputs(): ReturnType<typeof serviceInputMap> {
    this.inputMap ??= serviceInputMap(this.play, (t) => {
      try {
        return prepareTask(t, this.vars(t));
      } catch {
        return undefined; // reported where the task runs
      }
    });
    return this.inputMap;
  }

  private prepare(slot: Slot): void {
    slot.prepared = prepareTask(slot.task, this.vars(slot.task));
  }

  private factsOf(slot: Slot): Fact<unknown>[] {
    if (!slot.prepared || 'skip' in slot.prepared || slot.task.module === 'meta') return [];
    const m = moduleOf(slot.task);
    const vars = this.vars(slot.task);
    return slot.prepared.instances.flatMap((i) => m.facts(i.args as never, this.ctx(slot.task, { ...vars, [slot.task.loopVar]: i.item })));
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
        this.prepare(slot);
        facts.push(...this.factsOf(slot));
      } catch {
        // evaluated, and reported, when the task is reached
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
    const slots: Slot[] = tasks.map((task, i) => {
      let after = -1;
      tasks.slice(0, i).forEach((earlier, j) => {
        if (earlier.register && readsVariable(task, earlier.register)) after = j;
        // A module's ansible_facts (setup, service_facts...) are host variables once it ran.
        if (modules[earlier.module]?.factNames?.some((n) => readsVariable(task, n))) after = j;
      });
      return { task, after };
    });
    for (const sl of slots) if (sl.after < 0) this.prepare(sl);
    const become = this.play.become || this.s.host.conn.become || tasks.some((t) => t.become);
    // ONE exec: every fact every ready task needs, plus the host's pending handlers.
    await this.s.gather([pendingFact, ...slots.flatMap((sl) => this.factsOf(sl))], become);
    const handlerTopics = new Set(this.play.handlers.flatMap((h) => [h.name, ...h.listen]));
    for (const name of this.s.view().get(pendingFact)) {
      if (handlerTopics.has(name)) {
        this.notified.add(name);
        this.persisted.add(name);
      }
    }

    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (slot.task.module === 'meta') {
        await this.runHandlers();
        continue;
      }
      if (!slot.prepared) {
        // Every waiting task whose registered inputs now exist is evaluated together, so
        // their facts are gathered below in one exec rather than one exec per task.
        for (const later of slots.slice(i)) if (!later.prepared && later.after < i) this.prepare(later);
      }
      if (packages && slot.task.module === 'apt' && !packages.covered.has(slot.task)) await this.batchFrom(slot.task, packages);
      // Facts invalidated by applied changes are re-probed together for all remaining tasks.
      if (this.s.missing(this.factsOf(slot)).length) {
        await this.s.gather(slots.slice(i).flatMap((sl) => this.factsOf(sl)), become);
      }
      const ok = await this.runTask(slot.task, slot.prepared!, false);
      if (!ok) break;
    }
    if (!this.s.failed || this.opts.forceHandlers || this.play.forceHandlers) await this.runHandlers();
  }

  /**
   * At an apt task with `batch: true`: install what it and the following batchable apt tasks
   * of the host would install, in one transaction (src/engine/packages.ts).
   */
  private async batchFrom(anchor: Task, packages: HostPackages): Promise<void> {
    const window = batchWindow(packages.steps, packages.steps.findIndex((st) => st.task === anchor));
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
    const slots: Slot[] = due.map((h) => ({ task: h, prepared: prepareTask(h, this.vars(h)), after: -1 }));
    const become = this.play.become || this.s.host.conn.become || due.some((h) => h.become);
    await this.s.gather(slots.flatMap((sl) => this.factsOf(sl)), become);
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
    for (const inst of prepared.instances) {
      const out = await this.runInstance(t, inst, handler);
      results.push({ ...out.result, changed: out.status === 'changed', failed: out.status === 'failed', skipped: out.status === 'skipped', item: inst.item });
      const diff = t.noLog ? (out.diffs.length ? [{ label: '(no_log)', before: '', after: '<hidden by no_log>\n' }] : undefined) : out.diffs.length && this.opts.diff ? red.redactDeep(out.diffs) : undefined;
      this.s.emit({
        type: 'task',
        host,
        play,
        task: name,
        handler,
        status: out.status,
        message: out.message === undefined ? undefined : t.noLog ? (out.status === 'failed' ? `failed; output hidden by no_log${out.result.rc !== undefined ? ` (exit ${String(out.result.rc)})` : ''}` : '<hidden by no_log>') : red.redact(out.message),
        item: inst.item === undefined ? undefined : t.noLog ? '<hidden>' : red.redact(typeof inst.item === 'string' ? inst.item : JSON.stringify(inst.item)),
        diff,
        output: t.noLog || !moduleOf(t).reportsOutput || typeof out.result.rc !== 'number' ? undefined : { rc: out.result.rc, stdout: red.redact(String(out.result.stdout ?? '')), stderr: red.redact(String(out.result.stderr ?? '')) },
        durationMs: Date.now() - started,
      });
      if (out.status === 'failed' || out.status === 'unreachable') worst = out.status;
      else if (out.status === 'changed' && worst !== 'failed') worst = 'changed';
      else if (out.status === 'skipped' && worst === 'ok' && prepared.instances.length === 1) worst = 'skipped';
      if (out.status === 'unreachable') throw Object.assign(new UnreachableError(host, out.message ?? 'connection lost'), { reported: true });
      if (out.status === 'failed' && !t.ignoreErrors) break;
    }
    const counted: Status = worst === 'failed' && t.ignoreErrors ? 'ok' : worst;
    if (counted === 'ok') this.s.recap.ok++;
    else if (counted === 'changed') this.s.recap.changed++;
    else if (counted === 'skipped') this.s.recap.skipped++;
    else if (counted === 'failed') this.s.recap.failed++;
    if (t.register) {
      const first = results[0] ?? {};
      this.s.registered[t.register] = prepared.instances.length > 1 || t.loop !== undefined ? { changed: worst === 'changed', failed: worst === 'failed', results } : first;
    }
    const facts = results[0]?.ansible_facts;
    if (worst !== 'failed' && facts && typeof facts === 'object') setFacts(this.s.registered, facts as Vars);
    if (worst === 'changed') t.notify.forEach((n) => this.notified.add(n));
    if (worst === 'failed' && !t.ignoreErrors) {
      this.s.failed = true;
      return false;
    }
    return true;
  }

  private async runInstance(t: Task, inst: Instance, handler: boolean): Promise<Outcome> {
    const m = moduleOf(t);
    const vars = { ...this.vars(t), [t.loopVar]: inst.item };
    const ctx = this.ctx(t, vars);
    if (m.secretArgs && inst.args && typeof inst.args === 'object') {
      const a = inst.args as Vars;
      this.s.redactor.add(m.secretArgs.map((k) => a[k]).filter((v): v is string => typeof v === 'string'));
    }
    let plan: Plan;
    try {
      const needed = m.facts(inst.args as never, ctx);
      if (this.s.missing(needed).length) await this.s.gather(needed, ctx.become);
      plan = m.plan(inst.args as never, this.s.view(), ctx);
    } catch (e) {
      if (e instanceof TaskError || e instanceof InputError || e instanceof UndefinedName) return { status: 'failed', message: e.message, diffs: [], result: {} };
      throw e;
    }
    if (plan.skipped) return { status: 'skipped', message: plan.summary, diffs: [], result: plan.result ?? {} };
    if (!plan.changes.length) return { status: 'ok', message: plan.summary, diffs: [], result: plan.result ?? {} };
    // Only reads (uri GET, wait_for, a probe a later plan needs): run in check mode too, and ok.
    const reads = plan.changes.every((c) => c.readOnly === true);
    if (this.opts.check && !reads) {
      for (const c of plan.changes) this.s.wouldInvalidate(c.invalidates);
      return { status: 'changed', message: `would ${plan.summary ?? plan.changes.map((c) => c.description).join('; ')}`, diffs: plan.diffs, result: plan.result ?? {} };
    }
    let last = { code: 0, stdout: '', stderr: '' };
    let parsed: Vars = {};
    const notify = !handler && !reads && t.notify.length ? t.notify : [];
    for (const [n, c] of plan.changes.entries()) {
      const scriptOf = (ch: Change) => (n === 0 && notify.length ? recordPending(notify, ch.script, ch.refusedExit) : ch.script);
      try {
        last = await this.s.run(scriptOf(c), ctx.become, handler ? 'handlers' : 'change', c.stdin, t.noLog, t.timeout ?? this.s.commandTimeoutS);
      } catch (e) {
        if (e instanceof UnreachableError) return { status: 'unreachable', message: e.message, diffs: plan.diffs, result: {} };
        if (e instanceof TaskError) return { status: 'failed', message: e.message, diffs: [], result: {} };
        throw e;
      }
      if (n === 0 && notify.length) notify.forEach((x) => this.persisted.add(x));
      this.s.invalidate(c.invalidates);
      if (last.code !== 0) {
        const err = new CommandError({ command: c.description, ...last });
        return { status: 'failed', message: err.message, diffs: plan.diffs, result: { rc: last.code, stdout: last.stdout, stderr: last.stderr, ...(c.parse ? safeParse(c, last) : {}) } };
      }
      if (c.parse) parsed = { ...parsed, ...safeParse(c, last) };
    }
    return {
      status: reads ? 'ok' : 'changed',
      message: plan.summary ?? plan.changes.map((c) => c.description).join('; '),
      diffs: plan.diffs,
      result: { ...(plan.result ?? {}), rc: last.code, stdout: last.stdout, stderr: last.stderr, stdout_lines: last.stdout.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1), ...parsed },
    };
  }
}

/** A module's ansible_facts become ansible_facts.<name> and ansible_<name>: host data, never templated again. */
function setFacts(registered: Vars, facts: Vars): void {
  const prev = (registered['ansible_facts'] ?? {}) as Vars;
  registered['ansible_facts'] = { ...prev, ...facts };
  for (const [k, v] of Object.entries(facts)) registered[`ansible_${k}`] = v;
}

/** A change's parsed output (data from the host: parsed, never evaluated); a parser that throws gives nothing. */
function safeParse(c: Change, out: { code: number; stdout: string; stderr: string }): Vars {
  try {
    return c.parse!(out);
  } catch {
    return {};
  }
}

/** Whether a task's arguments, `when` or `loop` mention `name` as a variable. */
export function readsVariable(t: Task, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_$.])${name.replace(/\$/g, '\\$')}([^A-Za-z0-9_$]|$)`).test(JSON.stringify([t.args, t.when, t.loop]));
}

export function isPlumbError(e: unknown): e is PlumbError {
  return e instanceof PlumbError;
}
