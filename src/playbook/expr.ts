// Strict expressions: `{{ expr }}` in task arguments, and `when:` conditions. They are a
// safe subset of JavaScript (src/playbook/interpret.ts) evaluated against the host's
// variables; a name that is neither a variable nor one of plumb's helpers is an error naming
// the variable. Never rendered as empty.
//
// Data is data: only strings the operator wrote (playbooks, roles, role defaults,
// inventories, group/host vars, -e) are templates, resolved lazily when a variable is read.
// Registered results, loop items and every value an evaluation produced are returned as
// they are, whatever text they hold: a host that prints "{{ ... }}" gets it written back
// literally, never evaluated on the controller.
import type { Vars } from '../modules/types.js';
import { BUILTINS, compile, ExpressionError, helper, JinjaError, OMIT, refuseGlobal, run, UndefinedName, type Names } from './interpret.js';

export { BUILTINS, CONTROLLER_GLOBALS, ExpressionError, FORBIDDEN_NAMES, compile, UndefinedName } from './interpret.js';

/** An expression that is defined but yields nothing (`{{ out.lines[5] }}`, a null var) inside a string. */
export class EmptyValue extends Error {
  constructor(
    readonly expr: string,
    readonly value: null | undefined,
  ) {
    super(`{{ ${expr} }} is ${value === null ? 'null' : 'undefined'}; it is not rendered as an empty string`);
  }
}

/**
 * The operator-written layers a variables object was merged from (`hostVars` sets it). A
 * variable whose value is one of theirs may hold templates; any other value (a registered
 * result, a loop item) is data. An enumerable symbol key, so `{ ...vars, item }` keeps it
 * while Object.keys, JSON and EJS never see it.
 */
export const TEMPLATES: unique symbol = Symbol('plumb.templates');

type Layered = Vars & { [TEMPLATES]?: readonly Vars[] };

/** Mark `vars` as merged from `layers`, the operator-written sources whose strings are templates. */
export function withTemplates<V extends Vars>(vars: V, layers: readonly (Vars | undefined)[]): V {
  (vars as Layered)[TEMPLATES] = layers.filter((l): l is Vars => !!l);
  return vars;
}

/** Operator-written vars only (tests, -e, inventory views): every string in them is a template. */
export function operatorVars<V extends Vars>(vars: V): V {
  return withTemplates(vars, [vars]);
}

const MAX_DEPTH = 8;

/** Whether a value holds a {{ anywhere; cached for objects (operator data does not change). */
const templated = new WeakMap<object, boolean>();
function holdsTemplate(v: unknown): boolean {
  if (typeof v === 'string') return hasTemplate(v);
  if (!v || typeof v !== 'object') return false;
  let t = templated.get(v);
  if (t === undefined) {
    t = Array.isArray(v) ? v.some(holdsTemplate) : Object.values(v).some(holdsTemplate);
    templated.set(v, t);
  }
  return t;
}

function fromOperator(vars: Layered, key: string, v: unknown): boolean {
  const layers = vars[TEMPLATES];
  if (!layers) return false;
  for (const l of layers) if (Object.hasOwn(l, key) && l[key] === v) return true;
  return false;
}

/** A variable's value: an operator-written one with templates is resolved (deeply), once. */
export function resolveVar(vars: Vars, key: string, depth = 0): unknown {
  const v = vars[key];
  if (depth >= MAX_DEPTH || !fromOperator(vars as Layered, key, v) || !holdsTemplate(v)) return v;
  try {
    return interpolate(v, vars, [], undefined, depth + 1);
  } catch (e) {
    // Jinja in a group_vars value is reported where the variable is used: name the variable.
    if (e instanceof JinjaError && !e.message.includes(', in variable ')) e.message += `, in variable '${key}'`;
    throw e;
  }
}

export function helpersFor(vars: Vars): Vars {
  return {
    ...BUILTINS,
    /** defined('name'): whether a variable exists, since `typeof x` is strict here too. */
    defined: helper((name: string) => Object.hasOwn(vars, name)),
    vars: varsView(vars),
  };
}

