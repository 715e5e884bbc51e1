// What an EJS template's code may do. EJS compiles a template into real JavaScript, so a
// template would reach the controller through its values ("".constructor.constructor(...)).
// The code EJS generates is parsed here (acorn) before it becomes a function, and refused at
// the template's file:line:col when it names what leads out of the data: `this`, `with`,
// `import()`, tagged templates, classes, the names expressions refuse (constructor,
// __proto__, prototype, ...; one list, FORBIDDEN_NAMES) and the controller's globals. A
// computed key (`a[k]`, `{ [k]: v }`) whose value is only known at run time goes through
// escapeFn.key(), which refuses the same names; constant keys are checked here.
import { parse } from 'acorn';
import { InputError } from '../errors.js';
import { BUILTINS, CONTROLLER_GLOBALS, ExpressionError, FORBIDDEN_NAMES } from '../playbook/expr.js';

const DOCS = 'see "Templates (EJS)" in docs/modules.md';

/** Names of EJS's own function a template's code may not touch (escapeFn.key checks keys). */
const RESERVED = new Set(['escapeFn', 'rethrow']);

/**
 * What EJS wrote for one piece of the template: `code` is template code copied as is (an
 * offset maps one to one), anything else EJS's own (text as a string literal, line counters).
 */
export interface Segment {
  gen: number;
  tpl: number;
  len: number;
  code: boolean;
}

/** The names EJS's own code uses; any other name, wherever it stands, is the template's. */
const EJS_OWN = new Set(['__append', '__line', 'escapeFn']);

type AnyNode = { type: string; start: number; end: number; [k: string]: unknown };

/** The runtime check of a computed key: the key as used, or an ExpressionError. */
export function checkedKey(k: unknown): string | number {
  if (typeof k === 'number') return k;
  if (typeof k === 'symbol') throw new ExpressionError('symbol keys are not allowed in templates', DOCS);
  const s = String(k); // converted once: a key object's toString cannot answer twice
  if (FORBIDDEN_NAMES.has(s)) throw new ExpressionError(`'${s}' is not allowed in templates`, hintFor(s));
  return s;
}

function hintFor(name: string): string {
  return `templates read data and write text; '${name}' leads to JavaScript's internals and from there to the controller; ${DOCS}`;
}

/**
 * Check the source EJS generated for `file` and return it with run-time key checks added.
 * `allowed` are the helper names a template sees (they shadow the globals of the same name).
 */
