// The expression language of `{{ }}` and `when:`: a parsed, allow-listed subset of
// JavaScript, interpreted here. Nothing is handed to `new Function`, `eval` or `node:vm`:
// an expression can reach the variables in scope, plumb's helpers (frozen objects of
// wrapped functions, never the real globals) and allow-listed methods of strings, arrays
// and numbers, and nothing else of the controller. Refused constructs are found when the
// expression is parsed (so `plumb validate` reports them), dynamic ones (`x['__pro' + 'to__']`)
// when it runs. Parsed trees are cached by source text: expressions run for every task and host.
import { parseExpressionAt, type Expression, type Node, type Pattern, type PrivateIdentifier, type Property, type SpreadElement } from 'acorn';
import { quote as shellQuote } from '../sh.js';
import { FILTERS } from './helpers.js';
import { jinjaRewrite, type JinjaFound } from './jinja.js';

/** An expression uses something expressions may not: a clear message and what to write instead. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A name that is neither a variable nor a helper (never rendered as empty). */
export class UndefinedName extends Error {
  constructor(readonly variable: string) {
    super(`undefined variable '${variable}'`);
  }
}

/** Names no expression (nor EJS template, src/render/guard.ts) may read, write or define, whatever object they are on. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'caller',
  'callee',
  'arguments',
]);
/** Keys whose functions JavaScript calls implicitly (conversions, JSON): an object literal may not define them. */
const IMPLICIT_KEYS = new Set(['toString', 'valueOf', 'toJSON', 'toLocaleString', 'then']);

/** The controller's globals and module-scope names, refused by name (a variable of that name wins). */
export const CONTROLLER_GLOBALS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(globalThis),
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'arguments',
  'import',
]);

const DOCS = 'see "Expressions" in docs/modules.md';

// ---- values the interpreter may call -------------------------------------------------------

/** Functions an expression may call: plumb's helpers and the arrow functions it defines. */
const callable = new WeakSet<object>();

function own<F extends (...args: never[]) => unknown>(fn: F): F {
  callable.add(fn);
  return fn;
}

/** A frozen, prototype-less object of wrapped functions (and plain constants). */
const namespaces = new WeakMap<object, string>();

function namespace(name: string, fns: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const out = Object.create(null) as Record<string, unknown>;
  namespaces.set(out, name);
  for (const [k, f] of Object.entries(fns)) out[k] = typeof f === 'function' ? own(f as (...a: never[]) => unknown) : f;
  return Object.freeze(out);
}

function checkKey(key: string): void {
  if (FORBIDDEN_NAMES.has(key)) throw refusedName(key);
}

/** Object.fromEntries without the implicit-call keys or prototype names. */
function fromEntries(entries: Iterable<readonly [PropertyKey, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) safePut(out, String(k), v);
  return out;
}