/**
 * `vars`, as in Ansible: every variable by name, read without strict mode, so `vars.x ?? 'y'`
 * is a default that works in expressions and EJS templates alike. Values resolve on read.
 */
const views = new WeakMap<Vars, Vars>();
export function varsView(vars: Vars, depth = 0): Vars {
  let v = views.get(vars);
  if (!v) {
    v = new Proxy(vars, { get: (t, k) => (typeof k === 'string' && Object.hasOwn(t, k) ? resolveVar(t, k, depth) : undefined) });
    views.set(vars, v);
  }
  return v;
}

function names(vars: Vars, depth: number): Names {
  return {
    lookup(name) {
      if (Object.hasOwn(vars, name)) return resolveVar(vars, name, depth);
      if (name === 'vars') return varsView(vars, depth);
      if (Object.hasOwn(BUILTINS, name)) return BUILTINS[name];
      if (name === 'defined') return helpersFor(vars).defined;
      throw refuseGlobal(name) ?? new UndefinedName(name);
    },
  };
}

const SYNTAX_HINT = 'expressions are JavaScript, e.g. {{ port + 1 }} or when: mysql_role == "replica"';

/** An expression's own fault (bad syntax, a refused construct) as a problem in `where`; else undefined. */
export function describeExpressionError(e: unknown, where: string): { message: string; hint?: string } | undefined {
  if (e instanceof ExpressionError) return { message: `${e.message}, in ${where}`, hint: e.hint };
  if (e instanceof SyntaxError) return { message: `invalid expression in ${where}: ${e.message}`, hint: SYNTAX_HINT };
  return undefined;
}

/** What is wrong with an expression as written, found without evaluating it; undefined if nothing. */
export function expressionProblem(expr: string, where: string): { message: string; hint?: string } | undefined {
  try {
    compile(expr);
    return undefined;
  } catch (e) {
    const p = describeExpressionError(e, where);
    if (!p) throw e;
    return p;
  }
}

/** Evaluate one expression. Throws UndefinedName, ExpressionError, or SyntaxError for bad syntax. */
export function evaluate(expr: string, vars: Vars, depth = 0): unknown {
  return run(expr, names(vars, depth));
}

const EJS_INTERNALS = new Set(['escapeFn', 'include', 'rethrow', 'locals']);
/** Value globals a template may use as is. */
const HARMLESS = new Set(['undefined', 'NaN', 'Infinity']);

/**
 * The `with` scope of an EJS template: variables (resolved like in expressions), then
 * plumb's helpers; an unknown name throws UndefinedName, a controller global (process,
 * require, globalThis, Function, ...) is refused instead of falling through to the real one.
 */
export function strictScope(vars: Vars, helpers: Vars = {}, where = 'expressions'): object {
  // Variables win over helpers. No copy of `vars`: this runs for every template, and a
  // host's variables (with groups and hostvars) are large.
  // An assignment in a template lands here, never in the variables.
  const local: Vars = Object.create(null) as Vars;
  const owner = (key: string): Vars | undefined => (key in local ? local : Object.hasOwn(vars, key) ? vars : key in helpers ? helpers : undefined);
  const scope: ProxyHandler<Vars> = {
    // Enumerable like the plain object it stands for (EJS copies it into an include's data).
    ownKeys: () => [...new Set([...Object.keys(helpers), ...Object.keys(vars), ...Object.keys(local)])],
    set(_target, key, value) {
      if (typeof key === 'string') local[key] = value;
      return true;
    },
    defineProperty(_target, key, desc) {
      if (typeof key === 'string') local[key] = desc.value;
      return true;
    },
    getOwnPropertyDescriptor: (target, key) =>
      typeof key === 'string' && owner(key)
        ? { value: scope.get!(target, key, target) as unknown, enumerable: true, configurable: true, writable: true }
        : undefined,
    has(_target, key) {
      if (typeof key !== 'string') return false;
      if (owner(key)) return true;
      // EJS's own locals (__append, __line, escapeFn, ...) live in its function, outside the scope.
      if (key.startsWith('__') || EJS_INTERNALS.has(key) || HARMLESS.has(key)) return false;
      return true; // claim it, so `get` can report it as undefined or refused
    },
    get(_target, key) {
      if (typeof key !== 'string') return undefined; // Symbol.unscopables and friends
      const from = owner(key);
      if (!from) throw refuseGlobal(key, where) ?? new UndefinedName(key);
      return from === vars ? resolveVar(vars, key) : from[key];
    },
  };
  return new Proxy(Object.create(null) as Vars, scope);
}

