// Issue 10's acceptance: each case of the expression escape corpus, written in a playbook, is
// refused with a clear error at that playbook's file:line:col. A construct refused as written
// is found when the playbook loads (what `plumb validate` runs); one that only a value reveals
// (`s["con" + "structor"]`) is refused when the task's arguments are evaluated, and the error
// is reported at the same file:line:col.
import { expect } from 'chai';
import { join } from 'node:path';
import { InputError, type InputProblem } from '../../../src/errors.js';
import { compile, interpolate, operatorVars } from '../../../src/playbook/expr.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { posOf, loadYaml } from '../../../src/schema/yaml.js';
import { removeTree, tree } from '../../fixtures/tree.js';
import { ESCAPES } from './escape-corpus.js';

const VARS = { n: 5, s: ' Web-01 ', list: [3, 1, 2], map: { a: 1, b: 'two', nested: { deep: [10, 20] } }, csv: 'a,b,,c' };

/** `}}` inside an expression would end its {{ }}: spaced, it means the same. */
const embed = (expr: string): string => expr.replace(/\}\}/g, '} }');

/** Refused by compile() alone: found at load time. */
function isStatic(expr: string): boolean {
  try {
    compile(expr);
    return false;
  } catch {
    return true;
  }
}

describe('playbook: every case of the expression escape corpus is refused at file:line:col', () => {
  let dir: string;
  let file: string;
  // One task per case, `debug: msg: "{{ case }}"` on line 5 + 2 * i, the value at column 38.
  const text = [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    ...ESCAPES.flatMap(([expr], i) => [`    - name: c${i}`, `      copy: { dest: /tmp/x, content: ${JSON.stringify(`{{ ${embed(expr)} }}`)} }`]),
    '',
  ].join('\n');
  const lineOf = (i: number): number => 5 + 2 * i;
  let problems: InputProblem[] = [];
  before(() => {
    dir = tree({ 'playbooks/site.yml': text });
    file = join(dir, 'playbooks/site.yml');
    try {
      loadPlaybook(file);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      problems = e.problems;
    }
  });
  after(() => removeTree(dir));

  ESCAPES.forEach(([expr, message], i) => {
    const stat = isStatic(embed(expr));
    it(`${stat ? 'validate' : 'run time'}: ${expr}`, () => {
      const line = lineOf(i);
      const p = problems.find((q) => q.pos?.line === line);
      if (stat) expect(p, `no problem reported on line ${line}`).to.not.equal(undefined);
      if (p) {
        expect(p!.pos).to.deep.equal({ file, line, col: 38 });
        expect(p!.message).to.match(message);
        expect(p!.message).to.include(`in task 'c${i}'`);
        return;
      }
      // Loads cleanly; the evaluation of its arguments refuses it, at the value's position.
      const src = loadYaml(file, text);
      let where: string | undefined;
      let err: unknown;
      try {
        interpolate({ dest: '/tmp/x', content: `{{ ${embed(expr)} }}` }, operatorVars({ ...VARS }), [], (path, e) => {
          const pos = posOf(src, [0, 'tasks', i, 'copy', ...path]);
          where = `${pos.file}:${pos.line}:${pos.col}`;
          throw e;
        });
      } catch (e) {
        err = e;
      }
      expect((err as Error | undefined)?.message).to.match(message);
      expect(where).to.equal(`${file}:${line}:38`);
    });
  });
});
