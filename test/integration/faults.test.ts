// Faults on the lab (issue 10, acceptance 2 and 3): a host's link cut while one of its
// commands runs, and two applies on the same hosts at once. The hosts are left as found:
// the link is restored and the test's files removed, the stack converged.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureLab } from './lab-fixture.js';
import { sshArgs, type LabStatus } from '../../src/lab/index.js';
import { NETNS_PREFIX } from '../../src/lab/paths.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = resolve(import.meta.dirname, '../../src/cli/main.js');
const SITE = resolve(ROOT, 'playbooks/site.yml');
const HOSTS = ['lb-01', 'web-01', 'web-02'] as const;
type HostName = (typeof HOSTS)[number];
const CUT = 'web-01';
const NETNS = `${NETNS_PREFIX}${CUT}`;
const DIR = '/var/tmp/plumb-faults';

type Event = Record<string, unknown> & { type: string };
interface Run {
  code: number;
  stdout: string;
  stderr: string;
  events: Event[];
  /** When each NDJSON event arrived (ms since the epoch). */
  at: number[];
  started: number;
  ended: number;
  pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** plumb, as a child process, with --json; resolves when it exits. */
function plumb(args: string[], onSpawn?: (c: ChildProcess) => void): Promise<Run> {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    const events: Event[] = [];
    const at: number[] = [];
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      partial += c.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (!line.trim()) continue;
        events.push(JSON.parse(line) as Event); // every line of --json is one JSON event
        at.push(Date.now());
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      done({ code: code ?? (signal ? 128 : -1), stdout, stderr, events, at, started, ended: Date.now(), pid: child.pid ?? 0 });
    });
  });
}

