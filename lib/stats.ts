/** Percentiles of a list of latencies (ms), nearest-rank. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

export const ms = (value: number): string =>
  !Number.isFinite(value) ? '-' : Number.isInteger(value) ? `${value} ms` : `${value.toFixed(2)} ms`;

/** A Markdown table from a header and rows. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const lines = [header, header.map(() => '---'), ...rows.map((r) => r.map(String))];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * The counts a binomial draw of n with probability p lands between, but for a chance of about
 * 1 in 16,000 when sigmas is 4 (the normal approximation, which holds once n·p and n·(1 − p)
 * are 10 or more).
 */
export function binomialBound(n: number, p: number, sigmas = 4): { low: number; high: number } {
  const mean = n * p;
  const sd = Math.sqrt(n * p * (1 - p));
  return { low: Math.max(0, Math.floor(mean - sigmas * sd)), high: Math.min(n, Math.ceil(mean + sigmas * sd)) };
}
