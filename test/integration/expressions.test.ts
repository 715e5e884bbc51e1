// Issue 10, part 1, on real hosts: a host that prints `{{ <code> }}` cannot run code on the
// controller. Its output is registered, looped over, written by copy and by template, and fed
// to a shell through quote(); every file on the host holds the literal text, and the marker
// file the code would create appears neither on the controller nor on any host.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { sshArgs, type LabHost, type LabStatus } from '../../src/lab/index.js';

const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const DIR = '/srv/plumb-expr';

function plumb(args: string[]): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

/** The text, written with octal escapes for printf %b, so the playbook itself holds no {{ }}. */
const escaped = (s: string): string => s.replace(/\{/g, '\\0173').replace(/\}/g, '\\0175').replace(/'/g, `'\\''`);

describe('expressions: host output is data (lab)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let work: string;
  // One name for the marker on the controller and on the hosts.
  const marker = `/tmp/plumb-expr-marker-${process.pid}`;
  const lines = [
    `{{ process.getBuiltinModule("child_process").execSync("touch ${marker}") }}`,
    `{{ require("child_process").execSync("touch ${marker}") }}`,
    `{{ "".constructor.constructor("return process")().getBuiltinModule("child_process").execSync("touch ${marker}") }}`,
    `<%= process.getBuiltinModule("child_process").execSync("touch ${marker}") %>`,
    `x; touch ${marker} $(touch ${marker}) \`touch ${marker}\``,
  ];
  const text = `${lines.join('\n')}\n`;

  const onHost = (h: LabHost, cmd: string): { code: number; out: string } => {
    const [ssh, ...rest] = sshArgs({ host: h.sshHost, port: h.port, knownHosts: lab.knownHosts });
    const r = spawnSync(ssh!, [...rest, '--', cmd], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status ?? -1, out: r.stdout };
  };

  before(async () => {
    lab = await ensureLab();
    work = mkdtempSync(join(tmpdir(), 'plumb-expr-it-'));
    mkdirSync(join(work, 'playbooks'), { recursive: true });
    mkdirSync(join(work, 'templates'), { recursive: true });
    writeFileSync(
      join(work, 'templates', 'out.ejs'),
      'stdout:\n<%- out.stdout %>\nlines:\n<% out.stdout_lines.forEach(function (l) { -%>\n<%- l %>\n<% }); -%>\n',
    );
    writeFileSync(join(work, 'templates', 'item.ejs'), '<%- item.l %>\n');
    const printf = lines.map((l) => `printf '%b\\n' '${escaped(l)}'`).join('\n        ');
    writeFileSync(
      join(work, 'playbooks', 'site.yml'),
      `- hosts: all
  tasks:
    - name: work dir
      file: { path: ${DIR}, state: directory }
    - name: the host prints expressions
      shell: |
        ${printf}
      register: out
    - name: copy writes the output
      copy: { dest: ${DIR}/copy.txt, content: "{{ out.stdout }}" }
    - name: template writes the output
      template: { src: out.ejs, dest: ${DIR}/template.txt }
    - name: a copy per line (loop, when)
      copy: { dest: "${DIR}/copy-{{ item.i }}.txt", content: "{{ item.l }}\\n" }
      loop: "{{ out.stdout_lines.map((l, i) => ({ l, i })) }}"
      when: item.l.length > 0
    - name: a template per line (loop)
      template: { src: item.ejs, dest: "${DIR}/template-{{ item.i }}.txt" }
      loop: "{{ out.stdout_lines.map((l, i) => ({ l, i })) }}"
    - name: each line through quote() into a shell
      shell: "printf '%s\\\\n' {{ quote(item) }} >> ${DIR}/shell.txt"
      loop: "{{ out.stdout_lines }}"
`,
    );
    rmSync(marker, { force: true });
    for (const h of lab.hosts) onHost(h, `rm -rf ${DIR} ${marker}`);
  });

  after(() => {
    for (const h of lab.hosts) onHost(h, `rm -rf ${DIR} ${marker}`);
    rmSync(work, { recursive: true, force: true });
  });

  it('validate passes: nothing in the playbook is refused', () => {
    const r = plumb(['validate', join(work, 'playbooks', 'site.yml'), '-i', lab.inventory]);
    expect(r.code, r.out).to.equal(0);
  });

  it('apply writes the literal text everywhere, and the marker appears nowhere', () => {
    const r = plumb(['apply', join(work, 'playbooks', 'site.yml'), '-i', lab.inventory]);
    expect(r.code, r.out).to.equal(0);
    expect(existsSync(marker), `marker on the controller\n${r.out}`).to.equal(false);
    for (const h of lab.hosts) {
      const read = (f: string): string => {
        const x = onHost(h, `cat ${DIR}/${f}`);
        expect(x.code, `${h.name}: ${f}`).to.equal(0);
        return x.out;
      };
      // Registered stdout is rstripped of its trailing newline, as Ansible does.
      expect(read('copy.txt'), h.name).to.equal(text.replace(/\n$/, ''));
      expect(read('template.txt'), h.name).to.equal(`stdout:\n${text}lines:\n${text}`);
      lines.forEach((l, i) => {
        expect(read(`copy-${i}.txt`), `${h.name} copy-${i}`).to.equal(`${l}\n`);
        expect(read(`template-${i}.txt`), `${h.name} template-${i}`).to.equal(`${l}\n`);
      });
      expect(read('shell.txt'), `${h.name}: quote() kept each line one word`).to.equal(text);
      expect(onHost(h, `test -e ${marker}`).code, `marker on ${h.name}`).not.to.equal(0);
    }
  });

  it('a second apply converges: only the always-changed shell tasks change, still nothing runs', () => {
    const r = plumb(['apply', join(work, 'playbooks', 'site.yml'), '-i', lab.inventory, '--json']);
    expect(r.code, r.out).to.equal(0);
    const changed = r.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; task?: string; status?: string })
      .filter((e) => e.type === 'task' && e.status === 'changed')
      .map((e) => e.task);
    expect([...new Set(changed)].sort()).to.deep.equal(['each line through quote() into a shell', 'the host prints expressions']);
    expect(existsSync(marker)).to.equal(false);
    for (const h of lab.hosts) expect(onHost(h, `test -e ${marker}`).code).not.to.equal(0);
  });
});
