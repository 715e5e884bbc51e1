// Control flow on real hosts (lab): block/rescue/always, until, include_tasks with a loop,
// delegate_to (to lb-01, outside the play), run_once, set_fact/assert. `check` on fresh
// hosts reports drift and changes nothing on any host, the delegated one included; apply
// converges; a second check is clean.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { sshArgs, type LabStatus } from '../../src/lab/index.js';

const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const D = '/srv/plumb-flow';

const PLAY = `- name: flow
  hosts: webservers
  serial: 2
  tasks:
    - name: workdir
      file: {path: ${D}, state: directory, mode: "0755"}
    - name: workdir on the LB
      file: {path: ${D}, state: directory, mode: "0755"}
      delegate_to: lb-01
      run_once: true
    - name: port
      set_fact: {app_port: "{{ 8000 + groups.webservers.indexOf(inventory_hostname) }}"}
    - name: port is sane
      assert: {that: ["Number(app_port) >= 8000"], fail_msg: "bad port {{ app_port }}", quiet: true}
    - block:
        - name: a step that fails until rescued
          command: {cmd: "false", creates: ${D}/rescued}
      rescue:
        - name: rescue
          copy: {dest: ${D}/rescued, content: "rescued\\n", mode: "0644"}
      always:
        - name: always
          copy: {dest: ${D}/always, content: "always\\n", mode: "0644"}
    - name: wait for the second try
      shell: {cmd: "n=$(cat ${D}/tries 2>/dev/null || echo 0); echo $((n+1)) > ${D}/tries; [ $n -ge 1 ] && touch ${D}/tries-done", creates: ${D}/tries-done}
      register: r
      until: "r.rc === 0"
      retries: 3
      delay: 0
    - name: per item
      include_tasks: item.yml
      loop: [a, b]
    - name: drain me on the LB
      copy: {dest: "${D}/drain-{{ inventory_hostname }}", content: "{{ app_port }}\\n", mode: "0644"}
      delegate_to: lb-01
    - name: once
      copy: {dest: ${D}/once, content: "once\\n", mode: "0644"}
      run_once: true
`;

describe('control flow on the lab (block, until, include loop, delegate_to, run_once)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let pb: string;
  const on = (name: string, cmd: string): string => {
    const h = lab.hosts.find((x) => x.name === name)!;
    const a = sshArgs({ host: h.sshHost, port: h.port, knownHosts: lab.knownHosts });
    const r = spawnSync(a[0]!, [...a.slice(1), '--', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh ${name} ${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const plumb = (mode: 'apply' | 'check') => {
    const r = spawnSync(process.execPath, [CLI, mode, pb, '-i', lab.inventory, '--json'], { encoding: 'utf8', timeout: 300_000 });
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const recap = (events.find((e) => e.type === 'recap')?.hosts ?? {}) as Record<string, { changed: number; failed: number; execs: number; rescued?: number }>;
    return { code: r.status, events, recap, out: r.stdout + r.stderr };
  };
  const state = () =>
    ['lb-01', 'web-01', 'web-02'].map((h) => `${h}: ${on(h, `ls ${D} 2>/dev/null | tr '\\n' ' '; cat ${D}/tries 2>/dev/null || true`)}`).join('\n');

  before(async () => {
    lab = await ensureLab();
    for (const h of ['lb-01', 'web-01', 'web-02']) on(h, `rm -rf ${D}`);
    const dir = mkdtempSync(join(tmpdir(), 'plumb-flow-it-'));
    mkdirSync(join(dir, 'playbooks'));
    mkdirSync(join(dir, 'templates'));
    pb = join(dir, 'playbooks', 'flow.yml');
    writeFileSync(pb, PLAY);
    writeFileSync(
      join(dir, 'playbooks', 'item.yml'),
      `- name: "item {{ item }}"\n  copy: {dest: "${D}/item-{{ item }}", content: "{{ item }} on {{ inventory_hostname }}\\n", mode: "0644"}\n`,
    );
  });
  after(() => {
    if (lab) for (const h of ['lb-01', 'web-01', 'web-02']) on(h, `rm -rf ${D}`);
  });

  it('check on fresh hosts: drift (exit 2), and nothing written on any host, the delegated lb-01 included', () => {
    const before = state();
    const r = plumb('check');
    expect(r.code, r.out).to.equal(2);
    expect(state()).to.equal(before);
    expect(before).to.not.include('always');
  });

  it('apply: the block is rescued, until retries once, the include runs per item, the LB gets both drains, run_once writes once', () => {
    const r = plumb('apply');
    expect(r.code, r.out).to.equal(0);
    for (const h of ['web-01', 'web-02']) {
      expect(r.recap[h], h).to.include({ failed: 0, rescued: 1 });
      expect(on(h, `cat ${D}/item-a ${D}/item-b ${D}/rescued ${D}/always ${D}/tries`)).to.equal(
        `a on ${h}\nb on ${h}\nrescued\nalways\nalways\n`.replace('always\nalways\n', 'always\n2\n'),
      );
    }
    expect(on('lb-01', `cat ${D}/drain-web-01 ${D}/drain-web-02`)).to.equal('8000\n8001\n');
    expect(r.recap['lb-01']?.execs, 'the delegated host is in the recap with its execs').to.be.greaterThan(0);
    const once = ['web-01', 'web-02'].filter((h) => on(h, `[ -f ${D}/once ] && echo y || true`).trim() === 'y');
    expect(once).to.have.length(1);
    const tasks = r.events.filter((e) => e.type === 'task').map((e) => `${String(e.host)} ${String(e.task)} ${String(e.status)}`);
    expect(tasks).to.include('web-01 -> lb-01 drain me on the LB changed');
  });

  it('check after apply: in sync (exit 0), nothing changed on any host', () => {
    const before = state();
    const r = plumb('check');
    expect(r.code, r.out).to.equal(0);
    expect(state()).to.equal(before);
  });
});
