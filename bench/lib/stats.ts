// Summaries of repeated measurements: median, min and max, and the ratio between two tools.
// Pure functions, so the table, the JSON and the chart all read the same numbers.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max. Empty input: undefined. */
export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

/** How many times faster `fast` is than `slow`, by medians (undefined when either is missing). */
export function speedup(slow: Summary | undefined, fast: Summary | undefined): number | undefined {
  if (!slow || !fast || fast.median <= 0) return undefined;
  return slow.median / fast.median;
}

/** Total length covered by a set of [start, end] intervals (overlaps counted once). */
export function unionLength(intervals: readonly (readonly [number, number])[]): number {
  const s = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [a, b] of s) {
    if (a > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else if (b > curEnd) {
      curEnd = b;
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/**
 * Growth exponent between two points of a time-vs-hosts curve: 1 is linear, below 1 is
 * sub-linear (log(t2/t1) / log(n2/n1)).
 */
export function growthExponent(n1: number, t1: number, n2: number, t2: number): number {
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}
