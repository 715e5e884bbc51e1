// A fact is a read-only shell probe plus a parser. The engine batches every probe a host
// needs into one exec (see batch.ts); modules only ever see parsed values.
import type { Shell } from '../sh.js';

/** What one probe printed (stdout; stderr is discarded) and its exit code. */
export interface RawFact {
  out: string;
  code: number;
}

/**
 * Facts of one kind that can share a probe (every file stat of a host in one `stat`, every
 * unit in one `systemctl show`): forks cost milliseconds each on small hosts, and a stack's
 * audit has dozens of them. The batch sends one merged probe per merger and `split` hands
 * each fact exactly what its own probe would have printed, so `parse` never knows.
 */
export interface FactMerger {
  readonly kind: string;
  probe(args: readonly string[]): Shell;
  /** One RawFact per arg, in order. */
  split(out: string, code: number, args: readonly string[]): RawFact[];
}

export interface Fact<T> {
  /** Identity used for caching and invalidation, e.g. "file:/etc/nginx/nginx.conf" ("#variant" suffixes share invalidation). */
  readonly key: string;
  /** Read-only shell. Its stdout (stderr is discarded) and exit code go to parse(). */
  readonly probe: Shell;
  parse(stdout: string, code: number): T;
  /** Set when this probe can be merged with others of its kind (see FactMerger). */
  readonly merge?: { readonly merger: FactMerger; readonly arg: string };
}

/** Parsed facts for one host, as seen by a module's plan(). */
export interface FactResults {
  get<T>(fact: Fact<T>): T;
}

/**
 * Invalidation: a change names the fact keys it can alter; '*' means everything, 'pkg:*' a
 * whole kind. A live read ("live:" keys) is altered by any change.
 */
export function invalidates(patterns: readonly string[], factKey: string): boolean {
  // A live read (facts/live.ts) can depend on anything: every change makes it stale.
  if (factKey.startsWith('live:')) return patterns.length > 0;
  const key = factKey.split('#')[0] ?? factKey; // "file:/x#content" is the same state as "file:/x"
  return patterns.some((p) => p === '*' || p === key || (p.endsWith(':*') && key.startsWith(p.slice(0, -1))));
}
