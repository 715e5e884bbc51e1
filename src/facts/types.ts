// A fact is a read-only shell probe plus a parser. The engine batches every probe a host
// needs into one exec (see batch.ts); modules only ever see parsed values.
import type { Shell } from '../sh.js';

export interface Fact<T> {
  /** Identity used for caching and invalidation, e.g. "file:/etc/nginx/nginx.conf" ("#variant" suffixes share invalidation). */
  readonly key: string;
  /** Read-only shell. Its stdout (stderr is discarded) and exit code go to parse(). */
  readonly probe: Shell;
  parse(stdout: string, code: number): T;
}

/** Parsed facts for one host, as seen by a module's plan(). */
export interface FactResults {
  get<T>(fact: Fact<T>): T;
}

/** Invalidation: a change names the fact keys it can alter; '*' means everything, 'pkg:*' a whole kind. */
export function invalidates(patterns: readonly string[], factKey: string): boolean {
  const key = factKey.split('#')[0] ?? factKey; // "file:/x#content" is the same state as "file:/x"
  return patterns.some((p) => p === '*' || p === key || (p.endsWith(':*') && key.startsWith(p.slice(0, -1))));
}
