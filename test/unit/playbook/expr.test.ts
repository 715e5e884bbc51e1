import { expect } from 'chai';
import { ESCAPES } from './escape-corpus.js';
import { EmptyValue, evaluate, ExpressionError, interpolate, interpolateString, operatorVars, UndefinedName } from '../../../src/playbook/expr.js';
import type { Vars } from '../../../src/modules/types.js';

function undefinedName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof UndefinedName) return e.variable;
    throw e;
  }
  throw new Error('expected UndefinedName');
}

describe('playbook/expr', () => {
  // Operator-written (as from a playbook or inventory): its strings are templates.
  const vars: Vars = operatorVars({
    port: 8080,
    name: 'web',
    on: true,
    list: [1, 2, 3],
    map: { a: 1, b: 'two' },
    empty: '',
    zero: 0,
    nothing: null,
    host: '10.0.0.5',
    url: 'http://{{ host }}:{{ port }}/',
    base: '/srv/{{ name }}',
    nested: '{{ base }}/current',
    loopy: '{{ loopy }}x',
    hosts: ['{{ host }}', 'static'],
    conf: { url: '{{ url }}', n: 1 },
  });

  describe('interpolateString', () => {
    const cases: Array<[string, unknown]> = [
      ['plain text', 'plain text'],
      ['{{ port }}', 8080],
      // Only a string that is exactly {{ expr }} keeps the type; the rest is text, whitespace included.
      ['  {{ port }}  ', '  8080  '],
      ['{{ port }}\n', '8080\n'],
      ['{{ name }}\n', 'web\n'],
      ['\n{{ name }}', '\nweb'],
      ['{{ hosts }}', ['10.0.0.5', 'static']],
      ['{{ conf.url }}', 'http://10.0.0.5:8080/'],
      ['{{ on }}', true],
      ['{{ list }}', [1, 2, 3]],
      ['{{ map }}', { a: 1, b: 'two' }],
      ['{{ nothing }}', null],
      ['{{ zero }}', 0],
      ['port={{ port }}', 'port=8080'],
      ['{{ name }}-{{ port }}', 'web-8080'],
      ['{{name}}', 'web'],
      ['{{ port + 1 }}', 8081],
      ['{{ list.length }}', 3],
      ['{{ map.b }}', 'two'],
      ['x={{ map }}', 'x={"a":1,"b":"two"}'],
      ['x={{ list }}', 'x=[1,2,3]'],
      ['[{{ empty }}]', '[]'],
      ['{{ name.toUpperCase() }}', 'WEB'],
      ['{{ JSON.stringify(map) }}', '{"a":1,"b":"two"}'],
      ['{{ Math.max(...list) }}', 3],
      ['{{ list.map(x => x * 2).join(",") }}', '2,4,6'],
      ['{{ url }}', 'http://10.0.0.5:8080/'],
      ['{{ nested }}', '/srv/web/current'],
      ['{{ nested }}/bin', '/srv/web/current/bin'],
      ['{{ defined("port") }}', true],
      ["{{ defined('nope') }}", false],
      ["{{ defined('nope') ? nope : 'fallback' }}", 'fallback'],
    ];
    for (const [input, want] of cases) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(want)}`, () => {
        expect(interpolateString(input, vars)).to.deep.equal(want);
      });
    }

    const undefinedCases: Array<[string, string]> = [
      ['{{ nope }}', 'nope'],
      ['a {{ nope }} b', 'nope'],
      ['{{ port + nope }}', 'nope'],
      ['{{ nope.attr }}', 'nope'],
      ['{{ typeof nope }}', 'nope'],
    ];
    for (const [input, name] of undefinedCases) {
      it(`${JSON.stringify(input)} -> undefined variable '${name}' (never empty)`, () => {
        expect(undefinedName(() => interpolateString(input, vars))).to.equal(name);
      });
    }

    const emptyCases: Array<[string, RegExp]> = [
      ['x-{{ nothing }}', /^\{\{ nothing \}\} is null; it is not rendered as an empty string$/],
      ['x-{{ map.c }}', /^\{\{ map\.c \}\} is undefined/],
      ['x-{{ list[7] }}', /^\{\{ list\[7\] \}\} is undefined/],
    ];
    for (const [input, message] of emptyCases) {
      it(`${JSON.stringify(input)} -> EmptyValue (a defined expression yielding nothing is not rendered as empty)`, () => {
        expect(() => interpolateString(input, vars)).to.throw(EmptyValue, message);
      });
    }

    // Regression: a whole-string expression yielding undefined used to drop the argument
    // (mode: "{{ modes.web }}" with no modes.web gave the default mode).
    it('a whole-string expression yielding undefined is an error, not a dropped argument', () => {
      expect(() => interpolateString('{{ map.c }}', vars)).to.throw(EmptyValue);
    });

    it('an undefined name inside a referenced variable names the inner variable', () => {
      expect(undefinedName(() => interpolateString('{{ outer }}', operatorVars({ outer: 'a-{{ inner }}' })))).to.equal('inner');
    });

    it('a self-referencing variable stops instead of recursing forever', () => {
      expect(() => interpolateString('{{ loopy }}', vars)).not.to.throw(RangeError);
    });

    it('nested references resolve lazily, against the vars of the use site', () => {
      expect(interpolateString('{{ base }}', { ...vars, name: 'db' })).to.equal('/srv/db');
    });

    it('a variable from an unmarked object (not operator-written) is data, never templated', () => {
      expect(interpolateString('{{ base }}', { base: '/srv/{{ name }}', name: 'x' })).to.equal('/srv/{{ name }}');
    });

    it('bad syntax is a SyntaxError', () => {
      expect(() => interpolateString('{{ port + }}', vars)).to.throw(SyntaxError);
    });

    it('text after the expression is a SyntaxError, not ignored', () => {
      expect(() => interpolateString('{{ port port }}', vars)).to.throw(SyntaxError, /after the expression/);
    });
  });

  describe('evaluate (when:)', () => {
    const cases: Array<[string, unknown]> = [
      ['port == 8080', true],
      ['name === "db"', false],
      ['on && port > 80', true],
      ['list.includes(2)', true],
      ['!on', false],
      ["defined('port') && port > 1", true],
      ["!defined('undefined_thing')", true],
      ['map.a === 1 || nope', true],
      ['empty', ''],
    ];
    for (const [expr, want] of cases) {
      it(`${expr} -> ${JSON.stringify(want)}`, () => expect(evaluate(expr, vars)).to.deep.equal(want));
    }

    it('an undefined name throws, naming it', () => {
      expect(undefinedName(() => evaluate('nope == 1', vars))).to.equal('nope');
    });

    it('a referenced variable is interpolated before comparison', () => {
      expect(evaluate('base == "/srv/web"', vars)).to.equal(true);
    });

    it('bad syntax is a SyntaxError', () => {
      expect(() => evaluate('port ==', vars)).to.throw(SyntaxError);
    });
  });

  describe('interpolate (deep)', () => {
    it('walks lists and mappings, keeping non-strings', () => {
      expect(interpolate({ a: ['{{ port }}', 'x{{ name }}'], b: { c: 3, d: '{{ on }}' }, e: null }, vars)).to.deep.equal({
        a: [8080, 'xweb'],
        b: { c: 3, d: true },
        e: null,
      });
    });

    it('omit leaves an argument (or a list item) out: {{ d(x, omit) }}', () => {
      expect(interpolate({ mode: '{{ d(nope, omit) }}', owner: '{{ d(name, omit) }}', groups: ['a', '{{ omit }}'] }, vars)).to.deep.equal({
        owner: 'web',
        groups: ['a'],
      });
    });

    it('omit inside text is an error, not "{}"', () => {
      expect(() => interpolate({ dest: '/srv/{{ d(nope, omit) }}' }, vars)).to.throw(ExpressionError, /omit inside text/);
    });

    it('reports the path of the failing value', () => {
      let where: (string | number)[] = [];
      expect(() =>
        interpolate({ a: [{ b: 'ok' }, { b: '{{ nope }}' }] }, vars, [], (p, e) => {
          where = p;
          throw e;
        }),
      ).to.throw(UndefinedName);
      expect(where).to.deep.equal(['a', 1, 'b']);
    });
  });
});

describe('playbook/expr: the expression language', () => {
  const vars: Vars = operatorVars({
    n: 5,
    s: ' Web-01 ',
    list: [3, 1, 2],
    words: ['b', 'a', 'c'],
    users: [
      { name: 'ann', uid: 1, admin: true },
      { name: 'bob', uid: 2, admin: false },
    ],
    map: { a: 1, b: 'two', nested: { deep: [10, 20] } },
    nothing: null,
    text: 'it\'s a "test"; rm -rf /',
    csv: 'a,b,,c',
    json: '{"k": [1, 2]}',
  });

  // [expression, value]: every construct the language has.
  const works: Array<[string, unknown]> = [
    // literals
    ['42', 42],
    ['"str"', 'str'],
    ["'single'", 'single'],
    ['true', true],
    ['null', null],
    ['undefined', undefined],
    ['[1, "a", [2]]', [1, 'a', [2]]],
    ['({ a: 1, "b c": 2, [`k${n}`]: 3 })', { a: 1, 'b c': 2, k5: 3 }],
    ['({ n, list })', { n: 5, list: [3, 1, 2] }],
    ['[...list, ...words]', [3, 1, 2, 'b', 'a', 'c']],
    ['({ ...map.nested, x: 1 })', { deep: [10, 20], x: 1 }],
    ['`n=${n} next=${n + 1}`', 'n=5 next=6'],
    ['/^we/i.test(s.trim())', true],
    // member access, optional chaining
    ['map.a', 1],
    ['map["b"]', 'two'],
    ['map.nested.deep[1]', 20],
    ['map.missing', undefined],
    ['map.missing?.deeper', undefined],
    ['nothing?.x', undefined],
    ['nothing?.x.y.z', undefined],
    ['nothing?.f()', undefined],
    ['users[0].name', 'ann'],
    ['list.length', 3],
    ['s.length', 8],
    ['s[1]', 'W'],
    // operators
    ['n + 1', 6],
    ['n * 2 - 1', 9],
    ['n % 2', 1],
    ['2 ** 3', 8],
    ['-n', -5],
    ['!n', false],
    ['n == "5"', true],
    ['n === "5"', false],
    ['n != 4 && n !== 6', true],
    ['n > 1 ? "big" : "small"', 'big'],
    ['nothing ?? "fallback"', 'fallback'],
    ['nothing || "or"', 'or'],
    ['0 && nope', 0],
    ['typeof n', 'number'],
    ['typeof users', 'object'],
    ['"a" in map', true],
    ['"constructor" in map', false],
    ['n & 4', 4],
    ['void 0', undefined],
    // helpers and safe namespaces
    ['defined("n")', true],
    ['JSON.stringify(map.nested)', '{"deep":[10,20]}'],
    ['JSON.stringify({ a: [1] }, null, 1)', '{\n "a": [\n  1\n ]\n}'],
    ['JSON.parse(json).k[1]', 2],
    ['Math.max(...list)', 3],
    ['Math.round(2.5) + Math.floor(Math.PI)', 6],
    ['Object.keys(map)', ['a', 'b', 'nested']],
    ['Object.values({ x: 1, y: 2 })', [1, 2]],
    ['Object.entries({ x: 1 })', [['x', 1]]],
    ['Object.fromEntries(users.map(u => [u.name, u.uid]))', { ann: 1, bob: 2 }],
    ['Number("8080") + 1', 8081],
    ['Number.isInteger(n)', true],
    ['String(n).padStart(3, "0")', '005'],
    ['Boolean("")', false],
    ['parseInt("42px")', 42],
    ['parseFloat("1.5")', 1.5],
    ['Array.isArray(list)', true],
    ['quote(text)', `'it'\\''s a "test"; rm -rf /'`],
    ['quote("plain-word")', 'plain-word'],
    ['quote(8080)', '8080'],
    ['list.map(quote).join(" ")', '3 1 2'],
    // arrow functions and methods
    ['list.map(x => x * 2)', [6, 2, 4]],
    ['list.filter(x => x > 1)', [3, 2]],
    ['users.find(u => u.admin).name', 'ann'],
    ['users.some(u => u.uid > 1)', true],
    ['users.every(u => u.uid > 1)', false],
    ['list.reduce((a, b) => a + b, 0)', 6],
    ['users.map(({ name }) => name)', ['ann', 'bob']],
    ['Object.entries(map).filter(([k, v]) => typeof v === "number").map(([k]) => k)', ['a']],
    ['list.map((x, i) => x * i)', [0, 1, 4]],
    ['((a, b = 2, ...rest) => [a, b, rest])(1)', [1, 2, []]],
    ['list.includes(2)', true],
    ['words.join("-")', 'b-a-c'],
    ['words.sort()', ['a', 'b', 'c']],
    ['words.reverse()', ['c', 'a', 'b']],
    ['words', ['b', 'a', 'c']], // sort and reverse worked on copies
    ['list.toSorted((a, b) => b - a)', [3, 2, 1]],
    ['list.slice(1)', [1, 2]],
    ['list.indexOf(2)', 2],
    ['[[1], [2, [3]]].flat(Infinity)', [1, 2, 3]],
    ['list.at(-1)', 2],
    ['csv.split(",").filter(x => x)', ['a', 'b', 'c']],
    ['s.trim().toUpperCase()', 'WEB-01'],
    ['s.trim().toLowerCase().startsWith("web")', true],
    ['s.replace("-", "_")', ' Web_01 '],
    ['s.replaceAll(/[^a-z]/gi, "")', 'Web'],
    ['s.trim().endsWith("01")', true],
    ['s.includes("eb")', true],
    ['(12.345).toFixed(1)', '12.3'],
    ['n.toString(2)', '101'],
    ['csv.split(",").length', 4],
  ];
  for (const [expr, want] of works) {
    it(`${expr} -> ${JSON.stringify(want)}`, () => expect(evaluate(expr, vars)).to.deep.equal(want));
  }

  // The escape corpus (escape-corpus.ts): each refused with a clear error, nothing reached.
  const refused = ESCAPES;
  for (const [expr, message] of refused) {
    it(`refused: ${expr}`, () => {
      let err: unknown;
      try {
        evaluate(expr, vars);
      } catch (e) {
        err = e;
      }
      expect(err, 'expected an error').to.be.instanceOf(Error);
      expect(err instanceof ExpressionError || err instanceof SyntaxError, String(err)).to.equal(true);
      expect((err as Error).message).to.match(message);
    });
  }

  it('nothing in the corpus touched the prototypes of the controller', () => {
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.hasOwn(Object.prototype, 'x')).to.equal(false);
  });

  it('a variable named like a global is the variable (variables win)', () => {
    expect(evaluate('process', { process: 'mine' })).to.equal('mine');
  });

  const jinja: Array<[string, RegExp]> = [
    ["{{ x | default('y') }}", /'\| default' is a Jinja filter.*/],
    ['{{ list | length }}', /'\| length' is a Jinja filter/],
    ["{{ words | join(',') }}", /'\| join' is a Jinja filter/],
    ['{{ s | quote }}', /'\| quote' is a Jinja filter/],
  ];
  for (const [input, message] of jinja) {
    it(`a Jinja filter is a clear error, never a bitwise OR: ${input}`, () => {
      let err: unknown;
      try {
        interpolateString(input, { ...vars, x: 1 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ExpressionError);
      expect((err as Error).message).to.match(message);
      expect((err as ExpressionError).hint).to.match(/^write /);
    });
  }

  it('when: "{{ x }}" says that when: is already an expression', () => {
    expect(() => evaluate('{{ n > 1 }}', vars)).to.throw(ExpressionError, /\{\{ \}\} inside an expression/);
  });

  it('quote() refuses lists and mappings (one word is a string or a number)', () => {
    expect(() => evaluate('quote(list)', vars)).to.throw(ExpressionError, /quote\(\) takes a string or a number/);
  });

  describe('data is data', () => {
    const hostile = '{{ process.getBuiltinModule("child_process").execSync("touch /tmp/plumb-pwned") }}';
    const base = operatorVars({ root: '/srv', tpl: '{{ root }}/x' });

    it('a registered result holding {{ }} is returned literally', () => {
      const v = { ...base, out: { stdout: hostile, stdout_lines: [hostile] } };
      expect(interpolateString('{{ out.stdout }}', v)).to.equal(hostile);
      expect(interpolateString('got {{ out.stdout_lines[0] }}', v)).to.equal(`got ${hostile}`);
      expect(evaluate('out.stdout.includes("{{")', v)).to.equal(true);
    });

    it('a loop item holding {{ }} is returned literally (and operator vars still resolve)', () => {
      const v = { ...base, item: hostile };
      expect(interpolateString('{{ item }}', v)).to.equal(hostile);
      expect(interpolateString('{{ tpl }}: {{ item }}', v)).to.equal(`/srv/x: ${hostile}`);
    });

    it('a value an evaluation produced is not evaluated again', () => {
      const v = { ...operatorVars({ via: '{{ out.stdout }}' }), out: { stdout: hostile } };
      expect(interpolateString('{{ via }}', v)).to.equal(hostile);
    });

    it('a registered result shadowing an operator var is data', () => {
      const layer = operatorVars({ x: '{{ root }}', root: '/srv' });
      expect(interpolateString('{{ x }}', { ...layer, x: '{{ root }}!' })).to.equal('{{ root }}!');
    });
  });
});
