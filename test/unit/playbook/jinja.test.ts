import { expect } from 'chai';
import { evaluate, expressionsIn, interpolateString, operatorVars } from '../../../src/playbook/expr.js';
import { JinjaError } from '../../../src/playbook/interpret.js';
import type { Vars } from '../../../src/modules/types.js';

function jinjaOf(fn: () => unknown): JinjaError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JinjaError) return e;
    throw e;
  }
  throw new Error('expected a JinjaError, the expression ran');
}

// Jinja written as an expression: [Jinja, what the error says, the JavaScript it shows,
// and what that JavaScript gives (Ansible's value for the Jinja)].
describe('playbook/jinja: Jinja is an error that shows the JavaScript to write', () => {
  const vars: Vars = operatorVars({
    port: '8080',
    items: ['a', 'b', 'a'],
    enabled: 'yes',
    name: 'Web-01',
    users: [
      { name: 'ann', admin: true, uid: 1 },
      { name: 'bob', admin: false, uid: 2 },
    ],
    conf: { a: 1 },
    result: { failed: false, changed: true, rc: 0 },
    nothing: null,
    n: 6,
  });

  const cases: Array<[string, RegExp, string, unknown]> = [
    ["missing | default('y')", /'\| default' is a Jinja filter; expressions are JavaScript/, "d(missing, 'y')", 'y'],
    ["missing | d('y')", /'\| d' is a Jinja filter/, "d(missing, 'y')", 'y'],
    ["nothing | default('y', true)", /'\| default'/, "d(nothing, 'y', true)", 'y'],
    ["nothing | default('y', boolean=true)", /'\| default'/, "d(nothing, 'y', true)", 'y'],
    ['port | int', /'\| int' is a Jinja filter/, 'int(port)', 8080],
    ['port | int + 1', /'\| int'/, 'int(port) + 1', 8081],
    ['enabled | bool', /'\| bool'/, 'bool(enabled)', true],
    ["items | join(',')", /'\| join'/, "join(items, ',')", 'a,b,a'],
    ['items | length', /'\| length'/, 'length(items)', 3],
    ['items | count', /'\| count'/, 'length(items)', 3],
    ['items | first', /'\| first'/, 'first(items)', 'a'],
    ['items | unique | list', /'\| unique'/, 'unique(items)', ['a', 'b']],
    ["items | unique | join(', ') | upper", /'\| unique'/, "upper(join(unique(items), ', '))", 'A, B'],
    ["missing | default('web') | upper", /'\| default'/, "upper(d(missing, 'web'))", 'WEB'],
    ["name | lower | regex_replace('-0*', '')", /'\| lower'/, "regex_replace(lower(name), '-0*', '')", 'web1'],
    ["name | regex_replace('^(\\\\w+)-.*$', '\\\\1')", /'\| regex_replace'/, "regex_replace(name, '^(\\\\w+)-.*$', '\\\\1')", 'Web'],
    ['conf | to_json', /'\| to_json'/, 'to_json(conf)', '{"a": 1}'],
    ['conf | dict2items', /'\| dict2items'/, 'dict2items(conf)', [{ key: 'a', value: 1 }]],
    ["conf | combine({'a': {'x': 1}}, recursive=True, list_merge='append')", /'\| combine'/, "combine(conf, {'a': {'x': 1}}, true, 'append')", { a: { x: 1 } }],
    ["conf | combine({'b': 2})", /'\| combine'/, "combine(conf, {'b': 2})", { a: 1, b: 2 }],
    ["users | map(attribute='name') | list", /'\| map'/, 'users.map(x => x.name)', ['ann', 'bob']],
    ["users | selectattr('admin') | map(attribute='name') | join(',')", /'\| selectattr'/, "join(users.filter(x => x.admin).map(x => x.name), ',')", 'ann'],
    ["users | rejectattr('admin') | map(attribute='uid') | first", /'\| rejectattr'/, 'first(users.filter(x => !x.admin).map(x => x.uid))', 2],
    ["users | selectattr('uid', 'equalto', 2) | list | length", /'\| selectattr'/, 'length(users.filter(x => x.uid === 2))', 1],
    ["items | map('upper') | list", /'\| map'/, 'items.map(x => upper(x))', ['A', 'B', 'A']],
    ['items | sort', /'\| sort'/, 'items.toSorted()', ['a', 'a', 'b']],
    ['[3, 1] | max', /'\| max'/, 'Math.max(...[3, 1])', 3],
    ['name | quote', /'\| quote'/, 'quote(name)', 'Web-01'],
    ['(port | int) > 80', /'\| int'/, '(int(port)) > 80', true],
    ['port | int == 8080 and enabled | bool', /'\| int'/, 'int(port) == 8080 && bool(enabled)', true],
    // tests
    ['port is defined', /'is defined' is a Jinja test/, "defined('port')", true],
    ['missing is defined', /'is defined'/, "defined('missing')", false],
    ['missing is not defined', /'is not defined'/, "!defined('missing')", true],
    ["port is version('8.0', '>=')", /'is version' is a Jinja test/, "version(port, '8.0', '>=')", true],
    ["port is not version('9000', 'gt')", /'is not version'/, "!version(port, '9000', 'gt')", true],
    ["port is version_compare('8080', '==')", /'is version_compare'/, "version(port, '8080', '==')", true],
    ['missing is undefined', /'is undefined'/, "!defined('missing')", true],
    ['conf.a is defined', /'is defined'/, 'vars.conf?.a !== undefined', true],
    ['conf.b.c is defined', /'is defined'/, 'vars.conf?.b?.c !== undefined', false],
    ['nothing is none', /'is none'/, 'nothing === null', true],
    ['nothing is not none', /'is not none'/, '!(nothing === null)', false],
    ['port is string', /'is string'/, "typeof port === 'string'", true],
    ['n is divisibleby 3', /'is divisibleby'/, 'n % 3 === 0', true],
    ['n is divisibleby(4)', /'is divisibleby'/, 'n % 4 === 0', false],
    ['n is even', /'is even'/, 'n % 2 === 0', true],
    ['result is failed', /'is failed'/, 'result.failed', false],
    ['result is succeeded', /'is succeeded'/, '!result.failed', true],
    ['result is changed', /'is changed'/, 'result.changed', true],
    ["name is match('Web')", /'is match'/, "regex_search(name, '^(?:' + 'Web' + ')') !== null", true],
    ["name is search('01')", /'is search'/, "regex_search(name, '01') !== null", true],
    ["'a' is in items", /'is in'/, "items.includes('a')", true],
    ['port is defined and port | int > 80', /'\| int'/, "defined('port') && int(port) > 80", true],
    ['missing is not defined or missing == 1', /'is not defined'/, "!defined('missing') || missing == 1", true],
    // operators and literals (not JavaScript at all)
    ['n > 1 and not nothing', /'and'\/'or'\/'not' are Jinja/, 'n > 1 && !nothing', true],
    ['n > 10 or n < 7', /'and'\/'or'\/'not'/, 'n > 10 || n < 7', true],
    ['nothing == None', /True\/False\/None are Jinja/, 'nothing == null', true],
    ["name ~ '-' ~ port", /'~' is Jinja's string concatenation/, "name + '-' + port", 'Web-01-8080'],
    ["'big' if n > 5 else 'small'", /'a if b else c' is Jinja/, "n > 5 ? 'big' : 'small'", 'big'],
    ["'a' not in items", /'and'\/'or'\/'not'/, "!('a' in items)", undefined],
  ];
  for (const [jinja, message, js, value] of cases) {
    it(`${jinja}  ->  ${js}`, () => {
      const e = jinjaOf(() => evaluate(jinja, vars));
      expect(e.message).to.match(message);
      expect(e.found.js).to.equal(js);
      expect(e.hint).to.equal(`write ${js}  (see docs/from-ansible.md)`);
      if (value !== undefined) expect(evaluate(js, vars)).to.deep.equal(value);
    });
  }

  it("'x not in list' shows JavaScript whose 'in' on a list is refused with list.includes(x)", () => {
    let hint: string | undefined;
    try {
      evaluate("!('a' in items)", vars);
    } catch (e) {
      hint = (e as JinjaError).hint;
    }
    expect(hint).to.match(/list\.includes\(x\)/);
  });

  // Found, but with no JavaScript to show: what to do instead.
  const noRewrite: Array<[string, RegExp, RegExp]> = [
    ['host | ipaddr', /'\| ipaddr' is a Jinja filter/, /plumb has no helper for '\| ipaddr'/],
    ["pw | password_hash('sha512')", /'\| password_hash'/, /no helper/],
    ['path is file', /'is file' is a Jinja test/, /register a 'stat' task/],
    ['x is callable', /'is callable'/, /docs\/from-ansible\.md/],
  ];
  for (const [jinja, message, hint] of noRewrite) {
    it(`${jinja}: ${hint}`, () => {
      const e = jinjaOf(() => evaluate(jinja, vars));
      expect(e.message).to.match(message);
      expect(e.hint).to.match(hint);
    });
  }

  // Never Jinja: JavaScript that looks a little like it.
  const javascript: Array<[string, unknown]> = [
    ['n | 1', 7], // a bitwise OR with no filter name stays one
    ['n | n', 6],
    ["'a|int'", 'a|int'],
    ['/a|int/.test("int")', true],
    ['n > 1 || nothing', true],
    ['`${n}|length`', '6|length'],
    ['{ is: 1 }.is', 1],
  ];
  for (const [js, value] of javascript) {
    it(`JavaScript, not Jinja: ${js}`, () => expect(evaluate(js, { ...vars })).to.deep.equal(value));
  }

  // A backslash JavaScript would drop where Jinja keeps it: refused, never a pattern that matches something else.
  const escapes: Array<[string, RegExp]> = [
    ["regex_replace(name, '^(\\w+)-0*(\\d+)$', '\\2-\\1')", /'\\w' in a JavaScript string is just 'w'/],
    ["regex_replace(name, '(\\\\w+)', '\\1')", /'\\1' in a JavaScript string is an octal escape/],
    ["name.replace('\\.', '')", /'\\\.' in a JavaScript string is just '\.'/],
    ["regex_search(name, '\\$')", /'\\\$' in a JavaScript string is just '\$'/],
    ['`\\d${name}`', /'\\d' in a JavaScript string/],
  ];
  for (const [expr, message] of escapes) {
    it(`lost escape refused: ${expr}`, () => expect(() => evaluate(expr, vars)).to.throw(message));
  }
  const keptEscapes: Array<[string, unknown]> = [
    ["regex_replace(name, '^(\\\\w+)-0*(\\\\d+)$', '\\\\2-\\\\1')", '1-Web'],
    ["regex_replace(name, /^(\\w+)-0*(\\d+)$/, '\\\\2-\\\\1')", '1-Web'],
    ["'a\\nb\\t\\'c\\u0041\\x41\\0'", "a\nb\t'cAA\0"],
    ['`\\${name}`', '${name}'],
  ];
  for (const [expr, value] of keptEscapes) {
    it(`escape kept: ${expr}`, () => expect(evaluate(expr, vars)).to.equal(value));
  }

  // Python methods from Jinja habits: the error names the JavaScript.
  const python: Array<[string, RegExp]> = [
    ["name.startswith('W')", /write x\.startsWith\('a'\)/],
    ['name.upper()', /write x\.toUpperCase\(\) or upper\(x\)/],
    ['name.strip()', /write x\.trim\(\)/],
    ['conf.keys()', /write Object\.keys\(x\)/],
    ['conf.items()', /write Object\.entries\(x\)/],
    ["conf.get('a')", /write d\(x\.key, 'fallback'\)/],
  ];
  for (const [expr, hint] of python) {
    it(`Python's ${expr} names the JavaScript`, () => {
      let h: string | undefined;
      try {
        evaluate(expr, vars);
      } catch (e) {
        h = (e as JinjaError).hint;
      }
      expect(h).to.match(hint);
    });
  }

  it('{% if %} in a value is found at load time and rewritten to one expression', () => {
    const found = expressionsIn({ content: '{% if enabled %}on{% else %}off{% endif %}' });
    expect(found).to.have.length(1);
    const e = jinjaOf(() => evaluate(found[0]!.expr, vars));
    expect(e.message).to.match(/'\{% if %\}' is a Jinja statement/);
    expect(e.found.js).to.equal('{{ enabled ? "on" : "off" }}');
  });

  it('{% for %} in a value says what to write instead', () => {
    const e = jinjaOf(() => evaluate(expressionsIn('{% for u in users %}{{ u.name }}{% endfor %}')[0]!.expr, vars));
    expect(e.message).to.match(/'\{% for %\}' is a Jinja statement/);
    expect(e.hint).to.match(/<% for \(const x of list\) \{ %>/);
  });

  it("a literal '{%' inside an expression is not a statement", () => {
    expect(expressionsIn("{{ '{% if x %}' }}")).to.deep.equal([{ path: [], expr: "'{% if x %}'" }]);
    expect(interpolateString("{{ '{% if x %}' }}", vars)).to.equal('{% if x %}');
  });

  it('Jinja in a variable (group_vars) names the variable where it is used', () => {
    const e = jinjaOf(() => interpolateString('{{ port_plus }}', operatorVars({ port: '80', port_plus: '{{ port | int + 1 }}' })));
    expect(e.message).to.match(/'\| int' is a Jinja filter; expressions are JavaScript, in variable 'port_plus'$/);
    expect(e.found.js).to.equal('int(port) + 1');
  });

  it('in {{ }} too, a filter is refused before anything runs', () => {
    expect(() => interpolateString('port={{ port | int }}', vars)).to.throw(JinjaError, /'\| int' is a Jinja filter/);
  });
});
