// Strict expressions: `{{ expr }}` in task arguments, and `when:` conditions. They are
// JavaScript evaluated against the host's variables; a name that is neither a variable nor
// a JavaScript global is an error naming the variable. Never rendered as empty.
import type { Vars } from '../modules/types.js';

export class UndefinedName extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable '${variable}'`);
  }
}

/** An expression that is defined but yields nothing (`{{ out.lines[5] }}`, a null var) inside a string. */
export class EmptyValue extends Error {
  constructor(readonly expr: string, readonly value: null | undefined) {
    super(`{{ ${expr} }} is ${value === null ? 'null' : 'undefined'}; it is not rendered as an empty string`);
  }
}

const EJS_INTERNALS = new Set(['escapeFn', 'include', 'rethrow', 'locals']);

/** A `with` scope that throws on unknown names instead of yielding undefined. */
export function strictScope(vars: Vars, helpers: Vars = {}, depth = 0): object {
  // Variables win over helpers. No copy of `vars`: this runs for every expression, and a
  // host's variables (with groups and hostvars) are large.
  // An assignment in an expression lands here, never in the variables.
  const local: Vars = Object.create(null) as Vars;
  const owner = (key: string): Vars | undefined => (key in local ? local : key in vars ? vars : key in helpers ? helpers : undefined);
  const scope: ProxyHandler<Vars> = {
    // Enumerable like the plain object it stands for (EJS copies it into an include's data).
    ownKeys: () => [...new Set([...Reflect.ownKeys(helpers), ...Reflect.ownKeys(vars), ...Reflect.ownKeys(local)])],
    set(_target, key, value) {
      if (typeof key === 'string') local[key] = value;
      return true;
    },
    defineProperty(_target, key, desc) {
      if (typeof key === 'string') local[key] = desc.value;
      return true;
    },
    getOwnPropertyDescriptor: (target, key) =>
      typeof key === 'string' && owner(key) ? { value: scope.get!(target, key, target) as unknown, enumerable: true, configurable: true, writable: true } : undefined,
    has(_target, key) {
      if (typeof key !== 'string') return false;
      if (owner(key)) return true;
      if (key.startsWith('__') || EJS_INTERNALS.has(key) || key in globalThis) return false;
      return true; // claim it, so `get` can report it as undefined
    },
    get(_target, key) {
      if (typeof key !== 'string') return undefined; // Symbol.unscopables and friends
      const from = owner(key);
      if (!from) throw new UndefinedName(key);
      const v = from[key];
      // Variables may refer to other variables ("{{ ansible_host }}:80"); resolve lazily, like Ansible.
      if (typeof v === 'string' && hasTemplate(v) && depth < 8) return interpolateString(v, vars, depth + 1);
      return v;
    },
  };
  return new Proxy(Object.create(null) as Vars, scope);
}

const compiled = new Map<string, (scope: object) => unknown>();

function compile(expr: string): (scope: object) => unknown {
  let fn = compiled.get(expr);
  if (!fn) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- playbooks are code, like Ansible's Jinja
    fn = new Function('__scope', `with (__scope) { return (${expr}\n); }`) as (scope: object) => unknown;
    compiled.set(expr, fn);
  }
  return fn;
}

export function helpersFor(vars: Vars): Vars {
  return {
    /** defined('name'): whether a variable exists, since `typeof x` is strict here too. */
    defined: (name: string) => Object.prototype.hasOwnProperty.call(vars, name),
  };
}

/** Evaluate one expression. Throws UndefinedName, or SyntaxError for bad JavaScript. */
export function evaluate(expr: string, vars: Vars, depth = 0): unknown {
  return compile(expr)(strictScope(vars, helpersFor(vars), depth));
}

const MUSTACHE = /\{\{([\s\S]*?)\}\}/g;
const WHOLE = /^\s*\{\{([\s\S]*?)\}\}\s*$/;

export function hasTemplate(s: string): boolean {
  return s.includes('{{');
}

/** Interpolate one string. A string that is exactly one {{ expr }} keeps the value's type. */
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
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** Deep interpolation over lists and mappings; `onPath` reports where a failure happened. */
export function interpolate(value: unknown, vars: Vars, path: (string | number)[] = [], onError?: (path: (string | number)[], e: unknown) => never): unknown {
  try {
    if (typeof value === 'string') return interpolateString(value, vars);
  } catch (e) {
    if (onError) onError(path, e);
    throw e;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, [...path, i], onError));
  if (value && typeof value === 'object') {
    const out: Vars = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, vars, [...path, k], onError);
    return out;
  }
  return value;
}
