// Small statistics for the benchmark. Percentiles use the nearest-rank method (the smallest sample with at least
// p% of the samples at or below it), so p99 of 500 samples is the 495th fastest, a real observed latency.

/** The p-th percentile (0 < p <= 100) of unsorted samples, nearest rank; NaN when there are none. */
export function percentile(samples, p) {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(samples) {
  return percentile(samples, 50);
}

/** Count, p50, p99, mean, min and max of latency samples in milliseconds. */
export function summarize(samples) {
  const count = samples.length;
  return {
    count,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    meanMs: count ? samples.reduce((s, x) => s + x, 0) / count : Number.NaN,
    minMs: count ? Math.min(...samples) : Number.NaN,
    maxMs: count ? Math.max(...samples) : Number.NaN,
  };
}
