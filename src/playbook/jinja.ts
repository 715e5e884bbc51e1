// Jinja written where plumb expects JavaScript: `{{ x | default('y') }}`, `when: x is
// defined`, `{% if %}`. Found before the expression is parsed (in JavaScript `x | int` is
// a bitwise OR and would run, silently), and rewritten into the JavaScript to write
// instead, which the error shows. A `|` whose right side is not a filter's name stays
// JavaScript's bitwise OR (`flags | 4`).
import { FILTERS } from './helpers.js';

export interface JinjaFound {
  /** What was found, e.g. "'| default' is a Jinja filter". */
  what: string;
  /** The same in plumb's JavaScript, when it can be written for the operator. */
  js?: string;
  hint?: string;
}

/** Jinja's filters and Ansible's, by name: the helper that does it, or undefined (no helper). */
const ALIASES: Record<string, string> = { default: 'd', count: 'length', checksum: 'checksum' };
/** Filters with no helper: the JavaScript for `v` with arguments `a`. */
const METHODS: Record<string, (v: string, a: string[], unquote: (s: string) => string) => string> = {
  list: (v) => v,
  sort: (v, a, unquote) => (a[0] ? `${v}.toSorted((x, y) => (x.${unquote(kw(a[0]))} < y.${unquote(kw(a[0]))} ? -1 : 1))` : `${v}.toSorted()`),
  reverse: (v) => `${v}.toReversed()`,
  min: (v) => `Math.min(...${v})`,
  max: (v) => `Math.max(...${v})`,
  sum: (v) => `${v}.reduce((a, b) => a + b, 0)`,
  abs: (v) => `Math.abs(${v})`,
  round: (v, a) => (a[0] ? `Number(${v}.toFixed(${a[0]}))` : `Math.round(${v})`),
  quote: (v) => `quote(${v})`,
  items: (v) => `Object.entries(${v})`,
  dict: (v) => `Object.fromEntries(${v})`,
  map: (v, a, unquote) => {
    if (a[0] && /^attribute\s*=/.test(a[0])) return `${v}.map(x => x.${unquote(kw(a[0]))})`;
    return a[0]
      ? `${v}.map(x => ${unquote(a[0])}(x${a
          .slice(1)
          .map((x) => `, ${x}`)
          .join('')}))`
      : `${v}.map(x => x)`;
  },
  select: (v, a, unquote) => (a[0] ? `${v}.filter(x => ${test('x', unquote(a[0]), a.slice(1))})` : `${v}.filter(x => x)`),
  reject: (v, a, unquote) => (a[0] ? `${v}.filter(x => !(${test('x', unquote(a[0]), a.slice(1))}))` : `${v}.filter(x => !x)`),
  selectattr: (v, a, unquote) => `${v}.filter(x => ${a[1] ? test(`x.${unquote(a[0] ?? '')}`, unquote(a[1]), a.slice(2)) : `x.${unquote(a[0] ?? '')}`})`,
  rejectattr: (v, a, unquote) => `${v}.filter(x => !${a[1] ? `(${test(`x.${unquote(a[0] ?? '')}`, unquote(a[1]), a.slice(2))})` : `x.${unquote(a[0] ?? '')}`})`,
  to_nice_yaml: (v) => `to_nice_yaml(${v})`,
};
/** Ansible filters plumb has no helper for (yet, or on purpose): named so `x | ipaddr` is still Jinja. */
const NO_HELPER = new Set([
  'ipaddr',
  'ipv4',
  'ipv6',
  'ansible.utils.ipaddr',
  'password_hash',
  'to_uuid',
  'urlsplit',
  'json_query',
  'zip',
  'zip_longest',
  'product',
  'permutations',
  'combinations',
  'subelements',
  'random',
  'shuffle',
  'comment',
  'mandatory',
  'groupby',
  'batch',
  'slice',
  'wordcount',
  'center',
  'indent',
  'format',
  'capitalize',
  'title',
  'striptags',
  'urlencode',
  'truncate',
  'wordwrap',
  'xmlattr',
  'tojson',
  'pprint',
  'human_readable',
  'human_to_bytes',
  'extract',
  'realpath',
  'relpath',
  'expanduser',
  'splitext',
  'win_basename',
  'fileglob',
  'vault',
  'unvault',
  'type_debug',
  'strftime',
  'to_datetime',
  'bool',
]);

