// Run fact probes for real on this machine, through the same batch framing the engine
// uses (stdin from /dev/null, stderr dropped), with LC_ALL=C as the engine sets it.
import { spawnSync } from 'node:child_process';
import { buildBatch, newNonce, parseBatch, type RawFact } from '../../../src/facts/batch.js';
import type { Fact } from '../../../src/facts/types.js';

export function runBatchLocally(facts: readonly Fact<unknown>[]): RawFact[] {
  const nonce = newNonce();
  const script = `LC_ALL=C; export LC_ALL\n${buildBatch(facts, nonce).text}`;
  const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`batch exited ${String(r.status)}: ${r.stderr}`);
  return parseBatch(r.stdout, facts, nonce);
}

/** Gather and parse, as the engine does. */
export function gather<T>(fact: Fact<T>): T {
  const [raw] = runBatchLocally([fact]);
  return fact.parse(raw!.out, raw!.code);
}

/** Gather several facts in one batch (mergeable ones share a probe) and parse each. */
export function gatherAll(facts: readonly Fact<unknown>[]): unknown[] {
  return runBatchLocally(facts).map((r, i) => facts[i]!.parse(r.out, r.code));
}