/** Safe stand-ins for the globals data work needs; never the real objects. */
const NAMESPACES: Readonly<Record<string, unknown>> = Object.freeze({
  JSON: namespace('JSON', {
    stringify: (v: unknown, replacer?: unknown, space?: string | number) =>
      JSON.stringify(
        v,
        typeof replacer === 'function' && callable.has(replacer) ? (replacer as never) : Array.isArray(replacer) ? (replacer as string[]) : null,
        space,
      ),
    parse: (s: string) =>
      JSON.parse(String(s), (k, v: unknown) => {
        checkKey(k);
        return v;
      }) as unknown,
  }),
  Math: namespace('Math', {
    ...Object.fromEntries(
      ['abs', 'ceil', 'floor', 'round', 'trunc', 'sign', 'max', 'min', 'pow', 'sqrt', 'cbrt', 'log', 'log2', 'log10', 'exp', 'hypot'].map((k) => [
        k,
        (...a: number[]) => (Math[k as 'max'] as (...x: number[]) => number)(...a),
      ]),
    ),
    PI: Math.PI,
    E: Math.E,
  }),
  Object: namespace('Object', {
    keys: (o: object) => Object.keys(readable(o, 'Object.keys')),
    values: (o: object) => Object.values(readable(o, 'Object.values')),
    entries: (o: object) => Object.entries(readable(o, 'Object.entries')),
    fromEntries: (e: Iterable<readonly [PropertyKey, unknown]>) => fromEntries(e),
  }),
  Array: namespace('Array', { isArray: (v: unknown) => Array.isArray(v) }),
  Number: namespace('Number', {
    isInteger: (v: unknown) => Number.isInteger(v),
    isFinite: (v: unknown) => Number.isFinite(v),
    isNaN: (v: unknown) => Number.isNaN(v),
  }),
});
// Number, String and Boolean are also conversions: Number('8080').
const CONVERSIONS: Readonly<Record<string, unknown>> = Object.freeze({
  Number: own(Object.assign((v: unknown) => Number(v), NAMESPACES.Number as object)),
  String: own((v: unknown) => String(v)),
  Boolean: own((v: unknown) => Boolean(v)),
  parseInt: own((s: string, radix?: number) => parseInt(String(s), radix)),
  parseFloat: own((s: string) => parseFloat(String(s))),
  isNaN: own((v: unknown) => Number.isNaN(Number(v))),
  /** Ansible's `quote` filter: one POSIX shell word, whatever the value holds. */
  quote: own((v: unknown) => {
    if (v === undefined || v === null || typeof v === 'object' || typeof v === 'function')
      throw new ExpressionError(`quote() takes a string or a number, got ${v === null ? 'null' : typeof v}`);
    return shellQuote(String(v));
  }),
});
/** Ansible's `omit`: a module argument whose whole value is `{{ d(x, omit) }}` is left out. */
export const OMIT: object = Object.freeze(Object.create(null) as object);
const CONSTANTS: Readonly<Record<string, unknown>> = Object.freeze({ undefined, NaN, Infinity, omit: OMIT });
const JINJA_HELPERS: Readonly<Record<string, unknown>> = Object.freeze(Object.fromEntries(Object.entries(FILTERS).map(([k, f]) => [k, own(f)])));

/** The helpers every expression sees after its variables (also given to EJS templates). */
export const BUILTINS: Readonly<Record<string, unknown>> = Object.freeze({ ...NAMESPACES, ...CONVERSIONS, ...JINJA_HELPERS, ...CONSTANTS });

/** `d(x, 'y')`, Ansible's `default`: its first argument is read leniently (see lenient()). */
const DEFAULT = JINJA_HELPERS.d;

/** Register a helper function (plumb's own, e.g. `defined`) as callable from expressions. */
export function helper<F extends (...args: never[]) => unknown>(fn: F): F {
  return own(fn);
}

// ---- what member access and calls may reach ---------------------------------------------

const STRING_METHODS = new Set([
  'at',
  'charAt',
  'charCodeAt',
  'codePointAt',
  'concat',
  'endsWith',
  'includes',
  'indexOf',
  'lastIndexOf',
  'localeCompare',
  'match',
  'normalize',
  'padEnd',
  'padStart',
  'repeat',
  'replace',
  'replaceAll',
  'search',
  'slice',
  'split',
  'startsWith',
  'substring',
  'toLowerCase',
  'toUpperCase',
  'toString',
  'trim',
  'trimEnd',
  'trimStart',
]);
const ARRAY_METHODS = new Set([
  'at',
  'concat',
  'every',
  'filter',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'flat',
  'flatMap',
  'includes',
  'indexOf',
  'join',
  'lastIndexOf',
  'map',
  'reduce',
  'reduceRight',
  'slice',
  'some',
  'toReversed',
  'toSorted',
  'with',
]);
/** Methods that mutate in JavaScript: here they work on a copy, so inputs never change. */
const ARRAY_COPYING: Record<string, string> = { sort: 'toSorted', reverse: 'toReversed' };
/** Python methods Jinja expressions call, and what to write here. */
const PYTHON_METHODS: Record<string, string> = {
  startswith: "x.startsWith('a')",
  endswith: "x.endsWith('a')",
  upper: 'x.toUpperCase() or upper(x)',
  lower: 'x.toLowerCase() or lower(x)',
  strip: 'x.trim()',
  lstrip: 'x.trimStart()',
  rstrip: 'x.trimEnd()',
  keys: 'Object.keys(x)',
  values: 'Object.values(x)',
  items: 'Object.entries(x)',
  get: "d(x.key, 'fallback')",
  append: '[...x, item]',
  format: 'a template literal: `${a}-${b}`',
  count: 'x.filter(v => v === item).length',
  find: 'x.indexOf(s)',
  index: 'x.indexOf(v)',
  isdigit: '/^\\d+$/.test(x)',
};
const NUMBER_METHODS = new Set(['toFixed', 'toPrecision', 'toString']);
const REGEXP_METHODS = new Set(['test']);

