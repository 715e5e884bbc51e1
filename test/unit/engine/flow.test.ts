// Control flow against the local fake transport: blocks, includes, set_fact/assert, until,
// changed_when/failed_when, legacy loops, check_mode, delegate_to and run_once. Each case is
// a playbook's tasks and what the run must show.
import { expect } from 'chai';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

interface Case {
  name: string;
  tasks: string;
  files?: Record<string, string>;
  hosts?: string[];
  play?: string;
  mode?: 'apply' | 'check';
  exit: 0 | 1 | 2;
  /** "host task status" lines that must appear, in this order. */
  shows?: string[];
  /** task names that must not appear at all. */
  absent?: string[];
  recap?: Record<string, Record<string, number | boolean>>;
}

const cases: Case[] = [
  {
    name: 'a failing block runs its rescue and always; the host goes on and counts it rescued',
    tasks: `
    - block:
        - {name: boom, command: "false"}
        - {name: not reached, debug: {msg: x}}
      rescue:
        - {name: rescued, debug: {msg: "in rescue"}}
      always:
        - {name: cleanup, debug: {msg: "always"}}
    - {name: after, debug: {msg: "after"}}`,
    exit: 0,
    shows: ['h1 boom failed', 'h1 rescued ok', 'h1 cleanup ok', 'h1 after ok'],
    absent: ['not reached'],
    recap: { h1: { failed: 0, rescued: 1 } },
  },
  {
    name: 'handlers notified inside a rescue still run',
    tasks: `
    - block:
        - {name: boom, command: "false"}
      rescue:
        - {name: notifies, command: "true", notify: hup}`,
    play: `  handlers:
    - {name: hup, debug: {msg: "handled"}}`,
    exit: 0,
    shows: ['h1 boom failed', 'h1 notifies changed', 'h1 hup ok'],
  },
  {
    name: 'a rescue that fails: always still runs, then the host stops failed',
    tasks: `
    - block:
        - {name: boom, command: "false"}
      rescue:
        - {name: rescue fails, fail: {msg: "still broken"}}
      always:
        - {name: cleanup, debug: {msg: "always"}}
    - {name: after, debug: {msg: "after"}}`,
    exit: 1,
    shows: ['h1 boom failed', 'h1 rescue fails failed', 'h1 cleanup ok'],
    absent: ['after'],
  },
  {
    name: 'block keywords reach the tasks inside (when, vars)',
    tasks: `
    - block:
        - {name: inside, assert: {that: ["color === 'blue'"]}}
      vars: {color: blue}
    - block:
        - {name: never, debug: {msg: x}}
      when: false`,
    exit: 0,
    shows: ['h1 inside ok', 'h1 never skipped'],
  },
  {
    name: 'set_fact is per host and visible to later tasks and plays; assert fail_msg',
    tasks: `
    - {name: set, set_fact: {twice: "{{ inventory_hostname + inventory_hostname }}"}}
    - {name: check, assert: {that: "twice === inventory_hostname + inventory_hostname", quiet: true}}
    - {name: bad, assert: {that: ["twice === 'x'"], fail_msg: "twice is {{ twice }}"}, ignore_errors: true}`,
    play: `
- hosts: h1,h2
  tasks:
    - {name: later play, assert: {that: "twice.length === 4"}}`,
    hosts: ['h1', 'h2'],
    exit: 0,
    shows: ['h1 set ok', 'h1 check ok', 'h1 bad failed', 'h1 later play ok', 'h2 later play ok'],
  },
  {
    name: 'until that never succeeds: one exec per try, then failed with the count',
    tasks: `
    - {name: never, command: "false", register: r, until: "r.rc === 0", retries: 2, delay: 0}`,
    exit: 1,
    shows: ['h1 never failed'],
    recap: { h1: { execs: 4, failed: 1 } },
  },
  {
    name: 'include_tasks with a loop runs the file once per item; changed_when reads the register',
    files: { 'playbooks/inc.yml': '- {name: "each {{ item }}", command: "echo {{ item }}", register: out, changed_when: "out.stdout.trim() !== \'b\'"}\n' },
    tasks: `
    - {name: inc, include_tasks: inc.yml, loop: [a, b]}`,
    exit: 0,
    shows: ['h1 inc ok', 'h1 each {{ item }} changed', 'h1 each {{ item }} ok'],
  },
  {
    name: 'inside an included file, a task whose loop reads what an earlier task of the file set waits for it',
    files: {
      'playbooks/inc.yml':
        '- {name: pick, set_fact: {names: [x, y]}}\n- {name: "each", debug: {msg: "{{ item }}"}, loop: "{{ names }}"}\n- {name: echo, command: "echo hi", register: r}\n- {name: read, assert: {that: "item === \'hi\'"}, loop: ["{{ r.stdout }}"]}\n',
    },
    tasks: `
    - {name: inc, include_tasks: inc.yml}`,
    exit: 0,
    shows: ['h1 inc ok', 'h1 pick ok', 'h1 each ok', 'h1 echo changed', 'h1 read ok'],
  },
  {
    name: 'an include whose when is false skips its tasks',
    files: { 'playbooks/inc.yml': '- {name: inner, debug: {msg: x}}\n' },
    tasks: `
    - {name: inc, include_tasks: inc.yml, when: false}`,
    exit: 0,
    shows: ['h1 inc skipped'],
    absent: ['inner'],
  },
  {
    name: 'legacy loops: with_items flattens, with_dict gives key/value, with_subelements pairs, loop_control label and index_var',
    tasks: `
    - {name: items, debug: {msg: "{{ item }}"}, with_items: [[a, b], c]}
    - {name: dict, assert: {that: "item.key === 'k' && item.value === 1"}, with_dict: {k: 1}}
    - {name: sub, assert: {that: "item[0].n === 'u' && item[1] === 'x'"}, with_subelements: [[{n: u, keys: [x]}], keys]}
    - {name: idx, assert: {that: "i === 0 && thing === 'z'"}, loop: [z], loop_control: {index_var: i, loop_var: thing, label: "{{ thing }}!"}}`,
    exit: 0,
    shows: ['h1 items ok', 'h1 dict ok', 'h1 sub ok', 'h1 idx ok'],
  },
  {
    name: "set_fact templates its names ('{{ item.key }}' over with_dict); with_first_found takes a list of {files, skip} mappings",
    tasks: `
    - {name: pick, include_vars: {file: "{{ item }}", name: os_vars}, with_first_found: [{files: [Nope.yml, Debian.yml], skip: true}]}
    - {name: none found, include_vars: {file: "{{ item }}"}, with_first_found: [{files: [Nope.yml], skip: true}]}
    - {name: spread, set_fact: {"{{ item.key }}": "{{ item.value }}"}, with_dict: "{{ os_vars }}"}
    - {name: seen, assert: {that: "kex === 'curve25519' && defined('os_vars')"}}
    - {name: used in args, debug: {msg: "{{ kex }}"}}
    - {name: bad name, set_fact: {"{{ 'a b' }}": 1}}`,
    files: { 'playbooks/Debian.yml': 'kex: curve25519\n' },
    exit: 1,
    shows: ['h1 pick ok', 'h1 none found skipped', 'h1 spread ok', 'h1 seen ok', 'h1 used in args ok', 'h1 bad name failed'],
  },
  {
    name: 'failed_when overrides the exit code; changed_when false makes a command ok',
    tasks: `
    - {name: fine, command: "false", failed_when: false}
    - {name: read, command: "true", changed_when: false}
    - {name: judged, command: "echo oops", register: r, failed_when: "r.stdout.includes('oops')"}`,
    exit: 1,
    shows: ['h1 fine changed', 'h1 read ok', 'h1 judged failed'],
  },
  {
    name: 'check_mode: true never applies, even in apply',
    tasks: `
    - {name: dry, command: "touch /nonexistent-dir/x", check_mode: true}`,
    exit: 0,
    shows: ['h1 dry changed'],
    recap: { h1: { execs: 1 } },
  },
  {
    name: 'check: a command is not run (would change), check_mode: false runs it',
    mode: 'check',
    tasks: `
    - {name: skipped in check, command: "true"}
    - {name: read anyway, command: "echo hi", check_mode: false, register: r, changed_when: false}
    - {name: saw it, assert: {that: "r.stdout.trim() === 'hi'"}}`,
    exit: 2,
    shows: ['h1 skipped in check changed', 'h1 read anyway ok', 'h1 saw it ok'],
  },
  {
    name: 'delegate_to a host outside the play: the change runs there, the recap names both',
    hosts: ['h1'],
    tasks: `
    - {name: on h2, command: "true", delegate_to: h2}`,
    exit: 0,
    shows: ['h1 -> h2 on h2 changed'],
    recap: { h1: { changed: 1, execs: 1 }, h2: { execs: 1 } },
  },
  {
    name: 'delegate_to a host the inventory does not know: that task fails, naming it',
    tasks: `
    - {name: nowhere, command: "true", delegate_to: ghost}`,
    exit: 1,
    shows: ['h1 -> ghost nowhere unreachable'],
    recap: { h1: { failed: 1 } },
  },
  {
    name: 'run_once with serial: once per batch, the result registered on every host of it',
    hosts: ['h1', 'h2', 'h3'],
    play: 'serial',
    tasks: `
    - {name: once, command: "echo {{ inventory_hostname }}", register: r, run_once: true}
    - {name: seen, assert: {that: "r.stdout.trim().length === 2"}}`,
    exit: 0,
    // Which host of a batch runs it is the first to get there; once per batch either way.
    recap: { h3: { changed: 1 } },
  },
];

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));

