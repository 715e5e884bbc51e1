// Host-side exec counting. sshd on every lab host runs each session through a ForceCommand
// wrapper that appends one line (timestamp, first 120 characters of the command) to
// /var/log/plumb-lab-exec.log and then execs the command with the user's login shell, as
// sshd itself would (`$SHELL -c "$SSH_ORIGINAL_COMMAND"`), so stdin, stdout, stderr and the
// exit code pass through unchanged. The machine counts lines in the host's upper layer:
// no ssh, and nothing plumb can get wrong about its own round trips.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const EXEC_WRAPPER_PATH = '/usr/local/sbin/plumb-lab-exec';
export const EXEC_LOG_PATH = '/var/log/plumb-lab-exec.log';

// bash builtins only ($EPOCHREALTIME, ${x:0:120}, printf): no extra forks per exec.
export const EXEC_WRAPPER = `#!/bin/bash
# plumb lab: count this exec on the host side, then run it exactly as sshd would.
c=\${SSH_ORIGINAL_COMMAND-}
c=\${c:0:120}
printf '%s %s\\n' "$EPOCHREALTIME" "\${c//$'\\n'/ }" >> ${EXEC_LOG_PATH} 2>/dev/null
sh=\${SHELL:-/bin/sh}
if [ -n "\${SSH_ORIGINAL_COMMAND+set}" ]; then
  exec "$sh" -c "$SSH_ORIGINAL_COMMAND"
fi
exec -a "-\${sh##*/}" "$sh"
`;

/** Lines in the host's exec log, read from its upper layer on the machine. */
export function countExecs(upperDir: string): number {
  let text: string;
  try {
    text = readFileSync(path.join(upperDir, EXEC_LOG_PATH), 'utf8');
  } catch {
    return 0;
  }
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
