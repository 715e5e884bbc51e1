// EJS rendering with strict variables: an undefined name is an error naming the variable
// and the template's file:line, never an empty string. No dates, users or hostnames are
// injected ("ansible_managed" headers cause false changes on every run).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, relative } from 'node:path';
import ejs from 'ejs';
import { InputError, UndefinedVariableError } from '../errors.js';
import { tokenizer } from 'acorn';
import { checkedKey, guardSource, type Segment, TEMPLATE_HELPER_NAMES } from './guard.js';
import { compile as compileExpression, ExpressionError, helpersFor, strictScope, UndefinedName } from '../playbook/expr.js';
import { JinjaError } from '../playbook/interpret.js';
import type { Vars } from '../modules/types.js';

const cache = new Map<string, ejs.ClientFunction>();

/**
 * `<%= %>` and `<%- %>` both write the value as is (null and undefined as nothing, as EJS
 * does). It is EJS's `escapeFn`, which templates may not name, so it also carries the run-time
 * check of computed keys (guard.ts).
 */
const rawText = Object.freeze(
  // A function, not an arrow: EJS's client mode writes `escapeFn = escapeFn || <its source>`.
  Object.assign(
    function rawText(v: unknown): string {
      return v === undefined || v === null ? '' : String(v);
    },
    {
      key: checkedKey,
    },
  ),
);

/** Helpers templates get beyond expressions' (they are code that may throw its own message). */
const TEMPLATE_ONLY: Readonly<Record<string, unknown>> = Object.freeze({
  /** `throw new Error(msg)`: the message is reported at the template's line. */
  Error: function TemplateError(message?: unknown): Error {
    return new Error(String(message));
  },
});
const ALLOWED = TEMPLATE_HELPER_NAMES(Object.keys(TEMPLATE_ONLY));

interface EjsTemplate {
  source: string;
  mode: string | null;
  generateSource(): void;
  scanLine(line: string): void;
  compile(): ejs.ClientFunction;
}
const { Template } = ejs as unknown as { Template: (new (text: string, opts: ejs.Options) => EjsTemplate) & { prototype: EjsTemplate } };
const CODE_MODES: Record<string, string> = { eval: '    ; ', escaped: '    ; __append(escapeFn(', raw: '    ; __append(' };
const DELIMITERS = new Set(['<%', '<%_', '<%=', '<%-', '<%#', '<%%', '%%>', '%>', '-%>', '_%>']);

/**
 * EJS's compile, with the generated source checked (guard.ts) before it becomes a function.
 * Where each tag's code lands in that source is recorded as EJS writes it, so a refusal names
 * the template's line and column.
 */
function ejsCompile(file: string, text: string): ejs.ClientFunction {
  // Configs are not HTML: `<%= %>` must not turn a password's & or " into &amp; or &#34;.
  // client: EJS hands back the bare function, so `include` is ours (see run()).
  const t = new Template(text, {
    filename: file,
    compileDebug: true,
    _with: true,
    localsName: 'locals',
    strict: false,
    async: false,
    escape: rawText,
    client: true,
  });
  const segments: Segment[] = [];
  let offset = 0; // in the text as EJS sees it (spaces before <%_ and after _%> slurped)
  t.scanLine = function (this: EjsTemplate, line: string): void {
    const prefix = this.mode && !DELIMITERS.has(line) ? CODE_MODES[this.mode] : undefined;
    const gen = this.source.length;
    Template.prototype.scanLine.call(this, line);
    if (prefix !== undefined) segments.push({ gen: gen + prefix.length, tpl: offset, len: line.length, code: true });
    else segments.push({ gen, tpl: offset, len: this.source.length - gen, code: false });
    offset += line.length;
  };
  const { back } = slurped(text);
  t.generateSource = function (this: EjsTemplate): void {
    Template.prototype.generateSource.call(this);
    this.source = guardSource(this.source, segments, file, (at) => lineCol(text, back(at)), ALLOWED);
  };
  return t.compile();
}

