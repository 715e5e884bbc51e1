// live: reads whose answer can change without plumb touching this host: a port, an HTTP
// answer, a query's rows (wait_for, uri GET, a read-only mysql_query). They are probed in the
// host's one batched exec like every fact, so a no-op run costs no exec of their own. But an
// answer stands only until a change is applied anywhere in the run (on any host: the port may
// be another host's): after that it is probed again before a plan reads it (HostSession), and
// in check mode a change planned but not applied anywhere marks it as one that may differ.
import { createHash } from 'node:crypto';
import type { Shell } from '../sh.js';
import type { Fact } from './types.js';

export const LIVE_PREFIX = 'live:';

export const isLive = (key: string): boolean => key.startsWith(LIVE_PREFIX);

/** A live fact: `kind` names it in messages; the key is the probe's own hash, so equal probes share one read. */
export function liveFact<T>(kind: string, probe: Shell, parse: (stdout: string, code: number) => T): Fact<T> {
  const id = createHash('sha256').update(probe.text).digest('hex').slice(0, 16);
  return { key: `${LIVE_PREFIX}${kind}:${id}`, probe, parse };
}
