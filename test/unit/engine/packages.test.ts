// The host's one apt transaction: which apt tasks join it (pure planning on hand-made
// facts), and what a run does with it (local transport, with stand-in dpkg-query and
// apt-get on PATH that keep their "installed" state in a temp dir and log every call).
import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planPackageBatch, type Step } from '../../../src/engine/packages.js';
import { prepareTask } from '../../../src/engine/task.js';
import type { FactResults } from '../../../src/facts/types.js';
import { pkgFact } from '../../../src/facts/pkg.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));

function project(tasks: string, plays = 1): string {
  const body = Array.from({ length: plays }, (_, i) => `- name: play ${i}\n  hosts: all\n  handlers:\n    - name: h\n      command: 'true'\n  tasks:\n${tasks.split('---\n')[i] ?? ''}`).join('');
  const dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'playbooks/site.yml': body }, 'plumb-pkgs-');
  dirs.push(dir);
  return dir;
}

/** Steps of every play, prepared with no variables but the host name (as the run does up front). */
function stepsOf(dir: string): Step[] {
  const { book } = loadProject(dir);
  return book.plays.flatMap((p) =>
    p.tasks.map((task) => {
      let prepared;
      try {
        prepared = prepareTask(task, { inventory_hostname: 'h1', flag: true });
      } catch {
        prepared = undefined;
      }
      return { task, prepared, become: true };
    }),
  );
}

/** dpkg facts where exactly `installed` are installed. */
function facts(installed: string[]): FactResults {
  return {
    get: <T>(f: { key: string }): T => {
      const names = f.key.replace(/^pkg:/, '').split(',');
      return Object.fromEntries(names.map((n) => [n, installed.includes(n) ? { status: 'ii', installed: true, version: '1' } : { status: '', installed: false }])) as T;
    },
  };
}

const t = (name: string, body: string): string => `    - name: ${name}\n      ${body}\n`;