function isPlain(o: object): boolean {
  const p = Object.getPrototypeOf(o) as unknown;
  return p === Object.prototype || p === null;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (v instanceof RegExp) return 'regular expression';
  if (typeof v === 'object') return isPlain(v) ? 'mapping' : 'object';
  return typeof v;
}

function refusedName(name: string): ExpressionError {
  return new ExpressionError(`'${name}' is not allowed in expressions`, `expressions read data only; ${DOCS}`);
}

/** A value Object.keys & co may look into: a list or a plain mapping. */
function readable(o: unknown, what: string): object {
  if (o === null || typeof o !== 'object' || (!Array.isArray(o) && !isPlain(o)))
    throw new ExpressionError(`${what}() takes a mapping or a list, got ${typeName(o)}`);
  return o;
}

/** Define `key` on a mapping an expression builds, refusing prototype and implicit-call keys. */
export function safePut(out: Record<string, unknown>, key: string, v: unknown): void {
  checkKey(key);
  if (IMPLICIT_KEYS.has(key)) throw new ExpressionError(`an object in an expression may not define '${key}'`, 'JavaScript would call it implicitly');
  Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
}

const INDEX = /^(0|[1-9]\d*)$/;

/** `obj[key]`: own data properties of lists and mappings, string indices and lengths. */
function readMember(obj: unknown, key: unknown, optional: boolean): unknown {
  if (obj === undefined || obj === null) {
    if (optional) return undefined;
    throw new ExpressionError(`cannot read '${String(key)}' of ${String(obj)}`, 'use ?. to read through a missing value, e.g. x?.y');
  }
  if (typeof key === 'symbol') throw new ExpressionError('symbol keys are not allowed in expressions');
  const k = typeof key === 'number' ? String(key) : typeof key === 'string' ? key : undefined;
  if (k === undefined) throw new ExpressionError(`a property name must be a string or a number, got ${typeName(key)}`);
  checkKey(k);
  if (typeof obj === 'string') {
    if (k === 'length') return obj.length;
    if (INDEX.test(k)) return obj[Number(k)];
    throw new ExpressionError(
      `a string has no property '${k}'`,
      STRING_METHODS.has(k) ? `call it: x.${k}(...)` : `string methods: ${[...STRING_METHODS].join(', ')}`,
    );
  }
  if (typeof obj === 'function') throw new ExpressionError(`functions have no properties ('${k}')`);
  if (typeof obj !== 'object')
    throw new ExpressionError(
      `a ${typeName(obj)} has no property '${k}'`,
      typeof obj === 'number' ? `number methods (call them): ${[...NUMBER_METHODS].join(', ')}` : undefined,
    );
  if (!Array.isArray(obj) && !isPlain(obj)) throw new ExpressionError(`cannot read '${k}' of a ${typeName(obj)}`);
  const d = Object.getOwnPropertyDescriptor(obj, k);
  if (!d) {
    if (Array.isArray(obj) && ARRAY_METHODS.has(k)) throw new ExpressionError(`'${k}' is a method: call it, x.${k}(...)`);
    return undefined;
  }
  if (!('value' in d)) throw new ExpressionError(`'${k}' is an accessor; expressions read data properties only`);
  // Read through the object, not the descriptor: hostvars resolves its values on read.
  return (obj as Record<string, unknown>)[k];
}

