// `plumb run PATTERN -m MODULE -a ARGS`: Ansible's `ansible` command. One task on every
// matching host, built as a one-play playbook and run by the same engine, so it has the
// same checks, check mode, diffs, secrets handling and exit codes as a playbook run.
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import { modules } from '../modules/index.js';
import type { Vars } from '../modules/types.js';
import { loadYaml } from '../schema/yaml.js';

interface Token {
  /** The token as written (quotes kept), for free-form text. */
  raw: string;
  key?: string;
  /** The value with quotes removed (k=v tokens). */
  value?: string;
}

/** Split Ansible's `k=v k2="a b"` form on unquoted whitespace, keeping each token's text. */
export function tokens(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length) break;
    const start = i;
    let value = '';
    while (i < text.length && !/\s/.test(text.charAt(i))) {
      const c = text.charAt(i);
      if (c === '"' || c === "'") {
        const end = text.indexOf(c, i + 1);
        if (end < 0)
          throw InputError.one(`-a: unterminated ${c} in: ${text}`, undefined, 'close the quote, or pass the arguments as YAML or JSON: -a \'{"name": "x"}\'');
        value += text.slice(i + 1, end);
        i = end + 1;
      } else {
        if (c === '\\' && i + 1 < text.length) i++;
        value += text.charAt(i);
        i++;
      }
    }
    const raw = text.slice(start, i);
    const kv = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(raw);
    out.push(kv ? { raw, key: kv[1], value: value.slice(kv[1]!.length + 1) } : { raw });
  }
  return out;
}

type Prop = Record<string, unknown>;

function accepts(prop: Prop | undefined, type: string): boolean {
  if (!prop) return false;
  if (prop.type === type || (Array.isArray(prop.type) && prop.type.includes(type))) return true;
  const alts = [...((prop.anyOf as Prop[] | undefined) ?? []), ...((prop.oneOf as Prop[] | undefined) ?? [])];
  return alts.some((a) => accepts(a, type));
}

/**
 * A `k=v` value typed by the module's schema, as Ansible's argument spec converts it:
 * yes/no/true/false/on/off for booleans, numbers for integers, a,b,c for lists.
 */
export function typed(prop: Prop | undefined, v: string): unknown {
  if (accepts(prop, 'boolean') && /^(yes|no|true|false|on|off)$/i.test(v)) return /^(yes|true|on)$/i.test(v);
  if ((accepts(prop, 'integer') || accepts(prop, 'number')) && !accepts(prop, 'string') && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (accepts(prop, 'array') && v.includes(',')) return v.split(',').map((x) => x.trim());
  return v;
}

/** -a as Ansible reads it: YAML/JSON mapping, `k=v ...`, or (free-form modules) a command line with optional k=v options. */
export function parseModuleArgs(module: string, text: string | undefined): unknown {
  const m = modules[module];
  if (!m) throw InputError.one(`-m ${module}: unknown module`, undefined, `modules: ${Object.keys(modules).sort().join(', ')}`);
  const t = (text ?? '').trim();
  if (!t) return {};
  if (t.startsWith('{')) {
    const v = loadYaml('-a', t).value;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw InputError.one('-a: a YAML or JSON argument must be a mapping');
    return v;
  }
  const props = ((m.schema as { properties?: Record<string, Prop> }).properties ?? {}) as Record<string, Prop>;
  const toks = tokens(t);
  const isOption = (tok: Token) => tok.key !== undefined && tok.key !== m.freeForm && tok.key in props;
  const args: Vars = {};
  for (const tok of toks.filter(isOption)) args[tok.key!] = typed(props[tok.key!], tok.value!);
  const rest = toks.filter((tok) => !isOption(tok));
  if (m.freeForm) {
    if (rest.length) args[m.freeForm] = rest.map((tok) => tok.raw).join(' ');
    return args;
  }
  if (rest.length) {
    throw InputError.one(
      `-a for ${module}: '${rest[0]!.raw}' is not one of its arguments`,
      undefined,
      `write key=value pairs (${Object.keys(props).sort().join(', ')}) or a YAML/JSON mapping`,
    );
  }
  return args;
}

/** The one-play playbook of an ad-hoc run, as YAML text for the playbook loader. */
export function adhocPlaybook(pattern: string, module: string, args: unknown, become: boolean, text: string | undefined): string {
  const name = `${module}${text ? ` ${text}` : ''}`;
  return stringify([{ name: `ad-hoc: ${name}`, hosts: pattern, become, tasks: [{ name, [module]: args }] }]);
}