/** Parameter names of the helpers, so `default('x', boolean=true)` becomes positional. */
const PARAMS: Record<string, string[]> = {
  d: ['default_value', 'boolean'],
  int: ['default', 'base'],
  float: ['default'],
  join: ['d'],
  trim: ['chars'],
  split: ['sep', 'maxsplit'],
  replace: ['old', 'new', 'count'],
  regex_replace: ['regex', 'replace', 'ignorecase', 'multiline', 'count'],
  regex_findall: ['regex', 'ignorecase', 'multiline'],
  regex_search: ['regex'],
  dict2items: ['key_name', 'value_name'],
  items2dict: ['key_name', 'value_name'],
  to_json: ['indent'],
  to_nice_json: ['indent'],
  to_nice_yaml: ['indent'],
  ternary: ['true_val', 'false_val', 'none_val'],
  hash: ['hashtype'],
  flatten: ['levels'],
};

function kw(arg: string): string {
  return arg.replace(/^\w+\s*=\s*/, '');
}

/** A literal argument's text (a filter's attribute name) from the masked source. */
function unquoter(literals: string[]): (s: string) => string {
  return (s) => {
    const m = /^\s*(['"])(.*)\1\s*$/.exec(unmask(s, literals));
    return m ? m[2]! : s.trim();
  };
}

// ---- masking: strings and regular expressions out of the way ------------------------------

const HOLE = '\uE000'; // a private-use character: stands for a literal while scanning

interface Masked {
  code: string;
  literals: string[];
}

function mask(src: string): Masked {
  const literals: string[] = [];
  let code = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const prev = code.trimEnd().at(-1);
    const regexStart = c === '/' && src[i + 1] !== '/' && src[i + 1] !== '*' && (prev === undefined || '(,=:[!&|?{};'.includes(prev));
    if (c === '"' || c === "'" || c === '`' || regexStart) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length) {
        const d = src[j]!;
        if (d === '\\') j++;
        else if (regexStart && d === '[') inClass = true;
        else if (regexStart && d === ']') inClass = false;
        else if (d === c && !inClass) break;
        j++;
      }
      if (regexStart) while (/[a-z]/.test(src[j + 1] ?? '')) j++;
      literals.push(src.slice(i, j + 1));
      code += `${HOLE}${literals.length - 1}${HOLE}`;
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  return { code, literals };
}

function unmask(code: string, literals: string[]): string {
  return code.replace(/\uE000(\d+)\uE000/g, (_m, n: string) => literals[Number(n)]!);
}

// ---- scanning operands -------------------------------------------------------------------

const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Where the operand ending at `end` (exclusive) starts: a name, dots, calls, indexes, a literal. */
function operandStart(code: string, end: number): number {
  let i = end;
  while (i > 0 && code[i - 1] === ' ') i--;
  while (i > 0) {
    const c = code[i - 1]!;
    if (PAIRS[c]) {
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        if (code[j] === c) depth++;
        else if (code[j] === PAIRS[c] && --depth === 0) break;
      }
      i = Math.max(j, 0);
      continue;
    }
    if (/[\w.$\uE000]/.test(c)) {
      i--;
      continue;
    }
    break;
  }
  return i;
}

