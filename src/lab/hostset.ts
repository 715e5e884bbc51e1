// Bringing a set of hosts (the 3-host lab, or the lightweight fleet) to the wanted state,
// and tearing it down. Everything here is idempotent and tolerant of leftovers from a killed
// run: a host counts as running only if its recorded process (PID + start time) is alive,
// its namespace is configured and it answers ssh; anything else is cleaned and started again.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { hostSpec, NETNS_PREFIX, type HostSpec, type Network } from './paths.js';
import { layout } from './layout.js';
import { cgroupParents, hostCgroups, pidsIn, removeCgroupTree } from './cgroup.js';
import { removeTree, unmountUnder, readIfExists } from './fs.js';
import { ensureClientKey, ensureHostKeys, FULL_KEY_TYPES, hostPublicKeys, knownHostsName, writeKnownHosts } from './keys.js';
import { seedUpper, ensureAuthorized } from './seed.js';
import { isRunning, type ProcRef } from './proc.js';
import { startNspawnHost, stopNspawnHost } from './nspawn.js';
import { startFleetHost, stopFleetHost } from './fleet.js';
import {
  createHostNets,
  ensureBridge,
  ensureForwardRule,
  hostNetOk,
  listOurNetns,
  removeBridge,
  removeForwardRule,
  removeHostNet,
  removeHostNets,
} from './network.js';
import { ssh, sshBanner, waitForSsh, type SshTarget } from './ssh.js';
import { startProxy, stopProxy, type ProxyConfig } from './proxy.js';
import { loadState, saveState, clearState, type SetState, type HostState } from './state.js';
import { writeInventory, type PairVars } from './inventory.js';
import { mapLimit, sleep, LabError } from './run.js';

export type Progress = (msg: string) => void;

export interface SetSpec {
  net: Network;
  hosts: HostSpec[];
  /** Full hosts boot systemd under nspawn; fleet hosts run only sshd. */
  full: boolean;
  latencyMs: number;
  rootfs: string;
  image: string;
  /** Two or more load balancers: what their inventory group gets (floating address, shared certificate). */
  pair?: PairVars;
}

export function proxyPort(net: Network, h: { address: string }): number {
  return net.proxyBase + Number(h.address.split('.').pop());
}

function direct(net: Network, h: { address: string }): SshTarget {
  return { host: h.address, port: 22, knownHosts: net.knownHosts };
}

// ---- one host ---------------------------------------------------------------------------

/** Stop a host's processes and clear its cgroups and stray mounts. Leaves network and disk. */
export async function stopHost(net: Network, h: HostSpec, proc: ProcRef | undefined, full: boolean): Promise<void> {
  if (proc && isRunning(proc)) {
    if (full) await stopNspawnHost(proc);
    else await stopFleetHost(proc);
  }
  // Whatever is still in this host's cgroups was started by its launcher, so it is ours.
  const cgs = hostCgroups(net.cgroup, h.name);
  for (let i = 0; i < 50; i++) {
    const pids = cgs.flatMap(pidsIn);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, i === 0 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(100);
  }
  for (const cg of cgs) removeCgroupTree(cg);
  await unmountUnder(h.dir); // only a much older or foreign run would leave these in our namespace
}

async function prepareHost(spec: SetSpec, h: HostSpec, clientPub: string, fresh: boolean): Promise<void> {
  const l = layout(h);
  await fsp.mkdir(h.dir, { recursive: true });
  await ensureHostKeys(l.hostKeys, h.name, spec.full ? FULL_KEY_TYPES : ['ed25519']);
  const seed = {
    name: h.name,
    rootfs: spec.rootfs,
    upper: l.upper,
    hostKeys: l.hostKeys,
    machineIdFile: l.machineId,
    clientPublicKey: clientPub,
    peers: spec.hosts,
    hostKeyFiles: spec.full ? undefined : ['ssh_host_ed25519_key'],
  };
  const madeOn = (await readIfExists(l.imageFile))?.trim();
  if (fresh || madeOn !== spec.image || !existsSync(l.upper)) {
    await removeTree(l.upper);
    await removeTree(l.work);
    await fsp.mkdir(l.work, { recursive: true });
    await fsp.mkdir(l.merged, { recursive: true });
    await seedUpper(seed);
    await fsp.writeFile(l.imageFile, `${spec.image}\n`);
  } else {
    // A work dir left by a killed mount can hold a stale index; overlayfs recreates it.
    await removeTree(l.work);
    await fsp.mkdir(l.work, { recursive: true });
    await fsp.mkdir(l.merged, { recursive: true });
    await ensureAuthorized(seed);
  }
}

