// Batching: all of a host's probes travel in ONE exec and come back framed by a random
// nonce, so a no-op run costs one round trip for facts whatever the task count.
import { randomBytes } from 'node:crypto';
import { raw, script, sh, type Shell } from '../sh.js';
import { InternalError } from '../errors.js';
import type { Fact } from './types.js';

export interface RawFact {
  out: string;
  code: number;
}

export function newNonce(): string {
  return randomBytes(8).toString('hex');
}

/** One script that runs each probe in a subshell and frames its stdout and exit code. */
export function buildBatch(facts: readonly Fact<unknown>[], nonce: string): Shell {
  return script(
    ...facts.map((f, i) =>
      script(
        sh`printf '%s\n' ${`@@plumb:${nonce}:${i}:begin`}`,
        raw(`( ${f.probe.text}\n) </dev/null 2>/dev/null`),
        sh`printf '\n%s%d\n' ${`@@plumb:${nonce}:${i}:end:`} "$?"`,
      ),
    ),
  );
}

export function parseBatch(stdout: string, count: number, nonce: string): RawFact[] {
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
