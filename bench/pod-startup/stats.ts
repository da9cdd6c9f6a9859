/** Summary statistics of latency samples (milliseconds). */

/** Median, 99th percentile (nearest rank), min, max and count of `samples`. */
export interface Summary { n: number; median: number; p99: number; min: number; max: number }

/** Nearest-rank percentile `q` (0..1) of sorted `xs`. */
function rank(xs: readonly number[], q: number): number {
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))]!;
}

/** Summarises `samples`; with fewer than 100 samples p99 is the maximum (nearest rank). */
export function summarize(samples: readonly number[]): Summary {
  const xs = [...samples].sort((a, b) => a - b);
  if (xs.length === 0) return { n: 0, median: NaN, p99: NaN, min: NaN, max: NaN };
  const mid = xs.length / 2;
  const median = xs.length % 2 === 1 ? xs[Math.floor(mid)]! : (xs[mid - 1]! + xs[mid]!) / 2;
  return { n: xs.length, median, p99: rank(xs, 0.99), min: xs[0]!, max: xs[xs.length - 1]! };
}