/** EJS drops spaces and tabs before `<%_` and after `_%>`: map an offset in its text back to ours. */
function slurped(text: string): { back: (at: number) => number } {
  const cuts: { at: number; len: number }[] = []; // `at` in the slurped text
  let removed = 0;
  for (const m of text.matchAll(/[ \t]*<%_|_%>[ \t]*/g)) {
    const len = m[0].length - 3;
    if (!len) continue;
    const at = m[0].startsWith('_%>') ? m.index + 3 : m.index;
    cuts.push({ at: at - removed, len });
    removed += len;
  }
  return {
    back: (at) => {
      let shift = 0;
      for (const c of cuts) if (c.at <= at) shift += c.len;
      return at + shift;
    },
  };
}

function lineCol(text: string, at: number): { line: number; col: number } {
  const before = text.slice(0, at);
  return { line: before.split('\n').length, col: at - before.lastIndexOf('\n') };
}

export function templatePath(templatesDir: string, src: string): string {
  const p = isAbsolute(src) ? src : normalize(join(templatesDir, src));
  if (!isAbsolute(src) && relative(templatesDir, p).startsWith('..')) {
    throw InputError.one(`template '${src}' is outside ${templatesDir}`, undefined, 'template src is relative to templates/');
  }
  return p;
}

function compile(file: string): ejs.ClientFunction {
  let fn = cache.get(file);
  if (fn) return fn;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw InputError.one(`template not found: ${file}`, undefined, 'template src is relative to the templates/ folder, e.g. nginx/site.conf.ejs');
  }
  // `<%= x | int %>` is valid JavaScript (a bitwise OR) and would render 0: refuse Jinja first.
  for (const tag of tagsOf(text)) {
    if (tag.kind !== '=' && tag.kind !== '-') continue;
    try {
      compileExpression(tag.code.trim());
    } catch (x) {
      if (x instanceof JinjaError) throw InputError.one(x.message, { file, line: tag.line, col: tag.col }, x.hint);
    }
  }
  try {
    fn = ejsCompile(file, text);
  } catch (e) {
    if (e instanceof InputError) throw e; // refused by the guard, at its file:line:col
    throw compileError(file, text, e as Error);
  }
  cache.set(file, fn);
  return fn;
}

const CLOSE: Record<string, string> = { '{': '}', '(': ')', '[': ']' };

interface Tag {
  kind: string;
  code: string;
  line: number;
  col: number;
}