function startHost(spec: SetSpec, h: HostSpec): ProcRef {
  return spec.full ? startNspawnHost(spec.net, h, spec.rootfs) : startFleetHost(spec.net, h, spec.rootfs);
}

/** Wait until the host really serves: systemd finished booting (full) or sshd answers (fleet). */
async function waitReady(spec: SetSpec, h: HostSpec, proc: ProcRef, onProgress: Progress): Promise<void> {
  const t = direct(spec.net, h);
  const alive = (): void => {
    if (!isRunning(proc)) throw new LabError(`${h.name} exited while booting; see ${layout(h).log}`);
  };
  if (!spec.full) {
    await waitForSsh(t, 'true', 60_000, (r) => (alive(), r.code === 0));
    return;
  }
  const r = await waitForSsh(t, 'systemctl is-system-running --wait', 120_000, (r) => {
    alive();
    return r.code !== 255 && /^(running|degraded)\s*$/.test(r.stdout);
  });
  if (r.stdout.trim() === 'degraded') {
    const failed = await ssh(t, 'systemctl --failed --no-legend --plain | cut -d" " -f1 | xargs');
    onProgress(`warning: ${h.name} booted degraded (failed units: ${failed.stdout.trim() || '?'})`);
  }
}

// ---- a set --------------------------------------------------------------------------------

export function hostStates(spec: SetSpec, procs: Map<string, ProcRef | undefined>): HostState[] {
  return spec.hosts.map((h) => ({ name: h.name, group: h.group, address: h.address, proc: procs.get(h.name) }));
}

async function healthy(spec: SetSpec, h: HostSpec, proc: ProcRef | undefined): Promise<boolean> {
  if (!isRunning(proc) || !(await hostNetOk(h))) return false;
  // A fleet host is only sshd: its banner is proof enough. A full host must accept a login.
  if (!spec.full) return sshBanner(h.address, 22);
  const r = await ssh(direct(spec.net, h), 'true', { timeoutMs: 10_000 });
  return r.code === 0;
}

/**
 * Make the set match `spec`: reuse healthy hosts, (re)start the others, stop hosts that are no
 * longer wanted, then set up the proxy and write known_hosts and the inventory.
 */
