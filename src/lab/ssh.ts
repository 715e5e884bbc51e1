// The machine's own OpenSSH client against lab hosts, always with strict host-key checking
// against the lab's known_hosts: readiness checks use it, and so can tests.
import net from 'node:net';
import { CLIENT_KEY } from './paths.js';
import { run, sleep, type RunResult } from './run.js';

export interface SshTarget {
  host: string;
  port: number;
  knownHosts: string;
}

export function sshArgs(t: SshTarget, connectTimeoutS = 5): string[] {
  return [
    'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${t.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `ConnectTimeout=${connectTimeoutS}`,
    '-o',
    'LogLevel=ERROR',
    '-i',
    CLIENT_KEY,
    '-p',
    String(t.port),
    '-l',
    'root',
    t.host,
  ];
}

export function ssh(t: SshTarget, command: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run([...sshArgs(t), '--', command], { allowFail: true, input: opts.input, timeoutMs: opts.timeoutMs ?? 120_000 });
}

/**
 * Wait until `command` succeeds over ssh (connection refused while booting is expected).
 * Returns the last result; rejects with the last error output on timeout.
 */
export async function waitForSsh(t: SshTarget, command: string, timeoutMs: number, accept?: (r: RunResult) => boolean): Promise<RunResult> {
  const deadline = Date.now() + timeoutMs;
  let last: RunResult = { code: -1, stdout: '', stderr: 'never tried' };
  while (Date.now() < deadline) {
    last = await ssh(t, command, { timeoutMs: Math.max(1000, deadline - Date.now()) });
    if (accept ? accept(last) : last.code === 0) return last;
    // 255 is ssh's own failure (not up yet); anything else came from the host.
    await sleep(last.code === 255 ? 200 : 500);
  }
  throw new Error(
    `ssh root@${t.host}:${t.port} "${command}" did not succeed in ${timeoutMs / 1000}s: exit ${last.code} ${(last.stderr || last.stdout).trim().slice(-300)}`,
  );
}

/** Does an sshd answer on host:port with its banner? (Cheap liveness check, no login.) */
export function sshBanner(host: string, port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (v: boolean): void => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}
