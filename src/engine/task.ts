// Turning a task into per-host instances: `when`, `loop` and `{{ }}` are evaluated against
// the host's variables, and arguments are validated again once their types are known.
import { InputError, type SourcePos, UndefinedVariableError } from '../errors.js';
import { modules } from '../modules/index.js';
import type { Vars } from '../modules/types.js';
import { checkArgs, shortName } from '../playbook/load.js';
import { describeExpressionError, evaluate, interpolate, UndefinedName } from '../playbook/expr.js';
import type { Task } from '../playbook/load.js';
import { posOf, type YamlPath } from '../schema/yaml.js';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface Instance {
  item?: unknown;
  index?: number;
  args: unknown;
}

export type Prepared = { skip: string } | { instances: Instance[] };

/** The key the task's module is written under (`ansible.builtin.debug` for debug), else the module's name. */
function moduleKey(task: Task): string {
  let node: unknown = task.loc.src.value;
  for (const seg of task.loc.path) node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
  const keys = node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node) : [];
  return keys.includes(task.module) ? task.module : (keys.find((k) => shortName(k) === task.module) ?? task.module);
}

/** The file:line:col of `sub` in the task (the module's name first for an argument; `key`: the mapping key itself). */
export function taskPos(task: Task, sub: YamlPath, key = false): SourcePos {
  const path = sub[0] === task.module ? [moduleKey(task), ...sub.slice(1)] : sub;
  return posOf(task.loc.src, [...task.loc.path, ...path], key);
}

/**
 * Throw `e`, an evaluation failure in the task's `sub` (a path under the task, the module's
 * key first for an argument), as an input error at that place's file:line:col.
 */
export function located(task: Task, sub: YamlPath, e: unknown): never {
  const pos = taskPos(task, sub);
  if (e instanceof UndefinedName) throw new UndefinedVariableError(e.variable, pos, `task '${task.name}'`);
  const bad = describeExpressionError(e, `task '${task.name}'`);
  if (bad) throw InputError.one(bad.message, pos, bad.hint);
  if (e instanceof InputError) throw e;
  throw InputError.one(`cannot evaluate in task '${task.name}': ${(e as Error).message}`, pos);
}

function truthy(task: Task, when: (string | boolean)[], vars: Vars): boolean {
  return when.every((w, i) => {
    if (typeof w === 'boolean') return w;
    try {
      return Boolean(evaluate(w, vars));
    } catch (e) {
      return located(task, task.when.length > 1 ? ['when', i] : ['when'], e);
    }
  });
}

/** Evaluate a task for one host. Throws UndefinedVariableError / InputError with positions. */
export function prepareTask(task: Task, vars: Vars): Prepared {
  if (task.module === 'meta') return { instances: [{ args: task.args }] };
  // Actions the engine runs itself (set_fact, assert, include_tasks, ...) interpolate their
  // args lazily; `when` and the loop are the same as for modules.
  const argsFor = task.module in modules ? (v: Vars) => interpolateArgs(task, v) : () => task.args;
  let items: unknown[] | undefined;
  if (task.loop !== undefined) {
    let loop: unknown;
    try {
      loop = interpolate(task.loop, vars);
    } catch (e) {
      located(task, ['loop'], e);
    }
    items = loopItems(task, loop);
  }
  if (!items) {
    if (!truthy(task, task.when, vars)) return { skip: 'condition false' };
    return { instances: [{ args: argsFor(vars) }] };
  }
  const instances: Instance[] = [];
  for (const [index, item] of items.entries()) {
    const v = { ...vars, [task.loopVar]: item, ...(task.indexVar ? { [task.indexVar]: index } : {}) };
    if (!truthy(task, task.when, v)) continue;
    instances.push({ item, index, args: argsFor(v) });
  }
  return instances.length ? { instances } : { skip: items.length ? 'condition false for every item' : 'empty loop' };
}