const MUSTACHE = /\{\{([\s\S]*?)\}\}/g;
const WHOLE = /^\{\{([\s\S]*?)\}\}$/;

export function hasTemplate(s: string): boolean {
  return s.includes('{{');
}

/**
 * Interpolate one string. A string that is exactly one {{ expr }} keeps the value's type;
 * anything else is text, surrounding text and whitespace included ("{{ v }}\n" keeps its newline).
 */
export function interpolateString(s: string, vars: Vars, depth = 0): unknown {
  if (!hasTemplate(s)) return s;
  const whole = WHOLE.exec(s);
  if (whole && !whole[1]!.includes('}}')) {
    // Keeps the value's type, but never turns a missing attribute into a dropped argument.
    const v = evaluate(whole[1]!.trim(), vars, depth);
    if (v === undefined) throw new EmptyValue(whole[1]!.trim(), undefined);
    return v;
  }
  return s.replace(MUSTACHE, (_m, expr: string) => {
    const v = evaluate(expr.trim(), vars, depth);
    if (v === undefined || v === null) throw new EmptyValue(expr.trim(), v);
    if (v === OMIT)
      throw new ExpressionError(
        `{{ ${expr.trim()} }} is omit inside text`,
        'omit leaves out a whole argument: write the argument as exactly "{{ d(x, omit) }}"',
      );
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** A Jinja statement outside any {{ }} (`{% if x %}a{% endif %}`): plumb would write it as text. */
const STATEMENT = /\{%-?\s*(if|for|set|elif|else|endif|endfor|raw|macro|include|import|filter|with)\b[\s\S]*?%\}/;

/** Every {{ }} expression in a value as written (for static checks at load time); a Jinja statement counts as one. */
export function expressionsIn(
  value: unknown,
  path: (string | number)[] = [],
  out: { path: (string | number)[]; expr: string }[] = [],
): { path: (string | number)[]; expr: string }[] {
  if (typeof value === 'string') {
    if (value.includes('{%') && STATEMENT.test(value.replace(MUSTACHE, ''))) out.push({ path, expr: value.trim() });
    if (hasTemplate(value)) for (const m of value.matchAll(MUSTACHE)) out.push({ path, expr: m[1]!.trim() });
  } else if (Array.isArray(value)) value.forEach((v, i) => expressionsIn(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) expressionsIn(v, [...path, k], out);
  return out;
}

/** Deep interpolation over lists and mappings; `onPath` reports where a failure happened. */
export function interpolate(
  value: unknown,
  vars: Vars,
  path: (string | number)[] = [],
  onError?: (path: (string | number)[], e: unknown) => never,
  depth = 0,
): unknown {
  try {
    if (typeof value === 'string') return interpolateString(value, vars, depth);
  } catch (e) {
    if (onError) onError(path, e);
    throw e;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, [...path, i], onError, depth)).filter((v) => v !== OMIT);
  if (value && typeof value === 'object') {
    const out: Vars = {};
    for (const [k, v] of Object.entries(value)) {
      const x = interpolate(v, vars, [...path, k], onError, depth);
      if (x !== OMIT) out[k] = x; // Ansible's omit: the argument is left out
    }
    return out;
  }
  return value;
}
