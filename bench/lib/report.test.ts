import { describe, expect, it } from 'vitest';
import type { Measurement } from './loadgen';
import { splitConnections } from './loadgen';
import { compare, fmtMs, fmtQps, renderMarkdown, renderSummary, serverCpuUs, type BenchResult, type CellResult } from './report';
import { processTreeCpuSeconds } from './machine';
import { resultBaseName } from './results-writer';
import { distributionEntries, latencyCdfChart, latencyChart, latencyHistogramChart, medianRun, qpsChart } from './charts';
import { summarizeRuns } from './stats';
import { linearTicks, logTicks } from './svg';

function m(qps: number, p99Us: number): Measurement {
  return { qps, p50Us: 50, p99Us, p999Us: p99Us * 3, maxUs: p99Us * 10, meanUs: 60, queries: qps * 10, errors: 0, wrongRows: 0, clientCpuPct: 40, machineBusyPct: 95, loadAverage1m: 1 };
}

function cell(target: string, protocol: 'extended' | 'simple', connections: number, runs: Measurement[]): CellResult {
  return { target, protocol, connections, runs, summary: summarizeRuns(runs) };
}

const cells: CellResult[] = [
  cell('postgres', 'extended', 1, [m(10_000, 200), m(10_000, 200), m(10_000, 200)]),
  cell('freshet', 'extended', 1, [m(9_000, 300), m(9_000, 300), m(9_000, 300)]),
  cell('postgres', 'extended', 8, [m(20_000, 1000)]),
  cell('freshet', 'extended', 8, [m(15_000, 2500)]),
  // A failed candidate cell has no comparison.
  { target: 'postgres', protocol: 'simple', connections: 1, runs: [m(5000, 100)], summary: summarizeRuns([m(5000, 100)]) },
  { target: 'freshet', protocol: 'simple', connections: 1, runs: [], summary: null, failure: 'error: boom' },
];

function result(): BenchResult {
  return {
    scenario: 'point-lookup',
    scale: 'small',
    date: '2025-01-02',
    startedAt: '2025-01-02T00:00:00.000Z',
    finishedAt: '2025-01-02T00:10:00.000Z',
    machine: { cpuModel: 'Test CPU', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 0.5, gitCommit: 'abc123', gitDirty: false },
    config: { rows: 1000, durationS: 10, warmupS: 2, repeats: 3, connections: [1, 8], protocols: ['extended', 'simple'], clientThreads: 1, client: 'pg' },
    targets: [
      { name: 'freshet', version: 'Freshet 0.1', settings: {}, load: { method: 'INSERT', rows: 1000, seconds: 2, settleSeconds: 0, settle: 'FLUSH' } },
      { name: 'postgres', version: 'PostgreSQL 15', settings: {}, load: { method: 'COPY', rows: 1000, seconds: 1, settleSeconds: 0.5, settle: 'CHECKPOINT' } },
    ],
    cells,
    comparisons: compare(cells, 'freshet', 'postgres'),
    notes: ['a note'],
  };
}

describe('compare', () => {
  it('gives candidate/baseline ratios and checks them against the goals', () => {
    const c = compare(cells, 'freshet', 'postgres');
    expect(c).toHaveLength(2);
    expect(c[0]).toMatchObject({ protocol: 'extended', connections: 1, qpsGoalMet: true, p99GoalMet: true });
    expect(c[0].qpsRatio).toBeCloseTo(0.9);
    expect(c[0].p99Ratio).toBeCloseTo(1.5);
    expect(c[1]).toMatchObject({ connections: 8, qpsGoalMet: false, p99GoalMet: false });
    expect(c[1].qpsRatio).toBeCloseTo(0.75);
    expect(c[1].p99Ratio).toBeCloseTo(2.5);
  });
  it('treats exactly 0.8× QPS and 2× p99 as met', () => {
    const edge = [cell('postgres', 'simple', 8, [m(1000, 100)]), cell('freshet', 'simple', 8, [m(800, 200)])];
    expect(compare(edge, 'freshet', 'postgres')[0]).toMatchObject({ qpsGoalMet: true, p99GoalMet: true });
  });
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(result());
  it('has one results row per cell, failures marked', () => {
    expect(md).toContain('| postgres | extended | 1 | 10,000 | 10,000–10,000 (0%) | 0.050 | 0.200 | 0.600 |');
    expect(md).toContain('| freshet | simple | 1 | FAILED |');
    expect(md).toContain('error: boom');
  });
  it('prints the ratio table against the goals', () => {
    expect(md).toContain('| extended | 1 | 0.90× | 1.50× | met | met |');
    expect(md).toContain('| extended | 8 | 0.75× | 2.50× | **missed** | **missed** |');
  });
  it('states the machine, including the core count the client shares', () => {
    expect(md).toContain('Test CPU, **2 cores**');
    expect(md).toContain('- a note');
  });
});

