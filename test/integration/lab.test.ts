// The lab itself (issue 3): real, isolated, strictly-keyed hosts; offline apt; host-side
// exec counting; reset; the latency proxy; the lightweight fleet; and a `down` that leaves
// no namespace, mount or process behind, even after a run that was killed.
// The latency and fleet cases use the separate fleet set, so the 3-host lab other test
// files share is not disturbed; the down case restores the lab afterwards if it was up.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import ssh2 from 'ssh2';
import { ensureLab, resetHosts } from './lab-fixture.js';
import { LAB_NET, FLEET_NET, NETNS_PREFIX, STATE_DIR } from '../../src/lab/paths.js';
import { labUp, labDown, labStatus, labFleetStatus, labExecCount, sshArgs, STACK_PACKAGES, type LabStatus, type LabHost } from '../../src/lab/index.js';

const log = (m: string): void => {
  process.stderr.write(`      [lab] ${m}\n`);
};

interface Res {
  code: number;
  out: string;
  err: string;
}

function onHost(lab: LabStatus, h: LabHost, cmd: string, input?: string): Res {
  const args = sshArgs({ host: h.sshHost, port: h.port, knownHosts: lab.knownHosts });
  const r = spawnSync(args[0]!, [...args.slice(1), '--', cmd], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function must(lab: LabStatus, h: LabHost, cmd: string): string {
  const r = onHost(lab, h, cmd);
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: exit ${r.code}\n${r.err}${r.out}`);
  return r.out;
}

function host(lab: LabStatus, name: string): LabHost {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

/** Median ms of `n` execs of `true` on one open connection, and of a line echoed by `cat` on an open channel. */
async function measure(h: LabHost, keyFile: string, n = 15): Promise<{ exec: number; echo: number }> {
  const c = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    c.on('ready', resolve)
      .on('error', reject)
      .connect({ host: h.sshHost, port: h.port, username: 'root', privateKey: readFileSync(keyFile) });
  });
  try {
    const execOnce = (): Promise<void> =>
      new Promise((resolve, reject) =>
        c.exec('true', (e, s) => {
          if (e) return reject(e);
          s.on('close', () => resolve()).on('data', () => {});
          s.stderr.on('data', () => {});
        }),
      );
    const execs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await execOnce();
      execs.push(performance.now() - t);
    }
    const echoes = await new Promise<number[]>((resolve, reject) =>
      c.exec('cat', (e, s) => {
        if (e) return reject(e);
        const got: number[] = [];
        let t = performance.now();
        s.on('data', () => {
          got.push(performance.now() - t);
          if (got.length < n) {
            t = performance.now();
            s.write('x\n');
          } else {
            s.end();
            resolve(got);
          }
        });
        s.write('x\n');
      }),
    );
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { exec: median(execs), echo: median(echoes) };
  } finally {
    c.end();
  }
}

describe('lab', function () {
  this.timeout(900_000);
  let lab: LabStatus;
  let wasRunning = false;

  before(async () => {
    wasRunning = (await labStatus()).running;
    const t = Date.now();
    lab = await ensureLab();
    log(`lab up in ${((Date.now() - t) / 1000).toFixed(1)}s (was ${wasRunning ? 'running' : 'down'})`);
  });

  it('starts lb-01, web-01 and web-02, each running systemd to completion', () => {
    expect(lab.running).to.equal(true);
    expect(lab.hosts.map((h) => h.name)).to.deep.equal(['lb-01', 'web-01', 'web-02']);
    for (const h of lab.hosts) expect(must(lab, h, 'systemctl is-system-running').trim()).to.equal('running');
  });

  it("reaches every host with the inventory's key and known_hosts under StrictHostKeyChecking=yes", () => {
    const inv = parse(readFileSync(lab.inventory, 'utf8')) as {
      all: { vars: Record<string, string>; children: Record<string, { hosts: Record<string, { ansible_host: string; ansible_port: number }> }> };
    };
    const vars = inv.all.vars;
    expect(vars.ansible_user).to.equal('root');
    expect(Object.keys(inv.all.children.loadbalancers!.hosts)).to.deep.equal(['lb-01']);
    expect(Object.keys(inv.all.children.webservers!.hosts)).to.deep.equal(['web-01', 'web-02']);
    for (const [group, g] of Object.entries(inv.all.children)) {
      for (const [name, h] of Object.entries(g.hosts)) {
        // A host in a second group (lb-01 in monitors) keeps its variables under its first.
        if (h.ansible_host === undefined) continue;
        const r = spawnSync(
          'ssh',
          [
            '-o',
            'BatchMode=yes',
            '-o',
            'StrictHostKeyChecking=yes',
            '-o',
            `UserKnownHostsFile=${vars.plumb_known_hosts}`,
            '-o',
            'GlobalKnownHostsFile=/dev/null',
            '-i',
            vars.ansible_ssh_private_key_file!,
            '-p',
            String(h.ansible_port),
            `${vars.ansible_user}@${h.ansible_host}`,
            'hostname',
          ],
          { encoding: 'utf8', timeout: 60_000 },
        );
        expect(r.status, `${group}/${name}: ${r.stderr}`).to.equal(0);
        expect(r.stdout.trim()).to.equal(name);
      }
    }
    // Strictness is real: with an empty known_hosts the same login is refused.
    const h = host(lab, 'web-01');
    const r = spawnSync(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-i',
        lab.keyFile,
        '-p',
        String(h.port),
        `root@${h.sshHost}`,
        'true',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).to.equal(255);
    expect(r.stderr).to.match(/Host key verification failed/);
  });

  it('refuses password logins (key-only sshd)', () => {
    const h = host(lab, 'lb-01');
    const r = spawnSync(
      'ssh',
      [
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        `UserKnownHostsFile=${lab.knownHosts}`,
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'PreferredAuthentications=password,keyboard-interactive',
        '-p',
        String(h.port),
        `root@${h.sshHost}`,
        'true',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).to.equal(255);
    expect(r.stderr).to.match(/Permission denied \(publickey\)/);
  });

  it('isolates the hosts: own filesystem, hostname, address, machine-id and processes', () => {
    const [lb, w1, w2] = [host(lab, 'lb-01'), host(lab, 'web-01'), host(lab, 'web-02')];
    const mark = `/root/isolation-${randomBytes(4).toString('hex')}`;
    must(lab, lb, `echo here > ${mark}`);
    must(lab, lb, 'setsid sleep 300 < /dev/null > /dev/null 2>&1 &');
    expect(must(lab, lb, `cat ${mark}`).trim()).to.equal('here');
    for (const other of [w1, w2]) {
      expect(onHost(lab, other, `test -e ${mark}`).code, other.name).to.equal(1);
      expect(must(lab, other, "pgrep -f -x 'sleep 300' || true").trim(), `${other.name} sees lb-01's process`).to.equal('');
    }
    const facts = [lb, w1, w2].map((h) => must(lab, h, "hostname; ip -4 -o addr show dev eth0 | awk '{print $4}'; cat /etc/machine-id").trim().split('\n'));
    expect(facts.map((f) => f[0])).to.deep.equal(['lb-01', 'web-01', 'web-02']);
    expect(facts.map((f) => f[1])).to.deep.equal([11, 21, 22].map((o) => `${LAB_NET.prefix}.${o}/24`));
    expect(new Set(facts.map((f) => f[2])).size).to.equal(3);
    // They can reach each other by name, but nothing beyond the lab.
    expect(must(lab, w1, 'getent hosts lb-01').trim()).to.match(new RegExp(`^${LAB_NET.prefix.replace(/\./g, '\\.')}\\.11\\s+lb-01$`));
    expect(onHost(lab, w1, 'curl -sS -m 3 http://deb.debian.org/ >/dev/null').code).to.not.equal(0);
    must(lab, lb, `pkill -x -f 'sleep 300' || true; rm -f ${mark}`);
  });

  it('counts execs on the host side and passes stdin, stdout, stderr and exit codes through', () => {
    // Other test files may share this lab concurrently, so count our own marked execs too.
    const h = host(lab, 'web-01');
    const tag = `tag${randomBytes(4).toString('hex')}`;
    const before = labExecCount('web-01');
    const r = onHost(lab, h, `: ${tag}; cat; echo err >&2; exit 7`, 'line1\nline2 with "quotes" and $dollar\n');
    expect(r.code).to.equal(7);
    expect(r.out).to.equal('line1\nline2 with "quotes" and $dollar\n');
    expect(r.err).to.equal('err\n');
    expect(must(lab, h, `: ${tag}; printf 'a\\nb'`)).to.equal('a\nb');
    expect(labExecCount('web-01') - before).to.be.at.least(2);
    const logged = readFileSync(`${h.upperDir}/var/log/plumb-lab-exec.log`, 'utf8')
      .split('\n')
      .filter((l) => l.includes(tag));
    expect(logged).to.have.length(2);
    expect(logged[0]).to.match(new RegExp(`^\\d+\\.\\d+ : ${tag}; cat; echo err >&2; exit 7$`));
  });

  it('runs apt-get update and install offline, from the local repository, with every stack package available', () => {
    const h = host(lab, 'web-02');
    const t = Date.now();
    const up = must(lab, h, 'apt-get update 2>&1');
    expect(up).to.match(/file:\/var\/local\/plumb-debs/);
    expect(Date.now() - t).to.be.below(15_000);
    // --reinstall: other tests may have installed some of them already.
    const sim = must(lab, h, `apt-get install -s --reinstall ${STACK_PACKAGES.join(' ')}`);
    for (const p of ['haproxy', 'nginx', 'mariadb-server', 'gunicorn']) expect(sim).to.match(new RegExp(`^Inst ${p} `, 'm'));
  });

  it('resets a host to a fresh disk, keeping its host keys', async () => {
    const h = host(lab, 'web-02');
    must(lab, h, 'echo dirty > /etc/plumb-dirty');
    await resetHosts(['web-02']);
    expect(onHost(lab, h, 'test -e /etc/plumb-dirty').code).to.equal(1); // strict ssh still works
    expect(must(lab, h, 'systemctl is-system-running').trim()).to.equal('running');
  });

  describe('fleet mode (separate bridge; the 3-host lab keeps running)', () => {
    const N = Number(process.env.PLUMB_LAB_TEST_FLEET ?? 3);
    let fleet: LabStatus;

    it(`starts ${N} lightweight hosts, reachable and isolated`, async () => {
      const t = Date.now();
      fleet = await labUp({ hosts: N }, log);
      log(`fleet of ${N} up in ${((Date.now() - t) / 1000).toFixed(1)}s`);
      expect(fleet.hosts).to.have.length(N);
      expect(readFileSync(fleet.inventory, 'utf8')).to.match(/fleet:/);
      const names = fleet.hosts.map((h) => must(fleet, h, 'hostname').trim());
      expect(names).to.deep.equal(fleet.hosts.map((h) => h.name));
      must(fleet, fleet.hosts[0]!, 'echo a > /root/only-here');
      expect(onHost(fleet, fleet.hosts[1]!, 'test -e /root/only-here').code).to.equal(1);
      const before = labExecCount(fleet.hosts[0]!.name);
      must(fleet, fleet.hosts[0]!, 'true');
      expect(labExecCount(fleet.hosts[0]!.name) - before).to.equal(1);
    });

    it('installs a package offline for real', () => {
      const out = must(
        fleet,
        fleet.hosts[0]!,
        "apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ssl-cert >/dev/null && dpkg-query -W -f='${Status}' ssl-cert",
      );
      expect(out).to.equal('install ok installed');
    });

    it('--latency 50 raises a round trip on an open connection from about 1 ms to about 50 ms', async () => {
      const direct = await measure(fleet.hosts[0]!, fleet.keyFile);
      fleet = await labUp({ hosts: N, latencyMs: 50 }, log);
      expect(fleet.latencyMs).to.equal(50);
      const h = fleet.hosts[0]!;
      expect(h.sshHost).to.equal('127.0.0.1');
      expect(readFileSync(fleet.knownHosts, 'utf8')).to.include(`[127.0.0.1]:${h.port} `);
      expect(must(fleet, h, 'hostname').trim()).to.equal(h.name);
      const slow = await measure(h, fleet.keyFile);
      log(`round trip on an open channel: ${direct.echo.toFixed(1)} ms direct, ${slow.echo.toFixed(1)} ms with --latency 50`);
      log(
        `exec of 'true' on an open connection (channel open + exec + exit): ${direct.exec.toFixed(1)} ms direct, ${slow.exec.toFixed(1)} ms with --latency 50`,
      );
      expect(direct.echo).to.be.below(10);
      expect(slow.echo).to.be.within(48, 75);
      expect(slow.exec - direct.exec).to.be.above(40); // at least one more round trip per exec
      // Back to direct connections: the proxy goes away.
      fleet = await labUp({ hosts: N }, log);
      expect(fleet.hosts[0]!.port).to.equal(22);
    });
  });

  describe('down', () => {
    const netns = (): string[] =>
      spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.startsWith(NETNS_PREFIX));
    const mounts = (): string[] =>
      spawnSync('findmnt', ['-rn', '-o', 'TARGET,FSTYPE'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => /plumb-lab|overlay/.test(l));
    const links = (): string[] =>
      spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => new RegExp(`: (${LAB_NET.bridge}|${FLEET_NET.bridge}|${NETNS_PREFIX.replace('plumb', 'pl')}[^:]+)[:@]`).test(l));
    const alive = (pids: number[]): number[] =>
      pids.filter((p) => existsSync(`/proc/${p}`) && !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${p}/stat`, 'utf8')));
    const labProcs = (): string[] =>
      spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => /systemd-nspawn|sshd -D -e|src\/lab\/proxy\.js/.test(l));
    const statePids = (): number[] => {
      const ids: number[] = [];
      for (const set of ['lab', 'fleet']) {
        try {
          const s = JSON.parse(readFileSync(`${STATE_DIR}/${set}/state.json`, 'utf8')) as { hosts: { proc?: { pid: number } }[]; proxy?: { pid: number } };
          for (const h of s.hosts) if (h.proc) ids.push(h.proc.pid);
          if (s.proxy) ids.push(s.proxy.pid);
        } catch {
          /* no state */
        }
      }
      return ids;
    };

    it('up recovers from a killed run (processes gone; namespaces, bridge and cgroups left behind)', async () => {
      // What the end of a session does: every process killed, kernel objects left.
      for (const pid of statePids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      const cgroupPids = (dir: string): number[] => {
        const out: number[] = [];
        const walk = (d: string): void => {
          if (!existsSync(d)) return;
          for (const l of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n')) if (l) out.push(Number(l));
          for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(`${d}/${e.name}`);
        };
        walk(dir);
        return out;
      };
      for (const pid of [...cgroupPids('/sys/fs/cgroup/systemd/plumb-lab'), ...cgroupPids('/sys/fs/cgroup/systemd/plumb-fleet')]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      expect(netns().length).to.be.above(0);
      expect((await labStatus()).running).to.equal(false);
      const t = Date.now();
      lab = await ensureLab();
      log(`up after a killed run in ${((Date.now() - t) / 1000).toFixed(1)}s`);
      expect(lab.running).to.equal(true);
      expect(must(lab, host(lab, 'lb-01'), 'systemctl is-system-running').trim()).to.equal('running');
    });

    it('removes every namespace, mount, veth, bridge and process it created', async () => {
      const pids = statePids();
      expect(pids.length).to.be.above(0);
      await labDown(log);
      expect(netns()).to.deep.equal([]);
      expect(mounts()).to.deep.equal([]);
      expect(links()).to.deep.equal([]);
      expect(alive(pids)).to.deep.equal([]);
      expect(labProcs()).to.deep.equal([]);
      for (const d of ['systemd', 'unified']) {
        expect(existsSync(`/sys/fs/cgroup/${d}/plumb-lab`)).to.equal(false);
        expect(existsSync(`/sys/fs/cgroup/${d}/plumb-fleet`)).to.equal(false);
      }
      expect((await labStatus()).running).to.equal(false);
      expect((await labFleetStatus()).hosts).to.deep.equal([]);
    });

    after(async () => {
      // Leave the machine as we found it: other test files share the lab.
      if (wasRunning) await ensureLab();
    });
  });
});
