// The executor's controller-side step (Change.local), through fetch on the local transport:
// apply writes dest/<host>/<src> atomically, a second run is ok without transferring, check
// mode writes nothing, and an input `..` in dest is refused before anything runs.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject, runLocal, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

describe('engine: controller-side writes (fetch)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tree({ 'inventory.yml': 'all:\n  hosts:\n    h1:\n', 'host/app.conf': 'a=1\n' }, 'plumb-fetch-');
  });
  afterEach(() => removeTree(dir));
  const write = (task: string) => {
    mkdirSync(join(dir, 'playbooks'), { recursive: true });
    writeFileSync(join(dir, 'playbooks', 'site.yml'), `- hosts: all\n  tasks:\n    - name: f\n      ${task.replace(/DIR/g, dir)}\n      register: r\n`);
  };
  const status = async (mode: 'apply' | 'check') => {
    const { inv, book } = loadProject(dir);
    const r = await runLocal(inv, book, { mode, diff: false });
    return taskEvents(r.events).find((e) => e.task === 'f');
  };

  it('check writes nothing; apply writes under dest/<host>; the next run is ok', async () => {
    write('fetch: {src: DIR/host/app.conf, dest: out}');
    const local = join(dir, 'out/h1', dir, 'host/app.conf');
    expect((await status('check'))?.status).to.equal('changed');
    expect(existsSync(join(dir, 'out'))).to.equal(false);
    expect((await status('apply'))?.status).to.equal('changed');
    expect(readFileSync(local, 'utf8')).to.equal('a=1\n');
    expect((await status('apply'))?.status).to.equal('ok');
    writeFileSync(join(dir, 'host/app.conf'), 'a=2\n');
    expect((await status('check'))?.status).to.equal('changed');
    expect(readFileSync(local, 'utf8')).to.equal('a=1\n');
  });

  it('flat: yes with a directory dest writes the basename', async () => {
    write('fetch: {src: DIR/host/app.conf, dest: flat/, flat: true}');
    expect((await status('apply'))?.status).to.equal('changed');
    expect(readFileSync(join(dir, 'flat/app.conf'), 'utf8')).to.equal('a=1\n');
  });

  it('a missing src fails, or is ok with fail_on_missing: false', async () => {
    write('fetch: {src: DIR/host/none, dest: out}');
    expect((await status('apply'))?.status).to.equal('failed');
    write('fetch: {src: DIR/host/none, dest: out, fail_on_missing: false}');
    expect((await status('apply'))?.status).to.equal('ok');
  });
});