/** `name` or `name(args)` starting at `from`: its end and its arguments (split at top-level commas). */
function callAt(code: string, from: number): { name: string; args: string[] | undefined; end: number } | undefined {
  const m = /^\s*([A-Za-z_][\w.]*)/.exec(code.slice(from));
  if (!m) return undefined;
  let end = from + m[0].length;
  const paren = /^\s*\(/.exec(code.slice(end));
  if (!paren) return { name: m[1]!, args: undefined, end };
  const open = end + paren[0].length - 1;
  const close = matching(code, open);
  if (close < 0) return undefined;
  end = close + 1;
  return { name: m[1]!, args: splitTop(code.slice(open + 1, close), ','), end };
}

function matching(code: string, open: number): number {
  let depth = 0;
  for (let j = open; j < code.length; j++) {
    if (OPEN[code[j]!]) depth++;
    else if (PAIRS[code[j]!] && --depth === 0) return j;
  }
  return -1;
}

function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (OPEN[c]) depth++;
    if (PAIRS[c]) depth--;
    if (c === sep && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A filter's Jinja arguments in the helper's positional order (keywords placed by name). */
function positional(helper: string, args: string[]): string[] {
  if (helper === 'combine') {
    // combine(b, recursive=true, list_merge='append'): the mappings, then recursive, then list_merge.
    const kw = (k: string) => args.find((a) => new RegExp(`^${k}\\s*=(?!=)`).test(a))?.replace(/^\w+\s*=\s*/, '');
    const [recursive, lists] = [kw('recursive'), kw('list_merge')];
    return [
      ...args.filter((a) => !/^(recursive|list_merge)\s*=(?!=)/.test(a)),
      ...(recursive || lists ? [recursive ?? 'false'] : []),
      ...(lists ? [lists] : []),
    ];
  }
  const names = PARAMS[helper] ?? [];
  const out: string[] = [];
  for (const a of args) {
    const k = /^(\w+)\s*=(?!=)\s*([\s\S]*)$/.exec(a);
    const at = k ? names.indexOf(k[1]!) : -1;
    if (k && at >= 0) {
      while (out.length < at) out.push('undefined');
      out[at] = k[2]!;
    } else out.push(a);
  }
  return out;
}

function strip(v: string): string {
  const t = v.trim();
  return t.startsWith('(') && matching(t, 0) === t.length - 1 ? t.slice(1, -1).trim() : t;
}

function filter(v: string, name: string, args: string[], literals: string[]): string | undefined {
  const method = METHODS[name];
  if (method) return method(strip(v), args, unquoter(literals));
  const helper = ALIASES[name] ?? name;
  if (!Object.hasOwn(FILTERS, helper)) return undefined;
  return `${helper}(${[strip(v), ...positional(helper, args)].join(', ')})`;
}

// ---- tests: `x is defined` -----------------------------------------------------------------

function test(v: string, name: string, a: string[]): string {
  const arg = a[0] ?? '';
  switch (name) {
    case 'defined':
      return /^[A-Za-z_$][\w$]*$/.test(v) ? `defined('${v}')` : `vars.${v.replace(/\./g, '?.')} !== undefined`;
    case 'undefined':
      return `!${test(v, 'defined', a)}`;
    case 'version':
    case 'version_compare':
      return `version(${[v, ...a].join(', ')})`;
    case 'none':
      return `${v} === null`;
    case 'string':
    case 'number':
    case 'boolean':
      return `typeof ${v} === '${name}'`;
    case 'integer':
      return `Number.isInteger(${v})`;
    case 'mapping':
      return `(typeof ${v} === 'object' && ${v} !== null && !Array.isArray(${v}))`;
    case 'sequence':
    case 'iterable':
    case 'list':
      return `Array.isArray(${v})`;
    case 'true':
    case 'false':
      return `${v} === ${name}`;
    case 'truthy':
      return `!!${v}`;
    case 'falsy':
      return `!${v}`;
    case 'even':
      return `${v} % 2 === 0`;
    case 'odd':
      return `${v} % 2 === 1`;
    case 'divisibleby':
      return `${v} % ${arg} === 0`;
    case 'eq':
    case 'equalto':
    case '==':
    case 'sameas':
      return `${v} === ${arg}`;
    case 'ne':
    case '!=':
      return `${v} !== ${arg}`;
    case 'lt':
    case 'gt':
    case 'le':
    case 'ge':
      return `${v} ${{ lt: '<', gt: '>', le: '<=', ge: '>=' }[name]} ${arg}`;
    case 'in':
      return `${arg}.includes(${v})`;
    case 'contains':
      return `${v}.includes(${arg})`;
    case 'match':
      return `regex_search(${v}, '^(?:' + ${arg} + ')') !== null`;
    case 'search':
    case 'regex':
      return `regex_search(${v}, ${arg}) !== null`;
    case 'success':
    case 'succeeded':
      return `!${v}.failed`;
    case 'failed':
    case 'failure':
      return `${v}.failed`;
    case 'changed':
    case 'change':
      return `${v}.changed`;
    case 'skipped':
    case 'skip':
      return `${v}.skipped`;
    case 'subset':
      return `${v}.every(x => ${arg}.includes(x))`;
    case 'superset':
      return `${arg}.every(x => ${v}.includes(x))`;
    case 'lower':
      return `${v} === ${v}.toLowerCase()`;
    case 'upper':
      return `${v} === ${v}.toUpperCase()`;
    default:
      throw new NoJs(name);
  }
}

const CONTROLLER_TESTS = new Set(['file', 'directory', 'exists', 'link', 'mount', 'abs', 'same_file']);

class NoJs extends Error {
  constructor(readonly test: string) {
    super(test);
  }
}

const TEST_WORDS = new Set([
  'defined',
  'undefined',
  'none',
  'string',
  'number',
  'boolean',
  'integer',
  'mapping',
  'sequence',
  'iterable',
  'list',
  'true',
  'false',
  'truthy',
  'falsy',
  'even',
  'odd',
  'divisibleby',
  'eq',
  'equalto',
  'sameas',
  'ne',
  'lt',
  'gt',
  'le',
  'ge',
  'in',
  'contains',
  'match',
  'search',
  'regex',
  'success',
  'succeeded',
  'failed',
  'failure',
  'changed',
  'change',
  'skipped',
  'skip',
  'subset',
  'superset',
  'lower',
  'upper',
  'version',
  'version_compare',
  'float',
  'callable',
  ...CONTROLLER_TESTS,
]);

// ---- the rewrite ---------------------------------------------------------------------------

function isFilterName(name: string): boolean {
  return Object.hasOwn(FILTERS, ALIASES[name] ?? name) || Object.hasOwn(METHODS, name) || NO_HELPER.has(name);
}

/** The first top-level `|` (not `||`, not `|=`) followed by a filter's name. */
function pipeAt(code: string): number {
  for (let i = 0; i < code.length; i++) {
    if (code[i] !== '|' || code[i + 1] === '|' || code[i - 1] === '|' || code[i + 1] === '=') continue;
    const c = callAt(code, i + 1);
    if (c && isFilterName(c.name)) return i;
  }
  return -1;
}

const IS = /(\s)is\s+(not\s+)?([A-Za-z_]\w*|==|!=)/;

/**
 * Jinja in an expression, and the JavaScript for it; undefined if there is none. `loose`
 * (the source did not parse as JavaScript) also takes `and`/`or`/`not`, `True`/`None`,
 * `~` and `a if b else c` as Jinja; valid JavaScript is only Jinja by a filter or a test.
 */
export function jinjaRewrite(src: string, loose = false): JinjaFound | undefined {
  const { code, literals } = mask(src);
  if (code.includes('{%')) return statement(src);
  const found: string[] = [];
  let out = code;
  let missing: string | undefined;
  let unsure = false;
  try {
    // Filters bind to the operand just before them: `a == b | int` is `a == int(b)`.
    for (let at = pipeAt(out), n = 0; at >= 0 && n < 50; at = pipeAt(out), n++) {
      const c = callAt(out, at + 1)!;
      const start = operandStart(out, at);
      const v = out.slice(start, at).trim();
      found.push(`'| ${c.name}' is a Jinja filter`);
      const js = filter(v, c.name, c.args ?? [], literals);
      if (js === undefined) {
        missing ??= c.name;
        unsure = true;
      }
      out = `${out.slice(0, start)}${js ?? `${c.name}(${[v, ...(c.args ?? [])].join(', ')})`}${out.slice(c.end)}`;
    }
    for (let m = IS.exec(out), n = 0; m && n < 50; m = IS.exec(out), n++) {
      const name = m[3]!;
      if (!TEST_WORDS.has(name)) break;
      const at = m.index + m[1]!.length;
      const start = operandStart(out, m.index + 1);
      const v = out.slice(start, m.index).trim();
      let end = at + m[0].length - m[1]!.length;
      let args: string[] = [];
      const c = callAt(out, end - name.length);
      if (c?.args) {
        args = c.args;
        end = c.end;
      } else if (/^\s+[\w\uE000'"]/.test(out.slice(end)) && !['defined', 'undefined', 'none'].includes(name)) {
        // `x is divisibleby 3`, `x is sameas true`: a test's one argument without parentheses.
        const arg = /^\s+([\w.\uE000]+)/.exec(out.slice(end))!;
        args = [arg[1]!];
        end += arg[0].length;
      }
      found.push(`'is ${m[2] ? 'not ' : ''}${name}' is a Jinja test`);
      if (CONTROLLER_TESTS.has(name))
        return {
          what: found.at(-1)!,
          hint: `expressions cannot see the controller's files, and a host's are not on the controller: register a 'stat' task and test its result (st.stat.exists, st.stat.isdir); `,
        };
      const js = test(v, name, args);
      out = `${out.slice(0, start)}${m[2] ? (/^!?[\w.]+\([^()]*\)$/.test(js) ? `!${js}`.replace(/^!!/, '') : `!(${js})`) : js}${out.slice(end)}`;
    }
  } catch (e) {
    if (!(e instanceof NoJs)) throw e;
    return { what: `'is ${e.test}' is a Jinja test` };
  }
  // True/False/None parse as JavaScript names, then are undefined variables: Jinja too.
  if (loose || found.length || /(^|[^.\w$])(True|False|None)\b/.test(out)) {
    const before = out;
    out = words(out);
    if (out !== before && !found.length) found.push(wordsFound(before));
    const t = ternary(out);
    if (t !== out) {
      if (!found.length) found.push("'a if b else c' is Jinja");
      out = t;
    }
  }
  if (!found.length) return undefined;
  const js = unmask(out, literals);
  return { what: found[0]!, ...(unsure ? { hint: `plumb has no helper for '| ${missing}'; ` } : { js }) };
}

/** Jinja's word operators and constants, outside strings. */
function words(code: string): string {
  return code
    .replace(/\bnot\s+in\b/g, '!in')
    .replace(/(\S+)\s+!in\s+(\S+)/g, '!($1 in $2)')
    .replace(/\band\b/g, '&&')
    .replace(/\bor\b/g, '||')
    .replace(/\bnot\s+/g, '!')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null')
    .replace(/([\w)\]\uE000])\s*~\s*/g, '$1 + ');
}

function wordsFound(code: string): string {
  if (/\b(and|or|not)\b/.test(code)) return "'and'/'or'/'not' are Jinja";
  if (/\b(True|False|None)\b/.test(code)) return 'True/False/None are Jinja';
  return "'~' is Jinja's string concatenation";
}

/** `a if b else c` (top level) as `b ? a : c`; without else, Jinja gives an empty string. */
function ternary(code: string): string {
  const m = /^(.+?)\s+if\s+(.+?)(?:\s+else\s+(.+))?$/.exec(code.trim());
  if (!m || splitTop(m[1]!, '(').length !== 1) return code;
  return `${m[2]} ? ${m[1]} : ${m[3] ?? "''"}`;
}

/** `{% ... %}` in a string: plumb has no statements inside values. */
function statement(src: string): JinjaFound {
  const m = /^\{%-?\s*if\s+(.+?)\s*-?%\}([^{]*)(?:\{%-?\s*else\s*-?%\}([^{]*))?\{%-?\s*endif\s*-?%\}$/.exec(src.trim());
  if (m) {
    const cond = jinjaRewrite(m[1]!, true)?.js ?? m[1]!;
    return { what: "'{% if %}' is a Jinja statement", js: `{{ ${cond} ? ${JSON.stringify(m[2])} : ${JSON.stringify(m[3] ?? '')} }}` };
  }
  const kw = /\{%-?\s*(\w+)/.exec(src)?.[1] ?? '';
  return {
    what: `'{% ${kw} %}' is a Jinja statement`,
    hint: `a value is one {{ expression }} (cond ? 'a' : 'b', list.map(x => ...).join('\\n')); a condition is when:, a loop is loop:; in an EJS template: <% if (cond) { %> ... <% } %>, <% for (const x of list) { %> ... <% } %>; `,
  };
}
