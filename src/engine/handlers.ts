// Pending handlers persist ON THE HOST, so a restart owed by a config change survives a
// failed or killed run: the next run reads the file and still performs it (Ansible loses
// these; see ansible#4766). Written in the same exec as the change that notifies.
import { raw, script, sh, type Shell } from '../sh.js';
import type { Fact } from '../facts/types.js';

// root (or become) keeps them in /var/lib/plumb, anyone else under $HOME. `[ -w /var/lib ]`
// says which without a process (`id -u` is a fork and an exec on every run of every host).
const DIR = raw(`d=/var/lib/plumb; [ -w /var/lib ] || d="$HOME/.local/state/plumb"`);

export const pendingFact: Fact<string[]> = {
  key: 'plumb:pending-handlers',
  // Read with the shell's own `read`: no process when there is nothing pending (the usual case).
  probe: script(DIR, raw(`f="$d/pending-handlers"; [ -f "$f" ] || exit 0`), raw(`while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$f"`)),
  parse: (out) => [
    ...new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ],
};

/**
 * Prefix for a change script: record the notified names before the change is made. A change
 * that exits with `refusedExit` altered nothing (its validate failed): the lines it added
 * are cut off again, so no handler is owed for it (names pending from before stay).
 */
export function recordPending(names: readonly string[], change: Shell, refusedExit?: number): Shell {
  return script(
    DIR,
    raw('mkdir -p "$d"'),
    refusedExit !== undefined && raw('size=$(stat -c %s "$d/pending-handlers" 2>/dev/null || echo 0)'),
    sh`printf '%s\n' ${names} >> "$d/pending-handlers"`,
    raw('sync "$d/pending-handlers" 2>/dev/null || true'),
    raw('('),
    change,
    raw(')'),
    refusedExit !== undefined &&
      script(
        raw('rc=$?'),
        sh`if [ "$rc" -eq ${refusedExit} ]; then truncate -s "$size" "$d/pending-handlers"; [ -s "$d/pending-handlers" ] || rm -f "$d/pending-handlers"; fi`,
        raw('exit "$rc"'),
      ),
  );
}

/** Remove names once their handlers have run. */
export function clearPending(names: readonly string[]): Shell {
  return script(
    DIR,
    raw('f="$d/pending-handlers"; [ -f "$f" ] || exit 0'),
    raw('tmp="$f.tmp.$$"'),
    sh`grep -vxF ${names.flatMap((n) => ['-e', n])} "$f" > "$tmp" || true`,
    raw('mv -f "$tmp" "$f"'),
    raw('[ -s "$f" ] || rm -f "$f"'),
  );
}
