// The host's one apt transaction: which apt tasks join it (pure planning on hand-made
// facts), and what a run does with it (local transport, with stand-in dpkg-query and
// apt-get on PATH that keep their "installed" state in a temp dir and log every call).
import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterBatch, batchWindow, planPackageBatch, type Step } from '../../../src/engine/packages.js';
import { prepareTask } from '../../../src/engine/task.js';
import type { FactResults } from '../../../src/facts/types.js';
import { pkgFact } from '../../../src/facts/pkg.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));

function project(tasks: string, plays = 1): string {
  const body = Array.from(
    { length: plays },
    (_, i) => `- name: play ${i}\n  hosts: all\n  handlers:\n    - name: h\n      command: 'true'\n  tasks:\n${tasks.split('---\n')[i] ?? ''}`,
  ).join('');
  const dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'playbooks/site.yml': body }, 'plumb-pkgs-');
  dirs.push(dir);
  return dir;
}

/** Steps of every play, prepared with no variables but the host name (as the run does up front). */
function stepsOf(dir: string, vars: Record<string, unknown> = {}): Step[] {
  const { book } = loadProject(dir);
  return book.plays.flatMap((p) =>
    p.tasks.map((task) => {
      let prepared;
      try {
        prepared = prepareTask(task, { inventory_hostname: 'h1', flag: true, ...vars });
      } catch {
        prepared = undefined;
      }
      return { task, prepared, become: true };
    }),
  );
}

/** dpkg facts where exactly `installed` are installed (only pkg facts exist). */
function facts(installed: string[]): FactResults {
  return {
    get: <T>(f: { key: string }): T => {
      if (!f.key.startsWith('pkg:')) throw new Error(`fact ${f.key} was never gathered`);
      const names = f.key.replace(/^pkg:/, '').split(',');
      return Object.fromEntries(
        names.map((n) => [n, installed.includes(n) ? { status: 'ii', installed: true, version: '1' } : { status: '', installed: false }]),
      ) as T;
    },
  };
}

const t = (name: string, body: string): string => `    - name: ${name}\n      ${body}\n`;

/** The batch that an apt task at index `from` would start. */
function plan(dir: string, installed: string[], from = 0, vars: Record<string, unknown> = {}) {
  return planPackageBatch(batchWindow(stepsOf(dir, vars), from), facts(installed));
}

