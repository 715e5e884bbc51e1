// Per-host cgroups. This machine has a hybrid layout (v1 controllers, the name=systemd v1
// hierarchy, cgroup2 at /sys/fs/cgroup/unified) and PID 1 is not systemd. If all hosts'
// nspawn start from one cgroup, their systemds share one `payload` tree and tear down each
// other's service cgroups (status=219/CGROUP; see LAB.md). So each host's launcher moves
// itself into its own directory in both hierarchies before exec'ing nspawn.
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { raw, sh, script, type Shell } from '../sh.js';

const HIERARCHIES = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];

function roots(parent: string): string[] {
  return HIERARCHIES.filter((h) => existsSync(path.join(h, 'cgroup.procs'))).map((h) => path.join(h, parent));
}

export function hostCgroups(parent: string, host: string): string[] {
  return roots(parent).map((r) => path.join(r, host));
}

/** Shell lines that move the running shell ($$) into the host's cgroups. */
export function joinCgroupsScript(parent: string, host: string): Shell {
  return script(raw('set -eu'), ...hostCgroups(parent, host).map((d) => sh`mkdir -p ${d} && echo $$ > ${d}/cgroup.procs`));
}

/** PIDs still inside a cgroup subtree (any hierarchy). */
export function pidsIn(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    try {
      for (const l of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) pids.push(Number(l));
    } catch {
      /* vanished */
    }
    for (const e of entries) {
      const p = path.join(d, e);
      try {
        if (statSync(p).isDirectory()) walk(p);
      } catch {
        /* vanished */
      }
    }
  };
  walk(dir);
  return [...new Set(pids)];
}

/** Remove a cgroup subtree bottom-up; directories that still hold processes stay. */
export function removeCgroupTree(dir: string): boolean {
  if (!existsSync(dir)) return true;
  let ok = true;
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    try {
      if (statSync(p).isDirectory()) ok = removeCgroupTree(p) && ok;
    } catch {
      /* vanished */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    ok = false;
  }
  return ok;
}

export function cgroupParents(parent: string): string[] {
  return roots(parent);
}
