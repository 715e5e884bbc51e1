// Processes the lab started, identified by PID plus start time so a reused PID is never
// mistaken for ours. Stopping: SIGTERM, wait, then SIGKILL after a timeout.
import { readFileSync } from 'node:fs';
import { sleep } from './run.js';

export interface ProcRef {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  start: string;
}

function stat(pid: number): { state: string; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: split after the last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', start: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s ? { pid, start: s.start } : undefined;
}

/** Is this exact process (same PID, same start time) still running? */
export function isRunning(ref: ProcRef | undefined): ref is ProcRef {
  if (!ref) return false;
  const s = stat(ref.pid);
  return s !== undefined && s.start === ref.start && s.state !== 'Z' && s.state !== 'X';
}

/**
 * Stop one of our processes: `signal` first, SIGKILL if it has not exited after timeoutMs.
 * With `group`, signal its whole process group (it was started detached, as a group leader).
 * Returns how it ended.
 */
export async function stopProcess(
  ref: ProcRef,
  opts: { signal?: NodeJS.Signals; timeoutMs?: number; group?: boolean } = {},
): Promise<'gone' | 'stopped' | 'killed'> {
  if (!isRunning(ref)) return 'gone';
  const target = opts.group ? -ref.pid : ref.pid;
  const send = (sig: NodeJS.Signals): void => {
    try {
      process.kill(target, sig);
    } catch {
      /* already gone */
    }
  };
  send(opts.signal ?? 'SIGTERM');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (!isRunning(ref)) return 'stopped';
    await sleep(100);
  }
  send('SIGKILL');
  for (let i = 0; i < 50 && isRunning(ref); i++) await sleep(100);
  return 'killed';
}
