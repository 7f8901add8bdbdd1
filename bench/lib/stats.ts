/**
 * Percentiles of one run, and the median-with-spread summary of repeated runs.
 * Pure functions: the only part of the benchmark that unit tests cover.
 */
import type { Histogram } from 'hdr-histogram-js';

/** Latencies in microseconds. */
export interface LatencySummary {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

export function latencySummary(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { p50Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0 };
  return {
    p50Us: h.getValueAtPercentile(50),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
    meanUs: Math.round(h.mean * 10) / 10,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Nearest-rank percentile (0 < p ≤ 100) of a small sample, e.g. a few hundred freshness
 * probes: the smallest value with at least p% of the sample at or below it.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

/** (max − min) / median, in percent: how far apart the repeats of one cell landed. */
export function spreadPct(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  if (!(m > 0)) return 0;
  return ((Math.max(...xs) - Math.min(...xs)) / m) * 100;
}

/** Above this spread a cell's median is reported as noisy. */
export const NOISY_SPREAD_PCT = 20;

export interface RunFigures {
  qps: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
}

export interface CellSummary {
  /** Each figure is the median of that figure over the runs (not the run with median QPS). */
  median: RunFigures;
  min: RunFigures;
  max: RunFigures;
  spread: { qpsPct: number; p99Pct: number };
  noisy: boolean;
}

const FIGURES: (keyof RunFigures)[] = ['qps', 'p50Us', 'p99Us', 'p999Us'];

export function summarizeRuns(runs: readonly RunFigures[]): CellSummary {
  const pick = (f: (xs: number[]) => number) =>
    Object.fromEntries(FIGURES.map((k) => [k, f(runs.map((r) => r[k]))])) as unknown as RunFigures;
  const spread = { qpsPct: spreadPct(runs.map((r) => r.qps)), p99Pct: spreadPct(runs.map((r) => r.p99Us)) };
  return {
    median: pick(median),
    min: pick((xs) => Math.min(...xs)),
    max: pick((xs) => Math.max(...xs)),
    spread,
    noisy: spread.qpsPct > NOISY_SPREAD_PCT || spread.p99Pct > NOISY_SPREAD_PCT,
  };
}

/** A latency distribution as [percentile, µs] points, ascending in both: the CDF. */
export type LatencyCdf = [number, number][];

/** The percentiles a CDF is sampled at: every 1% to 99, then the tail in finer steps. */
export const CDF_PERCENTILES: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => i + 1),
  99.5,
  99.9,
  99.95,
  99.99,
  100,
];

/**
 * The CDF of a histogram at CDF_PERCENTILES, plus its minimum as percentile 0: compact
 * enough for the JSON of every run, detailed enough for the CDF and histogram charts.
 */
export function latencyCdf(h: { totalCount: number; minNonZeroValue: number; getValueAtPercentile(p: number): number }): LatencyCdf {
  if (h.totalCount === 0) return [];
  return [[0, h.minNonZeroValue], ...CDF_PERCENTILES.map((p): [number, number] => [p, h.getValueAtPercentile(p)])];
}

/** Percent of samples at or below `v`, interpolated linearly between the CDF's points. */
export function percentAtOrBelow(cdf: LatencyCdf, v: number): number {
  if (cdf.length === 0) return NaN;
  if (v < cdf[0][1]) return 0;
  for (let i = cdf.length - 1; i >= 0; i--) {
    if (cdf[i][1] <= v) {
      // The last point at or below v; interpolate towards the next one above it.
      const next = cdf[i + 1];
      if (!next || next[1] === cdf[i][1]) return cdf[i][0];
      return cdf[i][0] + ((next[0] - cdf[i][0]) * (v - cdf[i][1])) / (next[1] - cdf[i][1]);
    }
  }
  return 0;
}

/** Percent of samples per log-spaced bin [lo, hi), `binsPerDecade` bins per power of ten. */
export function histogramFromCdf(cdf: LatencyCdf, binsPerDecade = 5): { loUs: number; hiUs: number; pct: number }[] {
  if (cdf.length === 0) return [];
  const min = Math.max(1, cdf[0][1]);
  const max = cdf[cdf.length - 1][1];
  const step = 1 / binsPerDecade;
  const out: { loUs: number; hiUs: number; pct: number }[] = [];
  for (let e = Math.floor(Math.log10(min) / step) * step; 10 ** e <= max; e += step) {
    const lo = 10 ** e;
    const hi = 10 ** (e + step);
    // The top bin takes the maximum itself.
    const pct = (hi > max ? 100 : percentAtOrBelow(cdf, hi)) - (lo <= cdf[0][1] ? 0 : percentAtOrBelow(cdf, lo));
    out.push({ loUs: Number(lo.toPrecision(6)), hiUs: Number(hi.toPrecision(6)), pct: Math.max(0, pct) });
  }
  return out;
}
