// Starting a host's process tree detached from the caller: a shell that joins the host's
// cgroups, enters a private mount namespace, mounts the overlay root there and execs the
// host's init (systemd-nspawn, or sshd for a fleet host). Because the overlay lives only in
// that mount namespace, it disappears with the process: a killed run leaves no mount.
import { openSync, closeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { procRef, type ProcRef } from './proc.js';
import { LabError } from './run.js';

export function spawnDetached(argv: string[], logFile: string, env?: NodeJS.ProcessEnv): ProcRef {
  const [cmd, ...args] = argv;
  if (!cmd) throw new LabError('empty command');
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], env: env ?? process.env });
    child.unref();
    child.on('error', () => {});
    const ref = child.pid === undefined ? undefined : procRef(child.pid);
    if (!ref) throw new LabError(`could not start ${cmd}; see ${logFile}`);
    return ref;
  } finally {
    closeSync(log);
  }
}
