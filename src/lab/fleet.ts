// A lightweight fleet host (`lab up --hosts N`): no systemd, just sshd and a shell. Same
// network namespace, veth, overlay root and exec-counting sshd as a full host, but the
// process tree is `ip netns exec` + `unshare --pid --uts --fork` + chroot + `sshd -D`, with
// /proc, /dev, /sys and a tmpfs /run mounted inside its private mount namespace.
import type { HostSpec, Network } from './paths.js';
import { layout, overlayOptions } from './layout.js';
import { joinCgroupsScript } from './cgroup.js';
import { spawnDetached } from './launch.js';
import { stopProcess, type ProcRef } from './proc.js';
import { script, sh } from '../sh.js';

export function startFleetHost(net: Network, h: HostSpec, rootfs: string): ProcRef {
  const l = layout(h);
  const m = l.merged;
  const inner = script(
    sh`mount -t proc proc ${m}/proc`,
    sh`mount --rbind /dev ${m}/dev`,
    sh`mount --rbind /sys ${m}/sys`,
    sh`mount -t tmpfs -o mode=755 tmpfs ${m}/run`,
    sh`mkdir -p ${m}/run/sshd`,
    sh`hostname ${h.name}`,
    sh`exec chroot ${m} /usr/sbin/sshd -D -e`,
  );
  const outer = script(
    joinCgroupsScript(net.cgroup, h.name),
    sh`mount -t overlay overlay -o ${overlayOptions(rootfs, l)} ${m}`,
    sh`exec ip netns exec ${h.netns} unshare --pid --uts --fork --kill-child=SIGTERM -- sh -c ${inner.text}`,
  );
  return spawnDetached(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', outer.text], l.log);
}

/** A fleet host has nothing to shut down cleanly: kill its process group (sshd dies with it). */
export function stopFleetHost(ref: ProcRef): Promise<'gone' | 'stopped' | 'killed'> {
  return stopProcess(ref, { signal: 'SIGKILL', timeoutMs: 5000, group: true });
}
