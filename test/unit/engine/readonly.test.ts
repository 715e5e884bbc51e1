// The executor and read-only changes (Change.readOnly, Change.parse): a plan of reads runs
// in check mode too and is ok, and its parsed output is registered. First users: wait_for
// and pause. The fake transport runs the scripts on this machine.
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('engine: read-only changes (wait_for, pause)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n' }, 'plumb-readonly-');
  });
  afterEach(() => removeTree(dir));

  function write(playbook: string): void {
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'site.yml'), playbook.replace(/DIR/g, dir));
  }
  const BOOK = `
- hosts: all
  tasks:
    - name: wait
      wait_for: {path: DIR/inventory.yml, timeout: 5}
      register: w
    - name: pause
      pause: {seconds: 0}
    - name: uses the parsed result
      copy: {dest: DIR/out, content: "elapsed={{ w.elapsed }} path={{ w.path }}"}
`;

  for (const check of [false, true]) {
    it(`${check ? 'check' : 'apply'}: reads run, are ok, and register their parsed output`, async () => {
      write(BOOK);
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { mode: check ? 'check' : 'apply', diff: false });
      const ev = taskEvents(r.events);
      expect(ev.find((e) => e.task === 'wait')?.status).to.equal('ok');
      expect(ev.find((e) => e.task === 'pause')?.status).to.equal('ok');
      expect(ev.find((e) => e.task === 'uses the parsed result')?.status).to.equal('changed');
    });
  }

  it('a read that fails (timeout) fails the task, in check mode too', async () => {
    write(`
- hosts: all
  tasks:
    - name: wait
      wait_for: {path: DIR/never, timeout: 1, sleep: 1}
`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode: 'check' });
    expect(taskEvents(r.events).find((e) => e.task === 'wait')?.status).to.equal('failed');
  });
});
