// The escape corpus of EJS templates (the mirror of the expression corpus in
// test/unit/playbook/expr.test.ts): each case is refused with a message naming the template's
// file:line:col (line only for a key known at run time), and nothing reaches the controller.
import { expect } from 'chai';
import { join } from 'node:path';
import { InputError } from '../../../src/errors.js';
import { operatorVars } from '../../../src/playbook/expr.js';
import { renderFile } from '../../../src/render/ejs.js';
import { removeTree, tree } from '../../fixtures/tree.js';

// [template text, message, line, col]: the text is the template's second line.
const corpus: Array<[string, RegExp, number, number]> = [
  ['<%= "".constructor.constructor("return process")() %>', /'constructor' is not allowed in templates/, 2, 8],
  ['<%= [].map.constructor %>', /'constructor' is not allowed/, 2, 12],
  ['<%= (() => 1).constructor %>', /'constructor' is not allowed/, 2, 15],
  ['<%= s["constructor"] %>', /'constructor' is not allowed/, 2, 7],
  ['<%= s[`constructor`] %>', /'constructor' is not allowed/, 2, 7],
  ['<%= s["con" + "structor"] %>', /'constructor' is not allowed/, 2, 1],
  ['<% const k = "constr" + "uctor" %><%= list.map[k]("return process")() %>', /'constructor' is not allowed/, 2, 1],
  ['<% const { constructor: C } = "" %>', /'constructor' is not allowed/, 2, 12],
  ['<% const { ["con" + "structor"]: C } = "" %><%= C %>', /'constructor' is not allowed/, 2, 1],
  ['<%= this %>', /'this' is not allowed/, 2, 5],
  ['<% list.forEach(function () { %><%= this.process %><% }) %>', /'this' is not allowed/, 2, 37],
  ['<%= globalThis.process.version %>', /the controller's 'globalThis' is not available in templates/, 2, 5],
  ['<%= global.process %>', /'global' is not available/, 2, 5],
  ['<%= process.env.HOME %>', /'process' is not available/, 2, 5],
  ['<% process.getBuiltinModule("child_process").execSync("touch /tmp/plumb-pwned") %>', /'process' is not available/, 2, 4],
  ['<% const fs = require("fs") %>', /'require' is not available/, 2, 15],
  ['<% import("fs") %>', /'import\(\)' is not allowed/, 2, 4],
  ['<%= Function("return process")() %>', /'Function' is not available/, 2, 5],
  ['<%= eval("process") %>', /'eval' is not available/, 2, 5],
  ['<%= (0, eval)("process") %>', /'eval' is not available/, 2, 9],
  ['<%= new Function("return 1")() %>', /'Function' is not available/, 2, 9],
  ['<% setTimeout(() => 1, 0) %>', /'setTimeout' is not available/, 2, 4],
  ['<% setInterval(() => 1, 0) %>', /'setInterval' is not available/, 2, 4],
  ['<% setImmediate(() => 1) %>', /'setImmediate' is not available/, 2, 4],
  ['<% queueMicrotask(() => 1) %>', /'queueMicrotask' is not available/, 2, 4],
  ['<%= Reflect.ownKeys(map) %>', /'Reflect' is not available/, 2, 5],
  ['<%= new Proxy({}, {}) %>', /'Proxy' is not available/, 2, 9],
  ['<%= WebAssembly %>', /'WebAssembly' is not available/, 2, 5],
  ['<%= module %>', /'module' is not available/, 2, 5],
  ['<%= exports %>', /'exports' is not available/, 2, 5],
  ['<%= Buffer.from("x") %>', /'Buffer' is not available/, 2, 5],
  ['<%= Symbol.iterator %>', /'Symbol' is not available/, 2, 5],
  ['<%= map.__proto__ %>', /'__proto__' is not allowed/, 2, 9],
  ['<% map["__proto__"].polluted = 1 %>', /'__proto__' is not allowed/, 2, 8],
  ["<% map['__pro' + 'to__'].polluted = 1 %>", /'__proto__' is not allowed/, 2, 1],
  ['<% const o = { __proto__: { polluted: 1 } } %>', /'__proto__' is not allowed/, 2, 16],
  ['<% const o = { ["__pro" + "to__"]: 1 } %>', /'__proto__' is not allowed/, 2, 1],
  ['<% const o = { "__proto__": 1 } %>', /'__proto__' is not allowed/, 2, 16],
  ['<%= JSON.parse(\'{"__proto__": {"x": 1}}\') %>', /'__proto__' is not allowed/, 2, 1],
  ['<%= map.prototype %>', /'prototype' is not allowed/, 2, 9],
  ['<% map.__defineGetter__("x", () => 1) %>', /'__defineGetter__' is not allowed/, 2, 8],
  ['<%= map.__lookupGetter__ %>', /'__lookupGetter__' is not allowed/, 2, 9],
  ['<%= __defineSetter__ %>', /'__defineSetter__' is not allowed/, 2, 5],
  ['<% list.forEach(function f() { %><%= f.caller %><% }) %>', /'caller' is not allowed/, 2, 40],
  ['<% list.forEach(function () { %><%= arguments.callee %><% }) %>', /'arguments' is not allowed/, 2, 37],
  ['<% with (map) { %>x<% } %>', /'with' is not allowed/, 2, 4],
  ['<%= String.raw`x` %>', /a tagged template is not allowed/, 2, 5],
  ['<% class A {} %>', /a class is not allowed/, 2, 4],
  ['<% const C = class {} %>', /a class is not allowed/, 2, 14],
  ['<%= escapeFn.key %>', /'escapeFn' is not allowed/, 2, 5],
  ['<% escapeFn.key = (k) => k %>', /'escapeFn' is not allowed/, 2, 4],
  ['<% var rethrow = 1 %>', /'rethrow' is not allowed/, 2, 8],
  ['<%= map[{ toString: () => "__proto__" }] %>', /'__proto__' is not allowed/, 2, 1],
  ['line 2\n<%_ if (true) { _%>\n  <%_ const x = map.constructor _%>\n<%_ } _%>', /'constructor' is not allowed/, 4, 21],
  // Code that opens a template literal across tags makes the text between them part of it.
  ['<% const x = `%>${process.pid}<%` %>', /'process' is not available/, 2, 17],
  ['<%- include("/etc/passwd") %>', /only another template may be included/, 2, 1],
  ['<%- include("../../../../../../etc/hosts.allow") %>', /only another template may be included/, 2, 1],
  ['<% list.forEach(function () { %><%= new.target %><% }) %>', /'new.target' is not allowed/, 2, 37],
];

describe('render/ejs: the escape corpus', () => {
  let dir: string;
  const files: Record<string, string> = {};
  corpus.forEach(([text], i) => {
    files[`templates/c${i}.ejs`] = `line 1\n${text}\n`;
  });
  // toString tricks: a key's toString runs once, so the key checked is the key read.
  files['templates/toggle.ejs'] = '<% let n = 0 %><%= map[{ toString: () => (n++ ? "__proto__" : "a") }] %>\n';
  before(() => {
    dir = tree(files);
  });
  after(() => removeTree(dir));
  const vars = operatorVars({ s: 'web', map: { a: 1 }, list: [1, 2] });

  corpus.forEach(([text, message, line, col], i) => {
    it(`refused at c${i}.ejs:${line}:${col}: ${text.replace(/\n/g, '\\n')}`, () => {
      const file = join(dir, 'templates', `c${i}.ejs`);
      let err: unknown;
      let out: string | undefined;
      try {
        out = renderFile(file, vars);
      } catch (e) {
        err = e;
      }
      expect(err, `rendered ${JSON.stringify(out)}`).to.be.instanceOf(InputError);
      const p = (err as InputError).problems[0]!;
      expect(p.message).to.match(message);
      expect(p.pos).to.deep.equal({ file, line, col });
      expect(p.hint, 'a hint').to.be.a('string');
      expect((err as InputError).message).to.include(`${file}:${line}:${col}: `);
    });
  });

  it('a key object that answers "a" to the check and "__proto__" to the read is converted once: it reads a', () => {
    const file = join(dir, 'templates', 'toggle.ejs');
    expect(renderFile(file, vars)).to.equal('1\n');
  });

  it('nothing in the corpus reached the controller (no prototype polluted, no global set)', () => {
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(({} as Record<string, unknown>).x).to.equal(undefined);
    expect(Object.hasOwn(Object.prototype, 'x')).to.equal(false);
  });
});
