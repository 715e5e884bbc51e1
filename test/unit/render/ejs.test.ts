import { expect } from 'chai';
import { join } from 'node:path';
import { InputError, UndefinedVariableError } from '../../../src/errors.js';
import { operatorVars } from '../../../src/playbook/expr.js';
import { renderFile, templatePath } from '../../../src/render/ejs.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('render/ejs', () => {
  let dir: string;
  before(() => {
    dir = tree({
      'templates/ok.conf.ejs': 'port <%= port %>\nname <%= name.toUpperCase() %>\n',
      'templates/globals.ejs': '<%= JSON.stringify(map) %> <%= Math.max(...list) %> <%= Object.keys(map).join(",") %> <%= String(port).padStart(6, "0") %>\n',
      'templates/loop.ejs': '<% for (const u of upstreams) { -%>\nserver <%= u.host %>:<%= u.port %>;\n<% } -%>\n',
      'templates/undef-line4.ejs': 'a\nb <%= port %>\nc\nd <%= nope %>\ne\n',
      'templates/undef-in-block.ejs': '# header\n<% if (port > 1) { -%>\n\nlisten <%= missing_port %>;\n<% } -%>\n',
      'templates/undef-line1.ejs': '<%= first_missing %>\n',
      'templates/defined.ejs': "<% if (defined('tls')) { %>tls on<% } else { %>tls off<% } %>\n",
      'templates/typeerror.ejs': 'one\ntwo\n<%= map.nope.deeper %>\n',
      'templates/nested.ejs': '<%= url %>\n',
      'templates/escape.ejs': '<%= html %>|<%- html %>\n',
      'templates/bad-syntax.ejs': '<% if (port { %>\n',
      'templates/colon.ejs': 'listen 0.0.0.0:80\nlisten [::]:443\n<%= nope %>\n',
      'templates/outer.ejs': 'a\nb\n<%- include("inner.ejs") %>\nc\n',
      'templates/inner.ejs': 'x\ny\nz <%= port %> <%= nope_inner %>\n',
      'templates/outer-ok.ejs': 'before\n<%- include("inner-ok.ejs") %>after\n',
      'templates/inner-ok.ejs': 'port <%= port %>\n',
      'templates/item.ejs': 'item=<%= item %>\nout=<%= out.stdout %>\n<% out.stdout_lines.forEach(function (l) { -%>\nline=<%- l %>\n<% }); -%>\n',
      'templates/unclosed.ejs': 'a\nb\n<% if (port > 1) { -%>\nlisten <%= port %>\n',
      'templates/unclosed-loop.ejs': '# x\n<% list.forEach(function (v) { -%>\n<%= v %>\n<% } -%>\n',
      'templates/extra-close.ejs': 'a\n<%= port %>\n<% } %>\n',
      'templates/bad-output.ejs': 'a\nb <%= port + %>\n',
      'templates/process.ejs': 'a\n<%= process.env.HOME %>\n',
      'templates/require.ejs': '<% const fs = require("fs") %>x\n',
      'templates/globalthis.ejs': '<%= globalThis.process.version %>\n',
      'templates/function.ejs': '<%= Function("return 1")() %>\n',
      'templates/outer-proc.ejs': 'a\n<%- include("inner-proc.ejs", { extra: out }) %>\n',
      'templates/inner-proc.ejs': 'extra=<%= extra %>\n<%= process.pid %>\n',
      'templates/jinja-filter.ejs': 'a\nworkers <%= workers | int %>\n',
      'templates/jinja-default.ejs': "a\nb\n  x <%= nope | default('y') %>\n",
      'templates/helpers.ejs':
        "<%= join(unique(list.map(String)), ',') %> <%= bool('yes') %> <%= vars.nope ?? 'fallback' %> <%= d(vars.map.c, 'z') %> <%= to_json(map) %>\n",
      'templates/harmless.ejs': '<%= typeof port === "number" && port !== undefined ? "n" : "x" %> <%= isNaN(NaN) %> <%= quote("a b") %>\n',
    });
  });
  after(() => removeTree(dir));
  const t = (name: string): string => join(dir, 'templates', name);
  const vars = operatorVars({
    port: 80,
    name: 'web',
    map: { a: 1, b: 2 },
    list: [3, 9, 4],
    upstreams: [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ],
    host: 'h',
    url: 'http://{{ host }}:{{ port }}',
    html: '<b>',
  });

  it('renders variables', () => {
    expect(renderFile(t('ok.conf.ejs'), vars)).to.equal('port 80\nname WEB\n');
  });

  it('JavaScript globals (JSON, Math, Object, String) are usable', () => {
    expect(renderFile(t('globals.ejs'), vars)).to.equal('{"a":1,"b":2} 9 a,b 000080\n');
  });

  it('loops with local variables', () => {
    expect(renderFile(t('loop.ejs'), vars)).to.equal('server a:1;\nserver b:2;\n');
  });

  it("defined('x') works in templates", () => {
    expect(renderFile(t('defined.ejs'), vars)).to.equal('tls off\n');
    expect(renderFile(t('defined.ejs'), { ...vars, tls: true })).to.equal('tls on\n');
  });

  it('variables holding {{ }} are interpolated', () => {
    expect(renderFile(t('nested.ejs'), vars)).to.equal('http://h:80\n');
  });

  it('<%= does not HTML-escape: configs are not HTML (a password with & or " stays intact)', () => {
    expect(renderFile(t('escape.ejs'), vars)).to.equal('<b>|<b>\n');
    expect(renderFile(t('escape.ejs'), { ...vars, html: `p&ss"w'rd<>` })).to.equal(`p&ss"w'rd<>|p&ss"w'rd<>\n`);
  });

  // `<%= x | int %>` is valid JavaScript (a bitwise OR with a function: 0) and must not render.
  const jinja: Array<[string, number, number, RegExp, string]> = [
    ['jinja-filter.ejs', 2, 9, /'\| int' is a Jinja filter/, 'write int(workers)'],
    ['jinja-default.ejs', 3, 5, /'\| default' is a Jinja filter/, "write d(nope, 'y')"],
  ];
  for (const [file, line, col, message, hint] of jinja) {
    it(`${file}: Jinja in a template is an error at ${file}:${line}:${col} showing the JavaScript`, () => {
      let err: unknown;
      try {
        renderFile(t(file), { ...vars, workers: '4' });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InputError);
      const p = (err as InputError).problems[0]!;
      expect(p.pos).to.deep.equal({ file: t(file), line, col });
      expect(p.message).to.match(message);
      expect(p.hint).to.include(hint);
    });
  }

  it("helpers and vars.x ?? 'y' (the default that works in templates) render", () => {
    expect(renderFile(t('helpers.ejs'), vars)).to.equal('3,9,4 true fallback z {"a": 1, "b": 2}\n');
  });

  it("an undefined name in a template hints at vars.x ?? 'fallback'", () => {
    expect(() => renderFile(t('undef-line1.ejs'), vars))
      .to.throw(UndefinedVariableError)
      .with.property('message')
      .that.match(/vars\.first_missing \?\? 'fallback'/);
  });

  const undef: Array<[string, string, number]> = [
    ['undef-line4.ejs', 'nope', 4],
    ['undef-in-block.ejs', 'missing_port', 4],
    ['undef-line1.ejs', 'first_missing', 1],
  ];
  for (const [file, name, line] of undef) {
    it(`${file}: undefined '${name}' is an UndefinedVariableError at ${file}:${line}`, () => {
      let err: unknown;
      try {
        renderFile(t(file), vars);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(UndefinedVariableError);
      const u = err as UndefinedVariableError;
      expect(u.variable).to.equal(name);
      expect(u.problems[0]!.pos).to.deep.equal({ file: t(file), line, col: 1 });
      expect(u.message).to.include(`${t(file)}:${line}:1: undefined variable '${name}' in template`);
    });
  }

  it('a template line ending in :80 is not mistaken for the error header', () => {
    expect(() => renderFile(t('colon.ejs'), vars))
      .to.throw(UndefinedVariableError)
      .with.property('problems')
      .that.satisfies((ps: Array<{ pos: object }>) => {
        expect(ps[0]!.pos).to.deep.equal({ file: t('colon.ejs'), line: 3, col: 1 });
        return true;
      });
  });

  it('includes work', () => {
    expect(renderFile(t('outer-ok.ejs'), vars)).to.equal('before\nport 80\nafter\n');
  });

  it('an undefined name in an included template points into the included file', () => {
    let err: unknown;
    try {
      renderFile(t('outer.ejs'), vars);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UndefinedVariableError);
    expect((err as UndefinedVariableError).variable).to.equal('nope_inner');
    expect((err as UndefinedVariableError).problems[0]!.pos).to.deep.equal({ file: t('inner.ejs'), line: 3, col: 1 });
  });

  it('a runtime error in a template is an InputError at its line', () => {
    let err: unknown;
    try {
      renderFile(t('typeerror.ejs'), vars);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InputError);
    expect((err as InputError).problems[0]!.pos).to.include({ file: t('typeerror.ejs'), line: 3 });
    expect((err as InputError).message).to.match(/template error: .*deeper/);
  });

  it('a template that does not compile is an InputError naming the file and line', () => {
    expect(() => renderFile(t('bad-syntax.ejs'), vars)).to.throw(InputError, /bad-syntax\.ejs:1:1: /);
  });

  // Regression: an unclosed <% if (...) { %> gave EJS's "Or, if you meant to create an async function, pass async: true".
  const compileCases: Array<[string, number, RegExp]> = [
    ['unclosed.ejs', 3, /the block opened on line 3 is not closed/],
    ['unclosed-loop.ejs', 2, /the '\(' opened on line 2 is not closed/],
    ['extra-close.ejs', 3, /closes a block that is not open/],
    ['bad-output.ejs', 2, /<%= %> does not hold an expression/],
  ];
  for (const [file, line, message] of compileCases) {
    it(`${file}: a clear compile error at ${file}:${line}`, () => {
      let err: unknown;
      try {
        renderFile(t(file), vars);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InputError);
      const p = (err as InputError).problems[0]!;
      expect(p.message).to.match(message).and.not.match(/async/);
      expect(p.pos).to.deep.equal({ file: t(file), line, col: 1 });
    });
  }

  it('a registered result or loop item holding {{ }} is written literally (data is data)', () => {
    const hostile = '{{ process.getBuiltinModule("child_process").execSync("touch /tmp/plumb-pwned") }}';
    const out = renderFile(t('item.ejs'), { ...vars, item: hostile, out: { stdout: hostile, stdout_lines: [hostile, 'two'] } });
    expect(out).to.equal(`item=${hostile}\nout=${hostile}\nline=${hostile}\nline=two\n`);
  });

  const refusedGlobals: Array<[string, string]> = [
    ['process.ejs', 'process'],
    ['require.ejs', 'require'],
    ['globalthis.ejs', 'globalThis'],
    ['function.ejs', 'Function'],
  ];
  for (const [file, name] of refusedGlobals) {
    it(`${file}: the controller's '${name}' is refused in templates`, () => {
      expect(() => renderFile(t(file), vars)).to.throw(InputError, new RegExp(`'${name}' is not available in templates`));
    });
  }

  it('an included template gets the same rules: data stays data, the controller is refused at its line', () => {
    let err: unknown;
    try {
      renderFile(t('outer-proc.ejs'), { ...vars, out: '{{ port }}' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InputError);
    expect((err as InputError).problems[0]!.message).to.match(/'process' is not available in templates/);
    expect((err as InputError).problems[0]!.pos).to.deep.equal({ file: t('inner-proc.ejs'), line: 2, col: 5 });
  });

  it('undefined, NaN, typeof and the helpers (quote, isNaN) still work in templates', () => {
    expect(renderFile(t('harmless.ejs'), vars)).to.equal("n true 'a b'\n");
  });

  it('a missing template is an InputError', () => {
    expect(() => renderFile(t('absent.ejs'), vars)).to.throw(InputError, /template not found/);
  });

  describe('templatePath', () => {
    it('resolves relative to the templates folder', () => {
      expect(templatePath('/p/templates', 'nginx/site.conf.ejs')).to.equal('/p/templates/nginx/site.conf.ejs');
    });
    it('keeps absolute paths', () => {
      expect(templatePath('/p/templates', '/abs/x.ejs')).to.equal('/abs/x.ejs');
    });
    it('refuses to escape the templates folder', () => {
      expect(() => templatePath('/p/templates', '../secrets/x')).to.throw(InputError, /outside/);
    });
  });
});
