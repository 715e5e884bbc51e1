// A change script is several commands joined by newlines; without `set -e` only the last
// one's exit code would reach the executor and an earlier failure would pass as success.
import { raw, script, type Shell } from '../../sh.js';

export function steps(...parts: (Shell | null | undefined | false)[]): Shell {
  return script(raw('set -e'), ...parts);
}
