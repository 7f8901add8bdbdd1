/**
 * The figures of a point-lookup result: QPS per cell, p50/p99/p99.9 latency per cell, one
 * colour family per target; and latency CDFs and histograms (shared with the serving scenario).
 */
import { lineChart } from './line-chart';
import { barChart, type BarSeries } from './svg';
import { fmtQps, type BenchResult, type CellResult } from './report';
import { histogramFromCdf, type LatencyCdf } from './stats';

const PALETTES: Record<string, string[]> = {
  // light → dark for p50 → p99.9
  freshet: ['#fdae6b', '#e6550d', '#a63603'],
  postgres: ['#9ecae1', '#3182bd', '#08519c'],
};
const FALLBACK = ['#bbbbbb', '#777777', '#333333'];
const palette = (target: string) => PALETTES[target] ?? FALLBACK;

function cellKeys(r: BenchResult): { label: string; protocol: string; connections: number }[] {
  return r.config.protocols.flatMap((protocol) =>
    r.config.connections.map((connections) => ({ label: `${protocol}\n${connections} conn${connections > 1 ? 's' : ''}`, protocol, connections })),
  );
}

function targetsOf(r: BenchResult): string[] {
  return r.targets.filter((t) => !t.unavailable).map((t) => t.name);
}

function find(r: BenchResult, target: string, protocol: string, connections: number): CellResult | undefined {
  return r.cells.find((c) => c.target === target && c.protocol === protocol && c.connections === connections);
}

export function qpsChart(r: BenchResult): string {
  const targets = targetsOf(r);
  return barChart({
    title: `${r.scenario}: queries per second (median of ${r.config.repeats}, whiskers min–max)`,
    yLabel: 'QPS',
    series: targets.map((t) => ({ name: t, color: palette(t)[1] })),
    groups: cellKeys(r).map((k) => ({
      label: k.label,
      values: targets.map((t) => {
        const s = find(r, t, k.protocol, k.connections)?.summary;
        return s ? { value: s.median.qps, lo: s.min.qps, hi: s.max.qps } : null;
      }),
    })),
    format: fmtQps,
    labels: true,
  });
}

export function latencyChart(r: BenchResult): string {
  const targets = targetsOf(r);
  const pcts = [
    ['p50', 'p50Us'],
    ['p99', 'p99Us'],
    ['p99.9', 'p999Us'],
  ] as const;
  const series: BarSeries[] = targets.flatMap((t) => pcts.map(([name], i) => ({ name: `${t} ${name}`, color: palette(t)[i] })));
  return barChart({
    title: `${r.scenario}: latency (ms, median of ${r.config.repeats})`,
    yLabel: 'latency ms',
    series,
    groups: cellKeys(r).map((k) => ({
      label: k.label,
      values: targets.flatMap((t) => {
        const s = find(r, t, k.protocol, k.connections)?.summary;
        return pcts.map(([, key]) => (s ? { value: s.median[key] / 1000 } : null));
      }),
    })),
    log: true,
    format: (v) => (v >= 1 ? String(Number(v.toPrecision(3))) : String(Number(v.toPrecision(2)))),
  });
}

/** One latency distribution to draw: a run's CDF ([percentile, µs]). */
export interface DistributionEntry {
  name: string;
  color: string;
  cdf: LatencyCdf;
}

/** Latency CDFs, ms on a log axis, with a p99 line. */
export function latencyCdfChart(title: string, entries: readonly DistributionEntry[]): string {
  return lineChart({
    title,
    xLabel: 'latency ms',
    yLabel: 'percent of queries at or below',
    xLog: true,
    series: entries.filter((e) => e.cdf.length).map((e) => ({ name: e.name, color: e.color, points: e.cdf.map(([p, us]): [number, number] => [us / 1000, p]) })),
    refs: [{ y: 99, label: 'p99' }],
  });
}

/** Latency histograms (share of queries per log-spaced bin, 5 a decade), derived from the CDFs. */
export function latencyHistogramChart(title: string, entries: readonly DistributionEntry[]): string {
  return lineChart({
    title,
    xLabel: 'latency ms (bin upper edge)',
    yLabel: '% of queries',
    xLog: true,
    series: entries
      .filter((e) => e.cdf.length)
      .map((e) => ({ name: e.name, color: e.color, points: histogramFromCdf(e.cdf, 5).map((b): [number, number] => [b.hiUs / 1000, b.pct]) })),
  });
}

/** The run whose p50 is closest to the cell's median p50: the distribution drawn for the cell. */
export function medianRun<T extends { p50Us: number }>(runs: readonly T[], medianP50Us: number | undefined): T | undefined {
  return medianP50Us === undefined ? undefined : [...runs].sort((a, b) => Math.abs(a.p50Us - medianP50Us) - Math.abs(b.p50Us - medianP50Us))[0];
}

/** Point lookup: every target's distribution at the largest connection count, per protocol. */
export function distributionEntries(r: BenchResult): DistributionEntry[] {
  const conns = Math.max(...r.config.connections);
  return targetsOf(r).flatMap((t) =>
    r.config.protocols.flatMap((protocol, i) => {
      const c = find(r, t, protocol, conns);
      const run = c ? medianRun(c.runs, c.summary?.median.p50Us) : undefined;
      return run?.cdf?.length ? [{ name: `${t} ${protocol}`, color: palette(t)[i === 0 ? 1 : 2], cdf: run.cdf }] : [];
    }),
  );
}