/** `obj.name(args)`: a helper stored in a mapping, or an allow-listed method. */
function callMember(obj: unknown, key: unknown, args: unknown[], optional: boolean): unknown {
  if ((obj === undefined || obj === null) && optional) return undefined;
  const k = typeof key === 'number' ? String(key) : key;
  if (typeof k !== 'string') throw new ExpressionError('a method name must be a string');
  checkKey(k);
  if (obj !== null && typeof obj === 'object' && !(obj instanceof RegExp) && Object.hasOwn(obj, k)) return callValue(readMember(obj, k, false), args, k);
  // A helper that is also a namespace: Number('8') and Number.isInteger(8).
  if (typeof obj === 'function' && callable.has(obj) && Object.hasOwn(obj, k)) return callValue((obj as unknown as Record<string, unknown>)[k], args, k);
  const call = (methods: Set<string>, kind: string): unknown => {
    if (!methods.has(k))
      throw new ExpressionError(
        `'${k}' is not an allowed method of a ${kind}`,
        PYTHON_METHODS[k] ? `this is Python's (from Jinja): write ${PYTHON_METHODS[k]}` : `allowed: ${[...methods].join(', ')}`,
      );
    const fn = (obj as Record<string, (...a: unknown[]) => unknown>)[k]!;
    return fn.apply(obj, args);
  };
  if (typeof obj === 'string') return call(STRING_METHODS, 'string');
  if (Array.isArray(obj)) {
    const copying = ARRAY_COPYING[k];
    if (copying) return (obj as unknown as Record<string, (...a: unknown[]) => unknown>)[copying]!.apply(obj, args);
    return call(ARRAY_METHODS, 'list');
  }
  if (typeof obj === 'number') return call(NUMBER_METHODS, 'number');
  if (obj instanceof RegExp) return call(REGEXP_METHODS, 'regular expression');
  if (obj === undefined || obj === null) throw new ExpressionError(`cannot call '${k}' of ${String(obj)}`, 'use ?. to call through a missing value');
  if (typeof obj === 'function') throw new ExpressionError(`functions have no properties ('${k}')`);
  const ns = namespaces.get(obj as object);
  if (ns) throw new ExpressionError(`'${ns}.${k}' is not available in expressions`, `${ns} has: ${Object.keys(obj as object).join(', ')}`);
  throw new ExpressionError(
    `a ${typeName(obj)} has no method '${k}'`,
    PYTHON_METHODS[k]
      ? `this is Python's (from Jinja): write ${PYTHON_METHODS[k]}`
      : typeof obj === 'object'
        ? 'mappings have no methods: use Object.keys(x), Object.entries(x), "k" in x'
        : undefined,
  );
}

