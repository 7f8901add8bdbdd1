/** The serving report: targets judged from the cells, tables per query kind, charts, spreads. */
import { describe, expect, it } from 'vitest';
import type { Measurement } from '../lib/loadgen';
import type { MachineInfo } from '../lib/machine';
import { summarizeRuns } from '../lib/stats';
import { KINDS, SERVING_PRESETS, goalsFor, selectedKinds, renderServing, servingCharts, servingSemiSpaceMb, servingSpreads, type ServingCell, type ServingResult, type System } from './serving';

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null };

const run = (qps: number, p50Us: number, p99Us: number): Measurement => ({
  qps,
  p50Us,
  p99Us,
  p999Us: p99Us * 2,
  maxUs: p99Us * 3,
  meanUs: p50Us,
  queries: qps,
  errors: 0,
  wrongRows: 0,
  clientCpuPct: 50,
  machineBusyPct: 80,
  loadAverage1m: 1,
  serverCpuUsPerQuery: 20,
  cdf: [
    [0, p50Us / 2],
    [50, p50Us],
    [99, p99Us],
    [100, p99Us * 3],
  ],
});

function cell(system: System, kind: ServingCell['kind'], connections: number, runs: Measurement[], protocol: ServingCell['protocol'] = 'extended'): ServingCell {
  return { system, kind, protocol, connections, runs, summary: summarizeRuns(runs) };
}

function result(cells: ServingCell[]): ServingResult {
  return {
    scenario: 'serving',
    scale: 'quick',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { ...SERVING_PRESETS.quick, connections: [1, 8], protocols: ['extended'], systems: ['freshet', 'postgres', 'postgres-naive', 'redis-get'], transactions: 1, pageEvents: 1, memoryLimit: null },
    load: { freshet: { seconds: 10, rowsPerS: 1000, settleSeconds: 0 } },
    checks: [{ what: 'user_risk_features', freshet: '1, 2', postgres: '1, 2', equal: true }],
    versions: { freshet: 'Freshet 0.1' },
    cells,
    goals: [],
    notes: ['a note'],
  };
}

describe('serving report', () => {
  const cells = [
    cell('freshet', 'hot', 1, [run(5000, 150, 400), run(5200, 140, 380)]),
    cell('freshet', 'hot', 8, [run(20_000, 300, 900), run(22_000, 310, 950)]),
    cell('postgres', 'hot', 8, [run(18_000, 250, 1200), run(19_000, 260, 1300)]),
    cell('postgres-naive', 'hot', 1, [run(50, 15_000, 40_000), run(60, 14_000, 38_000)]),
    cell('postgres-naive', 'hot', 8, [run(100, 70_000, 200_000), run(110, 75_000, 210_000)]),
    cell('redis-get', 'hot', 8, [run(40_000, 150, 500), run(42_000, 160, 520)], 'resp'),
    { system: 'freshet', kind: 'join-hot', protocol: 'extended', connections: 8, runs: [], summary: null, failure: 'too slow' } satisfies ServingCell,
  ];
  const r = result(cells);
  r.goals = goalsFor(r);

  it('judges the issue targets from the cells', () => {
    const g = (s: string) => r.goals.find((x) => x.goal.includes(s))!;
    expect(g('QPS ≥ 1.0× PostgreSQL')).toMatchObject({ met: true });
    expect(g('QPS ≥ 1.0× PostgreSQL').figure).toContain('1.14×');
    expect(g('p99 ≤ 1 ms')).toMatchObject({ met: true, figure: '0.925 ms' });
    expect(g('3.8 ms')).toMatchObject({ met: true });
    const naive1 = r.goals.find((x) => x.goal.includes('extended, 1 conn:'))!;
    // p50 145 µs vs 14.5 ms = 100×, QPS 5,100 vs 55 = 92.7×
    expect(naive1.met).toBe(true);
    expect(naive1.figure).toContain('= 100.0×');
  });

  it('misses a target by the numbers', () => {
    const slow = result([cell('freshet', 'hot', 8, [run(10_000, 500, 2000)]), cell('postgres', 'hot', 8, [run(18_000, 250, 1200)])]);
    const goals = goalsFor(slow);
    expect(goals.find((x) => x.goal.includes('QPS ≥'))!.met).toBe(false);
    expect(goals.find((x) => x.goal.includes('p99 ≤ 1 ms'))!.met).toBe(false);
    expect(goals.find((x) => x.goal.includes('3.8 ms'))!.met).toBe(false);
  });

  it('renders a table per query kind with the seed figures, failures and notes', () => {
    const md = renderServing(r);
    expect(md).toContain('## Targets');
    expect(md).toContain('### single MV, hot key — seed 004: p50 1.2 / p99 3.8 ms');
    expect(md).toContain('| freshet | extended | 8 | 21,000 |');
    expect(md).toContain('| freshet | extended | 8 | FAILED |');
    expect(md).toContain('too slow');
    expect(md).toContain('- a note');
    expect(KINDS.map((k) => k.id)).toEqual(['hot', 'cold', 'join-hot', 'join-cold', 'wide', 'high-card']);
  });

  it('draws QPS bars, a CDF and a histogram, and hands over every repeated spread', () => {
    const charts = servingCharts(r);
    expect(charts.map((c) => c.suffix)).toEqual(['qps', 'cdf', 'histogram']);
    for (const c of charts) expect(c.svg).toContain('<svg');
    expect(charts[1].svg).toContain('redis-get');
    const spreads = servingSpreads(r);
    expect(spreads).toHaveLength(12);
    expect(spreads.find((s) => s.label === 'freshet hot extended 8c QPS')!.pct).toBeCloseTo((2000 / 21_000) * 100, 5);
  });
});

describe('SERVING_KINDS', () => {
  it('selects a subset of the query kinds, in the table order, and rejects unknown ones', () => {
    expect(selectedKinds(undefined)).toBe(KINDS);
    expect(selectedKinds('join-cold, hot').map((k) => k.id)).toEqual(['hot', 'join-cold']);
    expect(() => selectedKinds('hot,joins')).toThrow(/unknown kind joins/);
  });
});

describe('SERVING_SEMI_SPACE_MB', () => {
  it("is 64 MiB unless set; empty leaves the launcher's own size", () => {
    expect(servingSemiSpaceMb(undefined)).toBe('64');
    expect(servingSemiSpaceMb(' 32 ')).toBe('32');
    expect(servingSemiSpaceMb('')).toBeNull();
  });
});
