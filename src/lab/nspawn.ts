// A full lab host: real systemd as PID 1 under systemd-nspawn, in the host's own network
// namespace, on its overlay root, started from its own cgroups (see cgroup.ts). The flags
// are the ones LAB.md found necessary on a machine whose PID 1 is not systemd:
// --register=no --keep-unit (no machined/system bus), CAP_NET_ADMIN plus a writable network
// API VFS (iptables/ufw inside the host). SIGTERM to the launcher shuts the host down cleanly;
// a reboot inside the host restarts nspawn on the same disk.
import type { HostSpec, Network } from './paths.js';
import { layout, overlayOptions } from './layout.js';
import { joinCgroupsScript } from './cgroup.js';
import { spawnDetached } from './launch.js';
import { stopProcess, type ProcRef } from './proc.js';
import { raw, script, sh } from '../sh.js';

export function startNspawnHost(net: Network, h: HostSpec, rootfs: string): ProcRef {
  const l = layout(h);
  const body = script(
    joinCgroupsScript(net.cgroup, h.name),
    sh`mount -t overlay overlay -o ${overlayOptions(rootfs, l)} ${l.merged}`,
    raw('export SYSTEMD_NSPAWN_API_VFS_WRITABLE=network'),
    // A reboot inside the host (`systemctl reboot`, the reboot module) makes nspawn exit 133:
    // start it again, as systemd-nspawn@.service's RestartForceExitStatus=133 does. A stop
    // (SIGTERM to this shell) is passed on to nspawn, which shuts the host down cleanly.
    raw(`trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM INT`),
    raw('while :; do'),
    sh`  systemd-nspawn -D ${l.merged} -M ${h.name} --boot ${`--network-namespace-path=/run/netns/${h.netns}`} --register=no --keep-unit --capability=CAP_NET_ADMIN --resolv-conf=off --timezone=off --link-journal=no --console=read-only &`,
    raw('  pid=$!; rc=0; wait "$pid" || rc=$?'),
    raw('  [ "$rc" -eq 133 ] || exit "$rc"'),
    raw('done'),
  );
  // unshare --mount: the overlay is mounted only in this process's private mount namespace.
  return spawnDetached(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', body.text], l.log);
}

/**
 * Clean shutdown via SIGTERM (the launcher shell passes it to nspawn); SIGKILL if it takes
 * longer than timeoutMs. Sent to the process group, so a SIGKILL reaches nspawn too.
 */
export function stopNspawnHost(ref: ProcRef, timeoutMs = 30_000): Promise<'gone' | 'stopped' | 'killed'> {
  return stopProcess(ref, { signal: 'SIGTERM', timeoutMs, group: true });
}
