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
