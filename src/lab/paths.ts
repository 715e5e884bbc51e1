// Where the lab keeps things on the machine, and the fixed names and addresses it uses.
// The rootfs cache lives outside the repository so clean clones and CI reuse it.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * Several labs can run side by side on one machine (parallel development): PLUMB_LAB_SLOT
 * 1..9 gives a lab its own state folder, bridges, subnets, namespace and veth prefixes,
 * proxy ports and cgroups. Slot 0 (the default) is the lab as documented. All share the
 * read-only rootfs cache.
 */
export const SLOT = labSlot(process.env.PLUMB_LAB_SLOT);

export function labSlot(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw new Error(`PLUMB_LAB_SLOT must be an integer from 0 to 9, not '${v}'`);
  return n;
}

const suffix = SLOT === 0 ? '' : String(SLOT);

/** Built rootfs images, one directory per recipe hash. */
export const CACHE_DIR = process.env.PLUMB_LAB_CACHE ?? '/var/cache/plumb-lab';
/** Lab state: keys, per-host upper layers, PID files, state.json. */
export const STATE_DIR = process.env.PLUMB_LAB_STATE ?? `/var/lib/plumb-lab${SLOT === 0 ? '' : `-${SLOT}`}`;

/** Prefix of this lab's network namespaces (`plumb-web-01`; slot 2: `plumb2-web-01`). */
export const NETNS_PREFIX = `plumb${suffix}-`;
const VETH_PREFIX = `pl${suffix}-`;

/** The repository root (this file is dist/src/lab/paths.js once compiled). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const CLIENT_KEY = path.join(STATE_DIR, 'id_ed25519');

/** A set of hosts sharing one bridge and subnet: the 3-host lab, or the lightweight fleet. */
export interface Network {
  kind: 'lab' | 'fleet';
  bridge: string;
  /** First three octets of the /24. */
  prefix: string;
  /** Directory for this set's state under STATE_DIR. */
  dir: string;
  inventory: string;
  knownHosts: string;
  /** Proxy port for a host = proxyBase + last octet of its address. */
  proxyBase: number;
  /** Name of the per-host cgroup parent directory. */
  cgroup: string;
}

export const LAB_NET: Network = {
  kind: 'lab',
  bridge: `plumb${SLOT}`,
  prefix: `10.231.${7 + 10 * SLOT}`,
  dir: path.join(STATE_DIR, 'lab'),
  inventory: path.join(REPO_ROOT, 'inventory', `lab${SLOT === 0 ? '' : `-${SLOT}`}.yml`),
  knownHosts: path.join(STATE_DIR, 'lab', 'known_hosts'),
  proxyBase: 22000 + 2000 * SLOT,
  cgroup: `plumb-lab${suffix}`,
};

export const FLEET_NET: Network = {
  kind: 'fleet',
  bridge: `plumbf${SLOT}`,
  prefix: `10.231.${8 + 10 * SLOT}`,
  dir: path.join(STATE_DIR, 'fleet'),
  inventory: path.join(REPO_ROOT, 'inventory', `lab-fleet${SLOT === 0 ? '' : `-${SLOT}`}.yml`),
  knownHosts: path.join(STATE_DIR, 'fleet', 'known_hosts'),
  proxyBase: 23000 + 2000 * SLOT,
  cgroup: `plumb-fleet${suffix}`,
};

export interface HostSpec {
  name: string;
  group: string;
  address: string;
  /** Network namespace name (prefixed so it cannot clash with anything else). */
  netns: string;
  /** Machine-side veth name (at most 15 characters). */
  veth: string;
  dir: string;
}

/** A host of a set, by name; `address` is empty when only its leftovers are known. */
export function hostSpec(net: Network, name: string, group: string, address: string): HostSpec {
  return { name, group, address, netns: `${NETNS_PREFIX}${name}`, veth: `${VETH_PREFIX}${name}`, dir: path.join(net.dir, 'hosts', name) };
}

function spec(net: Network, name: string, group: string, octet: number): HostSpec {
  return hostSpec(net, name, group, `${net.prefix}.${octet}`);
}

export const LAB_HOSTS: readonly HostSpec[] = [
  spec(LAB_NET, 'lb-01', 'loadbalancers', 11),
  spec(LAB_NET, 'web-01', 'webservers', 21),
  spec(LAB_NET, 'web-02', 'webservers', 22),
];

/** `lab up --ha`: the load balancer pair (issue 14), lb-02 at .12, the floating address at .10. */
export const LAB_HA_HOSTS: readonly HostSpec[] = [LAB_HOSTS[0]!, spec(LAB_NET, 'lb-02', 'loadbalancers', 12), ...LAB_HOSTS.slice(1)];

/** The floating (VRRP) address of the HA lab's load balancers. */
export const LAB_VIP = `${LAB_NET.prefix}.10`;

export const MAX_FLEET = 100;

export function fleetHosts(n: number): HostSpec[] {
  return Array.from({ length: n }, (_, i) => spec(FLEET_NET, `h${String(i + 1).padStart(3, '0')}`, 'fleet', 101 + i));
}
