// JSON Schema validation (ajv) that collects EVERY error and maps each back to file:line:col.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { InputProblem } from '../errors.js';
import { plainText, posOf, type YamlPath, type YamlSource } from './yaml.js';

export const ajvOptions = { allErrors: true, strict: true, strictRequired: false, strictTypes: false, verbose: true, allowUnionTypes: true } as const;

type Ajv = InstanceType<typeof AjvModule.default>;
const require = createRequire(import.meta.url);

export function newAjv(extra: object = {}): Ajv {
  // Required on first use, not imported: ajv's compiler is ~60 modules that a run with
  // precompiled validators never needs (their code requires only ajv's small runtime helpers).
  const mod = require('ajv') as typeof AjvModule;
  const Ajv = mod.default ?? mod;
  const a = new Ajv({ ...ajvOptions, ...extra });
  // `errorMessage` is an annotation: a schema node's own wording for its failure.
  a.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return a;
}

// Schemas that others $ref by id, for validators compiled at run time.
const shared: object[] = [];
let runtimeAjv: Ajv | undefined;

/** Make `schema` (which has an $id) available to $ref in schemas compiled at run time. */
export function addSchema(schema: object): void {
  shared.push(schema);
  runtimeAjv?.addSchema(schema);
}

function ajv(): Ajv {
  if (!runtimeAjv) {
    // Schemas are checked against the JSON Schema meta-schema at build time (precompile.ts);
    // doing it again at every start costs ~150 ms of compiling the meta-schema itself.
    runtimeAjv = newAjv({ validateSchema: false });
    for (const s of shared) runtimeAjv.addSchema(s);
  }
  return runtimeAjv;
}

/** Identity of a schema's content: precompiled validators are found by it. */
export function schemaKey(schema: object): string {
  return createHash('sha1').update(JSON.stringify(schema)).digest('hex');
}

// Validators compiled at build time (src/schema/precompile.ts) save ajv's code generation,
// the largest part of startup. A missing or stale file only means compiling here instead.
type Precompiled = Record<string, ValidateFunction>;
let precompiled: Precompiled | undefined;
function precompiledValidators(): Precompiled {
  if (!precompiled) {
    try {
      precompiled = (require('./validators.generated.cjs') as { validators: Precompiled }).validators;
    } catch {
      precompiled = {};
    }
  }
  return precompiled;
}

const cache = new WeakMap<object, ValidateFunction>();
export function compile(schema: object): ValidateFunction {
  let v = cache.get(schema);
  if (!v) {
    v = precompiledValidators()[schemaKey(schema)] ?? ajv().compile(schema);
    cache.set(schema, v);
  }
  return v;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

function explain(e: ErrorObject, value: unknown, written?: string): { message: string; hint?: string; key?: string } {
  const own = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage;
  const field = e.instancePath.split('/').pop() || 'value';
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return { key, message: `unknown key '${key}'`, hint: allowed.length ? `allowed keys here: ${allowed.join(', ')}` : undefined };
    }
    case 'required':
      return { message: `missing required key '${(e.params as { missingProperty: string }).missingProperty}'` };
    case 'type': {
      const want = String((e.params as { type: string }).type);
      const hint =
        want.includes('boolean') && typeof value === 'string' && /^(yes|no|on|off|y|n)$/i.test(value)
          ? 'YAML 1.2: yes/no/on/off are strings here; write true or false'
          : want.includes('string') && typeof value === 'number'
            ? `quote it: "${written ?? String(value)}"`
            : undefined;
      return { message: own ?? `'${field}' must be ${want.split(',').join(' or ')}, got ${describe(value)}`, hint };
    }
    case 'enum':
      return {
        message:
          own ?? `'${field}' must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(describe).join(', ')}, got ${describe(value)}`,
      };
    case 'pattern':
      return { message: own ?? `'${field}' is ${describe(value)}, which does not match ${String((e.params as { pattern: string }).pattern)}` };
    default:
      return { message: own ?? `'${field}' ${e.message ?? 'is invalid'}` };
  }
}

/** Validate `value` (found at `base` inside `src`) and return every problem, positioned. */
export function validate(schema: object, value: unknown, src: YamlSource, base: YamlPath = [], context = ''): InputProblem[] {
  const fn = compile(schema);
  if (fn(value)) return [];
  let errors = fn.errors ?? [];
  // A oneOf/anyOf that states its own errorMessage ("a positive integer or a percentage") says
  // it better than each failed branch does ("must be integer", "does not match ^...%$").
  const worded = errors.filter((e) => ['oneOf', 'anyOf'].includes(e.keyword) && (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage);
  if (worded.length) {
    errors = errors.filter((e) => !worded.some((w) => e !== w && e.schemaPath.startsWith(`${w.schemaPath}/`)));
  }
  // A branch that failed on the value's type is noise when another branch took the type
  // (a list given for "string or list of strings" is wrong inside, not "must be string").
  for (const c of errors.filter((e) => ['oneOf', 'anyOf'].includes(e.keyword))) {
    const branchOf = (e: ErrorObject): string | undefined =>
      e.schemaPath.startsWith(`${c.schemaPath}/`) ? e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0] : undefined;
    const inside = errors.filter((e) => branchOf(e) !== undefined);
    const typeErrors = inside.filter((e) => e.keyword === 'type' && e.instancePath === c.instancePath);
    const wrongType = new Set(typeErrors.map(branchOf));
    if (new Set(inside.map(branchOf)).size > wrongType.size) errors = errors.filter((e) => !wrongType.has(branchOf(e)));
    else if (typeErrors.length > 1) {
      // Every branch wanted another type: one "must be string or object", not one per branch.
      const types = [...new Set(typeErrors.map((e) => String((e.params as { type: string }).type)))];
      const merged: ErrorObject = { ...typeErrors[0]!, params: { type: types.join(',') } };
      errors = [...errors.filter((e) => !typeErrors.includes(e)), merged];
    }
  }
  // Other oneOf/anyOf summaries are noise when a more specific error exists at or below the same place.
  const specific = errors.filter((e) => worded.includes(e) || !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  const chosen = specific.length ? specific : errors;
  const seen = new Set<string>();
  const problems: InputProblem[] = [];
  for (const e of chosen) {
    const rel = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const path: YamlPath = [...base, ...rel.map((s) => (/^\d+$/.test(s) ? Number(s) : s))];
    const { message, hint, key } = explain(e, e.data, typeof e.data === 'number' ? plainText(src, path, e.data) : undefined);
    const pos = key ? posOf(src, [...path, key], true) : posOf(src, path, e.keyword === 'additionalProperties');
    const text = context ? `${context}: ${message}` : message;
    const id = `${pos.line}:${pos.col}:${text}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ pos, message: text, hint });
  }
  return problems;
}