describe('formatting', () => {
  it('formats QPS with separators and latency in ms', () => {
    expect(fmtQps(12345.6)).toBe('12,346');
    expect(fmtQps(12.34)).toBe('12.3');
    expect(fmtMs(1234)).toBe('1.234');
    expect(fmtMs(45_600)).toBe('45.6');
  });
});

describe('charts', () => {
  it('draws one bar per target and cell, skipping failed cells', () => {
    const svg = qpsChart(result());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    // 4 cells × 2 targets − 1 failed − 1 with no data (simple/8) = 5 bars, plus 2 legend swatches and the background.
    expect(svg.match(/<rect /g)).toHaveLength(5 + 2 + 1);
  });
  it('draws p50/p99/p99.9 bars per target on a log axis', () => {
    const svg = latencyChart(result());
    expect(svg).toContain('(log scale)');
    expect(svg).toContain('freshet p99.9');
    expect(svg.match(/<rect /g)).toHaveLength(5 * 3 + 6 + 1);
  });
  it('escapes text', () => {
    const r = result();
    r.scenario = 'a<b&c';
    expect(qpsChart(r)).toContain('a&lt;b&amp;c');
  });
  it('draws CDFs and histograms of the median run at the largest connection count', () => {
    const r = result();
    const withCdf = (x: Measurement, p50Us: number): Measurement => ({ ...x, p50Us, cdf: [[0, p50Us / 2], [50, p50Us], [100, p50Us * 4]] });
    r.cells = r.cells.map((c) => (c.connections === 8 ? { ...c, runs: c.runs.map((x) => withCdf(x, c.target === 'freshet' ? 300 : 200)) } : c));
    const entries = distributionEntries(r);
    expect(entries.map((e) => e.name)).toEqual(['freshet extended', 'postgres extended']);
    expect(latencyCdfChart('cdf', entries).match(/<path /g)).toHaveLength(2);
    expect(latencyHistogramChart('hist', entries)).toContain('% of queries');
    expect(medianRun([{ p50Us: 10 }, { p50Us: 40 }, { p50Us: 22 }], 20)).toEqual({ p50Us: 22 });
    expect(medianRun([{ p50Us: 10 }], undefined)).toBeUndefined();
  });
  it('picks round tick values', () => {
    expect(linearTicks(9500)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(logTicks(0.03, 12)).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(logTicks(Infinity, 1)).toEqual([1, 10]);
  });
});

describe('misc', () => {
  it('names result files by date and scenario, suffixing non-full scales', () => {
    expect(resultBaseName({ date: '2025-01-02', scenario: 'point-lookup', scale: 'full' })).toBe('2025-01-02-point-lookup');
    expect(resultBaseName({ date: '2025-01-02', scenario: 'point-lookup', scale: 'small' })).toBe('2025-01-02-point-lookup-small');
  });
  it('spreads connections evenly over worker threads', () => {
    expect(splitConnections(8, 1)).toEqual([8]);
    expect(splitConnections(8, 3)).toEqual([3, 3, 2]);
    expect(splitConnections(1, 4)).toEqual([1]);
  });
});

describe('renderSummary', () => {
  it('puts both targets side by side with ratios and goals, and names failed cells', () => {
    const text = renderSummary(result());
    expect(text).toContain('extended  1 conn: QPS 9,000 vs 10,000 = 0.90× (goal ≥ 0.8×: met) | p99 0.300 vs 0.200 ms = 1.50× (goal ≤ 2×: met)');
    expect(text).toContain('extended  8 conn: QPS 15,000 vs 20,000 = 0.75× (goal ≥ 0.8×: MISSED)');
    expect(text).toContain('simple    1 conn: error: boom');
  });
});

describe('server CPU per query', () => {
  it('is the median over the runs that measured it', () => {
    const runs = [{ ...m(1, 1), serverCpuUsPerQuery: 30 }, { ...m(1, 1), serverCpuUsPerQuery: 10 }, { ...m(1, 1), serverCpuUsPerQuery: null }, { ...m(1, 1), serverCpuUsPerQuery: 20 }];
    expect(serverCpuUs(cell('freshet', 'simple', 1, runs))).toBe(20);
    expect(serverCpuUs(cell('freshet', 'simple', 1, [m(1, 1)]))).toBeNull();
  });
  it('reads a process tree from /proc', () => {
    if (process.platform !== 'linux') return;
    expect(processTreeCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(processTreeCpuSeconds(2 ** 22 + 12345)).toBeNull();
  });
});
