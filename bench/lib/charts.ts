/**
 * The two figures of a point-lookup result: QPS per cell, and p50/p99/p99.9 latency per
 * cell, one colour family per target.
 */
import { barChart, type BarSeries } from './svg';
import { fmtQps, type BenchResult, type CellResult } from './report';

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
