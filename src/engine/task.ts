// Turning a task into per-host instances: `when`, `loop` and `{{ }}` are evaluated against
// the host's variables, and arguments are validated again once their types are known.
import { InputError, UndefinedVariableError } from '../errors.js';
import { modules } from '../modules/index.js';
import type { Vars } from '../modules/types.js';
import { checkArgs } from '../playbook/load.js';
import { describeExpressionError, evaluate, interpolate, UndefinedName } from '../playbook/expr.js';
import type { Task } from '../playbook/load.js';
import { posOf, type YamlPath } from '../schema/yaml.js';

export interface Instance {
  item?: unknown;
  args: unknown;
}

export type Prepared = { skip: string } | { instances: Instance[] };

function located(task: Task, sub: YamlPath, e: unknown): never {
  const pos = posOf(task.loc.src, [...task.loc.path, ...sub]);
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
  let items: unknown[] | undefined;
  if (task.loop !== undefined) {
    let loop: unknown;
    try {
      loop = interpolate(task.loop, vars);
    } catch (e) {
      located(task, ['loop'], e);
    }
    if (!Array.isArray(loop)) throw InputError.one(`loop of task '${task.name}' is not a list (got ${typeof loop})`, posOf(task.loc.src, [...task.loc.path, 'loop']));
    items = loop;
  }
  if (!items) {
    if (!truthy(task, task.when, vars)) return { skip: 'condition false' };
    return { instances: [{ args: interpolateArgs(task, vars) }] };
  }
  const instances: Instance[] = [];
  for (const item of items) {
    const v = { ...vars, [task.loopVar]: item };
    if (!truthy(task, task.when, v)) continue;
    instances.push({ item, args: interpolateArgs(task, v) });
  }
  return instances.length ? { instances } : { skip: items.length ? 'condition false for every item' : 'empty loop' };
}

function interpolateArgs(task: Task, vars: Vars): unknown {
  const args = interpolate(task.args, vars, [], (p, e) => located(task, [task.module, ...p], e));
  const problems = checkArgs(task.module, args, task.loc.src, [...task.loc.path, task.module], true);
  if (problems.length) throw new InputError(problems);
  return args;
}

export function moduleOf(task: Task) {
  const m = modules[task.module];
  if (!m) throw InputError.one(`unknown module '${task.module}'`, posOf(task.loc.src, task.loc.path));
  return m;
}
