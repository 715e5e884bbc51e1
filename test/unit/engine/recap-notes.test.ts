// debug's `recap: true`: the engine collects the note per host (redacted, no exec, ok in check)
// and the recap event carries each distinct message once with the hosts it came from.

import { expect } from 'chai';
import type { PlumbEvent } from '../../../src/report/events.js';
import { loadProject, runLocal } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

type Recap = Extract<PlumbEvent, { type: 'recap' }>;
const SECRET = 'hunter2-recap-secret';

const dirs: string[] = [];
after(() => dirs.forEach(removeTree));

function project(hosts: string[], tasks: string): string {
  const dir = tree(
    {
      'inventory.yml': `all:\n  vars:\n    db_password: ${SECRET}\n  hosts:\n${hosts.map((h) => `    ${h}:\n`).join('')}`,
      'playbooks/site.yml': `- hosts: all\n  tasks:\n${tasks}`,
    },
    'plumb-notes-',
  );
  dirs.push(dir);
  return dir;
}

const cases: { name: string; hosts: string[]; tasks: string; notes: { message: string; hosts: string[] }[] | undefined; lines: string[] }[] = [
  {
    name: 'one message from three hosts: once, with the three hosts',
    hosts: ['h1', 'h2', 'h3'],
    tasks: '    - debug: {msg: "no alert receiver is set", recap: true}\n',
    notes: [{ message: 'no alert receiver is set', hosts: ['h1', 'h2', 'h3'] }],
    lines: ['note (h1, h2, h3): no alert receiver is set'],
  },
  {
    name: 'two messages: twice, each with its hosts',
    hosts: ['h1', 'h2'],
    tasks: '    - debug: {msg: "same everywhere", recap: true}\n' + '    - debug: {msg: "only h2", recap: true}\n      when: inventory_hostname == "h2"\n',
    notes: [
      { message: 'same everywhere', hosts: ['h1', 'h2'] },
      { message: 'only h2', hosts: ['h2'] },
    ],
    lines: ['note (h1, h2): same everywhere', 'note (h2): only h2'],
  },
  {
    name: 'a templated message per host: one note per distinct text',
    hosts: ['h1', 'h2'],
    tasks: '    - debug: {msg: "I am {{ inventory_hostname }}", recap: true}\n',
    notes: [
      { message: 'I am h1', hosts: ['h1'] },
      { message: 'I am h2', hosts: ['h2'] },
    ],
    lines: ['note (h1): I am h1', 'note (h2): I am h2'],
  },
  {
    name: 'a secret in the message is masked',
    hosts: ['h1'],
    tasks: '    - debug: {msg: "password is {{ db_password }}", recap: true}\n',
    notes: [{ message: 'password is <redacted>', hosts: ['h1'] }],
    lines: ['note (h1): password is <redacted>'],
  },
  {
    name: 'debug var: with recap',
    hosts: ['h1'],
    tasks: '    - set_fact: {port: 9093}\n    - debug: {var: port, recap: true}\n',
    notes: [{ message: 'port: 9093', hosts: ['h1'] }],
    lines: ['note (h1): port: 9093'],
  },
  {
    name: 'no recap: (or recap: false, or no_log): no notes, and the recap event has no notes key',
    hosts: ['h1'],
    tasks: '    - debug: {msg: plain}\n    - debug: {msg: quiet, recap: false}\n    - debug: {msg: hidden, recap: true}\n      no_log: true\n',
    notes: undefined,
    lines: [],
  },
];

describe('engine: debug recap: true puts a note in the recap', function () {
  this.timeout(60_000);

  for (const mode of ['apply', 'check'] as const)
    for (const c of cases)
      it(`${mode}: ${c.name}`, async () => {
        const { inv, book } = loadProject(project(c.hosts, c.tasks));
        const run = await runLocal(inv, book, { mode });
        expect(run.result.exitCode, run.lines).to.equal(0);
        const recap = run.events.find((e): e is Recap => e.type === 'recap')!;
        expect(recap.notes).to.deep.equal(c.notes);
        // Human output: after the RECAP table, once each.
        const out = run.lines.split('\n');
        const total = out.findIndex((l) => l.startsWith('total '));
        expect(total).to.be.greaterThan(out.indexOf('RECAP'));
        expect(out.slice(total + 1).filter((l) => l.startsWith('note ('))).to.deep.equal(c.lines);
        expect(
          out.filter((l) => l.startsWith('note (')),
          'only after the table',
        ).to.have.length(c.lines.length);
        // --json: the recap line carries the notes.
        const jsonRecap = run.json
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as PlumbEvent)
          .find((e): e is Recap => e.type === 'recap')!;
        expect(jsonRecap.notes).to.deep.equal(c.notes);
        expect(run.lines + run.json).not.to.include(SECRET);
        // A debug is ok (not drift in check) and costs no exec: the facts batch only, if any.
        for (const h of c.hosts) expect(run.result.hosts[h]).to.include({ changed: 0, failed: 0 });
        for (const h of c.hosts) expect(run.result.hosts[h]!.execs).to.be.at.most(1);
      });

  it('recap: must be a boolean', async () => {
    const { inv, book } = loadProject(project(['h1'], '    - debug: {msg: x, recap: yes please}\n'));
    const run = await runLocal(inv, book);
    expect(run.result.hosts.h1).to.include({ failed: 1 });
    expect(run.lines).to.match(/recap: is true or false/);
  });
});
