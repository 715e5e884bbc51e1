// Unified diffs for --diff output, from a module's {label, before, after}.
import { createTwoFilesPatch } from 'diff';
import type { Diff } from '../modules/types.js';

export function unified(d: Diff): string {
  const patch = createTwoFilesPatch(`${d.label} (before)`, `${d.label} (after)`, d.before, d.after, undefined, undefined, { context: 3 });
  // Drop the "====" banner line that createTwoFilesPatch starts with.
  return patch.replace(/^=+\n/, '');
}