/** The items of a loop, from `loop:` or a legacy `with_*` (Ansible's lookups, one machinery). */
/** A string or a list of strings (with_first_found's `files`, `paths`); anything else is none. */
function asStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function loopItems(task: Task, loop: unknown): unknown[] {
  const key = task.loopKey ?? 'loop';
  const where = posOf(task.loc.src, [...task.loc.path, key]);
  const bad = (what: string): never => {
    throw InputError.one(`loop of task '${task.name}' ${what}`, where);
  };
  switch (task.loopKind) {
    case 'dict':
      if (!loop || typeof loop !== 'object' || Array.isArray(loop)) bad('is not a mapping (with_dict)');
      return Object.entries(loop as Vars).map(([key, value]) => ({ key, value }));
    case 'subelements': {
      if (!Array.isArray(loop) || typeof loop[1] !== 'string') bad("is not [list, 'key'] (with_subelements)");
      const [list, key, flags] = loop as [unknown, string, Vars | undefined];
      if (!Array.isArray(list)) bad('has no list first (with_subelements)');
      return (list as Vars[]).flatMap((el) => {
        const sub = el?.[key];
        if (sub === undefined && flags?.skip_missing) return [];
        if (!Array.isArray(sub)) bad(`has an element whose '${key}' is not a list (with_subelements)`);
        return (sub as unknown[]).map((x) => [el, x]);
      });
    }
    case 'first_found': {
      // Ansible's terms: a file name, a {files, paths, skip} mapping, or a list of either.
      const terms = Array.isArray(loop) ? (loop as unknown[]) : [loop];
      const maps = terms.filter((x): x is Vars => !!x && typeof x === 'object' && !Array.isArray(x));
      const files = terms.flatMap((x) => (typeof x === 'string' ? [x] : x && typeof x === 'object' && !Array.isArray(x) ? asStrings((x as Vars).files) : []));
      const paths = maps.flatMap((m) => asStrings(m.paths));
      const skip = maps.some((m) => m.skip === true);
      const dirs = [
        ...paths.map((p) => (isAbsolute(p) ? p : join(task.dir ?? '.', p))),
        ...(task.roleDir ? [join(task.roleDir, 'files'), join(task.roleDir, 'vars'), join(task.roleDir, 'templates'), join(task.roleDir, 'tasks')] : []),
        task.dir ?? '.',
      ];
      for (const f of files) {
        const hit = isAbsolute(f) ? (existsSync(f) ? f : undefined) : dirs.map((d) => join(d, f)).find((c) => existsSync(c));
        if (hit) return [hit];
      }
      if (skip) return [];
      return bad(`found none of ${files.join(', ')} (with_first_found)`);
    }
    case 'items':
      if (!Array.isArray(loop)) return [loop];
      return loop.flatMap((x) => (Array.isArray(x) ? x : [x]));
    default:
      if (!Array.isArray(loop)) bad(`is not a list (got ${typeof loop})`);
      return loop as unknown[];
  }
}

function interpolateArgs(task: Task, vars: Vars): unknown {
  let args = interpolate(task.args, vars, [], (p, e) => located(task, [task.module, ...p], e));
  // Play, block and task `environment:` reach the modules that take one (command, shell).
  if (task.environment && args && typeof args === 'object' && modulesTakingEnv.has(task.module)) {
    const env = interpolate(task.environment, vars, [], (p, e) => located(task, ['environment', ...p], e)) as Vars;
    const a = args as Vars;
    args = { ...a, environment: { ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])), ...(a.environment as Vars | undefined) } };
  }
  const problems = checkArgs(task.module, args, task.loc.src, [...task.loc.path, task.module], true);
  if (problems.length) throw new InputError(problems);
  return args;
}

const modulesTakingEnv = new Set(
  Object.entries(modules)
    .filter(([, m]) => Boolean((m.schema.properties as Vars | undefined)?.environment))
    .map(([k]) => k),
);

export function moduleOf(task: Task) {
  const m = modules[task.module];
  if (!m) throw InputError.one(`unknown module '${task.module}'`, posOf(task.loc.src, task.loc.path));
  return m;
}

/** A task's local file (template src, copy src): its Ansible-layout role's `kind` folder first, else `fallback`. */
export function localFile(task: Task, kind: 'templates' | 'files', src: string, fallback: string): string {
  if (isAbsolute(src)) return src;
  const cands = [...(task.roleDir ? [join(task.roleDir, kind, src)] : []), ...(task.roleDir && task.dir ? [join(task.dir, '..', kind, src)] : [])];
  return cands.find((c) => existsSync(c)) ?? fallback;
}
