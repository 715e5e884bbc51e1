// The apply lock's shell steps, run for real through the local transport (its state folder
// stands in for /var/lib/plumb), and the lock phase's queueing against fake sessions.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostLocked, holderGone, lockHosts, lockOwner, parseLock, releaseLock, takeLock, type LockOwner, type LockSession } from '../../../src/engine/lock.js';
import { commandLine } from '../../../src/engine/session.js';
import { raw, script, type Shell } from '../../../src/sh.js';
import { LocalTransport, loadProject, runLocal, STATE_DIR, taskEvents } from '../../fixtures/local-transport.js';
import { removeTree, tree } from '../../fixtures/tree.js';

const LOCK = join(STATE_DIR, 'apply.lock');
const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const startOf = (pid: number): string => {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(') ') + 2).split(' ')[19]!;
};

async function run(s: Shell): Promise<{ code: number; stdout: string }> {
  return new LocalTransport('h').exec(commandLine(s, false, 'root'));
}

/** A record as another run would have written it, held by process `pid`. */
function recordOf(pid: number, start: string, other: LockOwner): string {
  return `${bootId} ${pid} ${start} run=${other.run} host=${other.host} user=${other.user} pid=${other.pid} since=${other.since} boot=${other.boot} start=${other.start}\n`;
}

