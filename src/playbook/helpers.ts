// Ansible's most used Jinja filters as plain functions of expressions: `x | int` is
// `int(x)`, `items | join(',')` is `join(items, ',')`, `x | default('y')` is `d(x, 'y')`
// (the interpreter evaluates d's first argument leniently, see interpret.ts). Each follows
// Ansible's semantics, edge cases included, except where noted (docs/from-ansible.md).
//
// Every helper is a pure function of its arguments: no process, file, network or clock.
// What they build is plain data, with keys checked like any mapping an expression makes.
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { ExpressionError, safePut } from './interpret.js';

type Mapping = Record<string, unknown>;

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'mapping' : typeof v;
}

function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RegExp);
}

function want(name: string, ok: boolean, what: string, v: unknown): void {
  if (!ok) throw new ExpressionError(`${name}() takes ${what}, got ${kind(v)}`);
}

/** Python's truthiness, which Jinja and Ansible use: empty lists and mappings are false. */
export function pythonTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return !!v;
}

/** Python's str() for scalars, as Jinja's `string` and `join` write them; lists and mappings as JSON. */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'object') return dumps(v, {});
  return String(v);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function uniq(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of list) if (!out.some((o) => deepEqual(o, v))) out.push(v);
  return out;
}

function list(name: string, v: unknown): unknown[] {
  want(name, Array.isArray(v), 'a list', v);
  return v as unknown[];
}

function text(name: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return str(v);
  throw new ExpressionError(`${name}() takes a string, got ${kind(v)}`);
}

function copy(m: Mapping): Mapping {
  const out: Mapping = {};
  for (const k of Object.keys(m)) safePut(out, k, m[k]);
  return out;
}

// ---- JSON and YAML, written as Ansible writes them ------------------------------------

