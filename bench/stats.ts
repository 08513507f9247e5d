// Small statistics for the bench: percentiles by nearest rank, on a sorted copy.
import type { LatencySummary } from './results.ts';

/** The value below which `percent`% of the samples lie (nearest-rank method); 0 for no samples. */
export function percentile(sorted: readonly number[], percent: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarizeLatencies(samples: ArrayLike<number> & Iterable<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  const total = values.reduce((sum, value) => sum + value, 0);
  return {
    p50: round(percentile(values, 50)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    mean: round(values.length === 0 ? 0 : total / values.length),
    max: round(values.at(-1) ?? 0),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Three decimals: enough for milliseconds and ratios, short enough to read in the JSON. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