describe('engine/packages: planning the one apt transaction', () => {
  it('unions the missing packages of the batchable apt tasks across plays, refreshing once', () => {
    const dir = project(
      t('base', 'apt: { name: [a, b], update_cache: true, batch: true }') +
        t('dir', 'file: { path: /tmp/x, state: directory }') +
        '---\n' +
        t('web', 'apt: { name: c, update_cache: true, batch: true }'),
      2,
    );
    const b = plan(dir, ['b'])!;
    expect(b.task.args).to.deep.equal({ name: ['a', 'c'], state: 'present', update_cache: true });
    expect(b.tasks.map((x) => x.name)).to.deep.equal(['base', 'web']);
    expect(b.task.name).to.equal('Packages: one apt transaction for 2 apt tasks');
    expect(b.task.ignoreErrors, 'a failed batch falls back to per-task installs').to.equal(true);
    expect(b.union[0].key).to.equal(pkgFact(['a', 'c']).key);
    expect(b.refreshes).to.equal(true);
    expect(
      afterBatch({ a: { status: '', installed: false }, b: { status: 'ii', installed: true, version: '1' }, z: { status: '', installed: false } }, b),
    ).to.deep.equal({
      a: { status: 'ii', installed: true },
      b: { status: 'ii', installed: true, version: '1' },
      z: { status: '', installed: false },
    });
  });

  it('no batch when fewer than two tasks have anything to install', () => {
    const dir = project(t('base', 'apt: { name: [a, b], batch: true }') + t('web', 'apt: { name: c, batch: true }'));
    expect(plan(dir, ['a', 'b'])).to.equal(undefined);
    expect(plan(dir, ['a', 'b', 'c'])).to.equal(undefined);
    expect(plan(dir, [])).to.not.equal(undefined);
  });

  it('is opt-in: an apt task without batch: true neither starts a batch nor joins one', () => {
    const dir = project(
      t('one', 'apt: { name: a }') +
        t('two', 'apt: { name: b, batch: true }') +
        t('three', 'apt: { name: c, batch: true }') +
        t('four', 'apt: { name: d }') +
        t('five', 'apt: { name: e, batch: true }'),
    );
    expect(batchWindow(stepsOf(dir), 0)).to.deep.equal([]);
    expect(plan(dir, [], 1)!.task.args).to.deep.include({ name: ['b', 'c'] });
  });

  it('refreshes when a task up to the last batched one would have, even one with nothing to install', () => {
    const dir = project(
      t('certs', 'apt: { name: ca-certificates, update_cache: true, batch: true }') +
        t('one', 'apt: { name: a, batch: true }') +
        t('two', 'apt: { name: b, batch: true }'),
    );
    expect(plan(dir, ['ca-certificates'])!.task.args).to.deep.equal({ name: ['a', 'b'], state: 'present', update_cache: true });
    const later = project(
      t('one', 'apt: { name: a, batch: true }') + t('two', 'apt: { name: b, batch: true }') + t('late', 'apt: { name: z, update_cache: true, batch: true }'),
    );
    expect(plan(later, ['z'])!.task.args, 'a refresh asked only after the last install is not moved').to.not.have.property('update_cache');
  });

  it('keeps a refresh window only when every refreshing task has one (the shortest wins)', () => {
    const a = project(
      t('one', 'apt: { name: a, update_cache: true, cache_valid_time: 600, batch: true }') +
        t('two', 'apt: { name: b, update_cache: true, cache_valid_time: 60, batch: true }'),
    );
    expect(plan(a, [])!.task.args).to.deep.include({ update_cache: true, cache_valid_time: 60 });
    const b = project(
      t('one', 'apt: { name: a, update_cache: true, cache_valid_time: 600, batch: true }') + t('two', 'apt: { name: b, update_cache: true, batch: true }'),
    );
    expect(plan(b, [])!.task.args).to.not.have.property('cache_valid_time');
    const c = project(t('one', 'apt: { name: a, batch: true }') + t('two', 'apt: { name: b, batch: true }'));
    expect(plan(c, [])!.task.args).to.not.have.property('update_cache');
  });

  it('skipped tasks (when false) neither join nor stop the batch', () => {
    const dir = project(
      t('one', 'apt: { name: a, batch: true }') +
        t('never', 'apt: { name: z, state: absent }\n      when: "!flag"') +
        t('two', 'apt: { name: b, batch: true }'),
    );
    expect(plan(dir, [])!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  const stopsAt: [string, string][] = [
    ['an apt task without batch: true', 'apt: { name: x }'],
    ['an apt removal', 'apt: { name: x, state: absent, batch: true }'],
    ['an apt upgrade (latest)', 'apt: { name: x, state: latest, batch: true }'],
    ['an apt task with install_recommends', 'apt: { name: x, install_recommends: true, batch: true }'],
    ['an apt task that notifies', 'apt: { name: x, batch: true }\n      notify: h'],
    ['an apt task that registers', 'apt: { name: x, batch: true }\n      register: out'],
    ['an apt task with ignore_errors', 'apt: { name: x, batch: true }\n      ignore_errors: true'],
    ['a cache refresh without packages', 'apt: { update_cache: true }'],
    ['a file under /etc/apt', 'copy: { dest: /etc/apt/sources.list.d/x.list, content: "deb http://x y z\\n" }'],
    ['a shell that runs debconf-set-selections', 'shell: echo "x x/y boolean true" | debconf-set-selections'],
    ['a command that runs dpkg', 'command: dpkg --add-architecture i386'],
    ['a command not known up front', 'command: "{{ later_cmd }}"'],
    ['a copy whose dest is not known up front', 'copy: { dest: "{{ later_dest }}", content: x }'],
  ];
  for (const [what, body] of stopsAt) {
    it(`stops at ${what}: tasks after it install at their own place`, () => {
      const dir = project(
        t('one', 'apt: { name: a, batch: true }') +
          t('two', 'apt: { name: b, batch: true }') +
          t('barrier', body) +
          t('three', 'apt: { name: c, batch: true }'),
      );
      expect(plan(dir, [])!.task.args).to.deep.include({ name: ['a', 'b'] });
    });
  }

  it('stops at a task that reads a result registered earlier, even when a variable of that name exists up front', () => {
    const dir = project(
      t('one', 'apt: { name: a, batch: true }') +
        t('probe', 'command: uname -r\n      register: k') +
        t('two', 'apt: { name: b, batch: true }') +
        t('three', 'apt: { name: "linux-headers-{{ k.stdout }}", batch: true }'),
    );
    const steps = stepsOf(dir, { k: { stdout: '6.1' } });
    expect(steps[3]!.prepared, 'evaluable up front with the stand-in k').to.have.property('instances');
    expect(planPackageBatch(batchWindow(steps, 0), facts([]))!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  it('a task that writes nothing on the host does not stop it, even when it reads a result registered earlier', () => {
    const dir = project(
      t('one', 'apt: { name: a, batch: true }') +
        t('probe', 'stat: { path: /var/lib/x }\n      register: st') +
        t('say', 'debug: { msg: "{{ st.stat.exists }}" }\n      when: st.stat.exists') +
        t('two', 'apt: { name: b, batch: true }'),
    );
    expect(plan(dir, [])!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  it('commands that do not touch apt do not stop it', () => {
    const dir = project(t('one', 'apt: { name: a, batch: true }') + t('cmd', 'command: systemctl daemon-reload') + t('two', 'apt: { name: b, batch: true }'));
    expect(plan(dir, [])!.task.args).to.deep.include({ name: ['a', 'b'] });
  });

  it('become: when any batched task becomes root', () => {
    const dir = project(t('one', 'apt: { name: a, batch: true }') + t('two', 'apt: { name: b, batch: true }'));
    const steps = stepsOf(dir).map((st, i) => ({ ...st, become: i === 1 }));
    expect(planPackageBatch(batchWindow(steps, 0), facts([]))!.task.become).to.equal(true);
    expect(
      planPackageBatch(
        batchWindow(
          steps.map((st) => ({ ...st, become: false })),
          0,
        ),
        facts([]),
      )!.task.become,
    ).to.equal(false);
  });
});

describe('engine/packages: a run with stand-in dpkg-query and apt-get', function () {
  this.timeout(60_000);
  const savedPath = process.env.PATH;
  after(() => {
    process.env.PATH = savedPath;
  });

  /** A project whose apt tasks use stand-ins: apt-get fails (installing nothing) when asked for a package named `bad`. */
  function standIns(tasks: string, plays: number): { dir: string; log: () => string[] } {
    const dir = project(tasks, plays);
    const state = join(dir, 'apt-state');
    const bin = join(dir, 'bin');
    mkdirSync(join(state, 'installed'), { recursive: true });
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'dpkg-query'),
      `#!/bin/sh\nshift 2\nrc=0\nfor p in "$@"; do if [ -e "${state}/installed/$p" ]; then printf '%s\\tamd64\\tii \\t1.0\\n' "$p"; else echo "dpkg-query: no packages found matching $p" >&2; rc=1; fi; done\nexit $rc\n`,
    );
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$*" >> "${state}/log"\n[ "$1" = install ] || exit 0\nshift\nfor a in "$@"; do [ "$a" = bad ] && { echo "E: Unable to locate package bad" >&2; exit 100; }; done\nskip=0\nfor a in "$@"; do if [ $skip = 1 ]; then skip=0; continue; fi; case "$a" in -o) skip=1;; -*) ;; *) touch "${state}/installed/$a";; esac; done\n`,
    );
    chmodSync(join(bin, 'dpkg-query'), 0o755);
    chmodSync(join(bin, 'apt-get'), 0o755);
    writeFileSync(join(dir, 'inventory.yml'), `all:\n  vars:\n    made_dir: ${join(dir, 'made')}\n  hosts:\n    h1:\n`);
    process.env.PATH = `${bin}:${savedPath}`;
    const log = (): string[] => {
      try {
        return readFileSync(join(state, 'log'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.replace(/ -y -q -o \S+ -o \S+ -o \S+ --no-install-recommends/, ''));
      } catch {
        return [];
      }
    };
    return { dir, log };
  }
  const statusOf = (events: Parameters<typeof taskEvents>[0]) => Object.fromEntries(taskEvents(events).map((e) => [e.task, e.status]));
  const BATCH = 'Packages: one apt transaction for 2 apt tasks';

  describe('a host with two batchable tasks in two plays, then one kept apart', () => {
    let p: ReturnType<typeof standIns>;
    before(() => {
      p = standIns(
        t('first', 'apt: { name: z }') +
          t('base', 'apt: { name: [a, b], batch: true }') +
          t('dir', 'file: { path: "{{ made_dir }}", state: directory }') +
          '---\n' +
          t('late', 'apt: { name: c, batch: true }') +
          t('kept apart', 'apt: { name: d }') +
          t('after it', 'apt: { name: e, batch: true }'),
        2,
      );
    });

    it('check on a fresh host: the batch step at the first batchable task, the rest at their place; nothing installed', async () => {
      const { inv, book } = loadProject(p.dir);
      const r = await runLocal(inv, book, { mode: 'check' });
      expect(r.result.exitCode, r.lines).to.equal(2);
      const order = taskEvents(r.events).map((e) => `${e.task}: ${e.status}`);
      expect(order).to.deep.equal(['first: changed', `${BATCH}: changed`, 'base: ok', 'dir: changed', 'late: ok', 'kept apart: changed', 'after it: changed']);
      expect(p.log()).to.deep.equal([]);
    });

    it('apply: z on its own, ONE install for base and late, then d and e on their own', async () => {
      const { inv, book } = loadProject(p.dir);
      const r = await runLocal(inv, book);
      expect(r.result.exitCode, r.lines).to.equal(0);
      expect(p.log()).to.deep.equal(['install z', 'install a b c', 'install d', 'install e']);
      expect(statusOf(r.events)).to.include({ [BATCH]: 'changed', base: 'ok', late: 'ok', 'kept apart': 'changed', 'after it': 'changed' });
    });

    it('a second apply: no batch step, nothing changed, one exec', async () => {
      const { inv, book } = loadProject(p.dir);
      const r = await runLocal(inv, book);
      expect(r.result.hosts.h1).to.include({ changed: 0, failed: 0, execs: 1 });
      expect(taskEvents(r.events).map((e) => e.task)).to.not.include(BATCH);
      expect(p.log()).to.have.length(4);
    });
  });

  it('a failed batch is reported, then each task installs on its own and the one with the bad package fails with its name', async () => {
    const p = standIns(
      t('one', 'apt: { name: a, batch: true }') + t('two', 'apt: { name: bad, batch: true }') + t('three', 'apt: { name: c, batch: true }'),
      1,
    );
    const { inv, book } = loadProject(p.dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode).to.equal(1);
    expect(p.log()).to.deep.equal(['install a bad c', 'install a', 'install bad']);
    const ev = taskEvents(r.events);
    expect(ev.map((e) => `${e.task}: ${e.status}`)).to.deep.equal([`Packages: one apt transaction for 3 apt tasks: failed`, 'one: changed', 'two: failed']);
    expect(String(ev[2]!.message)).to.include('Unable to locate package bad');
    expect(r.result.hosts.h1).to.include({ failed: 1 });
  });
});
