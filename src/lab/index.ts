// The lab: real Debian 12 (or, with --release 13, Debian 13) hosts on this machine, for the demo, the integration tests and
// the benchmarks. plumb has no lab-specific branch: to it these are ordinary SSH hosts.
//
// - Image (rootfs.ts): debootstrap minbase + BASE_PACKAGES, built once into
//   /var/cache/plumb-lab/rootfs-<recipe hash> (temp dir + rename, so a killed build never
//   counts), with STACK_PACKAGES and all their dependencies in a trusted local apt repo
//   (/var/local/plumb-debs); sources.list points only there, so apt works offline.
// - Hosts (nspawn.ts): lb-01 .11, web-01 .21, web-02 .22 on bridge plumb0, 10.231.7.0/24
//   (machine .1; no route out, no NAT, no DNS). Each: netns plumb-NAME + veth pl-NAME,
//   overlay root (lower = cached image, upper/work in /var/lib/plumb-lab/lab/hosts/NAME),
//   systemd under systemd-nspawn started from its own cgroups (cgroup.ts). The overlay is
//   mounted inside the launcher's private mount namespace, so it vanishes with the host.
// - --ha: also lb-02 .12 (the load balancer pair, docs/stack.md), the floating address .10 and
//   one self-signed certificate made once (cert.ts), passed to both in the inventory.
// - SSH (keys.ts, seed.ts, execlog.ts): client key /var/lib/plumb-lab/id_ed25519; host keys
//   kept per host across reset; key-only root login; a ForceCommand wrapper logs every exec
//   to the host's /var/log/plumb-lab-exec.log, which labExecCount() reads from the upper dir.
// - Outputs: inventory/lab.yml (connection vars only) and a known_hosts with the real keys.
// - --latency MS (proxy.ts): a detached Node TCP proxy on 127.0.0.1:22000+octet delays each
//   chunk MS/2 per direction; the inventory then points at it.
// - --hosts N (fleet.ts): up to 100 sshd-only hosts h001.. on plumbf0, 10.231.8.101+,
//   inventory/lab-fleet.yml. It runs beside the 3-host lab.
// - State (state.ts) in /var/lib/plumb-lab/{lab,fleet}/state.json: PIDs with start times.
//   `up` reuses healthy hosts and cleans leftovers of killed runs; `down` removes processes,
//   namespaces, veths, bridges, cgroups, the FORWARD rule (only added if policy is not
//   ACCEPT) and the inventory, but keeps hosts' disks (like powering off) unless purge.
//   One lab operation at a time per machine (lock.ts).
// Nothing here prints: progress goes to onProgress; only src/cli prints.
import path from 'node:path';
import { LAB_NET, FLEET_NET, LAB_HOSTS, LAB_HA_HOSTS, LAB_VIP, fleetHosts, MAX_FLEET, CLIENT_KEY, type Network, type HostSpec } from './paths.js';
import { ensureRootfs, imageOf, RELEASES, defaultRelease, type Release } from './rootfs.js';
import { upSet, downSet, resetHosts, endpoint, type SetSpec, type Progress } from './hostset.js';
import { loadState, type SetState } from './state.js';
import { withLabLock } from './lock.js';
import { isRunning } from './proc.js';
import { countExecs } from './execlog.js';
import { layout } from './layout.js';
import { checkTools, LabError } from './run.js';
import { existsSync, readFileSync, promises as fsp } from 'node:fs';
import { ensureSiteCert } from './cert.js';

export { STACK_PACKAGES } from './packages.js';
export { sshArgs } from './ssh.js';
export { LabError } from './run.js';

export interface LabOptions {
  /** Lightweight fleet mode (sshd only, no systemd) with this many hosts, up to 100. */
  hosts?: number;
  /** Added round-trip time in ms, through a userspace proxy (no netem on this kernel). */
  latencyMs?: number;
  /** Debian release of the hosts: 12 (bookworm) or 13 (trixie); default PLUMB_LAB_RELEASE, else 12. Hosts of another release are recreated. */
  release?: string;
  /** The HA lab: lb-01, lb-02, web-01, web-02 (the load balancer pair of docs/stack.md). */
  ha?: boolean;
}

export interface LabHost {
  name: string;
  address: string;
  /** SSH port to use: 22, or the proxy's port when latency is on. */
  port: number;
  /** Address to connect to: the host's, or 127.0.0.1 (the proxy) when latency is on. */
  sshHost: string;
  upperDir: string;
}

export interface LabStatus {
  running: boolean;
  hosts: LabHost[];
  inventory: string;
  keyFile: string;
  knownHosts: string;
  latencyMs: number;
  /** Debian release of the running image (from its /etc/debian_version), when known. */
  release?: string;
}

function releaseOf(rootfs: string | undefined): string | undefined {
  if (!rootfs) return undefined;
  try {
    return readFileSync(path.join(rootfs, 'etc', 'debian_version'), 'utf8')
      .trim()
      .split('.')[0];
  } catch {
    return undefined;
  }
}

const quiet: Progress = () => {};

function specFor(net: Network, hosts: HostSpec[], latencyMs: number, rootfs: string, pair?: SetSpec['pair']): SetSpec {
  return { net, hosts, full: net.kind === 'lab', latencyMs, rootfs, image: imageOf(rootfs), pair };
}

