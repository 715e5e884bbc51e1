import { expect } from 'chai';
import { join } from 'node:path';
import { loadInventory } from '../../../src/inventory/load.js';
import { loadPlaybook } from '../../../src/playbook/load.js';
import { listing, tasksBefore } from '../../../src/cli/list.js';
import { InputError } from '../../../src/errors.js';
import { tree } from '../../fixtures/tree.js';

describe('cli/list: --list-* and --start-at-task', () => {
  const dir = tree({
    'inventory.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1:\n        w2:\n    lb:\n      hosts:\n        l1:\n',
    'playbooks/site.yml': [
      '- name: web',
      '  hosts: web',
      '  roles: [base]',
      '  tasks:',
      '    - name: site\n      copy: { dest: /tmp/s, content: x }\n      tags: [nginx]',
      '- name: lb',
      '  hosts: lb',
      '  tasks:',
      '    - name: haproxy config\n      copy: { dest: /tmp/h, content: x }',
      '',
    ].join('\n'),
    'playbooks/roles/base/tasks.yml': '- name: packages\n  apt: { name: curl }\n',
  });
  const inv = loadInventory(join(dir, 'inventory.yml'));
  const book = loadPlaybook(join(dir, 'playbooks/site.yml'));
  const opts = { tags: [], skipTags: [], relPath: 'playbooks/site.yml' };

  it('--list-hosts: each play, its pattern and hosts', () => {
    const out = listing(inv, book, { listHosts: true }, opts);
    expect(out).to.contain("  play #1 (web): web\tTAGS: []\n    pattern: ['web']\n    hosts (2):\n      w1\n      w2\n");
    expect(out).to.contain("  play #2 (lb): lb\tTAGS: []\n    pattern: ['lb']\n    hosts (1):\n      l1\n");
  });
  it('--list-hosts with --limit', () => {
    expect(listing(inv, book, { listHosts: true }, { ...opts, limit: 'w2' })).to.contain('    hosts (1):\n      w2\n');
  });
  it('--list-tasks: role tasks as "role : name", with their tags', () => {
    const out = listing(inv, book, { listTasks: true }, opts);
    expect(out).to.contain('    tasks:\n      base : packages\tTAGS: [base]\n      site\tTAGS: [nginx]\n');
  });
  it('--list-tasks honours --tags', () => {
    expect(listing(inv, book, { listTasks: true }, { ...opts, tags: ['nginx'] }))
      .to.contain('    tasks:\n      site\tTAGS: [nginx]\n\n  play #2')
      .and.not.contain('base : packages');
  });
  it('--list-tags', () => {
    expect(listing(inv, book, { listTags: true }, opts)).to.contain('      TASK TAGS: [base, nginx]\n');
  });

  const starts: Array<{ name: string; skipped: string[] }> = [
    { name: 'packages', skipped: [] },
    { name: 'site', skipped: ['packages'] },
    { name: 'base : packages', skipped: [] },
    { name: 'haproxy*', skipped: ['packages', 'site'] },
  ];
  for (const c of starts)
    it(`--start-at-task '${c.name}' leaves out ${c.skipped.join(', ') || 'nothing'}`, () =>
      expect([...tasksBefore(book, c.name)].map((t) => t.name)).to.deep.equal(c.skipped));
  it('--start-at-task with no such task is bad input', () => expect(() => tasksBefore(book, 'nope')).to.throw(InputError, /no task named 'nope'/));
});