/** Python's json.dumps: `, ` and `: ` separators on one line; with indent, one item a line. */
function dumps(v: unknown, o: { indent?: number; sortKeys?: boolean }, depth = 0): string {
  if (v === undefined) throw new ExpressionError('to_json() cannot write undefined');
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  const pad = o.indent === undefined ? '' : `\n${' '.repeat(o.indent * (depth + 1))}`;
  const end = o.indent === undefined ? '' : `\n${' '.repeat(o.indent * depth)}`;
  const sep = o.indent === undefined ? ', ' : ',';
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => pad + dumps(x, o, depth + 1)).join(sep)}${end}]` : '[]';
  let keys = Object.keys(v);
  if (o.sortKeys) keys = [...keys].sort();
  if (!keys.length) return '{}';
  return `{${keys.map((k) => `${pad}${JSON.stringify(k)}: ${dumps((v as Mapping)[k], o, depth + 1)}`).join(sep)}${end}}`;
}

/** Parsed data with every mapping key checked (no __proto__ from a JSON or YAML string). */
function checked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(checked);
  if (isMapping(v)) {
    const out: Mapping = {};
    for (const k of Object.keys(v)) safePut(out, k, checked(v[k]));
    return out;
  }
  return v;
}

// ---- regular expressions: Python's syntax, as roles write it ---------------------------

/** A Python pattern (or a /re/ literal) as a JavaScript RegExp. */
function pyRegex(name: string, pattern: unknown, flags: string): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, [...new Set(pattern.flags + flags)].join(''));
  let src = text(name, pattern);
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]!) if ('ims'.includes(f)) flags += f;
  }
  src = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(src, [...new Set(flags)].join(''));
  } catch (e) {
    throw new ExpressionError(`${name}(): invalid regular expression ${JSON.stringify(src)}: ${(e as Error).message}`);
  }
}

/** Python's replacement syntax (`\1`, `\g<name>`) in JavaScript's (`$1`, `$<name>`); a literal $ stays one. */
function pyReplacement(r: string): string {
  return r
    .replace(/\$/g, '$$$$')
    .replace(/\\(?:g<(\d+)>|g<(\w+)>|(\d{1,2})|(\\))/g, (_m, gnum: string, gname: string, num: string, bs: string) =>
      bs ? '\\' : gname ? `$<${gname}>` : `$${gnum ?? num}`,
    );
}

function reFlags(ignorecase: unknown, multiline: unknown): string {
  return `${ignorecase === true ? 'i' : ''}${multiline === true ? 'm' : ''}`;
}

// ---- numbers ---------------------------------------------------------------------------

const FLOAT = /^[+-]?(\d[\d_]*\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const DIGITS: Record<number, RegExp> = { 2: /^[+-]?(0b)?[01_]+$/i, 8: /^[+-]?(0o)?[0-7_]+$/i, 10: /^[+-]?\d[\d_]*$/, 16: /^[+-]?(0x)?[\da-f_]+$/i };

function toInt(v: unknown, fallback: unknown = 0, base = 10): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : fallback;
  if (typeof v !== 'string') return fallback;
  const s = v.trim();
  const digits = DIGITS[base];
  if (digits?.test(s)) {
    const n = parseInt(s.replace(/_/g, '').replace(/^([+-]?)0[box]/i, '$1'), base);
    if (!Number.isNaN(n)) return n;
  }
  // Ansible: int('3.7') fails, then int(float('3.7')) is 3.
  if (base === 10 && FLOAT.test(s)) return Math.trunc(Number(s.replace(/_/g, '')));
  return fallback;
}

function toFloat(v: unknown, fallback: unknown = 0): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return fallback;
  const s = v.trim().toLowerCase();
  if (FLOAT.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(s)) return NaN;
  return fallback;
}

const TRUE = new Set(['yes', 'on', 'true', '1', 'y', 't']);
const FALSE = new Set(['no', 'off', 'false', '0', 'n', 'f', '']);

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return false;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
  }
  // Ansible turns anything else ('enabled', 2, a list) into false without a word.
  throw new ExpressionError(
    `bool() got ${JSON.stringify(v) ?? String(v)}, which is neither true nor false`,
    'bool() takes true/false, yes/no, on/off, y/n, 1/0 (any case), or null (false)',
  );
}

// ---- paths (Python's posixpath) -----------------------------------------------------------

function basename(p: unknown): string {
  const s = text('basename', p);
  return s.slice(s.lastIndexOf('/') + 1);
}

function dirname(p: unknown): string {
  const s = text('dirname', p);
  const head = s.slice(0, s.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

// ---- combine -------------------------------------------------------------------------------

const LIST_MERGE = ['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'] as const;
type ListMerge = (typeof LIST_MERGE)[number];

function mergeLists(a: unknown[], b: unknown[], how: ListMerge): unknown[] {
  switch (how) {
    case 'keep':
      return a;
    case 'append':
      return [...a, ...b];
    case 'prepend':
      return [...b, ...a];
    case 'append_rp':
      return [...a.filter((x) => !b.some((y) => deepEqual(x, y))), ...b];
    case 'prepend_rp':
      return [...b, ...a.filter((x) => !b.some((y) => deepEqual(x, y)))];
    default:
      return b;
  }
}

function merge(a: Mapping, b: Mapping, recursive: boolean, lists: ListMerge): Mapping {
  const out = copy(a);
  for (const k of Object.keys(b)) {
    const x = out[k];
    const y = b[k];
    if (recursive && isMapping(x) && isMapping(y)) safePut(out, k, merge(x, y, true, lists));
    else if (Array.isArray(x) && Array.isArray(y)) safePut(out, k, mergeLists(x, y, lists));
    else safePut(out, k, y);
  }
  return out;
}

/** combine(a, b, ...): later mappings win; trailing `true` merges recursively, then a list_merge mode. */
function combine(...args: unknown[]): Mapping {
  let lists: ListMerge = 'replace';
  let recursive = false;
  if (typeof args.at(-1) === 'string') {
    const m = args.pop() as string;
    if (!(LIST_MERGE as readonly string[]).includes(m)) throw new ExpressionError(`combine(): unknown list_merge '${m}'`, `one of ${LIST_MERGE.join(', ')}`);
    lists = m as ListMerge;
  }
  if (typeof args.at(-1) === 'boolean') recursive = args.pop() as boolean;
  let out: Mapping = {};
  for (const m of args.flat()) {
    want('combine', isMapping(m), 'mappings (then recursive true/false, then a list_merge mode)', m);
    out = merge(out, m as Mapping, recursive, lists);
  }
  return out;
}

// ---- the helpers -----------------------------------------------------------------------------

const HASHES = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

const VERSION_OPS: Readonly<Record<string, (c: number) => boolean>> = {
  eq: (c) => c === 0,
  ne: (c) => c !== 0,
  lt: (c) => c < 0,
  le: (c) => c <= 0,
  gt: (c) => c > 0,
  ge: (c) => c >= 0,
};
const VERSION_OP_ALIASES: Readonly<Record<string, string>> = { '==': 'eq', '=': 'eq', '!=': 'ne', '<>': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

/** Python's LooseVersion parts: runs of digits as numbers, runs of anything else but dots as text. */
function looseParts(v: string): (number | string)[] {
  return (v.match(/\d+|[a-z]+|[^\d.a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function compareLoose(a: string, b: string): number {
  const x = looseParts(a);
  const y = looseParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    // A number sorts before text (Python 2's LooseVersion; Python 3's raises instead).
    if (typeof p !== typeof q) return typeof p === 'number' ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

/** Ansible's `version` test as a function: version(v, '5.9', '>='); LooseVersion ordering. */
function version(v: unknown, ref: unknown, op: unknown = 'eq', strict: unknown = false, versionType: unknown = 'loose'): boolean {
  if ((typeof v !== 'string' && typeof v !== 'number') || (typeof ref !== 'string' && typeof ref !== 'number'))
    throw new ExpressionError(`version() compares two version strings, got ${kind(v)} and ${kind(ref)}`);
  if (typeof op !== 'string') throw new ExpressionError(`version() takes an operator string ('>=', 'lt', ...), got ${kind(op)}`);
  const name = VERSION_OP_ALIASES[op] ?? op;
  const test = Object.hasOwn(VERSION_OPS, name) ? VERSION_OPS[name] : undefined;
  if (!test) throw new ExpressionError(`version() operator '${op}' is not one of ==, !=, <, <=, >, >=, eq, ne, lt, le, gt, ge`);
  if (strict !== false || (versionType !== 'loose' && versionType !== null))
    throw new ExpressionError('version() compares loosely only (no strict, semver or pep440 version_type in plumb)');
  return test(compareLoose(String(v), String(ref)));
}

/** The Jinja filters as functions, by the name expressions call them (Ansible's, or its alias `d`). */
export const FILTERS: Readonly<Record<string, (...args: never[]) => unknown>> = {
  /** default: the interpreter evaluates `x` leniently, so an undefined name or attribute is the fallback. */
  d: (v: unknown, fallback: unknown = '', boolean = false) => (v === undefined || (boolean === true && !pythonTruthy(v)) ? fallback : v),
  mandatory: (v: unknown, msg?: string) => {
    if (v === undefined) throw new ExpressionError(typeof msg === 'string' ? msg : 'mandatory variable not defined');
    return v;
  },
  bool: toBool,
  version,
  int: toInt,
  float: toFloat,
  string: str,
  length: (v: unknown) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isMapping(v)) return Object.keys(v).length;
    throw new ExpressionError(`length() takes a string, a list or a mapping, got ${kind(v)}`);
  },
  first: (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v[0] : list('first', v)[0]),
  last: (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v.at(-1) : list('last', v).at(-1)),
  join: (v: unknown, sep: unknown = '') => list('join', v).map(str).join(text('join', sep)),
  lower: (v: unknown) => text('lower', v).toLowerCase(),
  upper: (v: unknown) => text('upper', v).toUpperCase(),
  trim: (v: unknown, chars?: string) => {
    const s = text('trim', v);
    if (chars === undefined) return s.trim();
    const set = new Set(text('trim', chars));
    let a = 0;
    let b = s.length;
    while (a < b && set.has(s[a]!)) a++;
    while (b > a && set.has(s[b - 1]!)) b--;
    return s.slice(a, b);
  },
  split: (v: unknown, sep?: string, maxsplit = -1) => {
    const s = text('split', v);
    const max = toInt(maxsplit, -1) as number;
    if (sep === undefined || sep === null) {
      // Python: runs of whitespace, no empty strings at either end.
      const words: string[] = [];
      let rest = s.trimStart();
      while (rest) {
        if (max >= 0 && words.length === max) {
          words.push(rest);
          break;
        }
        const m = /\s+/.exec(rest);
        words.push(m ? rest.slice(0, m.index) : rest);
        rest = m ? rest.slice(m.index + m[0].length) : '';
      }
      return words;
    }
    const by = text('split', sep);
    if (!by) throw new ExpressionError('split(): empty separator');
    const parts = s.split(by);
    return max >= 0 && parts.length > max + 1 ? [...parts.slice(0, max), parts.slice(max).join(by)] : parts;
  },
  replace: (v: unknown, old: unknown, by: unknown, count?: number) => {
    const s = text('replace', v);
    const a = text('replace', old);
    const b = text('replace', by);
    if (count === undefined || count < 0) return s.replaceAll(a, b);
    let out = s;
    let from = 0;
    for (let i = 0; i < count; i++) {
      const at = out.indexOf(a, from);
      if (at < 0) break;
      out = out.slice(0, at) + b + out.slice(at + a.length);
      from = at + b.length + (a ? 0 : 1);
    }
    return out;
  },
  regex_replace: (v: unknown, pattern: unknown, replacement: unknown = '', ignorecase = false, multiline = false, count = 0) => {
    const re = pyRegex('regex_replace', pattern, `${reFlags(ignorecase, multiline)}${count ? '' : 'g'}`);
    const rep = pyReplacement(text('regex_replace', replacement));
    if (!count) return text('regex_replace', v).replace(re, rep);
    let out = text('regex_replace', v);
    for (let i = 0; i < count; i++) out = out.replace(re, rep);
    return out;
  },
  regex_search: (v: unknown, pattern: unknown, ...groups: unknown[]) => {
    const re = pyRegex('regex_search', pattern, '');
    const m = re.exec(text('regex_search', v));
    if (!m) return null;
    if (!groups.length) return m[0];
    return groups.map((g) => {
      const ref = /^\\(?:g<(\w+)>|(\d+))$/.exec(text('regex_search', g));
      if (!ref) throw new ExpressionError(`regex_search(): a group is written '\\\\1' or '\\\\g<name>', got ${JSON.stringify(g)}`);
      return ref[1] !== undefined && !/^\d+$/.test(ref[1]) ? (m.groups?.[ref[1]] ?? null) : (m[Number(ref[1] ?? ref[2])] ?? null);
    });
  },
  regex_findall: (v: unknown, pattern: unknown, ignorecase = false, multiline = false) => {
    const re = pyRegex('regex_findall', pattern, `${reFlags(ignorecase, multiline)}g`);
    // Python's findall: the match, or its one group, or a list of its groups.
    return [...text('regex_findall', v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? '')));
  },
  regex_escape: (v: unknown) => text('regex_escape', v).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  ternary: (v: unknown, yes: unknown, no: unknown, ...none: unknown[]) => (v === null && none.length ? none[0] : pythonTruthy(v) ? yes : no),
  unique: (v: unknown) => uniq(list('unique', v)),
  union: (a: unknown, b: unknown) => uniq([...list('union', a), ...list('union', b)]),
  intersect: (a: unknown, b: unknown) => uniq(list('intersect', a).filter((x) => list('intersect', b).some((y) => deepEqual(x, y)))),
  difference: (a: unknown, b: unknown) => uniq(list('difference', a).filter((x) => !list('difference', b).some((y) => deepEqual(x, y)))),
  symmetric_difference: (a: unknown, b: unknown) => {
    const [x, y] = [list('symmetric_difference', a), list('symmetric_difference', b)];
    return uniq([...x.filter((v) => !y.some((w) => deepEqual(v, w))), ...y.filter((v) => !x.some((w) => deepEqual(v, w)))]);
  },
  flatten: (v: unknown, levels?: number) => {
    // Ansible's flatten drops nulls inside nested lists, and flattens all levels unless told.
    const flat = (l: unknown[], depth: number): unknown[] =>
      l.flatMap((x) => (Array.isArray(x) && (levels === undefined || depth < levels) ? flat(x, depth + 1) : x === null && depth > 0 ? [] : [x]));
    return flat(list('flatten', v), 0);
  },
  combine,
  dict2items: (v: unknown, key_name = 'key', value_name = 'value') => {
    want('dict2items', isMapping(v), 'a mapping', v);
    return Object.keys(v as Mapping).map((k) => {
      const o: Mapping = {};
      safePut(o, key_name, k);
      safePut(o, value_name, (v as Mapping)[k]);
      return o;
    });
  },
  items2dict: (v: unknown, key_name = 'key', value_name = 'value') => {
    const out: Mapping = {};
    for (const item of list('items2dict', v)) {
      want(
        'items2dict',
        isMapping(item) && Object.hasOwn(item, key_name) && Object.hasOwn(item, value_name),
        `a list of mappings with '${key_name}' and '${value_name}'`,
        item,
      );
      safePut(out, String((item as Mapping)[key_name]), (item as Mapping)[value_name]);
    }
    return out;
  },
  to_json: (v: unknown, indent?: number) => dumps(v, { indent }),
  to_nice_json: (v: unknown, indent = 4) => dumps(v, { indent, sortKeys: true }),
  from_json: (s: unknown) => {
    try {
      return checked(JSON.parse(text('from_json', s)));
    } catch (e) {
      if (e instanceof ExpressionError) throw e;
      throw new ExpressionError(`from_json(): ${(e as Error).message}`);
    }
  },
  to_yaml: (v: unknown) => YAML.stringify(v, { aliasDuplicateObjects: false }),
  to_nice_yaml: (v: unknown, indent = 4) => YAML.stringify(v, { indent, aliasDuplicateObjects: false, sortMapEntries: true }),
  from_yaml: (s: unknown) => {
    try {
      // YAML 1.2 core schema: no custom tags, no yes/no booleans; aliases bounded by the yaml package.
      return checked(YAML.parse(text('from_yaml', s), { schema: 'core', customTags: [] }));
    } catch (e) {
      if (e instanceof ExpressionError) throw e;
      throw new ExpressionError(`from_yaml(): ${(e as Error).message.split('\n')[0]}`);
    }
  },
  b64encode: (v: unknown) => Buffer.from(text('b64encode', v), 'utf8').toString('base64'),
  b64decode: (v: unknown) => {
    const s = text('b64decode', v).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || (s.length % 4 !== 0 && /=/.test(s))) throw new ExpressionError('b64decode(): not base64');
    return Buffer.from(s, 'base64').toString('utf8');
  },
  basename,
  dirname,
  hash: (v: unknown, algorithm = 'sha1') => {
    if (!HASHES.has(algorithm)) throw new ExpressionError(`hash(): unknown algorithm '${algorithm}'`, `one of ${[...HASHES].join(', ')}`);
    return createHash(algorithm).update(text('hash', v), 'utf8').digest('hex');
  },
  checksum: (v: unknown) => createHash('sha1').update(text('checksum', v), 'utf8').digest('hex'),
  md5: (v: unknown) => createHash('md5').update(text('md5', v), 'utf8').digest('hex'),
  sha1: (v: unknown) => createHash('sha1').update(text('sha1', v), 'utf8').digest('hex'),
};