const tasks = (r: Run): Event[] => r.events.filter((e) => e.type === 'task');
const recapOf = (r: Run): Record<string, Record<string, unknown>> => {
  const e = r.events.find((x) => x.type === 'recap');
  if (!e) throw new Error(`no recap (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return e.hosts as Record<string, Record<string, unknown>>;
};
const problems = (r: Run): string =>
  tasks(r)
    .filter((e) => e.status === 'failed' || e.status === 'unreachable')
    .map((e) => `${String(e.host)} / ${String(e.task)}: ${String(e.message)}`)
    .join('\n') || r.stderr.slice(-3000);
const changed = (r: Run): string[] =>
  tasks(r)
    .filter((e) => e.status === 'changed')
    .map((e) => `${String(e.host)}: ${String(e.task)}`);

describe('faults on the lab (issue 10)', function () {
  this.timeout(900_000);
  let lab: LabStatus;
  let project: string;

  const onHost = (h: HostName, cmd: string, allowFail = false): { code: number; out: string } => {
    const x = lab.hosts.find((y) => y.name === h)!;
    const args = sshArgs({ host: x.sshHost ?? x.address, port: x.port, knownHosts: lab.knownHosts });
    const r = spawnSync(args[0]!, [...args.slice(1), '-o', 'ConnectTimeout=5', '--', cmd], { encoding: 'utf8', timeout: 30_000 });
    const res = { code: r.status ?? -1, out: r.stdout ?? '' };
    if (!allowFail && res.code !== 0) throw new Error(`${h}: ${cmd}: exit ${res.code}\n${r.stderr}${res.out}`);
    return res;
  };
  const link = (state: 'up' | 'down') => {
    const r = spawnSync('ip', ['-n', NETNS, 'link', 'set', 'eth0', state], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip -n ${NETNS} link set eth0 ${state}: ${r.stderr}`);
  };
  const until = async (what: string, ok: () => boolean, ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };
  const lockedBy = (pid: number) => () => HOSTS.every((h) => onHost(h, 'cat /var/lib/plumb/apply.lock 2>/dev/null || true', true).out.includes(` pid=${pid} `));

  before(async () => {
    lab = await ensureLab();
    project = mkdtempSync(join(tmpdir(), 'plumb-faults-'));
    mkdirSync(join(project, 'playbooks'));
    writeFileSync(
      join(project, 'playbooks/faults.yml'),
      [
        '- name: before',
        '  hosts: all',
        '  tasks:',
        `    - { name: state dir, file: { path: ${DIR}, state: directory, mode: "0755" } }`,
        '- name: long',
        '  hosts: all',
        '  tasks:',
        '    - name: long command',
        `      shell: { cmd: "sleep {{ nap }} && touch ${DIR}/slept", creates: ${DIR}/slept }`,
        `      when: inventory_hostname == '${CUT}'`,
        '    - name: capped command',
        '      shell: "sleep 30"',
        "      when: inventory_hostname == 'web-02' && cap",
        '      timeout: 2',
        '      ignore_errors: true',
        '- name: after',
        '  hosts: all',
        '  tasks:',
        `    - { name: marker, copy: { dest: ${DIR}/after, content: "done\\n", mode: "0644" } }`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(project, 'playbooks/hold.yml'), ['- hosts: all', '  tasks:', '    - command: "sleep {{ hold }}"', ''].join('\n'));
  });
  after(() => {
    spawnSync('ip', ['-n', NETNS, 'link', 'set', 'eth0', 'up']);
    for (const h of HOSTS) onHost(h, `rm -rf ${DIR}`, true);
    rmSync(project, { recursive: true, force: true });
  });

  describe('2. a link cut during a long command', () => {
    it('that host is UNREACHABLE within the keepalive bound; the others finish every play; recap and NDJSON complete; exit 1', async () => {
      for (const h of HOSTS) onHost(h, `rm -rf ${DIR}`);
      const keepalive = 1; // bound: (3 + 1) keepalives = 4 s
      let cutAt = 0;
      // A length of its own, so an earlier run's sleep (orphaned on the host by its cut) is not taken for this one's.
      const nap = 60 + (Date.now() % 1000);
      const running = plumb([
        'apply',
        join(project, 'playbooks/faults.yml'),
        '-i',
        lab.inventory,
        '--keepalive',
        String(keepalive),
        '-e',
        JSON.stringify({ nap, cap: true }),
      ]);
      await until(`sleep ${nap} on ${CUT}`, () => onHost(CUT, `ps -C sleep -o args= | grep -qx 'sleep ${nap}'`, true).code === 0, 60_000);
      link('down');
      cutAt = Date.now();
      const r = await running;
      link('up');
      // The cut left that command running on the host (as a cut link does): end it, by PID, once reachable.
      await until(`${CUT} answers ssh again`, () => onHost(CUT, 'true', true).code === 0, 60_000);
      onHost(CUT, `ps -C sleep -o pid=,args= | awk '$3 == "${nap}" { print $1 }' | xargs -r kill`);

      expect(r.code, problems(r)).to.equal(1);
      const i = r.events.findIndex((e) => e.type === 'task' && e.host === CUT && e.status === 'unreachable');
      expect(i, `no UNREACHABLE for ${CUT}:\n${r.stdout}`).to.be.at.least(0);
      const ev = r.events[i]!;
      expect(String(ev.message)).to.match(/connection lost: the host stopped answering \(3 keepalives 1 s apart went unanswered\)/);
      const detectedMs = r.at[i]! - cutAt;
      process.stderr.write(`      faults timings: ${JSON.stringify({ unreachableAfterCutMs: detectedMs, runEndAfterCutMs: r.ended - cutAt })}\n`);
      expect(detectedMs, 'detected after').to.be.within(2_000, 12_000);
      expect(r.ended - cutAt, 'the run ends soon after').to.be.below(20_000);

      // The others ran every play to the end, web-02's capped command timed out on its host.
      for (const h of ['lb-01', 'web-02'])
        expect(
          tasks(r).some((e) => e.host === h && e.task === 'marker' && e.status === 'changed'),
          `${h} finished`,
        ).to.equal(true);
      const capped = tasks(r).find((e) => e.host === 'web-02' && e.task === 'capped command');
      expect(capped?.status).to.equal('failed');
      expect(String(capped?.message)).to.match(/^timed out after 2 s \(the command was stopped on the host\)/);
      expect(onHost('web-02', "ps -C sleep -o args= | grep -x 'sleep 30' || true").out.trim(), 'the capped sleep was stopped').to.equal('');
      expect(
        tasks(r).some((e) => e.host === CUT && e.task === 'marker'),
        `${CUT} stopped at the cut`,
      ).to.equal(false);

      // NDJSON: every line one event (parsed above), the recap last, covering every host.
      expect(r.events.at(-1)?.type).to.equal('recap');
      const recap = recapOf(r);
      expect(Object.keys(recap).sort()).to.deep.equal([...HOSTS].sort());
      expect(recap[CUT]).to.include({ unreachable: true });
      for (const h of ['lb-01', 'web-02']) expect(recap[h]).to.include({ unreachable: false, failed: 0 });
      expect(r.stderr).not.to.match(/Unhandled|internal error/);
    });

    it("with the link back, a re-run converges (the cut run's lock is no obstacle) and check is clean", async () => {
      const again = await plumb(['apply', join(project, 'playbooks/faults.yml'), '-i', lab.inventory, '--lock-timeout', '0', '-e', '{"nap": 1, "cap": false}']);
      expect(again.code, problems(again)).to.equal(0);
      expect(changed(again).sort()).to.deep.equal([`${CUT}: long command`, `${CUT}: marker`]);
      const check = await plumb(['check', join(project, 'playbooks/faults.yml'), '-i', lab.inventory, '-e', '{"nap": 1, "cap": false}']);
      expect(check.code, problems(check) + changed(check).join('\n')).to.equal(0);
    });
  });

  describe('3. two applies on the same hosts', () => {
    const site = (...flags: string[]) => ['apply', SITE, '-i', lab.inventory, ...flags];
    const check = async () => {
      const c = await plumb(['check', SITE, '-i', lab.inventory]);
      expect(c.code, problems(c) + changed(c).join('\n')).to.equal(0);
    };
    const lockFailures = (r: Run) => tasks(r).filter((e) => e.task === 'lock' && e.status === 'failed');

    before(async () => {
      const r = await plumb(site()); // converge (a cold install when the hosts are fresh)
      expect(r.code, problems(r)).to.equal(0);
    });

    it('started together on drifted hosts: exactly one applies, the other waits or stops naming the holder; check exits 0', async () => {
      onHost('web-01', "printf '# hand edit\\n' >> /etc/nginx/sites-available/foobar");
      onHost('web-02', "printf '# hand edit\\n' >> /etc/nginx/sites-available/foobar");
      onHost('lb-01', 'systemctl stop haproxy');
      const [a, b] = await Promise.all([plumb(site()), plumb(site())]);
      const appliers = [a, b].filter((r) => changed(r).length > 0);
      expect(appliers, `changed: A ${changed(a).join(', ')} | B ${changed(b).join(', ')}`).to.have.length(1);
      const winner = appliers[0]!;
      const other = winner === a ? b : a;
      expect(winner.code, problems(winner)).to.equal(0);
      expect(changed(winner)).to.include.members(['web-01: Site', 'web-02: Site', 'lb-01: HAProxy running at boot']);
      if (other.code !== 0) {
        expect(other.code).to.equal(1);
        const locked = lockFailures(other);
        expect(locked.length, problems(other)).to.be.at.least(1);
        for (const e of locked)
          expect(String(e.message)).to.match(new RegExp(`is locked by another apply: run [0-9a-f]+ of \\S+@\\S+, pid ${winner.pid}, started `));
      } else {
        expect(other.ended, 'the waiting run ended after the winner').to.be.at.least(winner.ended - 1_000);
      }
      expect(onHost('web-01', 'grep -c "# hand edit" /etc/nginx/sites-available/foobar || true').out.trim()).to.equal('0');
      expect(onHost('lb-01', 'systemctl is-active haproxy', true).out.trim()).to.equal('active');
      await check();
    });

    it('a run in progress: check runs beside it (no lock); --lock-timeout 0 stops at once naming it, changing nothing; a longer timeout waits, then runs', async () => {
      let holdPid = 0;
      const holding = plumb(['apply', join(project, 'playbooks/hold.yml'), '-i', lab.inventory, '-e', 'hold=12'], (c) => (holdPid = c.pid ?? 0));
      await until('the holder to lock every host', lockedBy(holdPid), 20_000);
      // check takes no lock: it reads the hosts while the apply holds them, and does not wait.
      const reading = await plumb(['check', SITE, '-i', lab.inventory]);
      expect(reading.code, problems(reading) + changed(reading).join('\n')).to.equal(0);
      expect(lockFailures(reading)).to.deep.equal([]);
      expect(lockedBy(holdPid)(), 'the apply still holds every host when check is done').to.equal(true);
      const fast = await plumb(site('--lock-timeout', '0'));
      expect(fast.code).to.equal(1);
      expect(fast.ended - fast.started, 'fails fast').to.be.below(8_000);
      expect(changed(fast)).to.deep.equal([]);
      const locked = lockFailures(fast);
      expect(locked.map((e) => e.host).sort()).to.deep.equal([...HOSTS].sort());
      for (const e of locked)
        expect(String(e.message)).to.match(
          new RegExp(`^${String(e.host)} is locked by another apply: run [0-9a-f]+ of \\S+@\\S+, pid ${holdPid}, started \\d{4}-\\d\\d-\\d\\dT`),
        );
      expect(recapOf(fast)['web-01']).to.include({ failed: 1, changed: 0 });

      const patient = await plumb(site('--lock-timeout', '60'));
      const held = await holding;
      expect(held.code, problems(held)).to.equal(0);
      expect(patient.code, problems(patient)).to.equal(0);
      expect(patient.ended).to.be.at.least(held.ended);
      expect(changed(patient)).to.deep.equal([]);
      await check();
    });

    it("a lock left by a kill -9'd run does not block the next run", async () => {
      let holdPid = 0;
      let child: ChildProcess | undefined;
      const hold = 20 + (Date.now() % 1000);
      const holding = plumb(['apply', join(project, 'playbooks/hold.yml'), '-i', lab.inventory, '-e', `hold=${hold}`], (c) => {
        child = c;
        holdPid = c.pid ?? 0;
      });
      await until('the holder to lock every host', lockedBy(holdPid), 20_000);
      child!.kill('SIGKILL');
      const killed = await holding;
      expect(killed.code).to.equal(128);
      const next = await plumb(site('--lock-timeout', '0'));
      expect(next.code, problems(next)).to.equal(0);
      expect(lockFailures(next)).to.deep.equal([]);
      expect(next.ended - next.started).to.be.below(15_000);
      await check();
      // The killed run's command is still running on the hosts (nothing stops it): end it, by PID.
      for (const h of HOSTS) onHost(h, `ps -C sleep -o pid=,args= | awk '$3 == "${hold}" { print $1 }' | xargs -r kill`);
    });
  });
});