export function guardSource(
  source: string,
  segments: readonly Segment[],
  file: string,
  posOf: (tpl: number) => { line: number; col: number },
  allowed: ReadonlySet<string>,
): string {
  const ast = parse(source, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }) as unknown as AnyNode;
  const segmentAt = (gen: number): Segment | undefined => segments.find((s) => gen >= s.gen && gen < s.gen + s.len);
  const inTemplate = (gen: number): boolean => segmentAt(gen)?.code === true;
  const fail = (node: AnyNode, message: string, hint: string): never => {
    // Inside EJS's text literal (code that opened a `${` across tags): the start of that text.
    const seg = segmentAt(node.start);
    const pos = seg ? posOf(seg.tpl + (seg.code ? node.start - seg.gen : 0)) : { line: 1, col: 1 };
    throw InputError.one(message, { file, ...pos }, hint);
  };
  const declared = new Set<string>();
  collectDeclared(ast, declared);
  const inserts: { at: number; text: string; rank: number }[] = [];
  const guardKey = (key: AnyNode): void => {
    if (key.type === 'Literal') {
      if (typeof key.value === 'string') refuseName(key.value, key);
      return;
    }
    if (key.type === 'TemplateLiteral' && (key.expressions as unknown[]).length === 0) {
      refuseName(String((key.quasis as { value: { cooked: string } }[])[0]!.value.cooked), key);
      return;
    }
    inserts.push({ at: key.start, text: 'escapeFn.key(', rank: -(key.end - key.start) }, { at: key.end, text: ')', rank: key.end - key.start });
  };
  const refuseName = (name: string, node: AnyNode): void => {
    if (FORBIDDEN_NAMES.has(name)) fail(node, `'${name}' is not allowed in templates`, hintFor(name));
  };
  const refused = (node: AnyNode, what: string, hint = DOCS): never => fail(node, `${what} is not allowed in templates`, hint);

  const visit = (node: AnyNode, reference: boolean): void => {
    const tpl = inTemplate(node.start);
    switch (node.type) {
      case 'ThisExpression':
        refused(node, "'this'", `a template sees its variables and plumb's helpers by name; ${DOCS}`);
        break;
      case 'Super':
        refused(node, "'super'");
        break;
      case 'WithStatement':
        refused(node, "'with'", `name the object: x.a, x.b; ${DOCS}`);
        break;
      case 'ImportExpression':
        refused(node, "'import()'");
        break;
      case 'MetaProperty':
        refused(node, `'${source.slice(node.start, node.end)}'`);
        break;
      case 'TaggedTemplateExpression':
        refused(node, 'a tagged template', `call the function: f(\`...\`); ${DOCS}`);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        refused(node, 'a class', `templates build text: use functions, lists and mappings; ${DOCS}`);
        break;
      case 'Identifier': {
        const name = node.name as string;
        if (!tpl && EJS_OWN.has(name)) break; // EJS's own code (a template's text is only a string literal there)
        refuseName(name, node);
        if (RESERVED.has(name)) refused(node, `'${name}'`, `'${name}' is EJS's own; ${DOCS}`);
        if (reference && CONTROLLER_GLOBALS.has(name) && !allowed.has(name) && !declared.has(name))
          fail(
            node,
            `the controller's '${name}' is not available in templates`,
            `templates see their variables and plumb's helpers only (a variable named so: vars.${name}); ${DOCS}`,
          );
        break;
      }
      case 'Literal':
      case 'PrivateIdentifier':
        return;
      case 'MemberExpression': {
        visit(node.object as AnyNode, true);
        const p = node.property as AnyNode;
        if (node.computed) {
          guardKey(p);
          visit(p, true);
        } else visit(p, false);
        return;
      }
      case 'Property': {
        const k = node.key as AnyNode;
        if (node.computed) {
          guardKey(k);
          visit(k, true);
        } else if (k.type === 'Literal') {
          if (typeof k.value === 'string') refuseName(k.value, k);
        } else visit(k, false);
        // a shorthand { process } reads the name
        visit(node.value as AnyNode, true);
        return;
      }
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
        if (node.label) visit(node.label as AnyNode, false);
        if (node.body) visit(node.body as AnyNode, true);
        return;
      default:
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'type' || k === 'start' || k === 'end') continue;
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') visit(c as AnyNode, true);
      } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') visit(v as AnyNode, true);
    }
  };
  visit(ast, true);
  if (!inserts.length) return source;
  // Outer openings before inner ones at one position, inner closings before outer ones.
  inserts.sort((a, b) => a.at - b.at || a.rank - b.rank);
  let out = '';
  let last = 0;
  for (const i of inserts) {
    out += source.slice(last, i.at) + i.text;
    last = i.at;
  }
  return out + source.slice(last);
}

/** Every name a template declares (variables, functions, parameters, catch bindings): they shadow a global. */
function collectDeclared(node: AnyNode, out: Set<string>): void {
  const bind = (p: AnyNode | null | undefined): void => {
    if (!p) return;
    if (p.type === 'Identifier') out.add(p.name as string);
    else if (p.type === 'ObjectPattern') for (const q of p.properties as AnyNode[]) bind((q.type === 'RestElement' ? q.argument : q.value) as AnyNode);
    else if (p.type === 'ArrayPattern') for (const q of p.elements as (AnyNode | null)[]) bind(q);
    else if (p.type === 'RestElement') bind(p.argument as AnyNode);
    else if (p.type === 'AssignmentPattern') bind(p.left as AnyNode);
  };
  if (node.type === 'VariableDeclarator') bind(node.id as AnyNode);
  if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') {
    bind(node.id as AnyNode);
    for (const p of node.params as AnyNode[]) bind(p);
  }
  if (node.type === 'CatchClause') bind(node.param as AnyNode);
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type' || k === 'start' || k === 'end') continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') collectDeclared(c as AnyNode, out);
    } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') collectDeclared(v as AnyNode, out);
  }
}

/** Names a template may use although they are globals of the controller: plumb's own helpers. */
export const TEMPLATE_HELPER_NAMES = (extra: readonly string[]): ReadonlySet<string> =>
  new Set([...Object.keys(BUILTINS), 'defined', 'vars', 'undefined', 'NaN', 'Infinity', ...extra]);
