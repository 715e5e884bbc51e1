// Handlers: once at the end, in declaration order, only when notified, and persisted on the
// host so that a restart owed by a change survives a failed run. The fake transport runs the
// scripts on this machine as root, where pending handlers live in /var/lib/plumb; it binds a
// private folder over that path (see fixtures/local-transport.ts). The file is removed before
// and after each test.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject, PENDING_FILE, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const PENDING = PENDING_FILE;

describe('engine/handlers with a local transport', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  const log = (): string[] => (existsSync(join(root, 'log')) ? readFileSync(join(root, 'log'), 'utf8').split('\n').filter(Boolean) : []);

  beforeEach(() => {
    rmSync(PENDING, { force: true });
    dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n' }, 'plumb-handlers-');
    root = join(dir, 'out');
  });
  afterEach(() => {
    rmSync(PENDING, { force: true });
    removeTree(dir);
  });

  function write(playbook: string): void {
    const p = join(dir, 'playbooks');
    rmSync(p, { recursive: true, force: true });
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, 'site.yml'), playbook.replace(/ROOT/g, root));
  }

  const HANDLERS = `
  handlers:
    - name: first
      shell: "echo first >> ROOT/log"
    - name: second
      shell: "echo second >> ROOT/log"
    - name: never notified
      shell: "echo never >> ROOT/log"
    - name: by topic
      listen: app changed
      shell: "echo topic >> ROOT/log"
`;

  it('run once at the end, in declaration order, only when notified', async () => {
    write(`
- hosts: all
  vars:
    content: v1
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
    - name: config a
      copy: {dest: ROOT/a.conf, content: "{{ content }}"}
      notify: [second, first]
    - name: config b
      copy: {dest: ROOT/b.conf, content: "{{ content }}"}
      notify: [first, app changed]
    - name: unchanged config
      copy: {dest: ROOT/a.conf, content: "{{ content }}"}
      notify: never notified
    - name: last task
      shell: "echo task >> ROOT/log"
${HANDLERS}`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode, r.lines).to.equal(0);
    expect(log()).to.deep.equal(['task', 'first', 'second', 'topic']);
    const handlerEvents = taskEvents(r.events).filter((e) => e.handler);
    expect(handlerEvents.map((e) => `${e.task}:${e.status}`)).to.deep.equal(['first:changed', 'second:changed', 'by topic:changed']);
    expect(existsSync(PENDING), 'pending marks are cleared once the handlers ran').to.equal(false);

    // Nothing changes: nothing is notified, no handler runs.
    const again = await runLocal(inv, book);
    expect(again.result.exitCode).to.equal(0);
    expect(log()).to.deep.equal(['task', 'first', 'second', 'topic', 'task']);
    expect(taskEvents(again.events).filter((e) => e.handler)).to.deep.equal([]);
  });

  it('meta: flush_handlers runs the notified handlers at that point', async () => {
    write(`
- hosts: all
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
    - name: config
      copy: {dest: ROOT/a.conf, content: x}
      notify: first
    - meta: flush_handlers
    - name: after flush
      shell: "echo task >> ROOT/log"
${HANDLERS}`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode, r.lines).to.equal(0);
    expect(log()).to.deep.equal(['first', 'task']);
  });

  it('check mode: notified handlers report "would run" and nothing runs', async () => {
    write(`
- hosts: all
  tasks:
    - name: config
      copy: {dest: ROOT/a.conf, content: x}
      notify: first
${HANDLERS}`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode: 'check' });
    expect(r.result.exitCode).to.equal(2);
    const h = taskEvents(r.events).filter((e) => e.handler);
    expect(h.map((e) => `${e.task}:${e.status}`)).to.deep.equal(['first:changed']);
    expect(h[0]!.message).to.match(/^would run/);
    expect(existsSync(root)).to.equal(false);
    expect(existsSync(PENDING)).to.equal(false);
  });

  describe('pending handlers survive a failure', () => {
    const PLAYBOOK = `
- hosts: all
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
    - name: config
      copy: {dest: ROOT/app.conf, content: "v2"}
      notify: first
    - name: might fail
      command: "test -f ROOT/ok-flag"
${HANDLERS}`;

    it('task 1 changes and notifies, task 2 fails: the handler does not run but stays pending; the next run (nothing changed) runs it and clears the mark', async () => {
      write(PLAYBOOK);
      const { inv, book } = loadProject(dir);
      const r1 = await runLocal(inv, book);
      expect(r1.result.exitCode).to.equal(1);
      expect(r1.result.hosts.h1).to.include({ failed: 1 });
      expect(log(), 'the handler did not run').to.deep.equal([]);
      expect(readFileSync(PENDING, 'utf8').split('\n').filter(Boolean)).to.deep.equal(['first']);

      // A check in between reports the owed handler and leaves the mark alone.
      writeFileSync(join(root, 'ok-flag'), '');
      const c = await runLocal(inv, book, { mode: 'check' });
      const owed = taskEvents(c.events).filter((e) => e.handler);
      expect(owed.map((e) => `${e.task}:${e.status}`)).to.deep.equal(['first:changed']);
      expect(existsSync(PENDING)).to.equal(true);

      const r2 = await runLocal(inv, book);
      expect(r2.result.exitCode, r2.lines).to.equal(0);
      const statuses = taskEvents(r2.events).map((e) => `${e.handler ? 'handler ' : ''}${e.task}:${e.status}`);
      expect(statuses).to.deep.equal(['dir:ok', 'config:ok', 'might fail:changed', 'handler first:changed']);
      expect(log()).to.deep.equal(['first']);
      expect(existsSync(PENDING), 'cleared').to.equal(false);

      // And it is not run a third time.
      const r3 = await runLocal(inv, book);
      expect(taskEvents(r3.events).filter((e) => e.handler)).to.deep.equal([]);
      expect(log()).to.deep.equal(['first']);
    });

    it('--force-handlers runs the notified handler despite the failure', async () => {
      write(PLAYBOOK);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { forceHandlers: true });
      expect(r.result.exitCode).to.equal(1);
      expect(log()).to.deep.equal(['first']);
      expect(existsSync(PENDING)).to.equal(false);
    });

    it('a handler that fails stays pending and is retried by the next run', async () => {
      write(`
- hosts: all
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
    - name: config
      copy: {dest: ROOT/app.conf, content: "v2"}
      notify: flaky restart
  handlers:
    - name: flaky restart
      shell: "test -f ROOT/ok-flag && echo restarted >> ROOT/log"
`);
      const { inv, book } = loadProject(dir);
      const r1 = await runLocal(inv, book);
      expect(r1.result.exitCode).to.equal(1);
      expect(readFileSync(PENDING, 'utf8')).to.equal('flaky restart\n');
      writeFileSync(join(root, 'ok-flag'), '');
      const r2 = await runLocal(inv, book);
      expect(r2.result.exitCode, r2.lines).to.equal(0);
      expect(log()).to.deep.equal(['restarted']);
      expect(existsSync(PENDING)).to.equal(false);
    });

    it("a write refused by its validate fails with the validator's words and owes no handler; marks from before stay", async () => {
      write(`
- hosts: all
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
    - name: config
      copy: {dest: ROOT/app.conf, content: "v2", validate: "echo 'line 7: no such keyword' >&2; false %s"}
      notify: first
${HANDLERS}`);
      mkdirSync(join(PENDING, '..'), { recursive: true });
      writeFileSync(PENDING, 'restart something else\n');
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(1);
      const failed = taskEvents(r.events).find((e) => e.status === 'failed');
      expect(failed?.message).to.match(/validate refused the new .*app\.conf/);
      expect(failed?.message).to.include('line 7: no such keyword');
      expect(existsSync(join(root, 'app.conf')), 'not written').to.equal(false);
      expect(readFileSync(PENDING, 'utf8'), 'nothing owed for a write that did not happen').to.equal('restart something else\n');
      rmSync(PENDING);
      const again = await runLocal(inv, book);
      expect(again.result.exitCode).to.equal(1);
      expect(existsSync(PENDING), 'no file when nothing was pending before').to.equal(false);
    });

    it('a pending mark for a handler this play does not have is left alone', async () => {
      write(`
- hosts: all
  tasks:
    - name: dir
      file: {path: ROOT, state: directory}
${HANDLERS}`);
      mkdirSync(join(PENDING, '..'), { recursive: true });
      writeFileSync(PENDING, 'restart something else\n');
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(0);
      expect(taskEvents(r.events).filter((e) => e.handler)).to.deep.equal([]);
      expect(readFileSync(PENDING, 'utf8')).to.equal('restart something else\n');
    });
  });
});
