// Where the lab keeps things on the machine, and the fixed names and addresses it uses.
// The rootfs cache lives outside the repository so clean clones and CI reuse it.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Built rootfs images, one directory per recipe hash. */
export const CACHE_DIR = process.env.PLUMB_LAB_CACHE ?? '/var/cache/plumb-lab';
/** Lab state: keys, per-host upper layers, PID files, state.json. */
export const STATE_DIR = process.env.PLUMB_LAB_STATE ?? '/var/lib/plumb-lab';

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
  bridge: 'plumb0',
  prefix: '10.231.7',
  dir: path.join(STATE_DIR, 'lab'),
  inventory: path.join(REPO_ROOT, 'inventory', 'lab.yml'),
  knownHosts: path.join(STATE_DIR, 'lab', 'known_hosts'),
  proxyBase: 22000,
  cgroup: 'plumb-lab',
};

export const FLEET_NET: Network = {
  kind: 'fleet',
  bridge: 'plumbf0',
  prefix: '10.231.8',
  dir: path.join(STATE_DIR, 'fleet'),
  inventory: path.join(REPO_ROOT, 'inventory', 'lab-fleet.yml'),
  knownHosts: path.join(STATE_DIR, 'fleet', 'known_hosts'),
  proxyBase: 23000,
  cgroup: 'plumb-fleet',
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

function spec(net: Network, name: string, group: string, octet: number): HostSpec {
  return {
    name,
    group,
    address: `${net.prefix}.${octet}`,
    netns: `plumb-${name}`,
    veth: `pl-${name}`,
    dir: path.join(net.dir, 'hosts', name),
  };
}

export const LAB_HOSTS: readonly HostSpec[] = [
  spec(LAB_NET, 'lb-01', 'loadbalancers', 11),
  spec(LAB_NET, 'web-01', 'webservers', 21),
  spec(LAB_NET, 'web-02', 'webservers', 22),
];

export const MAX_FLEET = 100;

export function fleetHosts(n: number): HostSpec[] {
  return Array.from({ length: n }, (_, i) => spec(FLEET_NET, `h${String(i + 1).padStart(3, '0')}`, 'fleet', 101 + i));
}
