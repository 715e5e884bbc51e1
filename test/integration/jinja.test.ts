// Issue 11, Expressions, on real hosts: a task list ported from Jinja with plumb's helpers
// (d, bool, int, combine, to_nice_json, join, unique, regex_replace, b64encode, hash, omit,
// vars.x ?? y in a template) converges: changed, then ok, then check exits 0. The same
// tasks as Ansible wrote them are refused by validate, each at its line, with the
// JavaScript to write, and nothing connects.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLab, onLabHost, plumbCli } from './lab-fixture.js';
import type { LabStatus } from '../../src/lab/index.js';

const DIR = '/srv/plumb-jinja';

const VARS = `  vars:
    app_port: "8080"
    app_enabled: "yes"
    app_features: [gzip, tls, gzip]
    app_defaults: { workers: 2, log: { level: info } }
    app_overrides: { log: { format: json } }
    app_banner: "Web-01  "
`;

const PORTED = `- hosts: webservers
${VARS}  tasks:
    - name: work dir
      file: { path: ${DIR}, state: directory }
    - name: config as to_nice_json writes it
      copy:
        dest: ${DIR}/app.json
        content: "{{ to_nice_json(combine(app_defaults, app_overrides, d(extra_conf, {}), true)) }}\\n"
        mode: "{{ d(app_mode, omit) }}"
      when: bool(app_enabled) && int(app_port) > 1024
    - name: features
      copy:
        dest: ${DIR}/app.txt
        content: |
          port={{ int(app_port) + 1 }} features={{ join(unique(app_features).map(upper), ',') }} name={{ regex_replace(trim(lower(app_banner)), '^(\\\\w+)-0*(\\\\d+)$', '\\\\2-\\\\1') }} b64={{ b64encode(inventory_hostname) }}
    - name: template
      template: { src: app.conf.ejs, dest: ${DIR}/app.conf }
    - name: never
      copy: { dest: ${DIR}/never, content: "x\\n" }
      when: bool(d(never_set, 'no'))
`;

const JINJA = `- hosts: webservers
${VARS}  tasks:
    - name: config
      copy:
        dest: ${DIR}/app.json
        content: "{{ app_defaults | combine(app_overrides, recursive=True) | to_nice_json }}"
        mode: "{{ app_mode | default(omit) }}"
      when: app_enabled | bool and app_port | int > 1024
    - name: features
      copy:
        dest: ${DIR}/app.txt
        content: "{{ app_features | unique | map('upper') | join(',') }}"
    - name: never
      copy: { dest: ${DIR}/never, content: "x" }
      when: never_set is defined
`;

describe('expressions: Ansible filters as helpers, and Jinja refused (lab)', function () {
  this.timeout(600_000);
  let lab: LabStatus;
  let work: string;
  const site = (): string => join(work, 'playbooks', 'ported.yml');

  before(async () => {
    lab = await ensureLab();
    work = mkdtempSync(join(tmpdir(), 'plumb-jinja-it-'));
    mkdirSync(join(work, 'playbooks'), { recursive: true });
    mkdirSync(join(work, 'templates'), { recursive: true });
    writeFileSync(site(), PORTED);
    writeFileSync(join(work, 'playbooks', 'jinja.yml'), JINJA);
    writeFileSync(
      join(work, 'templates', 'app.conf.ejs'),
      'listen <%= int(app_port) %>\nworkers <%= vars.app_workers ?? 4 %>\n<% for (const f of unique(app_features)) { -%>\nfeature <%= f %>\n<% } -%>\n',
    );
    for (const h of lab.hosts) onLabHost(lab, h, `rm -rf ${DIR}`);
  });

  after(() => {
    for (const h of lab.hosts) onLabHost(lab, h, `rm -rf ${DIR}`);
    rmSync(work, { recursive: true, force: true });
  });

  it('the playbook as Ansible wrote it: every Jinja construct at its line, with the JavaScript, nothing run', () => {
    const r = plumbCli(['validate', join(work, 'playbooks', 'jinja.yml'), '-i', lab.inventory]);
    expect(r.code, r.out).to.equal(1);
    const file = join(work, 'playbooks', 'jinja.yml');
    for (const [line, what, js] of [
      [13, "'| combine' is a Jinja filter", 'write to_nice_json(combine(app_defaults, app_overrides, true))'],
      [14, "'| default' is a Jinja filter", 'write d(app_mode, omit)'],
      [15, "'| bool' is a Jinja filter", 'write bool(app_enabled) && int(app_port) > 1024'],
      [19, "'| unique' is a Jinja filter", "write join(unique(app_features).map(x => upper(x)), ',')"],
      [22, "'is defined' is a Jinja test", "write defined('never_set')"],
    ] as const) {
      expect(r.out, r.out).to.match(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}:\\d+: ${what.replace(/[|]/g, '\\|')}`));
      expect(r.out, r.out).to.include(js);
    }
    for (const h of lab.hosts) expect(onLabHost(lab, h, `test -e ${DIR}`).code, h.name).not.to.equal(0);
  });

  it('ported: apply changes, writes what Ansible would, skips what it should', () => {
    const r = plumbCli(['apply', site(), '-i', lab.inventory]);
    expect(r.code, r.out).to.equal(0);
    for (const h of lab.hosts.filter((x) => x.name.startsWith('web-'))) {
      const read = (f: string): string => onLabHost(lab, h, `cat ${DIR}/${f}`).out;
      expect(read('app.json'), h.name).to.equal('{\n    "log": {\n        "format": "json",\n        "level": "info"\n    },\n    "workers": 2\n}\n');
      expect(read('app.txt'), h.name).to.equal(`port=8081 features=GZIP,TLS name=1-web b64=${Buffer.from(h.name).toString('base64')}\n`);
      expect(read('app.conf'), h.name).to.equal('listen 8080\nworkers 4\nfeature gzip\nfeature tls\n');
      expect(onLabHost(lab, h, `stat -c %a ${DIR}/app.json`).out.trim(), 'omit: the default mode').to.equal('644');
      expect(onLabHost(lab, h, `test -e ${DIR}/never`).code, 'when: bool(d(never_set, "no"))').not.to.equal(0);
    }
  });

  it('ported: a second apply is ok everywhere, and check exits 0', () => {
    const again = plumbCli(['apply', site(), '-i', lab.inventory, '--json']);
    expect(again.code, again.out).to.equal(0);
    const changed = again.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; status?: string })
      .filter((e) => e.type === 'task' && e.status === 'changed');
    expect(changed, again.out).to.deep.equal([]);
    const check = plumbCli(['check', site(), '-i', lab.inventory]);
    expect(check.code, check.out).to.equal(0);
  });
});
