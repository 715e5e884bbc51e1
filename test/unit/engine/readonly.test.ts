// The executor and read-only changes (Change.readOnly, Change.parse): a plan of reads runs
// in check mode too and is ok, and its parsed output is registered. First users: wait_for
// and pause. The fake transport runs the scripts on this machine.
import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('uri GET on loopback: ok in check mode too, status and json registered; a wrong status fails', async () => {
    const server: Server = createServer((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ ready: true, n: 3 }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    try {
      write(`
- hosts: all
  tasks:
    - name: get
      uri: {url: "http://127.0.0.1:${port}/health", return_content: true}
      register: r
    - name: uses it
      copy: {dest: DIR/out, content: "status={{ r.status }} ready={{ r.json.ready }}"}
    - name: missing
      uri: {url: "http://127.0.0.1:${port}/missing"}
`);
      const { inv, book } = loadProject(dir);
      for (const mode of ['apply', 'check'] as const) {
        const r = await runLocal(inv, book, { mode, diff: true });
        const ev = taskEvents(r.events);
        expect(ev.find((e) => e.task === 'get')?.status, mode).to.equal('ok');
        expect(ev.find((e) => e.task === 'missing')?.status, mode).to.equal('failed');
        if (mode === 'apply') expect(readFileSync(join(dir, 'out'), 'utf8')).to.equal('status=200 ready=true');
      }
    } finally {
      server.close();
    }
  });
});