/** The HA lab's pair: the floating address and one self-signed certificate, made once (cert.ts). */
async function labPair(): Promise<SetSpec['pair']> {
  await fsp.mkdir(LAB_NET.dir, { recursive: true });
  return { vip: LAB_VIP, certFile: await ensureSiteCert(path.join(LAB_NET.dir, 'site.pem'), 'www.foobar.com') };
}

function toStatus(net: Network, state: SetState | undefined): LabStatus {
  const hosts = (state?.hosts ?? []).map((h) => ({
    name: h.name,
    address: h.address,
    ...endpoint(net, state!, h),
    upperDir: layout({ ...h, netns: '', veth: '', dir: path.join(net.dir, 'hosts', h.name) }).upper,
  }));
  return {
    running: state !== undefined && state.hosts.length > 0 && state.hosts.every((h) => isRunning(h.proc)),
    hosts,
    inventory: net.inventory,
    keyFile: CLIENT_KEY,
    knownHosts: net.knownHosts,
    latencyMs: state?.latencyMs ?? 0,
    release: releaseOf(state?.rootfs),
  };
}

/**
 * Bring the lab (or, with `hosts`, the fleet) up, reusing whatever is already running and
 * healthy. Resolves when every host answers ssh with strict host-key checking and (full
 * hosts) systemd has finished booting.
 */
export async function labUp(opts: LabOptions = {}, onProgress: Progress = quiet): Promise<LabStatus> {
  const latencyMs = opts.latencyMs ?? 0;
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 10_000) throw new LabError(`--latency must be 0..10000 ms, got ${opts.latencyMs}`);
  let net = LAB_NET;
  let hosts: HostSpec[] = [...(opts.ha ? LAB_HA_HOSTS : LAB_HOSTS)];
  if (opts.hosts !== undefined && opts.ha) throw new LabError('--hosts and --ha cannot be combined');
  if (opts.hosts !== undefined) {
    if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_FLEET) throw new LabError(`--hosts must be 1..${MAX_FLEET}, got ${opts.hosts}`);
    net = FLEET_NET;
    hosts = fleetHosts(opts.hosts);
  }
  const release = opts.release ?? defaultRelease();
  if (!(release in RELEASES)) throw new LabError(`--release must be one of ${Object.keys(RELEASES).join(', ')}, not '${release}'`);
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (namespaces, mounts, nspawn)');
  checkTools();
  return withLabLock(async () => {
    const rootfs = await ensureRootfs(onProgress, release as Release);
    const pair = opts.ha ? await labPair() : undefined;
    const state = await upSet(specFor(net, hosts, latencyMs, rootfs, pair), onProgress);
    return toStatus(net, state);
  }, onProgress);
}

/**
 * Stop and remove everything `labUp` created: both the lab and the fleet, or only one of them.
 * Hosts' disks stay (the next up boots them as they were) unless `purge`.
 */
export async function labDown(onProgress: Progress = quiet, opts: { purge?: boolean; only?: 'lab' | 'fleet' } = {}): Promise<void> {
  await withLabLock(async () => {
    if (opts.only !== 'lab') await downSet(FLEET_NET, false, onProgress, opts.purge);
    if (opts.only !== 'fleet') await downSet(LAB_NET, true, onProgress, opts.purge);
  }, onProgress);
}

/** The 3-host lab's status (what is recorded, and whether its processes are alive). */
export async function labStatus(): Promise<LabStatus> {
  return toStatus(LAB_NET, await loadState(LAB_NET));
}

export async function labFleetStatus(): Promise<LabStatus> {
  return toStatus(FLEET_NET, await loadState(FLEET_NET));
}

/**
 * Give hosts a fresh disk: stop, wipe the overlay's upper layer, boot again, wait for ssh.
 * Host keys and machine-id are kept, so known_hosts stays valid. No names: all lab hosts.
 */
export async function labReset(names: string[], onProgress: Progress = quiet): Promise<void> {
  await withLabLock(async () => {
    const labState = await loadState(LAB_NET);
    const fleetState = await loadState(FLEET_NET);
    // The hosts the lab runs now (3, or 4 with --ha).
    const labHosts = LAB_HA_HOSTS.filter((h) => labState?.hosts.some((x) => x.name === h.name));
    const wanted = names.length > 0 ? names : labHosts.map((h) => h.name);
    const inLab = wanted.filter((n) => labState?.hosts.some((h) => h.name === n));
    const inFleet = wanted.filter((n) => fleetState?.hosts.some((h) => h.name === n));
    const unknown = wanted.filter((n) => !inLab.includes(n) && !inFleet.includes(n));
    if (unknown.length > 0) throw new LabError(`not a running lab host: ${unknown.join(', ')} (is the lab up?)`);
    if (inLab.length > 0 && labState) {
      await resetHosts(specFor(LAB_NET, labHosts, labState.latencyMs, labState.rootfs), inLab, onProgress);
    }
    if (inFleet.length > 0 && fleetState) {
      await resetHosts(specFor(FLEET_NET, fleetHosts(fleetState.hosts.length), fleetState.latencyMs, fleetState.rootfs), inFleet, onProgress);
    }
  }, onProgress);
}

/** Execs the host has run over ssh, counted by the host itself (its exec log). */
export function labExecCount(hostName: string): number {
  for (const net of [LAB_NET, FLEET_NET]) {
    const upper = path.join(net.dir, 'hosts', hostName, 'upper');
    if (existsSync(upper)) return countExecs(upper);
  }
  throw new LabError(`no lab host named ${hostName}`);
}
