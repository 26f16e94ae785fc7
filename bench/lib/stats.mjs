/** The `p`-th percentile (0–100) of ascending `sorted` values, by nearest rank; NaN when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Latency figures in milliseconds from samples in nanoseconds. */
export function latencyMs(samplesNs, percentiles) {
  const sorted = Float64Array.from(samplesNs).sort();
  const figures = {};
  for (const [key, p] of Object.entries(percentiles)) {
    figures[key] = percentile(sorted, p) / 1e6;
  }
  return figures;
}
