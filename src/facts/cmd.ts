// cmd: the exit code of an operator's read-only shell probe (command/shell `unless`),
// run inside the fact batch like every other probe.
import { script, sh } from '../sh.js';
import type { Fact } from './types.js';

/**
 * True when the probe exits 0. It runs in its own `sh -c` so that a syntax error in it
 * fails this probe only, not the whole batch. `chdir` is entered first; a missing
 * directory counts as failure.
 */
export function probeFact(probe: string, chdir?: string): Fact<boolean> {
  return {
    key: `cmd:${chdir ?? ''}:${probe}`,
    probe: script(chdir !== undefined ? sh`cd ${chdir} || exit 125` : null, sh`sh -c ${probe}`),
    parse: (_out: string, code: number): boolean => code === 0,
  };
}
