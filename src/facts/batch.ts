// Batching: all of a host's probes travel in ONE exec and come back framed by a random
// nonce, so a no-op run costs one round trip for facts whatever the task count. Facts that
// share a merger (see types.ts) are probed together in one slot: one `stat` for every file.
import { randomBytes } from 'node:crypto';
import { raw, script, sh, type Shell } from '../sh.js';
import { InternalError } from '../errors.js';
import type { Fact, FactMerger, RawFact } from './types.js';

export type { RawFact } from './types.js';

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** One framed probe in the batch: a fact's own probe, or a merged probe for several facts. */
interface Slot {
  readonly probe: Shell;
  /** Indexes into the facts array that this slot answers. */
  members: number[];
  merger?: FactMerger;
  /** The merger's args, deduplicated, in first-seen order. */
  args?: string[];
}

/** Group mergeable facts per merger (two or more of a kind); every other fact keeps its own probe. */
export function slots(facts: readonly Fact<unknown>[]): Slot[] {
  const byMerger = new Map<FactMerger, number[]>();
  facts.forEach((f, i) => {
    if (f.merge) byMerger.set(f.merge.merger, [...(byMerger.get(f.merge.merger) ?? []), i]);
  });
  const out: Slot[] = [];
  const placed = new Set<FactMerger>();
  facts.forEach((f, i) => {
    const merger = f.merge?.merger;
    const group = merger ? byMerger.get(merger)! : [];
    if (!merger || group.length < 2) {
      out.push({ probe: f.probe, members: [i] });
      return;
    }
    if (placed.has(merger)) return;
    placed.add(merger);
    const args = [...new Set(group.map((m) => facts[m]!.merge!.arg))];
    // Built only when the script is (parseBatch groups the same facts again, needing no text).
    out.push({
      get probe() {
        return merger.probe(args);
      },
      members: group,
      merger,
      args,
    });
  });
  return out;
}

/** Rough cost of a slot on the host: probes that wait on a daemon (MariaDB, systemd) or the network (live reads) cost most. */
function weight(s: Slot, facts: readonly Fact<unknown>[]): number {
  const kind = s.merger?.kind ?? facts[s.members[0]!]!.key.split(':')[0];
  return kind === 'mysql' || kind === 'svc' || kind === 'live' ? 3 : kind === 'file' ? 2 : 1;
}

/** Up to `n` groups of slot indexes, the heaviest slots first, each to the lightest group. */
export function groupSlots(weights: readonly number[], n: number): number[][] {
  const groups = Array.from({ length: Math.min(n, weights.length) }, () => ({ load: 0, members: [] as number[] }));
  const order = weights.map((w, i) => [w, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [w, i] of order) {
    const g = groups.reduce((a, b) => (b.load < a.load ? b : a));
    g.load += w;
    g.members.push(i);
  }
  return groups.map((g) => g.members.sort((a, b) => a - b)).filter((g) => g.length);
}

/** Probes of one batch run in at most this many concurrent groups: one, plus one per probe that waits on a daemon. */
export const GROUPS = 3;

/**
 * One script that runs each slot's probe in a subshell and frames its stdout and exit code.
 * The slots run in up to GROUPS concurrent groups joined by pipes, with no temp file:
 *   { A; } | { { B; } | { C; cat; }; cat; }
 * C writes to the exec's stdout while A and B write into pipes that are copied out only
 * after it, so frames never interleave (they may come out of order: each has its index).
 */
export function buildBatch(facts: readonly Fact<unknown>[], nonce: string): Shell {
  const ss = slots(facts);
  const frame = (i: number): Shell =>
    script(
      sh`printf '%s\n' ${`@@plumb:${nonce}:${i}:begin`}`,
      raw(`( ${ss[i]!.probe.text}\n) </dev/null 2>/dev/null`),
      sh`printf '\n%s%d\n' ${`@@plumb:${nonce}:${i}:end:`} "$?"`,
    );
  // Concurrency pays for the probes that wait on a daemon; each extra group costs two forks,
  // which a host that is short of CPU (or 100 lab hosts on 2 cores) feels.
  const weights = ss.map((s) => weight(s, facts));
  const n = Math.min(GROUPS, 1 + weights.filter((w) => w >= 3).length);
  const groups = groupSlots(weights, n).map((g) => script(...g.map(frame)));
  if (groups.length < 2) return groups[0] ?? script();
  // Nest from the last group inwards: the last one writes to stdout directly.
  let inner = raw(`{\n${groups[groups.length - 1]!.text}\ncat; }`);
  for (let k = groups.length - 2; k >= 0; k--) {
    inner = raw(`{\n${groups[k]!.text}\n} | ${inner.text}`);
    if (k > 0) inner = raw(`{ ${inner.text}\ncat; }`);
  }
  return inner;
}

/** The framed outputs, one per slot. */
export function parseFrames(stdout: string, count: number, nonce: string): RawFact[] {
  const results: RawFact[] = [];
  for (let i = 0; i < count; i++) {
    // Frames come out in group order, not index order; the nonce makes each marker unique.
    const begin = `@@plumb:${nonce}:${i}:begin\n`;
    const end = `\n@@plumb:${nonce}:${i}:end:`;
    const b = stdout.indexOf(begin);
    const e = b < 0 ? -1 : stdout.indexOf(end, b + begin.length);
    if (b < 0 || e < 0) throw new InternalError(`fact batch output is missing probe ${i} of ${count}`);
    const nl = stdout.indexOf('\n', e + end.length);
    const code = Number(stdout.slice(e + end.length, nl < 0 ? undefined : nl));
    results.push({ out: stdout.slice(b + begin.length, e), code });
  }
  return results;
}

/** One RawFact per fact, in the order of `facts`, as each fact's own probe would have printed it. */
export function parseBatch(stdout: string, facts: readonly Fact<unknown>[], nonce: string): RawFact[] {
  const ss = slots(facts);
  const frames = parseFrames(stdout, ss.length, nonce);
  const results: RawFact[] = new Array<RawFact>(facts.length);
  ss.forEach((s, i) => {
    const frame = frames[i]!;
    if (!s.merger) {
      results[s.members[0]!] = frame;
      return;
    }
    const args = s.args!;
    const parts = s.merger.split(frame.out, frame.code, args);
    if (parts.length !== args.length) throw new InternalError(`merged ${s.merger.kind} probe answered ${parts.length} of ${args.length}`);
    for (const m of s.members) results[m] = parts[args.indexOf(facts[m]!.merge!.arg)]!;
  });
  return results;
}
