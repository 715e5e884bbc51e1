import { expect } from 'chai';
import { InputError } from '../../../src/errors.js';
import { loadYaml, posOf } from '../../../src/schema/yaml.js';

function problemsOf(text: string): InputError['problems'] {
  try {
    loadYaml('/virtual/f.yml', text);
  } catch (e) {
    if (e instanceof InputError) return e.problems;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('schema/yaml', () => {
  describe('YAML 1.2 core schema: no surprises', () => {
    const cases: Array<[string, unknown]> = [
      ['v: yes', 'yes'],
      ['v: no', 'no'],
      ['v: on', 'on'],
      ['v: off', 'off'],
      ['v: true', true],
      ['v: 0644', 644],
      ['v: "0644"', '0644'],
      ['v: 0o644', 420],
      ['v: 1.10', 1.1],
      ['v: ~', null],
      ['v: 22:22', '22:22'],
    ];
    for (const [text, want] of cases) {
      it(`${text} -> ${JSON.stringify(want)}`, () => expect((loadYaml('/virtual/f.yml', text).value as { v: unknown }).v).to.deep.equal(want));
    }

    it('merge keys work', () => {
      expect(loadYaml('/v.yml', 'a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n').value).to.deep.equal({ a: { p: 1 }, b: { p: 1, q: 2 } });
    });
  });

  describe('errors carry file:line:col and a hint', () => {
    const cases: Array<{ name: string; text: string; line: number; col: number; message: RegExp; hint: RegExp }> = [
      { name: 'duplicate key: the second one', text: 'a: 1\nb: 2\na: 3\n', line: 3, col: 1, message: /Map keys must be unique/, hint: /duplicated key/ },
      {
        name: 'unclosed { : where it opens, not where the parser noticed',
        text: 'x:\n  y: {a: 1, b: 2\nz: 3\n',
        line: 2,
        col: 6,
        message: /\{ opened here is never closed/,
        hint: /closing \}/,
      },
      { name: 'unclosed { at the end of the file', text: 'x:\n  y: {a: 1\n', line: 2, col: 6, message: /\{ opened here is never closed/, hint: /closing \}/ },
      { name: 'unclosed [', text: 'l:\n  - a\ntags: [a, b\nnext: 1\n', line: 3, col: 7, message: /\[ opened here is never closed/, hint: /closing \]/ },
      { name: 'unclosed "', text: 'a: 1\nb: "text\nc: 2\n', line: 2, col: 4, message: /" opened here is never closed/, hint: /closing "/ },
      { name: "unclosed '", text: "a: 1\nb: 'text\n", line: 2, col: 4, message: /' opened here is never closed/, hint: /closing '/ },
      { name: 'a mapping inside a compact mapping', text: 'a:\n  - name: x: y\n', line: 2, col: 11, message: /Nested mappings/, hint: /indentation, quoting/ },
      { name: 'a sequence item without -', text: 'a:\n  - x\n  y\n', line: 3, col: 1, message: /invalid YAML/, hint: /indentation/ },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const [p] = problemsOf(c.text);
        expect(p!.pos).to.deep.equal({ file: '/virtual/f.yml', line: c.line, col: c.col });
        expect(p!.message).to.match(/^invalid YAML: /);
        expect(p!.message).to.match(c.message);
        expect(p!.hint).to.match(c.hint);
      });
    }

    it('a closed { on a line with an error elsewhere is not blamed', () => {
      const [p] = problemsOf('a: {x: 1}\nb: "open\n');
      expect(p!.pos).to.include({ line: 2, col: 4 });
    });

    it('an unreadable file is an InputError naming it', () => {
      expect(() => loadYaml('/nonexistent/plumb/x.yml')).to.throw(InputError, /cannot read \/nonexistent\/plumb\/x\.yml/);
    });
  });

  describe('reserved keys (prototype pollution) are refused at their position', () => {
    const cases: Array<[string, string, number, number]> = [
      ['__proto__: {polluted: true}\n', '__proto__', 1, 1],
      ['a: 1\nb:\n  __proto__:\n    polluted: true\n', '__proto__', 3, 3],
      ['list:\n  - {constructor: {prototype: {x: 1}}}\n', 'constructor', 2, 6],
      ['app:\n  prototype: 1\n', 'prototype', 2, 3],
      ['base: &b {__proto__: {x: 1}}\nuse: *b\n', '__proto__', 1, 11],
    ];
    for (const [text, key, line, col] of cases) {
      it(`${JSON.stringify(text)} -> '${key}' at ${line}:${col}`, () => {
        const [p] = problemsOf(text);
        expect(p!.message).to.equal(`the key '${key}' is not allowed`);
        expect(p!.pos).to.deep.equal({ file: '/virtual/f.yml', line, col });
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      });
    }

    it('the same words as values are fine', () => {
      expect(loadYaml('/virtual/f.yml', 'a: __proto__\nb: [constructor, prototype]\n').value).to.deep.equal({
        a: '__proto__',
        b: ['constructor', 'prototype'],
      });
    });
  });

  describe('posOf', () => {
    const src = loadYaml('/v.yml', '- name: one\n  tasks:\n    - copy:\n        dest: /x\n        mode: 644\n');
    const cases: Array<{ path: (string | number)[]; key?: boolean; line: number; col: number }> = [
      { path: [], line: 1, col: 1 },
      { path: [0], line: 1, col: 3 },
      { path: [0, 'name'], line: 1, col: 9 },
      { path: [0, 'name'], key: true, line: 1, col: 3 },
      { path: [0, 'tasks', 0, 'copy', 'mode'], line: 5, col: 15 },
      { path: [0, 'tasks', 0, 'copy', 'mode'], key: true, line: 5, col: 9 },
      { path: [0, 'tasks', 0, 'copy', 'missing'], line: 4, col: 9 },
      { path: [0, 'tasks', 5], line: 3, col: 5 },
    ];
    for (const c of cases) {
      it(`${JSON.stringify(c.path)}${c.key ? ' (key)' : ''} -> ${c.line}:${c.col}`, () => {
        expect(posOf(src, c.path, c.key)).to.deep.equal({ file: '/v.yml', line: c.line, col: c.col });
      });
    }
  });
});
