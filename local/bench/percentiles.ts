/**
 * Summary statistics of a sample (e.g. per-hop overheads in ms): percentiles by linear interpolation between
 * closest ranks (Hyndman & Fan type 7, the default of NumPy `percentile`, R `quantile` and Excel `PERCENTILE.INC`).
 */

/** Count, mean, p50, p95 and max of a sample, in the sample's unit; every figure is null for an empty sample. */
export interface Summary {
  count: number;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/**
 * The p-th percentile of `values` (type 7): with the values sorted ascending as x[0..n-1], h = (n − 1)·p/100, the
 * result is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 * @param p percentile in 0..100.
 * @returns null for an empty sample.
 * @throws RangeError when p is outside 0..100 or a value is not finite.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  if (values.length === 0) return null;
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`sample values must be finite, got ${v}`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Count, mean, p50, p95 and max of `values`.
 * @throws RangeError when a value is not finite.
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, mean: null, p50: null, p95: null, max: null };
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}
