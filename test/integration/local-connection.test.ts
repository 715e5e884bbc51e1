// ansible_connection: local, end to end through the CLI: the control machine is the host.
// A playbook of ten modules (file, copy, template, lineinfile, blockinfile, ini_file, stat
// with a register and when, command with creates, replace, find) under a temp dir: the
// first apply changes them, the second changes nothing in one exec (the batched probe, as
// on an SSH host), a check exits 0; a hand edit is named by check (exit 2) and left alone,
// and apply undoes it. No lab needed.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostRecap, PlumbEvent } from '../../src/report/events.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

interface Run {
  code: number;
  events: PlumbEvent[];
  err: string;
}

function plumb(cwd: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args, '-i', 'hosts.yml', '--json'], {
    cwd,
    env: { ...process.env, CI: '1' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as PlumbEvent);
  return { code: r.status ?? 1, events, err: r.stderr + r.stdout };
}

const recapOf = (r: Run): HostRecap => {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e || e.type !== 'recap') throw new Error(`no recap in the output:\n${r.err}`);
  return e.hosts['ctl']!;
};
const changedTasks = (r: Run): string[] => r.events.flatMap((e) => (e.type === 'task' && e.status === 'changed' ? [e.task] : []));

describe('ansible_connection: local: the control machine as a host', function () {
  this.timeout(300_000);
  let dir: string;
  let base: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-local-it-'));
    base = join(dir, 'managed');
    mkdirSync(join(dir, 'playbooks'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'hosts.yml'), 'all:\n  hosts:\n    ctl:\n      ansible_connection: local\n');
    writeFileSync(join(dir, 'templates/app.conf.ejs'), 'name <%= inventory_hostname %>\nport <%= port %>\n');
    writeFileSync(
      join(dir, 'playbooks/site.yml'),
      `- hosts: all
  vars:
    base: ${base}
    port: 8080
  tasks:
    - name: directory
      file: { path: "{{ base }}", state: directory, mode: "0750" }
    - name: copy
      copy: { dest: "{{ base }}/motd", content: "managed by plumb\\n", mode: "0644" }
    - name: template
      template: { src: app.conf.ejs, dest: "{{ base }}/app.conf", mode: "0640" }
    - name: lineinfile
      lineinfile: { path: "{{ base }}/lines.txt", create: true, line: "second line" }
    - name: blockinfile
      blockinfile: { path: "{{ base }}/block.txt", create: true, block: "a = 1\\nb = 2" }
    - name: ini_file
      ini_file: { path: "{{ base }}/app.ini", section: main, option: workers, value: "4", mode: "0644" }
    - name: stat
      stat: { path: "{{ base }}/app.ini" }
      register: ini
    - name: command with creates
      command: { cmd: "cp {{ base }}/motd {{ base }}/stamp", creates: "{{ base }}/stamp" }
      when: ini.stat.exists
    - name: replace
      replace: { path: "{{ base }}/stamp", regexp: "^managed by", replace: "owned by" }
    - name: find
      find: { paths: "{{ base }}", patterns: "*.ini" }
      register: found
    - name: assert
      assert: { that: "found.matched === 1" }
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('first apply changes every module task; the files are as asked', () => {
    const r = plumb(dir, ['apply', 'playbooks/site.yml']);
    expect(r.code, r.err).to.equal(0);
    expect(changedTasks(r)).to.include.members(['directory', 'copy', 'template', 'lineinfile', 'blockinfile', 'ini_file', 'replace', 'command with creates']);
    expect(readFileSync(join(base, 'motd'), 'utf8')).to.equal('managed by plumb\n');
    expect(readFileSync(join(base, 'lines.txt'), 'utf8')).to.equal('second line\n');
    expect(readFileSync(join(base, 'stamp'), 'utf8')).to.equal('owned by plumb\n');
    expect(readFileSync(join(base, 'app.conf'), 'utf8')).to.equal('name ctl\nport 8080\n');
    expect(readFileSync(join(base, 'app.ini'), 'utf8')).to.match(/^\[main\]\nworkers = 4\n/);
  });

  it('second apply: 0 changed, in one exec (the batched probe), and check exits 0 in one exec', () => {
    const again = plumb(dir, ['apply', 'playbooks/site.yml']);
    expect(again.code, again.err).to.equal(0);
    expect(changedTasks(again)).to.deep.equal([]);
    expect(recapOf(again)).to.include({ changed: 0, failed: 0, execs: 1 });
    const check = plumb(dir, ['check', 'playbooks/site.yml']);
    expect(check.code, check.err).to.equal(0);
    expect(recapOf(check)).to.include({ changed: 0, execs: 1 });
  });

  it('a hand edit: check exits 2 naming only that task and leaves the file; apply undoes it', () => {
    writeFileSync(join(base, 'app.ini'), '[main]\nworkers = 16\n');
    const check = plumb(dir, ['check', 'playbooks/site.yml']);
    expect(check.code, check.err).to.equal(2);
    expect(changedTasks(check)).to.deep.equal(['ini_file']);
    expect(readFileSync(join(base, 'app.ini'), 'utf8')).to.equal('[main]\nworkers = 16\n');
    const fix = plumb(dir, ['apply', 'playbooks/site.yml']);
    expect(fix.code, fix.err).to.equal(0);
    expect(changedTasks(fix)).to.deep.equal(['ini_file']);
    expect(readFileSync(join(base, 'app.ini'), 'utf8')).to.match(/workers = 4/);
  });
});