/** The `<% %>` tags of a template, with the line each starts on (`<%%` is literal text). */
function tagsOf(text: string): Tag[] {
  const tags: Tag[] = [];
  for (const m of text.matchAll(/<%([%_=#-]?)([\s\S]*?)[-_]?%>/g)) {
    if (m[1] === '%' || m[1] === '#') continue;
    const before = text.slice(0, m.index);
    tags.push({ kind: m[1]!, code: m[2]!, line: before.split('\n').length, col: m.index - before.lastIndexOf('\n') });
  }
  return tags;
}

/**
 * EJS compiles a template into one JavaScript function, so a bad tag surfaces as a
 * SyntaxError about that function ("...pass async: true"). Find the tag at fault instead:
 * a `{` opened in one tag and never closed, a `}` that closes nothing, an output tag that
 * is not an expression.
 */
function compileError(file: string, text: string, e: Error): InputError {
  const tags = tagsOf(text);
  const open: { char: string; line: number }[] = [];
  const pairs: Record<string, string> = { '}': '{', ')': '(', ']': '[' };
  try {
    for (const tag of tags) {
      for (const tok of tokenizer(tag.code, { ecmaVersion: 'latest' })) {
        const label = tok.type.label === '${' ? '{' : tok.type.label;
        if (label === '{' || label === '(' || label === '[') open.push({ char: label, line: tag.line });
        const opener = pairs[label];
        if (!opener) continue;
        const top = open.pop();
        if (!top)
          return InputError.one(
            `this line closes a block that is not open`,
            { file, line: tag.line, col: 1 },
            'remove the extra <% } %>, or open the block above it',
          );
        if (top.char !== opener) {
          return InputError.one(
            `the '${top.char}' opened on line ${top.line} is not closed before the '${label}' on line ${tag.line}`,
            { file, line: top.line, col: 1 },
            `close it with '${CLOSE[top.char]!}' (e.g. <% }) %> ends a forEach(function (x) { ... block)`,
          );
        }
      }
      if (tag.kind === '=' || tag.kind === '-') {
        try {
          compileExpression(tag.code);
        } catch (x) {
          if (x instanceof SyntaxError)
            return InputError.one(
              `<%${tag.kind} %> does not hold an expression: ${x.message}`,
              { file, line: tag.line, col: 1 },
              'fix the expression on that line',
            );
        }
      }
    }
  } catch {
    // a tag that does not even tokenize: fall through to EJS's own message
  }
  const last = open[open.length - 1];
  if (last) {
    return InputError.one(
      `the ${last.char === '{' ? 'block' : `'${last.char}'`} opened on line ${last.line} is not closed`,
      { file, line: last.line, col: 1 },
      'close it with <% } %> (or <% }) %> for a forEach callback)',
    );
  }
  const first = e.message.split('\n').find((l) => l.trim() && !l.startsWith('Or, if you meant')) ?? String(e);
  return InputError.one(`template ${file} does not compile: ${first}`, undefined, 'check <% %> tags are balanced');
}

/**
 * One template with its strict scope. An `include()`d template gets the same scope rules
 * (variables, helpers, the controller's globals refused) instead of EJS's plain copy.
 */
function run(file: string, vars: Vars): string {
  const include = (path: string, data?: Vars): string => {
    // A template's include is another template, never any file of the controller.
    const target = ejs.resolveInclude(String(path), file, false);
    if (isAbsolute(String(path)) || !target.endsWith('.ejs'))
      throw new ExpressionError(`include('${String(path)}'): only another template may be included`, 'name a .ejs file relative to this template');
    return run(target, data ? { ...vars, ...data } : vars);
  };
  return compile(file)(strictScope(vars, { ...helpersFor(vars), ...TEMPLATE_ONLY }, 'templates') as ejs.Data, rawText, include as ejs.IncludeCallback);
}

/** Render `file` with `vars`. Undefined names become UndefinedVariableError at file:line. */
export function renderFile(file: string, vars: Vars): string {
  compile(file); // a compile error is reported as it is, not mapped like a render error below
  try {
    return run(file, vars);
  } catch (e) {
    // A refusal in an included template: EJS's rethrow has prefixed its message, the problems are whole.
    if (e instanceof InputError) throw new InputError(e.problems);
    // EJS's rethrow prefixes "file:line\n<context>\n\n", once per include level; the last
    // such header is where the fault is (inside an included template, not at the include).
    // Context lines start with spaces or " >>", so a template line ending in ":80" is no header.
    const headers = [...(e as Error).message.matchAll(/^(?![ >])(.+):(\d+)$/gm)];
    const m = headers[headers.length - 1];
    const pos = { file: m?.[1] ?? file, line: m ? Number(m[2]) : 1, col: 1 };
    if (e instanceof UndefinedName)
      throw new UndefinedVariableError(
        e.variable,
        pos,
        'template',
        `or, for a default, write vars.${e.variable} ?? 'fallback' (d() reads its argument leniently in {{ }} only)`,
      );
    const last = (e as Error).message.split('\n').filter(Boolean).slice(-1)[0] ?? String(e);
    if (e instanceof ExpressionError) throw InputError.one(last, pos, e.hint); // not "template error:": validate reports it
    // An included template is rendered by EJS with a plain scope: an unknown name there is a
    // ReferenceError, which is the same mistake.
    const ref = e instanceof ReferenceError ? /^([A-Za-z_$][\w$]*) is not defined$/.exec(last) : null;
    if (ref) throw new UndefinedVariableError(ref[1]!, pos, 'template');
    throw InputError.one(`template error: ${last}`, pos, 'fix the expression on that line');
  }
}
