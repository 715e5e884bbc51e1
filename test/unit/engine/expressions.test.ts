// Data is data, through the whole engine (local fake transport): a host that prints
// `{{ ... }}` gets its text written back literally by copy, template, loops and when,
// and nothing of it runs on the controller.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadProject, runLocal } from '../../fixtures/local-transport.js';
import { removeTree, tree, writeTree } from '../../fixtures/tree.js';

// What the host prints, written with octal escapes so the playbook itself holds no {{ }}.
const o = (s: string): string => s.replace(/\{/g, '\\0173').replace(/\}/g, '\\0175');

describe('engine: host output is data, never an expression', () => {
  let dir: string;
  let root: string;
  let marker: string;
  let lines: string[];
  before(() => {
    dir = tree({}, 'plumb-data-');
    root = join(dir, 'out');
    marker = join(dir, 'MARKER');
    lines = [
      `{{ process.getBuiltinModule("child_process").execSync("touch ${marker}") }}`,
      `{{ require("fs").writeFileSync("${marker}", "x") }}`,
      `{{ "".constructor.constructor("return process")().mainModule }}`,
      `<%= process.exit(3) %> and {{ root }}`,
    ];
    const printf = lines.map((l) => `printf '%b\\n' '${o(l).replace(/'/g, `'\\''`)}'`).join('\n        ');
    writeTree(dir, {
      'inventory.yml': 'all:\n  hosts:\n    h1:\n',
      'templates/out.ejs': 'stdout:\n<%- out.stdout %>\nlines:\n<% out.stdout_lines.forEach(function (l) { -%>\n<%- l %>\n<% }); -%>\n',
      'templates/item.ejs': 'item=<%- item.l %>\n',
      'playbooks/site.yml': `
- hosts: all
  vars:
    root: "${root}"
  tasks:
    - name: root dir
      file: {path: "{{ root }}", state: directory}
    - name: a host prints expressions
      shell: |
        ${printf}
      register: out
    - name: copy writes the output literally
      copy: {dest: "{{ root }}/copy.txt", content: "{{ out.stdout }}"}
    - name: template writes the output literally
      template: {src: out.ejs, dest: "{{ root }}/template.txt"}
    - name: one file per line (loop)
      copy: {dest: "{{ root }}/loop-{{ item.i }}.txt", content: "{{ item.l }}\\n"}
      loop: "{{ out.stdout_lines.map((l, i) => ({ l, i })) }}"
      when: item.l.includes("{{")
    - name: one template per line (loop)
      template: {src: item.ejs, dest: "{{ root }}/item-{{ item.i }}.txt"}
      loop: "{{ out.stdout_lines.map((l, i) => ({ l, i })) }}"
    - name: plain loop over the lines, through quote() into a shell
      shell: "printf '%s\\\\n' {{ quote(item) }} >> {{ quote(root) }}/shell.txt"
      loop: "{{ out.stdout_lines }}"
    - name: when reads the output
      copy: {dest: "{{ root }}/when.txt", content: "{{ out.stdout_lines[0] }}"}
      when: out.stdout_lines[0].startsWith("{{")
`,
    });
  });
  after(() => removeTree(dir));

  it('registered output is written literally by copy, template, loops and when; nothing runs', async () => {
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book);
    expect(r.result.exitCode, r.lines).to.equal(0);
    const text = lines.join('\n') + '\n';
    // Registered stdout is rstripped of its trailing newline, as Ansible does.
    expect(readFileSync(join(root, 'copy.txt'), 'utf8')).to.equal(lines.join('\n'));
    expect(readFileSync(join(root, 'template.txt'), 'utf8')).to.equal(`stdout:\n${text}lines:\n${text}`);
    lines.forEach((l, i) => {
      expect(readFileSync(join(root, `item-${i}.txt`), 'utf8')).to.equal(`item=${l}\n`);
      expect(existsSync(join(root, `loop-${i}.txt`))).to.equal(l.includes('{{'));
      if (l.includes('{{')) expect(readFileSync(join(root, `loop-${i}.txt`), 'utf8')).to.equal(`${l}\n`);
    });
    expect(readFileSync(join(root, 'shell.txt'), 'utf8')).to.equal(text);
    expect(readFileSync(join(root, 'when.txt'), 'utf8')).to.equal(lines[0]);
    expect(existsSync(marker), 'the marker file').to.equal(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('MARKER'))).to.deep.equal([]);
  });
});
