// The lab network: one bridge per host set on the machine (bridge IP .1), one network
// namespace per host with a veth pair into the bridge (eth0 inside). No default route, no
// NAT, no DNS: hosts reach each other and the machine, nothing else. If the machine's
// FORWARD policy is not ACCEPT, one comment-tagged rule lets bridge traffic pass.
import { existsSync } from 'node:fs';
import { NETNS_PREFIX, type HostSpec, type Network } from './paths.js';
import { run, ok, out, mapLimit } from './run.js';

export function netnsExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`);
}

/** A link in the machine's own namespace (sysfs: no process spawned, which matters for 100 hosts). */
export async function linkExists(name: string): Promise<boolean> {
  return existsSync(`/sys/class/net/${name}`);
}

export async function ensureBridge(net: Network): Promise<void> {
  if (!(await linkExists(net.bridge))) {
    await run(['ip', 'link', 'add', net.bridge, 'type', 'bridge']);
  }
  const addr = `${net.prefix}.1/24`;
  const have = await out(['ip', '-o', '-4', 'addr', 'show', 'dev', net.bridge]);
  if (!have.includes(` ${addr} `)) {
    await run(['ip', 'addr', 'flush', 'dev', net.bridge]);
    await run(['ip', 'addr', 'add', addr, 'dev', net.bridge]);
  }
  await run(['ip', 'link', 'set', net.bridge, 'up']);
}

export async function removeBridge(net: Network): Promise<boolean> {
  if (!(await linkExists(net.bridge))) return false;
  await run(['ip', 'link', 'del', net.bridge], { allowFail: true });
  return true;
}

/**
 * Are the host's namespace and veth there? (No process spawned: callers then prove the
 * address works by reaching sshd on it.)
 */
export async function hostNetOk(h: HostSpec): Promise<boolean> {
  return netnsExists(h.netns) && (await linkExists(h.veth));
}

/** Remove a host's namespace and veth (deleting the namespace also destroys the pair). */
export async function removeHostNet(h: HostSpec): Promise<boolean> {
  let did = false;
  if (netnsExists(h.netns)) {
    await run(['ip', 'netns', 'del', h.netns], { allowFail: true });
    did = true;
  }
  if (await linkExists(h.veth)) {
    await run(['ip', 'link', 'del', h.veth], { allowFail: true });
    did = true;
  }
  return did;
}

/** Remove many hosts' namespaces and veths with one `ip -batch` (100 hosts: one process, not 100). */
export async function removeHostNets(hosts: readonly HostSpec[]): Promise<number> {
  const cmds = [...hosts.filter((h) => netnsExists(h.netns)).map((h) => `netns del ${h.netns}`)];
  if (cmds.length > 0) await run(['ip', '-force', '-batch', '-'], { input: `${cmds.join('\n')}\n`, allowFail: true });
  // Deleting a namespace destroys its end of the pair and so the pair; catch any stragglers.
  for (const h of hosts) if (await linkExists(h.veth)) await run(['ip', 'link', 'del', h.veth], { allowFail: true });
  return cmds.length;
}

/** (Re)create the namespaces and veths of hosts that are not running. Batched for big fleets. */
export async function createHostNets(net: Network, hosts: readonly HostSpec[]): Promise<void> {
  if (hosts.length === 0) return;
  await removeHostNets(hosts);
  const batch = hosts
    .flatMap((h) => [`netns add ${h.netns}`, `link add ${h.veth} type veth peer name eth0 netns ${h.netns}`, `link set ${h.veth} master ${net.bridge} up`])
    .join('\n');
  await run(['ip', '-batch', '-'], { input: `${batch}\n` });
  await mapLimit(hosts, 8, (h) =>
    run(['ip', '-n', h.netns, '-batch', '-'], {
      input: `addr add ${h.address}/24 dev eth0\nlink set eth0 up\nlink set lo up\n`,
    }),
  );
}

/** Namespaces on the machine that look like this lab's (plumb-<host>, or plumbN-<host> in slot N). */
export async function listOurNetns(match: (host: string) => boolean): Promise<string[]> {
  const text = await out(['ip', 'netns', 'list']);
  return text
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX) && match(n.slice(NETNS_PREFIX.length)));
}

const COMMENT = 'plumb-lab';

function forwardRule(net: Network): string[] {
  return ['FORWARD', '-i', net.bridge, '-o', net.bridge, '-m', 'comment', '--comment', COMMENT, '-j', 'ACCEPT'];
}

/** Add the bridge allow rule if FORWARD does not accept by default. Returns whether a rule is in place. */
export async function ensureForwardRule(net: Network): Promise<boolean> {
  const r = await run(['iptables', '-S', 'FORWARD'], { allowFail: true });
  if (r.code !== 0) return false; // no iptables on the machine: nothing filters forwarding
  const present = await ok(['iptables', '-C', ...forwardRule(net)]);
  if (r.stdout.split('\n').includes('-P FORWARD ACCEPT')) return present;
  if (!present) await run(['iptables', '-I', ...forwardRule(net)]);
  return true;
}

export async function removeForwardRule(net: Network): Promise<boolean> {
  let n = 0;
  while (n < 10 && (await ok(['iptables', '-C', ...forwardRule(net)]))) {
    await run(['iptables', '-D', ...forwardRule(net)], { allowFail: true });
    n++;
  }
  return n > 0;
}
