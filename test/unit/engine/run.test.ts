// Engine semantics against a local fake transport: the scripts are real shell run on this
// machine, files land under a temp dir. Idempotence, exec counts, check mode, register/when,
// loops, tags and serial.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { tagFilter } from '../../../src/engine/run.js';
import type { Task } from '../../../src/playbook/load.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { hashTree, removeTree, tree, writeTree } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));
function project(files: Record<string, string>): string {
  const dir = tree(files, 'plumb-engine-');
  dirs.push(dir);
  return dir;
}

function inventory(hosts: string[], vars: Record<string, string> = {}): string {
  const v = Object.entries(vars)
    .map(([k, x]) => `    ${k}: ${x}\n`)
    .join('');
  return `all:\n${v ? `  vars:\n${v}` : ''}  hosts:\n${hosts.map((h) => `    ${h}:\n`).join('')}`;
}

/** A 30-task playbook of file, copy and template tasks, all under `root`/<host>. */
function thirtyTasks(root: string): Record<string, string> {
  const tasks: string[] = [`    - name: root\n      file: {path: "{{ base }}", state: directory, mode: "0755"}\n`];
  for (let i = 0; i < 10; i++) tasks.push(`    - name: dir ${i}\n      file: {path: "{{ base }}/d${i}", state: directory, mode: "0750"}\n`);
  for (let i = 0; i < 10; i++)
    tasks.push(`    - name: copy ${i}\n      copy: {dest: "{{ base }}/d${i}/c.txt", content: "copy ${i} on {{ inventory_hostname }}\\n", mode: "0640"}\n`);
  for (let i = 0; i < 9; i++) tasks.push(`    - name: template ${i}\n      template: {src: t.conf.ejs, dest: "{{ base }}/d${i}/t.conf", mode: "0600"}\n`);
  return {
    'inventory.yml': inventory(['h1', 'h2']),
    'playbooks/site.yml': `- hosts: all\n  vars:\n    base: "${root}/{{ inventory_hostname }}"\n    port: 8080\n  tasks:\n${tasks.join('')}`,
    'templates/t.conf.ejs': 'host <%= inventory_hostname %>\nport <%= port %>\n',
  };
}