export async function upSet(spec: SetSpec, onProgress: Progress): Promise<SetState> {
  const { net } = spec;
  const clientPub = await ensureClientKey();
  const old = await loadState(net);
  const oldProcs = new Map((old?.hosts ?? []).map((h) => [h.name, h.proc]));
  const wanted = new Set(spec.hosts.map((h) => h.name));

  // Hosts from an earlier up that are not wanted now (fewer fleet hosts, or another image).
  const imageChanged = old !== undefined && old.image !== spec.image;
  if (imageChanged) onProgress(`lab image changed (${old.image} -> ${spec.image}): recreating hosts`);
  for (const hs of old?.hosts ?? []) {
    if (wanted.has(hs.name) && !imageChanged) continue;
    const h = spec.hosts.find((x) => x.name === hs.name) ?? specLike(net, hs);
    await stopHost(net, h, hs.proc, spec.full);
    if (!wanted.has(hs.name)) await removeHostNet(h);
    oldProcs.delete(hs.name);
  }

  // Which wanted hosts are already up and answering?
  const ok = await mapLimit(spec.hosts, 16, (h) => healthy(spec, h, oldProcs.get(h.name)));
  const toStart = spec.hosts.filter((_, i) => !ok[i]);
  const procs = new Map<string, ProcRef | undefined>(spec.hosts.map((h) => [h.name, oldProcs.get(h.name)]));
  if (toStart.length < spec.hosts.length) onProgress(`reusing ${spec.hosts.length - toStart.length} running host(s)`);

  await ensureBridge(net);
  const forwardRule = await ensureForwardRule(net);
  if (spec.full && toStart.length) await ensureInotifyInstances(onProgress);

  // Known hosts first: readiness checks use strict host-key checking too.
  const tk = Date.now();
  await mapLimit(spec.hosts, 8, (h) => ensureHostKeys(layout(h).hostKeys, h.name, spec.full ? FULL_KEY_TYPES : ['ed25519']));
  await writeKnownHostsFor(spec);
  if (Date.now() - tk > 1000) onProgress(`host keys ready (${((Date.now() - tk) / 1000).toFixed(1)}s)`);

  if (toStart.length > 0) {
    onProgress(`starting ${toStart.length} host(s): ${summarize(toStart.map((h) => h.name))}`);
    const t = Date.now();
    const secs = (): string => `${((Date.now() - t) / 1000).toFixed(1)}s`;
    await mapLimit(toStart, 8, (h) => stopHost(net, h, procs.get(h.name), spec.full));
    await createHostNets(net, toStart);
    await mapLimit(toStart, 8, (h) => prepareHost(spec, h, clientPub, false));
    onProgress(`namespaces and disks ready (${secs()}); booting`);
    for (const h of toStart) procs.set(h.name, startHost(spec, h));
    await saveState(net, {
      kind: net.kind,
      image: spec.image,
      rootfs: spec.rootfs,
      hosts: hostStates(spec, procs),
      latencyMs: old?.latencyMs ?? 0,
      proxy: old?.proxy,
      forwardRule,
    });
    const t0 = Date.now();
    let ready = 0;
    await mapLimit(toStart, spec.full ? 8 : 16, async (h) => {
      await waitReady(spec, h, procs.get(h.name)!, onProgress);
      ready++;
      if (spec.full || ready % 10 === 0 || ready === toStart.length)
        onProgress(`${spec.full ? `${h.name} ready` : `${ready}/${toStart.length} ready`} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    });
  }

  // Latency proxy: keep it if it already has the right delay and routes.
  let proxy = old?.proxy;
  const routes = spec.latencyMs > 0 ? proxyConfig(spec) : undefined;
  const sameRoutes = proxy && routes && JSON.stringify(routes) === (await readIfExists(proxy.configFile))?.trim();
  if (proxy && (!isRunning(proxy) || !sameRoutes)) {
    await stopProxy(proxy);
    proxy = undefined;
  }
  if (routes && !proxy) {
    proxy = await startProxy(routes, path.join(net.dir, 'proxy.json'), path.join(net.dir, 'proxy.log'));
    onProgress(`latency proxy on 127.0.0.1 adds ${spec.latencyMs} ms per round trip (PID ${proxy.pid})`);
  }

  const state: SetState = {
    kind: net.kind,
    image: spec.image,
    rootfs: spec.rootfs,
    hosts: hostStates(spec, procs),
    latencyMs: spec.latencyMs,
    proxy,
    forwardRule,
  };
  await saveState(net, state);
  await writeInventory(
    net.inventory,
    net.knownHosts,
    state.hosts.map((h) => ({ name: h.name, group: h.group, address: h.address, ...endpoint(net, state, h) })),
    net.kind === 'lab' ? `plumb lab: ${state.hosts.map((h) => h.name).join(', ')}` : `plumb lab fleet: ${state.hosts.length} lightweight hosts`,
    spec.pair,
  );
  return state;
}

/**
 * Every booted host's systemd takes inotify instances from the machine's per-user limit,
 * which is 128 on Debian: a dozen hosts (several labs side by side) exhaust it, and the next
 * systemd exits at boot with "Failed to allocate manager object: Too many open files".
 */
const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
const WANTED_INSTANCES = 2048;

async function ensureInotifyInstances(onProgress: Progress): Promise<void> {
  const now = Number((await readIfExists(INOTIFY_INSTANCES))?.trim() ?? NaN);
  if (!(now < WANTED_INSTANCES)) return;
  await fsp.writeFile(INOTIFY_INSTANCES, `${WANTED_INSTANCES}\n`);
  onProgress(`raised fs.inotify.max_user_instances from ${now} to ${WANTED_INSTANCES} (each host's systemd needs some)`);
}

function specLike(net: Network, hs: HostState): HostSpec {
  return hostSpec(net, hs.name, hs.group, hs.address);
}

function summarize(names: string[]): string {
  return names.length <= 6 ? names.join(', ') : `${names.slice(0, 3).join(', ')} ... ${names[names.length - 1]}`;
}

function proxyConfig(spec: SetSpec): ProxyConfig {
  return {
    delayMs: spec.latencyMs,
    routes: spec.hosts.map((h) => ({ listenHost: '127.0.0.1', listenPort: proxyPort(spec.net, h), targetHost: h.address, targetPort: 22 })),
  };
}

/** Where a client should connect: the proxy when latency is on, the host's sshd otherwise. */
export function endpoint(net: Network, state: SetState, h: { address: string }): { sshHost: string; port: number } {
  return state.latencyMs > 0 ? { sshHost: '127.0.0.1', port: proxyPort(net, h) } : { sshHost: h.address, port: 22 };
}

async function writeKnownHostsFor(spec: SetSpec): Promise<void> {
  const entries = await Promise.all(
    spec.hosts.map(async (h) => ({
      // Both spellings: direct, and through the proxy (which forwards the host's own sshd).
      names: [knownHostsName(h.address, 22), knownHostsName('127.0.0.1', proxyPort(spec.net, h))],
      keys: await hostPublicKeys(layout(h).hostKeys),
    })),
  );
  await writeKnownHosts(spec.net.knownHosts, entries);
}

/** Stop, wipe the upper layer (keeping host keys and machine-id), boot fresh, wait for ssh. */
export async function resetHosts(spec: SetSpec, names: string[], onProgress: Progress): Promise<void> {
  const state = await loadState(spec.net);
  if (!state) throw new LabError(`the ${spec.net.kind} is not up`);
  const clientPub = await ensureClientKey();
  const procs = new Map(state.hosts.map((h) => [h.name, h.proc]));
  const targets = spec.hosts.filter((h) => names.includes(h.name));
  // Hosts reset in parallel; their state saves run one after another, each with every
  // process started so far, so the last save written is the complete one.
  let saving = Promise.resolve();
  const save = (): Promise<void> => (saving = saving.then(() => saveState(spec.net, { ...state, hosts: hostStates(spec, procs) })));
  await mapLimit(targets, 8, async (h) => {
    onProgress(`resetting ${h.name}`);
    await stopHost(spec.net, h, procs.get(h.name), spec.full);
    if (!(await hostNetOk(h))) await createHostNets(spec.net, [h]);
    await prepareHost(spec, h, clientPub, true);
    const p = startHost(spec, h);
    procs.set(h.name, p);
    await save();
    await waitReady(spec, h, p, onProgress);
    onProgress(`${h.name} is fresh`);
  });
}

/** Remove everything up created for this set. With purge, also the hosts' disks and keys. */
export async function downSet(net: Network, full: boolean, onProgress: Progress, purge = false): Promise<void> {
  const state = await loadState(net);
  if (state?.proxy && isRunning(state.proxy)) {
    await stopProxy(state.proxy);
    onProgress('stopped the latency proxy');
  }
  const known = (state?.hosts ?? []).map((hs) => specLike(net, hs));
  // Namespaces named like this set's hosts, even if the state file is gone.
  const pattern = net.kind === 'fleet' ? /^h\d{3}$/ : /^(lb|web)-\d\d$/;
  for (const ns of await listOurNetns((n) => pattern.test(n))) {
    const name = ns.slice(NETNS_PREFIX.length);
    if (!known.some((h) => h.name === name)) known.push(specLike(net, { name, group: '', address: '' }));
  }
  if (known.length > 0) onProgress(`stopping ${known.length} ${net.kind} host(s)`);
  await mapLimit(known, 16, async (h) => {
    const hs = state?.hosts.find((x) => x.name === h.name);
    await stopHost(net, h, hs?.proc, full);
  });
  await removeHostNets(known);
  for (const parent of cgroupParents(net.cgroup)) {
    for (const pid of pidsIn(parent)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    removeCgroupTree(parent);
  }
  if (await removeBridge(net)) onProgress(`removed bridge ${net.bridge}`);
  if (await removeForwardRule(net)) onProgress('removed the FORWARD rule');
  await unmountUnder(net.dir);
  await clearState(net);
  await fsp.rm(net.inventory, { force: true });
  if (purge) {
    await removeTree(net.dir);
    onProgress(`purged ${net.dir}`);
  }
}
