// Live reads (src/facts/live.ts): wait_for, uri GET and pause in a no-op cost no exec of their
// own (the host's one batch reads them); after a change is applied anywhere in the run they
// are read again when their task comes; `until` reads a task's facts again on each retry.
// The local transport runs the scripts on this machine; the HTTP server is on loopback.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { HostSession } from '../../../src/engine/session.js';
import { liveFact } from '../../../src/facts/live.js';
import { Redactor } from '../../../src/report/redact.js';
import { raw } from '../../../src/sh.js';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('engine: live reads in the batch (wait_for, uri, pause)', function () {
  this.timeout(60_000);
  let dir: string;
  let server: Server;
  let port = 0;
  let hits = 0;
  before(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ready":true}');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());
  beforeEach(() => {
    dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n    h2:\n' }, 'plumb-live-');
    hits = 0;
  });
  afterEach(() => removeTree(dir));
  const write = (book: string) => {
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'site.yml'), book.replace(/DIR/g, dir).replace(/PORT/g, String(port)));
  };
  const READS = `
    - name: wait
      wait_for: {path: DIR/inventory.yml, timeout: 5}
    - name: get
      uri: {url: "http://127.0.0.1:PORT/health"}
      register: r
    - name: pause
      pause: {seconds: 0}
    - name: uses it
      debug: {msg: "ready={{ r.json.ready }}"}
`;

  for (const mode of ['apply', 'check'] as const)
    it(`${mode}: a converged play of reads is one exec per host (the batch), every read ok`, async () => {
      write(`- hosts: all\n  tasks:${READS}`);
      const { inv, book } = loadProject(dir);
      await runLocal(inv, book, { mode: 'apply' });
      const r = await runLocal(inv, book, { mode });
      for (const h of ['h1', 'h2']) {
        expect(r.transports.get(h)!.execCount, h).to.equal(1);
        expect(r.result.hosts[h]!.changed, h).to.equal(0);
      }
      const ev = taskEvents(r.events);
      for (const t of ['wait', 'get', 'pause']) expect(ev.filter((e) => e.task === t).map((e) => e.status)).to.deep.equal(['ok', 'ok']);
    });

  it('after a change on another host, a later play reads again when its task comes', async () => {
    write(`
- hosts: all
  tasks:
    - name: both hosts read here, in their first batch
      debug: {msg: hello}
- hosts: h1
  tasks:
    - name: change
      file: {path: DIR/made-by-h1, state: directory}
- hosts: h2
  tasks:
    - name: wait
      wait_for: {path: DIR/made-by-h1, timeout: 5}
    - name: get
      uri: {url: "http://127.0.0.1:PORT/health"}
`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode: 'apply' });
    const ev = taskEvents(r.events);
    expect(ev.find((e) => e.task === 'wait')?.status).to.equal('ok');
    // h2 read both in its first batch (before h1 changed anything), and again in its play.
    expect(hits).to.equal(2);
    expect(r.transports.get('h2')!.execCount).to.equal(2);
  });

  it('until on a fact-only task reads its facts again on each retry', async () => {
    write(`
- hosts: h1
  tasks:
    - name: appears
      shell: {cmd: "(sleep 1; mkdir DIR/later) >/dev/null 2>&1 &"}
    - name: stat until
      stat: {path: DIR/later}
      register: st
      until: st.stat.exists
      retries: 10
      delay: 1
`);
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode: 'apply' });
    const ev = taskEvents(r.events).filter((e) => e.task === 'stat until');
    expect(ev.at(-1)?.status).to.equal('ok');
    expect(ev.filter((e) => /until not met/.test(e.message ?? '')).length).to.be.greaterThan(0);
  });

  it('a session: a live fact stands until a change is applied on any session of the run', () => {
    const world = { applied: 0, unapplied: 0 };
    const mk = () => new HostSession({ name: 'h' } as never, {} as never, 'root', new Redactor(), () => {}, 0, world);
    const [a, b] = [mk(), mk()];
    const f = liveFact('test', raw('true'), () => true);
    a.assume(f, true);
    // assume() is not a read: a read records the world it saw (gather); emulate it through missing().
    expect(a.missing([f])).to.have.length(1);
    b.invalidate([]);
    expect(world.applied, 'a read-only change changes nothing').to.equal(0);
    b.invalidate(['file:/x']);
    expect(world.applied).to.equal(1);
    expect(b.mayChange(f)).to.equal(false);
    a.wouldInvalidate(['file:/y']);
    expect(b.mayChange(f), 'check mode: an unapplied change on another host').to.equal(true);
  });
});