describe('engine/run with a local transport', function () {
  this.timeout(120_000);

  describe('idempotence and round trips (30 tasks)', () => {
    let dir: string;
    let root: string;
    before(() => {
      dir = project({});
      root = join(dir, 'hosts');
      writeTree(dir, thirtyTasks(root));
    });

    it('first apply changes everything; second apply changes nothing with exactly 1 exec per host (the facts batch)', async () => {
      const { inv, book } = loadProject(dir);
      expect(book.plays[0]!.tasks).to.have.length(30);
      const first = await runLocal(inv, book);
      expect(first.result.exitCode, first.lines).to.equal(0);
      for (const h of ['h1', 'h2']) {
        expect(first.result.hosts[h]).to.include({ changed: 30, failed: 0 });
        expect(readFileSync(join(root, h, 'd3/c.txt'), 'utf8')).to.equal(`copy 3 on ${h}\n`);
        expect(readFileSync(join(root, h, 'd8/t.conf'), 'utf8')).to.equal(`host ${h}\nport 8080\n`);
      }

      const second = await runLocal(inv, book);
      expect(second.result.exitCode).to.equal(0);
      for (const h of ['h1', 'h2']) {
        expect(second.result.hosts[h]).to.include({ ok: 30, changed: 0, failed: 0, skipped: 0, execs: 1 });
        const t = second.transports.get(h)!;
        expect(t.execCount, 'counted by the fake transport').to.equal(1);
        expect(t.commands).to.have.length(1);
        expect(t.closed, 'connections are closed at the end').to.equal(true);
      }
      const exec = second.events.filter((e) => e.type === 'exec');
      expect(exec.map((e) => (e as { purpose: string }).purpose)).to.deep.equal(['facts', 'facts']);
    });

    it('check on the converged hosts: exit 0, 1 exec per host, nothing changed', async () => {
      const { inv, book } = loadProject(dir);
      const before = hashTree(root);
      const r = await runLocal(inv, book, { mode: 'check', diff: true });
      expect(r.result.exitCode).to.equal(0);
      for (const h of ['h1', 'h2']) expect(r.transports.get(h)!.execCount).to.equal(1);
      expect(hashTree(root)).to.equal(before);
    });

    it('check after drift: exit 2, the drift is reported with a diff, and nothing on disk changes', async () => {
      writeFileSync(join(root, 'h1/d2/c.txt'), 'edited by hand\n');
      const { inv, book } = loadProject(dir);
      const before = hashTree(root);
      const r = await runLocal(inv, book, { mode: 'check', diff: true });
      expect(r.result.exitCode).to.equal(2);
      expect(r.result.hosts.h1).to.include({ changed: 1, ok: 29 });
      expect(r.result.hosts.h2).to.include({ changed: 0, ok: 30 });
      const drift = taskEvents(r.events).filter((e) => e.status === 'changed');
      expect(drift.map((e) => `${e.host} ${e.task}`)).to.deep.equal(['h1 copy 2']);
      expect(drift[0]!.message).to.match(/^would update .*d2\/c\.txt/);
      expect(drift[0]!.diff).to.deep.equal([{ label: join(root, 'h1/d2/c.txt'), before: 'edited by hand\n', after: 'copy 2 on h1\n' }]);
      expect(r.lines).to.match(/^ {4}-edited by hand$/m);
      expect(r.lines).to.match(/^ {4}\+copy 2 on h1$/m);
      expect(r.transports.get('h1')!.execCount).to.equal(1);
      expect(hashTree(root)).to.equal(before);
    });
  });

  describe('check mode on a fresh host', () => {
    it('plans everything, writes nothing, and exits 2', async () => {
      const dir = project({});
      const root = join(dir, 'hosts');
      writeTree(dir, thirtyTasks(root));
      const { inv, book } = loadProject(dir);
      const before = hashTree(dir);
      const r = await runLocal(inv, book, { mode: 'check', diff: true });
      expect(r.result.exitCode, r.lines).to.equal(2);
      expect(r.result.hosts.h1).to.include({ changed: 30, failed: 0 });
      expect(hashTree(dir)).to.equal(before);
      expect(existsSync(root)).to.equal(false);
      for (const t of r.transports.values()) {
        expect(t.execCount, 'facts only').to.equal(1);
        expect(t.stdins.join(''), 'no file content was sent').to.equal('');
      }
      const messages = taskEvents(r.events).map((e) => e.message ?? '');
      expect(messages.every((m) => m.startsWith('would '))).to.equal(true);
    });
  });

  describe('register, when and loop', () => {
    let dir: string;
    let root: string;
    before(() => {
      dir = project({});
      root = join(dir, 'out');
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  vars:
    root: "${root}"
    users: [{name: ann, uid: 1}, {name: bob, uid: 2}, {name: cy, uid: 3}]
  tasks:
    - name: root dir
      file: {path: "{{ root }}", state: directory}
    - name: probe
      shell: "echo hello; echo second line"
      register: out
    - name: when on the registered result
      copy: {dest: "{{ root }}/first-line", content: "{{ out.stdout_lines[0] }} rc={{ out.rc }} changed={{ out.changed }}"}
      when: out.stdout.includes("hello")
    - name: skipped by when
      copy: {dest: "{{ root }}/never", content: x}
      when: out.rc != 0
    - name: register a skipped task
      copy: {dest: "{{ root }}/never2", content: x}
      when: false
      register: skipped_one
    - name: uses the skipped result
      copy: {dest: "{{ root }}/skipped-flag", content: "skipped={{ skipped_one.skipped }}"}
    - name: one file per user
      copy: {dest: "{{ root }}/user-{{ item.name }}", content: "uid={{ item.uid }}"}
      loop: "{{ users }}"
      when: item.name != "bob"
      register: per_user
    - name: loop results
      copy: {dest: "{{ root }}/loop-summary", content: "results={{ per_user.results.length }}"}
    - name: loop_var
      copy: {dest: "{{ root }}/n-{{ n }}", content: "double={{ n * 2 }}"}
      loop: [1, 2]
      loop_var: n
`,
      });
    });

    it('applies with the registered values and loop items', async () => {
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(join(root, 'first-line'), 'utf8')).to.equal('hello rc=0 changed=true');
      expect(existsSync(join(root, 'never'))).to.equal(false);
      expect(existsSync(join(root, 'never2'))).to.equal(false);
      expect(readFileSync(join(root, 'skipped-flag'), 'utf8')).to.equal('skipped=true');
      expect(readFileSync(join(root, 'user-ann'), 'utf8')).to.equal('uid=1');
      expect(readFileSync(join(root, 'user-cy'), 'utf8')).to.equal('uid=3');
      expect(existsSync(join(root, 'user-bob'))).to.equal(false);
      expect(readFileSync(join(root, 'loop-summary'), 'utf8')).to.equal('results=2');
      expect(readFileSync(join(root, 'n-2'), 'utf8')).to.equal('double=4');

      const ev = taskEvents(r.events);
      const status = (task: string): string[] => ev.filter((e) => e.task === task).map((e) => e.status);
      expect(status('skipped by when')).to.deep.equal(['skipped']);
      expect(status('register a skipped task')).to.deep.equal(['skipped']);
      expect(ev.filter((e) => e.task === 'one file per user').map((e) => e.item)).to.deep.equal(['{"name":"ann","uid":1}', '{"name":"cy","uid":3}']);
      expect(ev.filter((e) => e.task === 'loop_var').map((e) => e.item)).to.deep.equal(['1', '2']);
      expect(r.lines).to.match(/changed +h1 {2}one file per user \(item=\{"name":"ann","uid":1\}\)/);
      expect(r.result.hosts.h1).to.include({ skipped: 2, failed: 0 });
    });

    // Regression: the static check used to evaluate this against a placeholder result
    // (stdout_lines: []) and reject the playbook; registered values are left to run time.
    it('a task reading an element of a registered result passes the static check and runs', async () => {
      const d = project({});
      writeTree(d, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: probe
      shell: "echo hello"
      register: out
    - name: use
      copy: {dest: "${d}/first", content: "first={{ out.stdout_lines[0] }}"}
`,
      });
      const { inv, book } = loadProject(d);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(0);
      expect(readFileSync(join(d, 'first'), 'utf8')).to.equal('first=hello');
    });

    it('second run: only the always-changed shell task changes', async () => {
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(0);
      expect(
        taskEvents(r.events)
          .filter((e) => e.status === 'changed')
          .map((e) => e.task),
      ).to.deep.equal(['probe']);
    });
  });

  describe('tags', () => {
    const task = (tags: string[]): Task => ({ tags }) as unknown as Task;
    const cases: Array<{ tags: string[]; skip: string[]; task: string[]; want: boolean }> = [
      { tags: [], skip: [], task: [], want: true },
      { tags: [], skip: [], task: ['a'], want: true },
      { tags: ['a'], skip: [], task: ['a', 'b'], want: true },
      { tags: ['a'], skip: [], task: ['b'], want: false },
      { tags: ['a'], skip: [], task: [], want: false },
      { tags: ['a'], skip: [], task: ['always'], want: true },
      { tags: ['all'], skip: [], task: ['b'], want: true },
      { tags: [], skip: ['b'], task: ['b'], want: false },
      { tags: [], skip: ['b'], task: ['a'], want: true },
      { tags: ['a'], skip: ['b'], task: ['a', 'b'], want: false },
      { tags: ['a'], skip: ['always'], task: ['always'], want: false },
    ];
    for (const c of cases) {
      it(`--tags ${c.tags.join(',') || '-'} --skip-tags ${c.skip.join(',') || '-'}: task [${c.task.join(',')}] -> ${c.want ? 'runs' : 'left out'}`, () => {
        expect(tagFilter(c.tags, c.skip)(task(c.task))).to.equal(c.want);
      });
    }

    it('runPlaybook runs only the selected tasks', async () => {
      const dir = project({});
      const root = join(dir, 'out');
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: setup
      file: {path: "${root}", state: directory}
      tags: always
    - name: config
      copy: {dest: "${root}/config", content: c}
      tags: [config]
    - name: packages
      copy: {dest: "${root}/packages", content: p}
      tags: [packages, slow]
    - name: untagged
      copy: {dest: "${root}/untagged", content: u}
`,
      });
      const { inv, book } = loadProject(dir);
      const ran = async (tags: string[], skipTags: string[]): Promise<string[]> =>
        taskEvents((await runLocal(inv, book, { mode: 'check', tags, skipTags })).events).map((e) => e.task);
      expect(await ran(['config'], [])).to.deep.equal(['setup', 'config']);
      expect(await ran([], ['slow'])).to.deep.equal(['setup', 'config', 'untagged']);
      expect(await ran(['packages', 'config'], ['slow'])).to.deep.equal(['setup', 'config']);
      expect(await ran([], [])).to.deep.equal(['setup', 'config', 'packages', 'untagged']);
    });
  });

  describe('serial and max_fail_percentage', () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'];
    /** Runs the play and returns, per host, the index of its first task start and of its end. */
    async function run(serial: string, extra = ''): Promise<{ log: string[]; ran: string[]; exitCode: number }> {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(hosts),
        'playbooks/site.yml': `
- hosts: all
  serial: ${serial}
${extra}  tasks:
    - name: fail on h2
      shell: "exit 1"
      when: inventory_hostname == "h2" && defined("fail_h2")
    - name: work
      shell: "sleep 0.05"
`,
      });
      const { inv, book } = loadProject(dir);
      const log: string[] = [];
      const r = await runLocal(inv, book, {
        extraVars: extra ? { fail_h2: true } : {},
        emit: (e) => {
          if (e.type === 'task_start' && e.task === 'fail on h2') log.push(`start ${e.host}`);
          if (e.type === 'host_done') log.push(`done ${e.host}`);
        },
      });
      return { log, ran: [...r.transports.keys()].sort(), exitCode: r.result.exitCode };
    }

    const cases: Array<[string, string[][]]> = [
      ['2', [['h1', 'h2'], ['h3', 'h4'], ['h5']]],
      ['"40%"', [['h1', 'h2'], ['h3', 'h4'], ['h5']]],
      ['1', [['h1'], ['h2'], ['h3'], ['h4'], ['h5']]],
      ['10', [['h1', 'h2', 'h3', 'h4', 'h5']]],
    ];
    for (const [serial, want] of cases) {
      it(`serial: ${serial} -> ${want.map((b) => `[${b.join(',')}]`).join(' ')}`, async () => {
        const { log, exitCode } = await run(serial);
        expect(exitCode).to.equal(0);
        expect(log.filter((l) => l.startsWith('start'))).to.have.length(hosts.length);
        // Every host of a batch is done before any host of the next batch starts.
        for (let b = 0; b + 1 < want.length; b++) {
          const lastDone = Math.max(...want[b]!.map((h) => log.indexOf(`done ${h}`)));
          const firstStart = Math.min(...want[b + 1]!.map((h) => log.indexOf(`start ${h}`)));
          expect(lastDone, log.join(', ')).to.be.lessThan(firstStart);
        }
        // Within a batch, the hosts run side by side: all start before the batch's last one ends.
        for (const batch of want) {
          const lastDone = Math.max(...batch.map((h) => log.indexOf(`done ${h}`)));
          expect(Math.max(...batch.map((h) => log.indexOf(`start ${h}`))), log.join(', ')).to.be.lessThan(lastDone);
        }
      });
    }

    it('max_fail_percentage: a failed batch stops the later batches', async () => {
      const { ran, exitCode } = await run('2', '  max_fail_percentage: 0\n');
      expect(exitCode).to.equal(1);
      expect(ran).to.deep.equal(['h1', 'h2']);
    });
  });

  describe('failures', () => {
    it('a failed task stops that host only; the others carry on; exit 1', async () => {
      const dir = project({});
      const root = join(dir, 'out');
      writeTree(dir, {
        'inventory.yml': inventory(['good', 'bad']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: fails on bad
      shell: "echo oops >&2; exit 3"
      when: inventory_hostname == "bad"
    - name: after
      copy: {dest: "${root}-{{ inventory_hostname }}", content: x}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode).to.equal(1);
      expect(r.result.hosts.bad).to.include({ failed: 1, changed: 0 });
      expect(r.result.hosts.good).to.include({ failed: 0, changed: 1, skipped: 1 });
      expect(existsSync(`${root}-good`)).to.equal(true);
      expect(existsSync(`${root}-bad`)).to.equal(false);
      const failed = taskEvents(r.events).find((e) => e.status === 'failed')!;
      expect(failed.message).to.match(/exit 3/);
      expect(failed.message).to.match(/oops/);
    });

    it('ignore_errors: the host carries on and the failure counts as ok', async () => {
      const dir = project({});
      const root = join(dir, 'out');
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: may fail
      command: "false"
      ignore_errors: true
      register: r
    - name: after
      copy: {dest: "${root}", content: "rc={{ r.rc }} failed={{ r.failed }}"}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(root, 'utf8')).to.equal('rc=1 failed=true');
    });
  });

  describe('facts, plays and connections', () => {
    it('a later task plans against facts refreshed after an earlier change (no stale facts)', async () => {
      const dir = project({});
      const f = join(dir, 'app.conf');
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `
- hosts: all
  tasks:
    - name: create
      copy: {dest: "${f}", content: "a\\n"}
    - name: tighten
      file: {path: "${f}", mode: "0600"}
`,
      });
      const { inv, book } = loadProject(dir);
      const check = await runLocal(inv, book, { mode: 'check' });
      expect(check.result.exitCode, 'check mode: the attribute task would run after the unapplied create').to.equal(2);
      expect(taskEvents(check.events).map((e) => `${e.task}:${e.status}`)).to.deep.equal(['create:changed', 'tighten:changed']);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(taskEvents(r.events).map((e) => `${e.task}:${e.status}`)).to.deep.equal(['create:changed', 'tighten:changed']);
      expect(hashTree(dir)).to.match(/app\.conf file 600 /);
      const again = await runLocal(inv, book);
      expect(again.result.hosts.h1).to.include({ changed: 0, execs: 1 });
    });

    it('gather_facts: true reads the ansible_* facts in the one exec; a template using them is a 1-exec no-op', async () => {
      const dir = project({});
      const f = join(dir, 'facts.conf');
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all
  gather_facts: true
  tasks:
    - name: sized
      template: {src: sized.ejs, dest: "${f}"}
- hosts: all
  tasks:
    - name: later play reads them too
      copy: {dest: "${f}.2", content: "{{ ansible_facts.os_family }}\\n"}
`,
        'templates/sized.ejs': 'workers <%= ansible_processor_vcpus * 2 + 1 %>\nmem <%= ansible_memtotal_mb > 0 %>\n',
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      const nproc = Number(readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length);
      expect(readFileSync(f, 'utf8')).to.equal(`workers ${nproc * 2 + 1}\nmem true\n`);
      expect(readFileSync(`${f}.2`, 'utf8')).to.equal('Debian\n');
      const again = await runLocal(inv, book);
      expect(again.result.hosts.h1).to.include({ changed: 0, execs: 1 });
      const check = await runLocal(inv, book, { mode: 'check' });
      expect(check.result.hosts.h1).to.include({ changed: 0, execs: 1 });
    });

    it('without gather_facts the ansible_* names are unknown: an input error before anything runs', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all
  tasks:
    - name: reads a fact
      copy: {dest: "${join(dir, 'nofacts')}", content: "{{ ansible_processor_vcpus }}"}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book).catch((e: Error) => e);
      expect(String(r instanceof Error ? r.message : r.lines)).to.match(/ansible_processor_vcpus/);
    });

    // Regression: each task waiting for a registered result used to gather its facts alone
    // (6 execs here); the ready ones are now prepared and gathered together (acceptance 6).
    // Tasks whose `when` alone reads the result have their facts in the first exec: 1 exec.
    it('tasks whose when reads a registered result: their facts travel in the first exec, a no-op is 1 exec', async () => {
      const dir = project({});
      let tasks = '    - name: probe\n      command: {cmd: "true", unless: "true"}\n      register: probe\n';
      for (let i = 0; i < 5; i++) tasks += `    - name: c${i}\n      copy: {dest: "${dir}/f${i}", content: x}\n      when: "!probe.changed"\n`;
      writeTree(dir, { 'inventory.yml': inventory(['h1']), 'playbooks/site.yml': `- hosts: all\n  tasks:\n${tasks}` });
      const { inv, book } = loadProject(dir);
      await runLocal(inv, book);
      const r = await runLocal(inv, book);
      expect(r.result.hosts.h1).to.include({ changed: 0, ok: 6 });
      expect(r.transports.get('h1')!.execCount).to.equal(1);
    });

    it('a task whose arguments read a registered result still waits for it, and sees the real value', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all
  tasks:
    - name: probe
      command: {cmd: "echo fresh", unless: "false"}
      register: probe
    - name: use
      copy: {dest: "${dir}/out", content: "{{ probe.stdout }}\\n"}
      when: probe.rc === 0
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(join(dir, 'out'), 'utf8')).to.equal('fresh\n');
    });

    // Fixed (src/engine/play.ts readsVariable): a task reading a register only through its
    // own vars: or environment: was prepared before the register existed (undefined name).
    it('a task reading a register only through its vars: or environment: waits for it', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all
  tasks:
    - name: probe
      command: {cmd: "echo fresh", unless: "false"}
      register: probe
    - name: via vars
      copy: {dest: "${dir}/out", content: "{{ x }}"}
      vars: {x: "{{ probe.stdout }}"}
    - name: via environment
      shell: {cmd: "printf %s \\"$P\\" > ${dir}/env", creates: "${dir}/env"}
      environment: {P: "{{ probe.stdout }}"}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(join(dir, 'out'), 'utf8')).to.equal('fresh');
      expect(readFileSync(join(dir, 'env'), 'utf8')).to.equal('fresh');
    });

    // Review finding: a task prepared before connecting (References.prepared) must not be
    // reused when an earlier play may redefine what it read at run time.
    it('a name redefined at run time by an earlier play (templated set_fact, templated include_vars) reaches the later play', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': `all:\n  vars:\n    app_user: www-data\n    app_port: 80\n  hosts:\n    h1:\n`,
        'playbooks/vars/Linux.yml': 'app_port: 8081\n',
        'playbooks/site.yml': `- hosts: all
  tasks:
    - name: templated set_fact
      set_fact: { "{{ item.key }}": "{{ item.value }}" }
      with_dict: { app_user: nginx }
    - name: templated include_vars
      include_vars: { file: "vars/{{ 'Linux' }}.yml" }
- hosts: all
  tasks:
    - name: user
      copy: {dest: "${dir}/user", content: "{{ app_user }}"}
    - name: port
      copy: {dest: "${dir}/port", content: "port {{ app_port }}"}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(join(dir, 'user'), 'utf8')).to.equal('nginx');
      expect(readFileSync(join(dir, 'port'), 'utf8')).to.equal('port 8081');
    });

    it("an include's vars and loop variable are include params: above set_fact and registered results, as in Ansible", async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/part.yml': `- name: write
  copy: {dest: "${dir}/{{ which }}", content: "p{{ port }}"}
`,
        'playbooks/site.yml': `- hosts: all
  tasks:
    - set_fact: { port: 80, which: none }
    - name: include with params
      include_tasks: { file: part.yml }
      vars: { port: 8080 }
      loop: [a, b]
      loop_control: { loop_var: which }
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(readFileSync(join(dir, 'a'), 'utf8')).to.equal('p8080');
      expect(readFileSync(join(dir, 'b'), 'utf8')).to.equal('p8080');
      expect(existsSync(join(dir, 'none'))).to.equal(false);
    });

    it('several plays: one connection per host for the whole run, registered values carry over', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': 'all:\n  children:\n    a:\n      hosts:\n        h1:\n    b:\n      hosts:\n        h1:\n        h2:\n',
        'playbooks/site.yml': `
- hosts: a
  tasks:
    - name: probe
      shell: "echo from-play-1"
      register: first
- hosts: b
  tasks:
    - name: use
      copy: {dest: "${dir}/{{ inventory_hostname }}", content: "{{ defined('first') ? first.stdout : 'none' }}"}
`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(Object.fromEntries(r.connects)).to.deep.equal({ h1: 1, h2: 1 });
      expect(readFileSync(join(dir, 'h1'), 'utf8')).to.equal('from-play-1');
      expect(readFileSync(join(dir, 'h2'), 'utf8')).to.equal('none');
      expect(r.events.filter((e) => e.type === 'play').map((e) => (e as { hosts: string[] }).hosts)).to.deep.equal([['h1'], ['h1', 'h2']]);
    });

    it('an unreachable host is reported as such; the others carry on; exit 1', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['up', 'down']),
        'playbooks/site.yml': `- hosts: all\n  tasks:\n    - name: write\n      copy: {dest: "${dir}/{{ inventory_hostname }}", content: x}\n`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, {}, { unreachable: ['down'] });
      expect(r.result.exitCode).to.equal(1);
      expect(r.result.hosts.down).to.include({ unreachable: true, execs: 0 });
      expect(r.result.hosts.up).to.include({ changed: 1, unreachable: false });
      expect(existsSync(join(dir, 'up'))).to.equal(true);
      expect(r.lines).to.match(/UNREACHABLE +down/);
      const recap = JSON.parse(r.json.trim().split('\n').pop()!) as { type: string; hosts: Record<string, { unreachable: boolean }> };
      expect(recap.type).to.equal('recap');
      expect(recap.hosts.down!.unreachable).to.equal(true);
    });

    it('check mode with only skipped and ok tasks exits 0', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all\n  tasks:\n    - name: never\n      copy: {dest: "${dir}/x", content: x}\n      when: [true, "1 > 2"]\n    - name: dir\n      file: {path: "${dir}", state: directory}\n`,
      });
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { mode: 'check' });
      expect(r.result.exitCode).to.equal(0);
      expect(r.result.hosts.h1).to.include({ skipped: 1, ok: 1, changed: 0 });
    });

    it('--json prints one line per task result and a final recap, nothing else', async () => {
      const dir = project({});
      writeTree(dir, {
        'inventory.yml': inventory(['h1']),
        'playbooks/site.yml': `- hosts: all\n  tasks:\n    - name: dir\n      file: {path: "${dir}", state: directory}\n    - name: write\n      copy: {dest: "${dir}/x", content: x}\n`,
      });
      const { inv, book } = loadProject(dir);
      const { result } = await runLocal(inv, book);
      const json: string[] = [];
      const { jsonReporter } = await import('../../../src/report/json.js');
      const jr = jsonReporter((l) => json.push(l), false);
      const r = await runLocal(inv, book, { emit: jr });
      expect(result.exitCode).to.equal(0);
      const parsed = json.map((l) => JSON.parse(l) as { type: string; status?: string; hosts?: Record<string, { execs: number }> });
      expect(parsed.map((e) => `${e.type}${e.status ? `:${e.status}` : ''}`)).to.deep.equal(['task:ok', 'task:ok', 'recap']);
      expect(parsed[2]!.hosts!.h1!.execs).to.equal(r.transports.get('h1')!.execCount);
      expect(json.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).to.equal(true);
    });
  });
});