function callValue(fn: unknown, args: unknown[], name: string): unknown {
  if (typeof fn !== 'function' || !callable.has(fn))
    throw new ExpressionError(`'${name}' is not a function expressions may call`, `callable: plumb's helpers, arrow functions and allowed methods; ${DOCS}`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

// ---- parse and check once, cached by source ------------------------------------------------

const parsed = new Map<string, Expression>();

/** Parse and check an expression (cached). Throws SyntaxError or ExpressionError. */
export function compile(src: string): Expression {
  let ast = parsed.get(src);
  if (ast) return ast;
  // Jinja first: `x | int` parses as a bitwise OR, `x is defined` or `a if b else c` do not parse.
  const jinja = jinjaRewrite(src);
  if (jinja) throw jinjaError(jinja);
  try {
    ast = parseExpressionAt(src, 0, { ecmaVersion: 'latest', sourceType: 'script', preserveParens: true });
  } catch (e) {
    const loose = jinjaRewrite(src, true);
    if (loose) throw jinjaError(loose);
    if (src.includes('{{'))
      throw new ExpressionError(
        '{{ }} inside an expression',
        'when: (and what is inside {{ }}) is already an expression: write when: x > 1, not when: "{{ x > 1 }}"',
      );
    throw e;
  }
  const rest = src.slice(ast.end);
  const loose = rest.trim() !== '' ? jinjaRewrite(src, true) : undefined;
  if (loose) throw jinjaError(loose);
  if (rest.trim() !== '') throw new SyntaxError(`unexpected ${JSON.stringify(rest.trim().slice(0, 20))} after the expression`);
  check(ast as unknown as AnyNode, src);
  parsed.set(src, ast);
  return ast;
}

/** Jinja written as an expression: what it is, and the JavaScript to write instead. */
export class JinjaError extends ExpressionError {
  constructor(readonly found: JinjaFound) {
    super(
      `${found.what}; expressions are JavaScript`,
      found.js ? `write ${found.js}  (see docs/from-ansible.md)` : `${found.hint ?? ''}see docs/from-ansible.md`,
    );
  }
}

function jinjaError(found: JinjaFound): JinjaError {
  return new JinjaError(found);
}

type AnyNode = Node & { type: string; [k: string]: unknown };

function refused(what: string, hint?: string): ExpressionError {
  return new ExpressionError(`${what} is not allowed in expressions`, hint ?? DOCS);
}

/** Static refusals: what the interpreter would refuse anyway, found before anything runs. */
function check(node: AnyNode, src: string): void {
  switch (node.type) {
    case 'ThisExpression':
      throw refused("'this'");
    case 'Super':
      throw refused("'super'");
    case 'NewExpression':
      throw refused("'new'", `build lists and mappings with [...] and {...}; ${DOCS}`);
    case 'AssignmentExpression':
      throw refused('assignment', 'expressions compute values, they do not change variables');
    case 'UpdateExpression':
      throw refused(`'${String(node.operator)}'`, 'expressions compute values, they do not change variables');
    case 'TaggedTemplateExpression':
      throw refused('a tagged template');
    case 'ImportExpression':
      throw refused("'import()'");
    case 'MetaProperty':
      throw refused(`'${src.slice(node.start, node.end)}'`);
    case 'FunctionExpression':
    case 'ClassExpression':
      throw refused(node.type === 'ClassExpression' ? 'a class' : "'function'", 'write an arrow function with an expression body: x => x * 2');
    case 'AwaitExpression':
    case 'YieldExpression':
      throw refused(`'${node.type === 'AwaitExpression' ? 'await' : 'yield'}'`);
    case 'UnaryExpression':
      if (node.operator === 'delete') throw refused("'delete'", 'expressions do not change data');
      break;
    case 'BinaryExpression':
      if (node.operator === 'instanceof') throw refused("'instanceof'", 'use Array.isArray(x) or typeof x');
      break;
    case 'ArrowFunctionExpression':
      if (node.async) throw refused('an async function');
      if (!node.expression) throw refused('an arrow function with a { block } body', 'write an expression body: (a, b) => a + b');
      break;
    case 'Identifier':
      if (FORBIDDEN_NAMES.has(node.name as string)) throw refusedName(node.name as string);
      break;
    case 'Literal':
      if (typeof node.value === 'string') lostEscape(node.raw as string);
      break;
    case 'TemplateElement':
      lostEscape((node.value as { raw: string }).raw);
      break;
    case 'MemberExpression':
      if (node.computed) {
        const p = node.property as AnyNode;
        if (p.type === 'Literal' && typeof p.value === 'string') checkKey(p.value);
      }
      if ((node.property as AnyNode).type === 'PrivateIdentifier') throw refused('a private name');
      break;
    case 'Property': {
      const p = node as unknown as Property;
      if (p.kind !== 'init' || p.method)
        throw refused(p.kind === 'init' ? 'a method in an object literal' : `a ${p.kind}ter`, 'objects in expressions hold data: { key: value }');
      const key = !p.computed ? keyName(p.key) : p.key.type === 'Literal' ? String(p.key.value) : undefined;
      if (key !== undefined) {
        checkKey(key);
        if (IMPLICIT_KEYS.has(key)) throw new ExpressionError(`an object in an expression may not define '${key}'`, 'JavaScript would call it implicitly');
      }
      break;
    }
    default:
  }
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type' || k === 'start' || k === 'end' || k === 'loc' || k === 'range') continue;
    if (Array.isArray(v)) for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') check(c as AnyNode, src);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as AnyNode).type === 'string') check(v as AnyNode, src);
  }
}

/**
 * `'\w'` in a JavaScript string is `w` (and `'\1'` an octal escape), where Jinja (Python)
 * keeps the backslash: a pattern or replacement ported as written would silently match
 * something else. Refused, with the spelling that keeps the backslash.
 */
function lostEscape(raw: string): void {
  const m = /\\([^'"`\\bfnrtvxu0\n\r\u2028\u2029$]|0\d|\$(?!\{))/.exec(raw.replace(/\\\\/g, ''));
  if (!m) return;
  const c = m[1]!;
  throw new ExpressionError(
    `'\\${c}' in a JavaScript string is ${/\d/.test(c[0]!) ? 'an octal escape' : `just '${c}'`}, not a backslash and '${c}' as in Jinja`,
    `write '\\\\${c}' (in a YAML double-quoted string: "\\\\\\\\${c}"; single-quoted YAML or a block scalar keeps backslashes as typed), or a regular expression literal: /\\${c}/`,
  );
}

function keyName(k: Expression | PrivateIdentifier): string {
  if (k.type === 'Identifier') return k.name;
  if (k.type === 'Literal') return String(k.value);
  throw refused('this kind of key');
}

// ---- evaluation ------------------------------------------------------------------------------

/** Where names come from: the arrow parameters in scope, then the variables, then helpers. */
export interface Names {
  /** The value of a variable or helper; throws UndefinedName (or ExpressionError for a global). */
  lookup(name: string): unknown;
}

class Locals implements Names {
  constructor(
    private readonly own: Map<string, unknown>,
    private readonly parent: Names,
  ) {}
  lookup(name: string): unknown {
    return this.own.has(name) ? this.own.get(name) : this.parent.lookup(name);
  }
}

/** A controller global that is not one of the safe helpers: refused by name. */
export function refuseGlobal(name: string, where = 'expressions'): ExpressionError | undefined {
  if (!CONTROLLER_GLOBALS.has(name) && !FORBIDDEN_NAMES.has(name)) return undefined;
  return new ExpressionError(
    `no variable '${name}', and the controller's '${name}' is not available in ${where}`,
    `${where} see variables and plumb's helpers only (JSON, Math, Object.keys/values/entries/fromEntries, Number, String, Boolean, parseInt, parseFloat, Array.isArray, quote, defined, vars, d and Ansible's filters as functions: int, bool, join, ...); ${DOCS}`,
  );
}

/** Evaluate a parsed expression against `names`. */
export function run(src: string, names: Names): unknown {
  return ev(compile(src) as unknown as AnyNode, names);
}

const SHORT_CIRCUIT = Symbol('short-circuit');

function ev(n: AnyNode, env: Names): unknown {
  switch (n.type) {
    case 'Literal':
      return n.value;
    case 'Identifier':
      return env.lookup(n.name as string);
    case 'TemplateLiteral': {
      const quasis = n.quasis as { value: { cooked: string | null } }[];
      const exprs = n.expressions as AnyNode[];
      let s = quasis[0]!.value.cooked ?? '';
      exprs.forEach((e, i) => {
        s += String(ev(e, env) as string) + (quasis[i + 1]!.value.cooked ?? '');
      });
      return s;
    }
    case 'ArrayExpression': {
      const out: unknown[] = [];
      for (const el of n.elements as (AnyNode | null)[]) {
        if (el === null) out.push(undefined);
        else if (el.type === 'SpreadElement') out.push(...spread(ev(el.argument as AnyNode, env)));
        else out.push(ev(el, env));
      }
      return out;
    }
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const p of n.properties as (Property | SpreadElement)[]) {
        if (p.type === 'SpreadElement') {
          const v = ev(p.argument as AnyNode, env);
          if (v === null || v === undefined) continue;
          if (typeof v !== 'object' || (!Array.isArray(v) && !isPlain(v))) throw new ExpressionError(`cannot spread a ${typeName(v)} into a mapping`);
          for (const k of Object.keys(v)) safePut(out, k, readMember(v, k, false));
          continue;
        }
        const key = p.computed ? propertyKey(ev(p.key as AnyNode, env)) : keyName(p.key);
        safePut(out, key, ev(p.value as AnyNode, env));
      }
      return out;
    }
    case 'UnaryExpression': {
      const op = n.operator as string;
      if (op === 'typeof') return typeof ev(n.argument as AnyNode, env); // strict: an undefined name is an error
      const v = ev(n.argument as AnyNode, env);
      switch (op) {
        case '!':
          return !v;
        case '-':
          return -(v as number);
        case '+':
          return +(v as number);
        case '~':
          return ~(v as number);
        case 'void':
          return undefined;
        default:
          throw refused(`'${op}'`);
      }
    }
    case 'BinaryExpression': {
      const l = ev(n.left as AnyNode, env) as never;
      const r = ev(n.right as AnyNode, env) as never;
      return binary(n.operator as string, l, r);
    }
    case 'LogicalExpression': {
      const l = ev(n.left as AnyNode, env);
      if (n.operator === '&&') return l ? ev(n.right as AnyNode, env) : l;
      if (n.operator === '||') return l ? l : ev(n.right as AnyNode, env);
      return l ?? ev(n.right as AnyNode, env);
    }
    case 'ConditionalExpression':
      return ev(n.test as AnyNode, env) ? ev(n.consequent as AnyNode, env) : ev(n.alternate as AnyNode, env);
    case 'SequenceExpression': {
      let last: unknown;
      for (const e of n.expressions as AnyNode[]) last = ev(e, env);
      return last;
    }
    case 'ChainExpression': {
      const v = chain(n.expression as AnyNode, env);
      return v === SHORT_CIRCUIT ? undefined : v;
    }
    case 'MemberExpression':
    case 'CallExpression': {
      const v = chain(n, env);
      return v === SHORT_CIRCUIT ? undefined : v;
    }
    case 'ArrowFunctionExpression':
      return arrow(n, env);
    case 'ParenthesizedExpression':
      return ev(n.expression as AnyNode, env);
    default:
      throw refused(describe(n));
  }
}

function describe(n: AnyNode): string {
  return (
    n.type
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .replace(/ expression$/, '') || 'this construct'
  );
}

function propertyKey(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ExpressionError(`a key must be a string or a number, got ${typeName(v)}`);
}

function spread(v: unknown): unknown[] {
  if (Array.isArray(v)) return v as unknown[];
  if (typeof v === 'string') return [...v];
  throw new ExpressionError(`cannot spread a ${typeName(v)} into a list`);
}

function binary(op: string, l: never, r: never): unknown {
  switch (op) {
    case '+':
      return (l as number) + (r as number);
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '**':
      return (l as number) ** (r as number);
    case '==':
      // biome-ignore lint/suspicious/noDoubleEquals: the expression's own operator
      return l == r;
    case '!=':
      // biome-ignore lint/suspicious/noDoubleEquals: the expression's own operator
      return l != r;
    case '===':
      return l === r;
    case '!==':
      return l !== r;
    case '<':
      return l < r;
    case '<=':
      return l <= r;
    case '>':
      return l > r;
    case '>=':
      return l >= r;
    case '&':
      return l & r;
    case '|':
      return l | r;
    case '^':
      return l ^ r;
    case '<<':
      return l << r;
    case '>>':
      return l >> r;
    case '>>>':
      return l >>> r;
    case 'in': {
      const o = r as unknown;
      // Jinja's `x in list` and `x in text` test membership; JavaScript's test keys. Refused, not guessed.
      if (Array.isArray(o))
        throw new ExpressionError("'in' on a list tests its indexes in JavaScript, not its items", 'write list.includes(x) (Jinja: x in list)');
      if (typeof o === 'string') throw new ExpressionError("'in' does not look inside a string", "write text.includes('part') (Jinja: 'part' in text)");
      if (o === null || typeof o !== 'object' || !isPlain(o))
        throw new ExpressionError(`'in' needs a mapping on its right, got ${typeName(o)}`, "'key' in mapping; for a list, list.includes(x)");
      const k = propertyKey(l as unknown);
      return Object.hasOwn(o, k); // own keys only: 'constructor' in {} is false
    }
    default:
      throw refused(`'${op}'`);
  }
}

/** Member access and calls, with optional chaining: SHORT_CIRCUIT ends the whole chain. */
function chain(n: AnyNode, env: Names): unknown {
  if (n.type === 'MemberExpression') {
    const obj = chain(n.object as AnyNode, env);
    if (obj === SHORT_CIRCUIT) return SHORT_CIRCUIT;
    if (n.optional && (obj === null || obj === undefined)) return SHORT_CIRCUIT;
    return readMember(obj, memberKey(n, env), false);
  }
  if (n.type === 'CallExpression') {
    const callee = n.callee as AnyNode;
    if (callee.type === 'Super') throw refused("'super'");
    if (callee.type === 'MemberExpression') {
      const obj = chain(callee.object as AnyNode, env);
      if (obj === SHORT_CIRCUIT) return SHORT_CIRCUIT;
      if (callee.optional && (obj === null || obj === undefined)) return SHORT_CIRCUIT;
      const key = memberKey(callee, env);
      if (n.optional) {
        const has = obj !== null && typeof obj === 'object' && Object.hasOwn(obj, String(key));
        if (!has && !(typeof obj === 'string' || Array.isArray(obj) || typeof obj === 'number')) return SHORT_CIRCUIT;
      }
      return callMember(obj, key, args(n.arguments as AnyNode[], env), false);
    }
    const fn = chain(callee, env);
    if (fn === SHORT_CIRCUIT) return SHORT_CIRCUIT;
    if (n.optional && (fn === null || fn === undefined)) return SHORT_CIRCUIT;
    if (fn === DEFAULT) {
      const [first, ...others] = n.arguments as AnyNode[];
      if (first && first.type !== 'SpreadElement') return callValue(fn, [lenient(first, env), ...args(others, env)], 'd');
    }
    return callValue(fn, args(n.arguments as AnyNode[], env), callee.type === 'Identifier' ? (callee.name as string) : 'this value');
  }
  return ev(n, env);
}

/**
 * The first argument of d(): Ansible's default applies to an undefined variable, and to
 * an attribute of something undefined (`d(web.port, 80)` without `web`). Only names and
 * member reads are lenient; calls and operators inside them are strict as anywhere.
 */
function lenient(n: AnyNode, env: Names): unknown {
  switch (n.type) {
    case 'Identifier':
      try {
        return env.lookup(n.name as string);
      } catch (e) {
        if (e instanceof UndefinedName) return undefined;
        throw e;
      }
    case 'ParenthesizedExpression':
    case 'ChainExpression':
      return lenient(n.expression as AnyNode, env);
    case 'MemberExpression': {
      const obj = lenient(n.object as AnyNode, env);
      const key = memberKey(n, env);
      if (obj === undefined || obj === null) return undefined;
      // Jinja: an attribute a string or a number does not have is undefined too.
      if (typeof obj !== 'object' && !(typeof obj === 'string' && (key === 'length' || INDEX.test(String(key))))) {
        if (typeof key === 'string') checkKey(key);
        return undefined;
      }
      return readMember(obj, key, true);
    }
    default:
      return ev(n, env);
  }
}

function memberKey(n: AnyNode, env: Names): unknown {
  if (!n.computed) return (n.property as AnyNode).name as string;
  return ev(n.property as AnyNode, env);
}

function args(list: AnyNode[], env: Names): unknown[] {
  const out: unknown[] = [];
  for (const a of list) {
    if (a.type === 'SpreadElement') out.push(...spread(ev(a.argument as AnyNode, env)));
    else out.push(ev(a, env));
  }
  return out;
}

function arrow(n: AnyNode, env: Names): (...a: unknown[]) => unknown {
  const params = n.params as Pattern[];
  const body = n.body as AnyNode;
  return own((...a: unknown[]) => {
    const locals = new Map<string, unknown>();
    params.forEach((p, i) => bind(p, p.type === 'RestElement' ? a.slice(i) : a[i], locals, env));
    return ev(body, new Locals(locals, env));
  });
}

/** Arrow parameters: names, [a, b] and {a, b} patterns, defaults and rest. */
function bind(p: Pattern, v: unknown, out: Map<string, unknown>, env: Names): void {
  switch (p.type) {
    case 'Identifier':
      out.set(p.name, v);
      return;
    case 'AssignmentPattern':
      bind(p.left, v === undefined ? ev(p.right as AnyNode, new Locals(out, env)) : v, out, env);
      return;
    case 'RestElement':
      bind(p.argument, v, out, env);
      return;
    case 'ArrayPattern': {
      const list = v === undefined || v === null ? [] : spread(v);
      p.elements.forEach((el, i) => {
        if (!el) return;
        bind(el, el.type === 'RestElement' ? list.slice(i) : list[i], out, env);
      });
      return;
    }
    case 'ObjectPattern':
      for (const prop of p.properties) {
        if (prop.type === 'RestElement') throw refused('a ...rest in an object pattern');
        const key = prop.computed ? propertyKey(ev(prop.key as AnyNode, env)) : keyName(prop.key);
        bind(prop.value, readMember(v, key, false), out, env);
      }
      return;
    default:
      throw refused('this kind of parameter');
  }
}