describe('engine/lock', function () {
  this.timeout(30_000);
  const me = lockOwner();
  const other: LockOwner = { ...lockOwner(), run: 'feedf00d', host: 'ci-runner', user: 'alice', pid: 4242, since: '2026-12-01T10:00:00Z' };
  let holder: ChildProcess | undefined;
  const liveHolder = async (): Promise<number> => {
    holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 50));
    return holder.pid!;
  };
  afterEach(() => {
    holder?.kill();
    holder = undefined;
    rmSync(LOCK, { force: true });
  });

  it('a free lock is taken: the record names the holder (session process) and this run', async () => {
    rmSync(LOCK, { force: true });
    const r = await run(script(takeLock(me, 'n1', 0), raw('echo facts')));
    expect(r.code).to.equal(0);
    expect(parseLock(r.stdout, 'n1')).to.deep.equal({ status: 'taken', waitedS: 0 });
    expect(r.stdout).to.match(/\nfacts\n$/);
    const rec = readFileSync(LOCK, 'utf8').trim().split(' ');
    expect(rec[0]).to.equal(bootId);
    expect(Number(rec[1])).to.be.greaterThan(1);
    expect(rec.slice(3)).to.include.members([`run=${me.run}`, `user=${me.user}`, `pid=${process.pid}`, `host=${me.host}`]);
  });

  it('a lock held by a live process is not taken: the holder is named, and nothing after the step runs (exit 75)', async () => {
    const pid = await liveHolder();
    writeFileSync(LOCK, recordOf(pid, startOf(pid), other));
    const r = await run(script(takeLock(me, 'n2', 0), raw('echo facts')));
    expect(r.code).to.equal(75);
    expect(r.stdout).not.to.include('facts');
    const got = parseLock(r.stdout, 'n2');
    expect(got).to.deep.include({ status: 'held', waitedS: 0 });
    expect(got?.status === 'held' && got.holder).to.include({ run: 'feedf00d', host: 'ci-runner', user: 'alice', pid: '4242', since: '2026-12-01T10:00:00Z' });
    const e = new HostLocked('web-01', got?.status === 'held' ? got.holder : {}, 0);
    expect(e.message.split('\n')[0]).to.equal('web-01 is locked by another apply: run feedf00d of alice@ci-runner, pid 4242, started 2026-12-01T10:00:00Z');
    expect(e.message.split('\n')[1]).to.match(/^ {2}hint: let it finish, or wait longer with --lock-timeout/);
  });

  for (const [name, rec] of [
    ['its process is gone', () => recordOf(999_999, '1', other)],
    ['its PID now belongs to another process (other start time)', () => recordOf(process.pid, '1', other)],
    ['it was written before a reboot (other boot id)', () => recordOf(process.pid, startOf(process.pid), other).replace(bootId, '00000000-dead')],
    ['it is empty (released)', () => ''],
  ] as const) {
    it(`a lock is free when ${name}`, async () => {
      writeFileSync(LOCK, rec());
      const r = await run(takeLock(me, 'n3', 0));
      expect(parseLock(r.stdout, 'n3')?.status).to.equal('taken');
      expect(readFileSync(LOCK, 'utf8')).to.include(`run=${me.run}`);
    });
  }

  it('a live holder named as dead by the controller (steal) is taken over', async () => {
    const pid = await liveHolder();
    writeFileSync(LOCK, recordOf(pid, startOf(pid), other));
    const r = await run(takeLock(me, 'n4', 0, 'feedf00d'));
    expect(parseLock(r.stdout, 'n4')?.status).to.equal('taken');
  });

  it('waits up to waitS, polling each second: taken once the holder ends', async () => {
    const pid = await liveHolder();
    writeFileSync(LOCK, recordOf(pid, startOf(pid), other));
    setTimeout(() => holder?.kill(), 1_200);
    const t0 = Date.now();
    const r = await run(takeLock(me, 'n5', 5));
    const got = parseLock(r.stdout, 'n5');
    expect(got?.status).to.equal('taken');
    expect(got?.waitedS).to.be.within(1, 3);
    expect(Date.now() - t0).to.be.below(4_500);
  });

  it('release clears only a record of this run', async () => {
    writeFileSync(LOCK, recordOf(process.pid, startOf(process.pid), other));
    await run(releaseLock(me));
    expect(readFileSync(LOCK, 'utf8')).to.include('run=feedf00d');
    await run(takeLock(me, 'n6', 0, 'feedf00d'));
    await run(releaseLock(me));
    expect(readFileSync(LOCK, 'utf8')).to.equal('');
  });

  it('holderGone: only a holder from this controller whose process is gone (or another process now)', () => {
    expect(holderGone({ ...me, pid: String(process.pid) }, me)).to.equal(false);
    expect(holderGone({ host: me.host, boot: me.boot, pid: '999999', start: '1' }, me)).to.equal(true);
    expect(holderGone({ host: me.host, boot: me.boot, pid: String(process.pid), start: '1' }, me)).to.equal(true);
    expect(holderGone({ host: 'elsewhere', boot: me.boot, pid: '999999', start: '1' }, me)).to.equal(false);
    expect(holderGone({ host: me.host, boot: 'another-boot', pid: '999999', start: '1' }, me)).to.equal(false);
  });

  describe('lockHosts', () => {
    /** Fake sessions: `heldBy` says which hosts another run holds, until it gives them up. */
    function fakes(heldBy: Map<string, string>) {
      const log: string[] = [];
      const sessions = new Map<string, LockSession & { name: string }>();
      const take = (name: string, s: LockSession) => {
        const by = heldBy.get(name);
        if (by && by !== s.lock?.steal) {
          log.push(`held ${name}`);
          throw new HostLocked(name, { run: by, host: 'elsewhere', pid: '7' }, s.lock?.waitS ?? 0);
        }
        log.push(`take ${name}${s.lock?.waitS ? ` wait=${s.lock.waitS}` : ''}`);
        s.lock = undefined;
        s.locked = { become: true };
      };
      for (const name of ['web-02', 'lb-01', 'web-01']) {
        const s: LockSession & { name: string } = {
          name,
          gather: async () => take(name, s),
          run: async () => {
            log.push(`release ${name}`);
          },
          invalidate: () => log.push(`stale ${name}`),
        };
        sessions.set(name, s);
      }
      return { log, sessions };
    }
    const phase = (f: ReturnType<typeof fakes>, waitS: number) =>
      lockHosts({
        hosts: [...f.sessions.keys()],
        owner: me,
        waitS,
        session: async (n) => f.sessions.get(n)!,
        first: (_n, s) => s.gather([], true),
        become: () => true,
        pool: async (items, fn) => {
          for (const i of items) await fn(i);
        },
      });

    it('every host free: one attempt each, nothing queued', async () => {
      const f = fakes(new Map());
      expect(await phase(f, 10)).to.deep.equal({ held: [], queued: false });
      expect(f.log).to.deep.equal(['take web-02', 'take lb-01', 'take web-01']);
    });

    it('a host held, --lock-timeout 0: stop, naming it; the hosts taken are not released (the run ends, and its connections with it)', async () => {
      const f = fakes(new Map([['lb-01', 'other']]));
      const r = await phase(f, 0);
      expect(r.held.map((e) => e.host)).to.deep.equal(['lb-01']);
      expect(f.log).to.deep.equal(['take web-02', 'held lb-01', 'take web-01']);
    });

    it('a host held with time to wait: give back what was taken, then take every host in name order', async () => {
      const held = new Map([['lb-01', 'other']]);
      const f = fakes(held);
      const s = f.sessions.get('web-02')!;
      const release = s.run.bind(s);
      s.run = async (...a) => {
        held.clear(); // the other run gives up meanwhile
        return release(...a);
      };
      const r = await phase(f, 10);
      expect(r).to.deep.equal({ held: [], queued: true });
      expect(f.log).to.deep.equal([
        'take web-02',
        'held lb-01',
        'take web-01',
        'release web-02',
        'release web-01',
        'stale web-02',
        'stale lb-01',
        'stale web-01',
        'take lb-01 wait=10',
        'take web-01 wait=10',
        'take web-02 wait=10',
      ]);
    });

    it('queued behind a holder that stays: stops at the first host still held, after releasing its own', async () => {
      const held = new Map([['web-01', 'other']]);
      const f = fakes(held);
      const r = await phase(f, 10);
      expect(r.queued).to.equal(true);
      expect(r.held.map((e) => e.host)).to.deep.equal(['web-01']);
      expect(f.log).to.deep.equal([
        'take web-02',
        'take lb-01',
        'held web-01',
        'release web-02',
        'release lb-01',
        'stale web-02',
        'stale lb-01',
        'stale web-01',
        'take lb-01 wait=10',
        'held web-01',
      ]);
    });
  });

  describe('in a run (local transport)', () => {
    let dir: string;
    before(() => {
      dir = tree({
        'inventory.yml': 'all:\n  hosts:\n    h1:\n    h2:\n',
        'playbooks/site.yml': '- hosts: all\n  tasks:\n    - name: say\n      command: "true"\n      when: false\n',
      });
    });
    after(() => removeTree(dir));

    it('apply with the lock: still ONE exec per host, the record written; check leaves it alone', async () => {
      rmSync(LOCK, { force: true });
      const { inv, book } = loadProject(dir);
      const owner = lockOwner();
      const r = await runLocal(inv, book, { lock: { waitS: 0, owner } });
      expect(r.result.exitCode, r.lines).to.equal(0);
      for (const t of r.transports.values()) expect(t.execCount).to.equal(1);
      expect(readFileSync(LOCK, 'utf8')).to.include(`run=${owner.run}`);
      rmSync(LOCK);
      const c = await runLocal(inv, book, { mode: 'check' });
      expect(c.result.exitCode).to.equal(0);
      expect(existsSync(LOCK)).to.equal(false);
      expect(c.transports.get('h1')!.commands.join('\n')).not.to.include('apply.lock');
    });

    it('hosts held by a live run: the run stops before any change, every host reported, the recap out, exit 1', async () => {
      const pid = await liveHolder();
      writeFileSync(LOCK, recordOf(pid, startOf(pid), other)); // both local "hosts" share this state folder
      const { inv, book } = loadProject(dir);
      const r = await runLocal(inv, book, { lock: { waitS: 0 } });
      expect(r.result.exitCode).to.equal(1);
      const ev = taskEvents(r.events);
      expect(ev.map((e) => `${e.host} ${e.task} ${e.status}`).sort()).to.deep.equal(['h1 lock failed', 'h2 lock failed']);
      expect(ev[0]!.message).to.match(/is locked by another apply: run feedf00d of alice@ci-runner, pid 4242, started 2026-12-01T10:00:00Z\n {2}hint: /);
      expect(r.result.hosts.h1).to.include({ failed: 1, changed: 0 });
      expect(r.events.filter((e) => e.type === 'play')).to.deep.equal([]);
      expect(r.events.at(-1)?.type).to.equal('recap');
      for (const t of r.transports.values()) expect(t.execCount).to.equal(1);
    });
  });
});