describe('engine/packages: planning the one apt transaction', () => {
  it('unions the missing packages of every apt task across plays, refreshing once', () => {
    const dir = project(t('base', 'apt: { name: [a, b], update_cache: true }') + t('dir', 'file: { path: /tmp/x, state: directory }') + '---\n' + t('web', 'apt: { name: c, update_cache: true }'), 2);
    const b = planPackageBatch(stepsOf(dir), facts(['b']))!;
    expect(b.task.args).to.deep.equal({ name: ['a', 'c'], state: 'present', update_cache: true });
    expect(b.from).to.deep.equal(['base', 'web']);
    expect(b.task.name).to.equal('Packages: one apt transaction for 2 apt tasks');
    expect(b.union[0].key).to.equal(pkgFact(['a', 'c']).key);
    // check mode's view afterwards: every batched package installed, the rest untouched
    const after = Object.fromEntries(b.assumeAfter.map(([f, v]) => [f.key, v]));
    expect(after['pkg:a,b']).to.deep.include({ a: { status: 'ii', installed: true } });
    expect(after['pkg:a,b']!.b!.version).to.equal('1');
  });

  it('no batch when fewer than two tasks have anything to install', () => {
    const dir = project(t('base', 'apt: { name: [a, b] }') + t('web', 'apt: { name: c }'));
    expect(planPackageBatch(stepsOf(dir), facts(['a', 'b']))).to.equal(undefined);
    expect(planPackageBatch(stepsOf(dir), facts(['a', 'b', 'c']))).to.equal(undefined);
    expect(planPackageBatch(stepsOf(dir), facts([]))).to.not.equal(undefined);
  });

  it('keeps a refresh window only when every refreshing task has one (the shortest wins)', () => {
    const a = project(t('one', 'apt: { name: a, update_cache: true, cache_valid_time: 600 }') + t('two', 'apt: { name: b, update_cache: true, cache_valid_time: 60 }'));
    expect(planPackageBatch(stepsOf(a), facts([]))!.task.args).to.deep.include({ update_cache: true, cache_valid_time: 60 });
    const b = project(t('one', 'apt: { name: a, update_cache: true, cache_valid_time: 600 }') + t('two', 'apt: { name: b, update_cache: true }'));
    expect(planPackageBatch(stepsOf(b), facts([]))!.task.args).to.not.have.property('cache_valid_time');
    const c = project(t('one', 'apt: { name: a }') + t('two', 'apt: { name: b }'));
    expect(planPackageBatch(stepsOf(c), facts([]))!.task.args).to.not.have.property('update_cache');
  });

  it('skipped tasks (when false) neither join nor stop the batch', () => {
    const dir = project(t('one', 'apt: { name: a }') + t('never', 'apt: { name: z, state: absent }\n      when: "!flag"') + t('two', 'apt: { name: b }'));
    expect(planPackageBatch(stepsOf(dir), facts([]))!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  const stops: [string, string][] = [
    ['an apt task with batch: false', 'apt: { name: x, batch: false }'],
    ['an apt removal', 'apt: { name: x, state: absent }'],
    ['an apt task with install_recommends', 'apt: { name: x, install_recommends: true }'],
    ['an apt task that notifies', 'apt: { name: x }\n      notify: h'],
    ['an apt task that registers', 'apt: { name: x }\n      register: out'],
    ['an apt task with ignore_errors', 'apt: { name: x }\n      ignore_errors: true'],
    ['a file under /etc/apt', 'copy: { dest: /etc/apt/sources.list.d/x.list, content: "deb http://x y z\\n" }'],
    ['a shell that runs debconf-set-selections', 'shell: echo "x x/y boolean true" | debconf-set-selections'],
    ['a command that runs dpkg', 'command: dpkg --add-architecture i386'],
    ['a command not known up front', 'command: "{{ later_cmd }}"'],
  ];
  for (const [what, body] of stops) {
    it(`stops at ${what}: tasks after it install at their own place`, () => {
      const dir = project(t('one', 'apt: { name: a }') + t('two', 'apt: { name: b }') + t('barrier', body) + t('three', 'apt: { name: c }'));
      const b = planPackageBatch(stepsOf(dir), facts([]))!;
      expect(b.task.args).to.deep.include({ name: ['a', 'b'] });
    });
  }

  it('an apt task reading an earlier registered result stops the batch (it is decided only later)', () => {
    const dir = project(t('one', 'apt: { name: a }') + t('probe', 'command: uname -r\n      register: k') + t('two', 'apt: { name: b }') + t('three', 'apt: { name: "linux-headers-{{ k.stdout }}" }'));
    const steps = stepsOf(dir);
    // up front the name cannot be evaluated; even if it could, it reads `k`
    expect(planPackageBatch(steps, facts([]))!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  it('commands that do not touch apt do not stop it', () => {
    const dir = project(t('one', 'apt: { name: a }') + t('cmd', 'command: systemctl daemon-reload') + t('two', 'apt: { name: b }'));
    expect(planPackageBatch(stepsOf(dir), facts([]))!.task.args).to.deep.include({ name: ['a', 'b'] });
  });
});

describe('engine/packages: a run with stand-in dpkg-query and apt-get', function () {
  this.timeout(60_000);
  let dir: string;
  let state: string;
  const savedPath = process.env.PATH;
  before(() => {
    dir = project(
      t('base', 'apt: { name: [a, b], update_cache: true }') +
        t('dir', 'file: { path: "{{ playbook_dir_tmp }}", state: directory }') +
        '---\n' +
        t('late', 'apt: { name: c, update_cache: true }') +
        t('kept apart', 'apt: { name: d, batch: false }') +
        t('after it', 'apt: { name: e }'),
      2,
    );
    state = join(dir, 'apt-state');
    const bin = join(dir, 'bin');
    mkdirSync(join(state, 'installed'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'dpkg-query'),
      `#!/bin/sh\nshift 2\nrc=0\nfor p in "$@"; do if [ -e "${state}/installed/$p" ]; then printf '%s\\tamd64\\tii \\t1.0\\n' "$p"; else echo "dpkg-query: no packages found matching $p" >&2; rc=1; fi; done\nexit $rc\n`,
    );
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$*" >> "${state}/log"\n[ "$1" = install ] || exit 0\nshift\nskip=0\nfor a in "$@"; do if [ $skip = 1 ]; then skip=0; continue; fi; case "$a" in -o) skip=1;; -*) ;; *) touch "${state}/installed/$a";; esac; done\n`,
    );
    chmodSync(join(bin, 'dpkg-query'), 0o755);
    chmodSync(join(bin, 'apt-get'), 0o755);
    process.env.PATH = `${bin}:${savedPath}`;
    writeFileSync(join(dir, 'inventory.yml'), `all:\n  vars:\n    playbook_dir_tmp: ${join(dir, 'made')}\n  hosts:\n    h1:\n`);
  });
  after(() => {
    process.env.PATH = savedPath;
  });
  const log = (): string[] => {
    try {
      return readFileSync(join(state, 'log'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };
  const statusOf = (events: Parameters<typeof taskEvents>[0]) => Object.fromEntries(taskEvents(events).map((e) => [e.task, e.status]));

  it('check on a fresh host: one batch step for the batchable tasks, the rest at their place; nothing installed', async () => {
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode: 'check' });
    expect(r.result.exitCode).to.equal(2);
    expect(statusOf(r.events)).to.deep.equal({
      'Packages: one apt transaction for 2 apt tasks': 'changed',
      base: 'ok',
      dir: 'changed',
      late: 'ok',
      'kept apart': 'changed',
      'after it': 'changed',
    });
    expect(log()).to.deep.equal([]);
  });

  it('apply: ONE refresh and ONE install for base and late, then d and e on their own', async () => {
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode, r.lines).to.equal(0);
    const calls = log().map((l) => l.replace(/ -y -q -o \S+ -o \S+ -o \S+/, ''));
    expect(calls).to.deep.equal(['update -q -o DPkg::Lock::Timeout=300', 'install --no-install-recommends a b c', 'install --no-install-recommends d', 'install --no-install-recommends e']);
    expect(statusOf(r.events)).to.include({ 'Packages: one apt transaction for 2 apt tasks': 'changed', base: 'ok', late: 'ok', 'kept apart': 'changed', 'after it': 'changed' });
  });

  it('a second apply: no batch step, nothing changed, one exec', async () => {
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.hosts.h1).to.include({ changed: 0, failed: 0, execs: 1 });
    expect(taskEvents(r.events).map((e) => e.task)).to.not.include('Packages: one apt transaction for 2 apt tasks');
    expect(log()).to.have.length(4);
  });
});
