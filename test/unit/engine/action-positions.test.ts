// Issue 10: an expression refused while a controller action runs (set_fact, debug, assert,
// fail: their arguments are evaluated then, not when the task is prepared) is reported at
// the file:line:col of the argument it is in, as a module argument's refusal is. Each case is
// a playbook of one task run through the engine (local fake transport); the refused
// expression is built at run time (`"con" + "structor"`), so no check before the run sees it.
import { join } from 'node:path';
import { expect } from 'chai';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const BAD = 's["con" + "structor"]';

interface Case {
  name: string;
  /** The task's lines under `- name: t`, indented by 6. */
  task: string;
  /** Where the reported position must be: the first occurrence of this text in the playbook. */
  at: string;
  /** What the message says after the position. */
  says?: RegExp;
}

const REFUSED = /constructor/;
const cases: Case[] = [
  { name: 'set_fact: a value', task: `set_fact:\n        ok: 1\n        x: '{{ ${BAD} }}'`, at: `'{{ ${BAD}` },
  { name: 'set_fact: a value in a list', task: `set_fact:\n        x: ['a', '{{ ${BAD} }}']`, at: `'{{ ${BAD}` },
  { name: 'debug: msg', task: `debug:\n        msg: 'the value: {{ ${BAD} }}'`, at: `'the value` },
  { name: 'debug: msg in a list', task: `debug:\n        msg: ['fine', '{{ ${BAD} }}']`, at: `'{{ ${BAD}` },
  { name: 'debug: the free-form message', task: `debug: '{{ ${BAD} }}'`, at: `'{{ ${BAD}` },
  { name: 'debug: var', task: `debug:\n        var: '${BAD}'`, at: `'${BAD}` },
  { name: 'debug under its FQCN: var', task: `ansible.builtin.debug:\n        var: '${BAD}'`, at: `'${BAD}` },
  { name: 'assert: the one condition of that', task: `assert:\n        that: '${BAD}'`, at: `'${BAD}` },
  { name: 'assert: the second condition of that', task: `assert:\n        that:\n          - s == "text"\n          - '${BAD}'`, at: `'${BAD}` },
  { name: 'assert: fail_msg', task: `assert:\n        that: s == "other"\n        fail_msg: '{{ ${BAD} }}'`, at: `'{{ ${BAD}` },
  { name: 'assert: success_msg', task: `assert:\n        that: s == "text"\n        success_msg: '{{ ${BAD} }}'`, at: `'{{ ${BAD}` },
  { name: 'fail: msg', task: `fail:\n        msg: '{{ ${BAD} }}'`, at: `'{{ ${BAD}` },
  { name: 'fail: the free-form message', task: `fail: 'failed: {{ ${BAD} }}'`, at: `'failed` },
  {
    name: 'set_fact: a name that evaluates to no variable name is not a refusal, but placed too',
    task: `set_fact:\n        "{{ s + '-x' }}": 1`,
    at: `"{{ s + '-x' }}"`,
    says: /gives "text-x", not a variable name/,
  },
];

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function lineCol(text: string, needle: string): string {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`no ${JSON.stringify(needle)} in the playbook`);
  const before = text.slice(0, i).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

describe('engine: a run-time refusal in a controller action is placed at file:line:col', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const book = `- hosts: all\n  vars:\n    s: text\n  tasks:\n    - name: t\n      ${c.task}\n    - name: after\n      debug: { msg: not reached }\n`;
      const dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'playbooks/site.yml': book }, 'plumb-actpos-');
      try {
        const { inv, book: pb } = loadProject(dir);
        const r = await runLocal(inv, pb);
        const t = taskEvents(r.events).find((e) => e.task === 't');
        expect(t, `the task ran (no refusal before the run):\n${r.lines}`).to.not.equal(undefined);
        expect(t!.status, r.lines).to.equal('failed');
        const where = `${join(dir, 'playbooks/site.yml')}:${lineCol(book, c.at)}: `;
        expect(t!.message, book).to.include(where);
        expect(t!.message!.slice(t!.message!.indexOf(where) + where.length)).to.match(c.says ?? REFUSED);
        expect(r.result.exitCode).to.equal(1);
      } finally {
        removeTree(dir);
      }
    });
  }
});
