import { expect } from 'chai';
import { EmptyValue, evaluate, interpolate, interpolateString, UndefinedName } from '../../../src/playbook/expr.js';
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
  const vars: Vars = {
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
  };

  describe('interpolateString', () => {
    const cases: Array<[string, unknown]> = [
      ['plain text', 'plain text'],
      ['{{ port }}', 8080],
      ['  {{ port }}  ', 8080],
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
      expect(undefinedName(() => interpolateString('{{ outer }}', { outer: 'a-{{ inner }}' }))).to.equal('inner');
    });

    it('a self-referencing variable stops instead of recursing forever', () => {
      expect(() => interpolateString('{{ loopy }}', vars)).not.to.throw(RangeError);
    });

    it('nested references resolve lazily, against the vars of the use site', () => {
      expect(interpolateString('{{ base }}', { ...vars, name: 'db' })).to.equal('/srv/db');
    });

    it('bad syntax is a SyntaxError', () => {
      expect(() => interpolateString('{{ port + }}', vars)).to.throw(SyntaxError);
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
      expect(interpolate({ a: ['{{ port }}', 'x{{ name }}'], b: { c: 3, d: '{{ on }}' }, e: null }, vars)).to.deep.equal({ a: [8080, 'xweb'], b: { c: 3, d: true }, e: null });
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
