// Play and task keywords of issue 11's last part: serial as a list, order, any_errors_fatal,
// throttle, become_user and remote_user. Pure helpers as data tables; the run semantics
// against the local fake transport (real shell on this machine).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { batches, checkReferences, ordered, remoteUsers } from '../../../src/engine/run.js';
import { commandLine } from '../../../src/engine/session.js';
import { InputError } from '../../../src/errors.js';
import type { BatchSize, HostOrder } from '../../../src/playbook/load.js';
import { raw } from '../../../src/sh.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));
function project(files: Record<string, string>): string {
  const dir = tree(files, 'plumb-keywords-');
  dirs.push(dir);
  return dir;
}
const inventory = (hosts: string[], extra = ''): string => `all:\n  hosts:\n${hosts.map((h) => `    ${h}:\n${extra}`).join('')}`;
const H = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];

describe('engine: play and task keywords', function () {
  this.timeout(60_000);

  describe('serial as a list (the last size repeats)', () => {
    const cases: Array<[BatchSize | BatchSize[] | undefined, number[]]> = [
      [undefined, [7]],
      [3, [3, 3, 1]],
      ['50%', [3, 3, 1]],
      [[1], [1, 1, 1, 1, 1, 1, 1]],
      [
        [1, 2],
        [1, 2, 2, 2],
      ],
      [
        [1, '50%'],
        [1, 3, 3],
      ],
      [
        [2, 10],
        [2, 5],
      ],
      [
        ['10%', '100%'],
        [1, 6],
      ],
    ];
    for (const [serial, sizes] of cases)
      it(`serial: ${JSON.stringify(serial)} -> ${sizes.join(', ')}`, () => {
        const b = batches(H, serial);
        expect(b.map((x) => x.length)).to.deep.equal(sizes);
        expect(b.flat()).to.deep.equal(H);
      });
  });

  describe('order', () => {
    const hosts = ['web-02', 'db-01', 'web-10', 'lb-01'];
    const cases: Array<[HostOrder, string[]]> = [
      ['inventory', ['web-02', 'db-01', 'web-10', 'lb-01']],
      ['reverse_inventory', ['lb-01', 'web-10', 'db-01', 'web-02']],
      ['sorted', ['db-01', 'lb-01', 'web-02', 'web-10']],
      ['reverse_sorted', ['web-10', 'web-02', 'lb-01', 'db-01']],
    ];
    for (const [order, want] of cases) it(`order: ${order}`, () => expect(ordered(hosts, order)).to.deep.equal(want));
    it('order: shuffle is a permutation, and follows the random source', () => {
      const seq = [0.1, 0.9, 0.5];
      let i = 0;
      const out = ordered(hosts, 'shuffle', () => seq[i++ % seq.length]!);
      expect([...out].sort()).to.deep.equal([...hosts].sort());
      expect(out).to.not.deep.equal(hosts);
      expect(hosts, 'the input is left alone').to.deep.equal(['web-02', 'db-01', 'web-10', 'lb-01']);
    });
    it('a play with order: reverse_sorted and serial: 1 runs its hosts in that order', async () => {
      const dir = project({
        'inventory.yml': inventory(['h1', 'h3', 'h2']),
        'playbooks/site.yml': '- hosts: all\n  order: reverse_sorted\n  serial: 1\n  tasks:\n    - name: t\n      shell: "true"\n',
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(taskEvents(r.events).map((e) => e.host)).to.deep.equal(['h3', 'h2', 'h1']);
    });
  });

  describe('become_user: sudo -u, with no secret on the command line', () => {
    const body = "/bin/sh -c 'LC_ALL=C; export LC_ALL\ntrue'";
    const cases: Array<[string, Parameters<typeof commandLine>[1], string, boolean, string | RegExp]> = [
      ['root becomes postgres', 'postgres', 'root', false, `sudo -u postgres -n -- ${body}`],
      ['deploy becomes postgres', 'postgres', 'deploy', false, `sudo -u postgres -n -- ${body}`],
      ['deploy becomes itself: no sudo', 'deploy', 'deploy', false, body],
      ['root becomes root: no sudo', true, 'root', false, body],
      ['root with a password on file still needs none', 'postgres', 'root', true, `sudo -u postgres -n -- ${body}`],
      ['deploy with a password becomes postgres', 'postgres', 'deploy', true, /sudo -u postgres -k -S -p .{0,30} -- \/bin\/sh -c/],
    ];
    for (const [what, become, user, password, want] of cases)
      it(what, () => {
        const line = commandLine(raw('true'), become, user, 0, password);
        if (typeof want === 'string') expect(line).to.equal(want);
        else expect(line).to.match(want);
      });

    it("a task's become_user (an expression) reaches sudo; the play's applies to the others; a bad name fails the task", async () => {
      const dir = project({
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  become: true
  become_user: nobody
  vars: {db_user: postgres}
  tasks:
    - name: as the play says
      shell: "true"
      ignore_errors: true
    - name: as the task says
      shell: "true"
      become_user: "{{ db_user }}"
      ignore_errors: true
    - name: not a user name
      shell: "true"
      become_user: "{{ 'x; rm -rf /' }}"
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      // The commands as sent (sudo may be missing on this machine: the tasks ignore errors).
      const changes = r.transports.get('h1')!.commands.filter((c) => c.startsWith('sudo'));
      expect(changes[0]).to.match(/^sudo -u nobody -n -- /);
      expect(changes[1]).to.match(/^sudo -u postgres -n -- /);
      const bad = taskEvents(r.events).find((e) => e.task === 'not a user name')!;
      expect(bad.status).to.equal('failed');
      expect(bad.message).to.match(/become_user must be a user name/);
    });
  });

  describe('any_errors_fatal', () => {
    it("one host's failure stops the others before their next task, and the later plays; exit 1", async () => {
      const dir = project({ 'inventory.yml': inventory(['h1', 'h2', 'h3']) });
      const mark = (n: string) => join(dir, `mark-${n}-{{ inventory_hostname }}`);
      const book = `
- hosts: all
  any_errors_fatal: true
  tasks:
    - name: fails on h1, slow elsewhere
      shell: "if [ {{ inventory_hostname }} = h1 ]; then exit 4; fi; sleep 0.5"
    - name: next
      copy: {dest: "${mark('next')}", content: x}
- hosts: all
  tasks:
    - name: later play
      copy: {dest: "${mark('later')}", content: x}
`;
      const { writeFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(join(dir, 'playbooks'), { recursive: true });
      writeFileSync(join(dir, 'playbooks/site.yml'), book);
      const { inv, book: pb } = loadProject(dir);
      const r = await runLocal(inv, pb);
      expect(r.result.exitCode).to.equal(1);
      for (const h of ['h1', 'h2', 'h3']) {
        expect(existsSync(join(dir, `mark-next-${h}`)), `next on ${h}`).to.equal(false);
        expect(existsSync(join(dir, `mark-later-${h}`)), `later on ${h}`).to.equal(false);
      }
      const stops = taskEvents(r.events).filter((e) => e.task === 'any_errors_fatal');
      expect(stops.map((e) => e.host).sort()).to.deep.equal(['h2', 'h3']);
      expect(stops[0]!.message).to.match(/h1 failed 'fails on h1, slow elsewhere'/);
    });

    it('a rescued failure is not fatal', async () => {
      const dir = project({
        'inventory.yml': inventory(['h1', 'h2']),
        'playbooks/site.yml': `
- hosts: all
  any_errors_fatal: true
  tasks:
    - block:
        - name: fails on h1
          shell: "[ {{ inventory_hostname }} != h1 ]"
      rescue:
        - name: rescued
          shell: "true"
    - name: next
      shell: "true"
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(0);
      expect(taskEvents(r.events).filter((e) => e.task === 'next')).to.have.length(2);
    });
  });

  describe('throttle', () => {
    it('throttle: 1 runs the task on one host at a time; the other tasks stay parallel', async () => {
      // The hosts leave the throttled task 0.2 s apart; the next task lasts longer than that,
      // so it overlaps on any machine.
      const dir = project({
        'inventory.yml': inventory(['h1', 'h2', 'h3']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: one at a time
      shell: "sleep 0.2"
      throttle: 1
    - name: all at once
      shell: "sleep 0.8"
`,
      });
      const { inv, book } = loadProject(dir);
      const active = new Map<string, number>();
      const most = new Map<string, number>();
      await runLocal(inv, book, {
        emit: (e) => {
          if (e.type === 'task_start') active.set(e.task, (active.get(e.task) ?? 0) + 1);
          if (e.type === 'task') active.set(e.task, (active.get(e.task) ?? 0) - 1);
          for (const [k, v] of active) most.set(k, Math.max(most.get(k) ?? 0, v));
        },
      });
      expect(most.get('one at a time')).to.equal(1);
      expect(most.get('all at once')).to.be.greaterThan(1);
    });
  });

  describe('remote_user', () => {
    const load = (inv: string, book: string) => loadProject(project({ 'inventory.yml': inv, 'playbooks/site.yml': book }));
    it('stands for the user the inventory does not name; ansible_user wins', () => {
      const { inv, book } = load(
        'all:\n  hosts:\n    h1:\n    h2:\n      ansible_user: admin\n',
        '- hosts: all\n  remote_user: deploy\n  tasks:\n    - shell: "true"\n',
      );
      const { users, problems } = remoteUsers(inv, book);
      expect(problems).to.deep.equal([]);
      expect([...users]).to.deep.equal([['h1', 'deploy']]);
    });
    it('two plays that name different users for one host: an error at the second, before anything connects', () => {
      const { inv, book } = load(
        inventory(['h1']),
        '- hosts: all\n  remote_user: deploy\n  tasks:\n    - shell: "true"\n- hosts: h1\n  remote_user: ops\n  tasks:\n    - shell: "true"\n',
      );
      let err: unknown;
      try {
        checkReferences(inv, book, { extraVars: {}, tags: [], skipTags: [] });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InputError);
      const p = (err as InputError).problems[0]!;
      expect(p.message).to.match(/remote_user ops for h1, but play 'all' connects to it as deploy/);
      expect(p.pos?.line).to.equal(6);
      expect(p.hint).to.match(/ansible_user/);
    });
  });

  describe('bad keywords are caught at load, with a position', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['order', '  order: random\n', /'order' is one of inventory, reverse_inventory, sorted, reverse_sorted, shuffle/],
      ['serial list', '  serial: [1, "half"]\n', /'serial' must be .* a list of them/],
      ['remote_user', '  remote_user: "{{ who }}"\n', /'remote_user' must be a user name/],
      ['throttle', '  tasks:\n    - shell: "true"\n      throttle: 0\n', /'throttle' is how many hosts/],
    ];
    for (const [what, yaml, want] of cases)
      it(what, () => {
        const tasks = yaml.includes('tasks:') ? '' : '  tasks:\n    - shell: "true"\n';
        let err: unknown;
        try {
          loadProject(project({ 'inventory.yml': inventory(['h1']), 'playbooks/site.yml': `- hosts: all\n${yaml}${tasks}` }));
        } catch (e) {
          err = e;
        }
        expect(err, 'an InputError').to.be.instanceOf(InputError);
        const text = (err as InputError).problems.map((p) => `${p.pos?.line}: ${p.message}`).join('\n');
        expect(text).to.match(want);
        expect((err as InputError).problems[0]!.pos?.line).to.be.greaterThan(1);
      });
  });
});
