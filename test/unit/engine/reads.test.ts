// Which files a service reads, from the play's notify edges (src/engine/reads.ts): data
// tables of plays, each task evaluated as written.
import { expect } from 'chai';
import { inputsOf, serviceInputMap } from '../../../src/engine/reads.js';
import type { Play, Task } from '../../../src/playbook/load.js';

const task = (name: string, module: string, args: unknown, extra: Partial<Task> = {}): Task =>
  ({
    name,
    module,
    args,
    when: [],
    notify: [],
    listen: [],
    tags: [],
    loopVar: 'item',
    noLog: false,
    ignoreErrors: false,
    loc: { src: undefined, path: [] },
    ...extra,
  }) as unknown as Task;
const play = (tasks: Task[], handlers: Task[]): Play => ({ name: 'p', hosts: 'all', vars: {}, roleDefaults: {}, tasks, handlers }) as unknown as Play;
const asWritten = (t: Task) => (t.name === 'skipped' ? { skip: 'condition false' } : t.name === 'unready' ? undefined : { instances: [{ args: t.args }] });

const HANDLERS = [
  task('reload nginx', 'service', { name: 'nginx', state: 'reloaded' }, { listen: ['web config'] }),
  task('restart app', 'service', { name: 'app.service', state: 'restarted', daemon_reload: true }),
  task('say hi', 'shell', { cmd: 'echo hi' }),
  task('start only', 'service', { name: 'db', state: 'started' }),
];

const HARD = task('restart nginx hard', 'service', { name: 'nginx.service', state: 'restarted' });

const cases: { name: string; tasks: Task[]; unit: string; handlers?: Task[]; notified?: string[]; expected: unknown }[] = [
  {
    name: 'template dest, copy dest and file path of the tasks that notify the reload (by name or listen topic)',
    tasks: [
      task('site', 'template', { src: 's.ejs', dest: '/etc/nginx/sites-available/x' }, { notify: ['reload nginx'] }),
      task('link', 'file', { path: '/etc/nginx/sites-enabled/x', state: 'link', src: '/etc/nginx/sites-available/x' }, { notify: ['web config'] }),
      task('snippet', 'copy', { dest: '/etc/nginx/snippets/a.conf', content: 'x' }, { notify: ['reload nginx'] }),
      task('unrelated', 'copy', { dest: '/etc/motd', content: 'x' }),
    ],
    unit: 'nginx',
    expected: { restart: [], reload: ['/etc/nginx/sites-available/x', '/etc/nginx/sites-enabled/x', '/etc/nginx/snippets/a.conf'], owed: false },
  },
  {
    name: 'per file: what a restart applies and what a reload applies (one restarting writer makes it a restart); nginx.service is nginx',
    tasks: [
      task('main', 'template', { src: 'n.ejs', dest: '/etc/nginx/nginx.conf' }, { notify: ['restart nginx hard'] }),
      task('site', 'template', { src: 's.ejs', dest: '/etc/nginx/sites-available/x' }, { notify: ['reload nginx'] }),
      task('both', 'copy', { dest: '/etc/nginx/both.conf', content: 'x' }, { notify: ['reload nginx'] }),
      task('both again', 'copy', { dest: '/etc/nginx/both.conf', content: 'y' }, { notify: ['restart nginx hard'] }),
    ],
    unit: 'nginx.service',
    handlers: [...HANDLERS, HARD],
    expected: { restart: ['/etc/nginx/both.conf', '/etc/nginx/nginx.conf'], reload: ['/etc/nginx/sites-available/x'], owed: false },
  },
  {
    name: 'owed when the handler (or its topic) is notified or pending',
    tasks: [task('site', 'template', { src: 's.ejs', dest: '/etc/nginx/sites-available/x' }, { notify: ['reload nginx'] })],
    unit: 'nginx',
    notified: ['web config'],
    expected: { restart: [], reload: ['/etc/nginx/sites-available/x'], owed: true },
  },
  {
    name: 'file absent, commands, skipped and not-yet-evaluable tasks give no file',
    tasks: [
      task('gone', 'file', { path: '/etc/app/old.conf', state: 'absent' }, { notify: ['restart app'] }),
      task('cmd', 'shell', { cmd: 'make' }, { notify: ['restart app'] }),
      task('skipped', 'copy', { dest: '/etc/app/skip.conf', content: 'x' }, { notify: ['restart app'] }),
      task('unready', 'copy', { dest: '/etc/app/later.conf', content: 'x' }, { notify: ['restart app'] }),
      task('unit', 'template', { src: 'u.ejs', dest: '/etc/systemd/system/app.service' }, { notify: ['restart app'] }),
    ],
    unit: 'app',
    expected: { restart: ['/etc/systemd/system/app.service'], reload: [], owed: false },
  },
  {
    name: 'a unit no handler restarts or reloads: nothing known',
    tasks: [task('cfg', 'copy', { dest: '/etc/db.cnf', content: 'x' }, { notify: ['start only'] })],
    unit: 'db',
    expected: undefined,
  },
  { name: 'a handler nobody notifies: nothing known', tasks: [], unit: 'nginx', expected: undefined },
];

describe('engine/reads: the files a service reads', () => {
  for (const c of cases) {
    it(c.name, () => {
      const map = serviceInputMap(play(c.tasks, c.handlers ?? HANDLERS), asWritten);
      expect(inputsOf(map, c.unit, new Set(c.notified ?? []))).to.deep.equal(c.expected);
    });
  }
});