describe('engine/play: control flow keywords', function () {
  this.timeout(60_000);
  for (const c of cases) {
    it(c.name, async () => {
      const hosts = c.hosts ?? ['h1'];
      const serial = c.play === 'serial' ? '  serial: 2\n' : '';
      const more = c.play && c.play !== 'serial' ? c.play : '';
      const dir = tree(
        {
          'inventory.yml': `all:\n  hosts:\n${['h1', 'h2', 'h3'].map((h) => `    ${h}:\n`).join('')}`,
          'playbooks/site.yml': `- hosts: ${hosts.join(',')}\n${serial}  tasks:${c.tasks}\n${more}`,
          ...c.files,
        },
        'plumb-flow-',
      );
      dirs.push(dir);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { mode: c.mode ?? 'apply' });
      const lines = taskEvents(r.events).map((e) => `${e.host} ${e.task} ${e.status}`);
      expect(r.result.exitCode, lines.join('\n')).to.equal(c.exit);
      let from = 0;
      for (const want of c.shows ?? []) {
        const at = lines.indexOf(want, from);
        expect(at, `${want} in\n${lines.join('\n')}`).to.be.at.least(0);
        from = at + 1;
      }
      for (const a of c.absent ?? [])
        expect(
          lines.some((l) => l.includes(` ${a} `)),
          lines.join('\n'),
        ).to.equal(false);
      for (const [h, want] of Object.entries(c.recap ?? {})) expect(r.result.hosts[h], h).to.include(want);
    });
  }
});
