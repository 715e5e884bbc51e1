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

/** One script that runs each slot's probe in a subshell and frames its stdout and exit code. */
export function buildBatch(facts: readonly Fact<unknown>[], nonce: string): Shell {
  return script(
    ...slots(facts).map((s, i) =>
      script(
        sh`printf '%s\n' ${`@@plumb:${nonce}:${i}:begin`}`,
        raw(`( ${s.probe.text}\n) </dev/null 2>/dev/null`),
        sh`printf '\n%s%d\n' ${`@@plumb:${nonce}:${i}:end:`} "$?"`,
      ),
    ),
  );
}

/** The framed outputs, one per slot. */
export function parseFrames(stdout: string, count: number, nonce: string): RawFact[] {
  const results: RawFact[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const begin = `@@plumb:${nonce}:${i}:begin\n`;
    const end = `\n@@plumb:${nonce}:${i}:end:`;
    const b = stdout.indexOf(begin, at);
    const e = b < 0 ? -1 : stdout.indexOf(end, b + begin.length);
    if (b < 0 || e < 0) throw new InternalError(`fact batch output is missing probe ${i} of ${count}`);
    const nl = stdout.indexOf('\n', e + end.length);
    const code = Number(stdout.slice(e + end.length, nl < 0 ? undefined : nl));
    results.push({ out: stdout.slice(b + begin.length, e), code });
    at = nl < 0 ? stdout.length : nl + 1;
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
