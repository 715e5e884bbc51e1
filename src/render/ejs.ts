// EJS rendering with strict variables: an undefined name is an error naming the variable
// and the template's file:line, never an empty string. No dates, users or hostnames are
// injected ("ansible_managed" headers cause false changes on every run).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import ejs from 'ejs';
import { InputError, UndefinedVariableError } from '../errors.js';
import { helpersFor, strictScope, UndefinedName } from '../playbook/expr.js';
import type { Vars } from '../modules/types.js';

const cache = new Map<string, ejs.TemplateFunction>();

/** `<%= %>` and `<%- %>` both write the value as is (null and undefined as nothing, as EJS does). */
function rawText(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

export function templatePath(templatesDir: string, src: string): string {
  const p = isAbsolute(src) ? src : normalize(join(templatesDir, src));
  if (!isAbsolute(src) && relative(templatesDir, p).startsWith('..')) {
    throw InputError.one(`template '${src}' is outside ${templatesDir}`, undefined, 'template src is relative to templates/');
  }
  return p;
}

function compile(file: string): ejs.TemplateFunction {
  let fn = cache.get(file);
  if (fn) return fn;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw InputError.one(`template not found: ${file}`, undefined, 'template src is relative to the templates/ folder, e.g. nginx/site.conf.ejs');
  }
  try {
    // Configs are not HTML: `<%= %>` must not turn a password's & or " into &amp; or &#34;.
    fn = ejs.compile(text, { filename: file, compileDebug: true, _with: true, localsName: 'locals', strict: false, async: false, escape: rawText });
  } catch (e) {
    throw InputError.one(`template ${file} does not compile: ${(e as Error).message.split('\n').slice(-1)[0]}`, undefined, 'check <% %> tags are balanced');
  }
  cache.set(file, fn);
  return fn;
}

/** Render `file` with `vars`. Undefined names become UndefinedVariableError at file:line. */
export function renderFile(file: string, vars: Vars): string {
  const fn = compile(file);
  try {
    return fn(strictScope(vars, helpersFor(vars)) as ejs.Data);
  } catch (e) {
    // EJS's rethrow prefixes "file:line\n<context>\n\n", once per include level; the last
    // such header is where the fault is (inside an included template, not at the include).
    // Context lines start with spaces or " >>", so a template line ending in ":80" is no header.
    const headers = [...(e as Error).message.matchAll(/^(?![ >])(.+):(\d+)$/gm)];
    const m = headers[headers.length - 1];
    const pos = { file: m?.[1] ?? file, line: m ? Number(m[2]) : 1, col: 1 };
    if (e instanceof UndefinedName) throw new UndefinedVariableError(e.variable, pos, 'template');
    const last = (e as Error).message.split('\n').filter(Boolean).slice(-1)[0] ?? String(e);
    // An included template is rendered by EJS with a plain scope: an unknown name there is a
    // ReferenceError, which is the same mistake.
    const ref = e instanceof ReferenceError ? /^([A-Za-z_$][\w$]*) is not defined$/.exec(last) : null;
    if (ref) throw new UndefinedVariableError(ref[1]!, pos, 'template');
    throw InputError.one(`template error: ${last}`, pos, 'fix the expression on that line');
  }
}
