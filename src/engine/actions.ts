// Actions the engine runs on the controller, never on a host: set_fact, debug, assert, fail
// and include_vars. They change variables or the task's outcome only, so they cost no exec
// and run the same in check and apply. (include_tasks and include_role are run by the play
// runner: they change which tasks run.)
import { modules } from '../modules/index.js';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../errors.js';
import type { Vars } from '../modules/types.js';
import type { Task } from '../playbook/load.js';
import { loadVarsFile } from '../playbook/load.js';
import { evaluate, interpolate } from '../playbook/expr.js';
import type { Status } from '../report/events.js';
import type { YamlPath } from '../schema/yaml.js';
import { located, taskPos } from './task.js';

export interface ActionOutcome {
  status: Status;
  message?: string;
  result: Vars;
  /** Variables the host keeps for the rest of the run (set_fact, include_vars). */
  facts?: Vars;
  /** debug's `recap: true`: a line for the run's recap, shown once per distinct message. */
  note?: string;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

// An action's arguments are evaluated when it runs, not when the task is prepared: a failure
// (a refused expression, an undefined name) is placed at the argument it is in, as a module
// argument's is (src/engine/task.ts). `at` is the path under the module's key.
const interp = (t: Task, v: unknown, vars: Vars, at: YamlPath): unknown => interpolate(v, vars, [], (p, e) => located(t, [t.module, ...at, ...p], e));
function evaluateAt(t: Task, expr: string, vars: Vars, at: YamlPath): unknown {
  try {
    return evaluate(expr, vars);
  } catch (e) {
    return located(t, [t.module, ...at], e);
  }
}
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
/** include_vars' arguments as a mapping: the free form is the file. */
const includeVarsArgs = (args: unknown): Vars => (typeof args === 'string' ? { file: args } : (args ?? {})) as Vars;
/** A getent task's database as written, when it is not templated. */
function staticDatabase(t: Task): string | undefined {
  const db = (t.args as Vars | undefined)?.database;
  return typeof db === 'string' && !db.includes('{{') ? db : undefined;
}

/** Where include_vars finds a relative file: the role's vars/, then beside the task's file. */
function varsFile(name: string, t: Task): string {
  if (isAbsolute(name)) return name;
  const cands = [...(t.roleDir ? [join(t.roleDir, 'vars', name)] : []), join(t.dir ?? '.', name)];
  return cands.find((c) => existsSync(c)) ?? cands[cands.length - 1]!;
}

/** A set_fact key: as written, or templated as Ansible templates it (`'{{ item.key }}': ...`); a variable name either way. */
function factName(key: string, vars: Vars, t: Task): string {
  const name = key.includes('{{') ? interp(t, key, vars, [key]) : key;
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw InputError.one(
      `set_fact of task '${t.name}': the name ${JSON.stringify(key)} gives ${JSON.stringify(name)}, not a variable name`,
      taskPos(t, [t.module, key], true),
      'a name is letters, digits and _, not starting with a digit',
    );
  return name;
}

/** Run one action instance against the host's variables. Throws for input errors (undefined names, bad args). */
export function runAction(t: Task, rawArgs: unknown, vars: Vars): ActionOutcome {
  switch (t.module) {
    case 'set_fact': {
      const args = interp(t, rawArgs, vars, []) as Vars;
      if (!args || typeof args !== 'object' || Array.isArray(args)) throw InputError.one(`set_fact of task '${t.name}' needs a mapping of name: value`);
      const { cacheable: _ignored, ...given } = args;
      const facts: Vars = {};
      for (const [k, v] of Object.entries(given)) facts[factName(k, vars, t)] = v;
      return { status: 'ok', result: { ansible_facts: facts }, facts };
    }
    case 'debug': {
      const a = (typeof rawArgs === 'string' ? { msg: rawArgs } : (rawArgs ?? {})) as Vars;
      // plumb-only: `recap: true` repeats the message once in the run's recap (docs/modules.md).
      const recap = a.recap === undefined ? false : interp(t, a.recap, vars, ['recap']);
      if (typeof recap !== 'boolean') throw InputError.one(`debug of task '${t.name}': recap: is true or false, not ${JSON.stringify(recap)}`);
      let out: ActionOutcome;
      if (typeof a.var === 'string') {
        const v = evaluateAt(t, a.var, vars, ['var']);
        out = { status: 'ok', message: `${a.var}: ${text(v)}`, result: { [a.var]: v } };
      } else {
        const msg = interp(t, a.msg ?? 'Hello world!', vars, typeof rawArgs === 'string' ? [] : ['msg']);
        out = { status: 'ok', message: text(msg), result: { msg } };
      }
      return recap ? { ...out, note: out.message } : out;
    }
    case 'assert': {
      const a = (rawArgs ?? {}) as Vars;
      const that = asList(a.that);
      if (!that.length) throw InputError.one(`assert of task '${t.name}' needs that: (one condition or a list)`);
      for (const [i, cond] of that.entries()) {
        const ok = typeof cond === 'boolean' ? cond : Boolean(evaluateAt(t, String(cond), vars, Array.isArray(a.that) ? ['that', i] : ['that']));
        if (!ok) {
          const msg = a.fail_msg ?? a.msg;
          return {
            status: 'failed',
            message: msg !== undefined ? text(interp(t, msg, vars, [a.fail_msg !== undefined ? 'fail_msg' : 'msg'])) : `Assertion failed: ${text(cond)}`,
            result: { assertion: cond, evaluated_to: false },
          };
        }
      }
      const success =
        a.quiet === true ? undefined : a.success_msg !== undefined ? text(interp(t, a.success_msg, vars, ['success_msg'])) : 'All assertions passed';
      return { status: 'ok', message: success, result: { msg: success ?? '' } };
    }
    case 'fail': {
      const a = (typeof rawArgs === 'string' ? { msg: rawArgs } : (rawArgs ?? {})) as Vars;
      return {
        status: 'failed',
        message: text(interp(t, a.msg ?? 'Failed as requested from task', vars, typeof rawArgs === 'string' ? [] : ['msg'])),
        result: {},
      };
    }
    case 'include_vars': {
      const a = includeVarsArgs(rawArgs);
      const name = interp(t, a.file ?? a._raw_params, vars, typeof rawArgs === 'string' || a.file === undefined ? [] : ['file']);
      if (typeof name !== 'string') throw InputError.one(`include_vars of task '${t.name}' needs file:`);
      const f = varsFile(name, t);
      if (!existsSync(f)) throw InputError.one(`include_vars: file not found: ${f}`, undefined, "relative to the role's vars/ or the task's file");
      const problems: import('../errors.js').InputProblem[] = [];
      const loaded = loadVarsFile(f, problems);
      if (!loaded) throw new InputError(problems);
      const facts = typeof a.name === 'string' ? { [a.name]: loaded } : loaded;
      return { status: 'ok', message: `loaded ${f}`, result: { ansible_facts: facts }, facts };
    }
    default:
      throw InputError.one(`'${t.module}' is not an action`);
  }
}

/** The names a set_fact task writes, as written (templated ones included); none for other tasks. */
function setFactKeys(t: Task): string[] {
  return t.module === 'set_fact' && t.args && typeof t.args === 'object' ? Object.keys(t.args as Vars).filter((k) => k !== 'cacheable') : [];
}

/**
 * What it defines is known only when it runs: a set_fact whose names are templated ('{{
 * item.key }}'), an include_vars without `name:` whose file is templated or looped over
 * (with_first_found), a getent whose database is templated.
 */
export function definesNamesAtRunTime(t: Task): boolean {
  if (setFactKeys(t).some((k) => k.includes('{{'))) return true;
  if (t.module === 'include_vars') {
    const a = includeVarsArgs(t.args);
    return typeof a.name !== 'string' && (t.loop !== undefined || typeof a.file !== 'string' || a.file.includes('{{'));
  }
  if (t.module === 'getent') return staticDatabase(t) === undefined;
  return false;
}

/** Names a task defines for the tasks after it: its register, set_fact keys, include_vars keys (when its file is known now). */
export function definedNames(t: Task): string[] {
  const out = t.register ? [t.register] : [];
  // A module's ansible_facts (setup, service_facts...) are host variables once it ran.
  out.push(...(modules[t.module]?.factNames ?? []));
  const db = t.module === 'getent' ? staticDatabase(t) : undefined;
  if (db !== undefined) out.push('ansible_facts', `getent_${db}`);
  // A templated name ('{{ item.key }}') is known only when the task runs.
  out.push(...setFactKeys(t).filter((k) => !k.includes('{{')));
  if (t.module === 'include_vars') {
    const a = includeVarsArgs(t.args);
    if (typeof a.name === 'string') out.push(a.name);
    else if (typeof a.file === 'string' && !a.file.includes('{{')) {
      const loaded = loadVarsFile(varsFile(a.file, t), []);
      if (loaded) out.push(...Object.keys(loaded));
    }
  }
  return out;
}
