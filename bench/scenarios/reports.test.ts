/** The ingest and freshness reports: goals, ratios and the fallback note render from the data. */
import { describe, expect, it } from 'vitest';
import { catchUpTicks, freshnessChart, freshnessOverTimeChart, goalRun, renderFreshness, type FreshnessResult, type FreshnessRun } from './freshness';
import { ingestChart, renderIngest, type IngestResult, type IngestRun } from './ingest';
import type { MachineInfo } from '../lib/machine';

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null };

const ingestRun = (over: Partial<IngestRun>): IngestRun => ({
  target: 'freshet',
  version: 'v',
  mode: 'verbatim',
  eventRows: 900,
  transactionRows: 100,
  insertSeconds: 1,
  flushSeconds: 0.01,
  endToEndSeconds: 1.01,
  eventsPerS: 20_000,
  serverCpuUsPerEvent: 50,
  serverPeakRssMiB: 500,
  verifySeconds: 0.1,
  verified: true,
  mismatches: [],
  loadAverage1m: [1, 1],
  ...over,
});

describe('ingest report', () => {
  const r: IngestResult = {
    scenario: 'ingest',
    scale: 'quick',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { users: 100, events: 1000, batchRows: 100, loadConnections: 2, streamAggRows: 1000 },
    runs: [ingestRun({}), ingestRun({ target: 'postgres', mode: 'postgres-views', eventsPerS: 200_000, serverPeakRssMiB: null })],
    streamAgg: { rows: 1000, rowsPerS: 2_000_000, rowsPerCpuS: 1_500_000, output: '' },
    notes: ['a note'],
  };

  it('states the goals, the ratio and the GROUP BY figure', () => {
    const { markdown, summary } = renderIngest(r);
    expect(markdown).toMatch(/\*\*20,000 events\/s\*\*.* — goal ≥ 300,000: \*\*missed\*\*/);
    expect(markdown).toMatch(/Freshet \/ PostgreSQL \(plain tables \+ views\)(, insert)?: 0.10×/);
    expect(markdown).toContain('**2,000,000 rows/s**');
    expect(markdown).toContain('goal ≥ 1,000,000: met');
    expect(summary).toMatch(/freshet(\/insert)? 20,000 events\/s \[verbatim\]/);
    expect(summary).toContain('goal ≥ 300,000: MISSED');
    expect(ingestChart(r)).toContain('<svg');
  });

  it('gives the checkpoint overhead when Freshet ran with and without checkpoints, judging the goal with them on', () => {
    const x = {
      ...r,
      runs: [
        ingestRun({ checkpoints: 'on', eventsPerS: 18_000, serverCpuUsPerEvent: 50, checkpointsTaken: 4, endToEndSeconds: 10 }),
        ingestRun({ checkpoints: 'off', eventsPerS: 24_000, serverCpuUsPerEvent: 38 }),
      ] as IngestRun[],
    };
    const { markdown, summary } = renderIngest(x);
    expect(markdown).toContain('| freshet | insert, no checkpoints |');
    // The cadence the run really had: 4 checkpoints in 10 s.
    expect(markdown).toContain('18,000 events/s with 1-second checkpoints (4 taken: one per 2.50 s) vs 24,000 without');
    expect(markdown).toMatch(/Checkpoint overhead \(issue 4\), insert: 18,000 events\/s .* vs 24,000 without = \*\*25\.0% slower\*\* \(server CPU 50\.0 vs 38\.0 µs\/event\) — goal ≤ 10%: \*\*missed\*\*/);
    expect(markdown).toMatch(/Freshet end to end: \*\*18,000 events\/s\*\*/);
    expect(summary).toContain('freshet/insert, no checkpoints 24,000 events/s');
  });

  it('compares the medians of repeated pairs, with their spreads and the overhead of each pair', () => {
    const pair = (on: number, off: number) => [
      ingestRun({ checkpoints: 'on', eventsPerS: on, serverCpuUsPerEvent: on / 1000, checkpointsTaken: 5, endToEndSeconds: 5 }),
      ingestRun({ checkpoints: 'off', eventsPerS: off, serverCpuUsPerEvent: off / 1000 }),
    ];
    // The middle pair's figures are each mode's median, though no single pair gives 20%.
    const x = { ...r, runs: [...pair(60_000, 100_000), ...pair(80_000, 90_000), ...pair(72_000, 50_000)] as IngestRun[] };
    const { markdown } = renderIngest(x);
    expect(markdown).toContain(
      'Checkpoint overhead (issue 4), insert (medians of 3 interleaved pairs; events/s spread 28% and 56%: **noisy**): 72,000 events/s with 1-second checkpoints (5 taken: one per 1.00 s) vs 90,000 without = **20.0% slower** (server CPU 72.0 vs 90.0 µs/event; pairs 40.0%, 11.1%, -44.0%)',
    );
  });

  it('says when the temporal filters were left out, and shows failed verification', () => {
    const x = { ...r, runs: [ingestRun({ mode: 'no-temporal-filter', verified: false, mismatches: ['count off'] })] };
    const { markdown } = renderIngest(x);
    expect(markdown).toContain('WITHOUT their temporal filters');
    expect(markdown).toContain('**NO**: count off');
    expect(renderIngest(x).summary).toContain('UNVERIFIED');
  });
});

describe('freshness report', () => {
  const pct = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 });
  const run = (over: Partial<FreshnessRun>): FreshnessRun => ({
    target: 'freshet',
    rate: 10_000,
    version: 'v',
    mode: 'verbatim',
    probes: 100,
    timeouts: 0,
    freshnessMs: pct(8, 15),
    insertMs: pct(3, 9),
    lookupMs: pct(0.2, 5),
    meanPollsPerProbe: 9,
    servingMs: pct(30, 60),
    background: { targetRate: 10_000, achievedRate: 9_990, events: 50_000, maxLagMs: 20, errors: 0 },
    loadAverage1m: [1, 1],
    ...over,
  });
  const r: FreshnessResult = {
    scenario: 'freshness',
    scale: 'quick',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { users: 100, preload: 1000, rate: 10_000, rates: [10_000], probes: 100, warmupS: 1 },
    runs: [run({}), run({ target: 'postgres', mode: 'postgres-views', freshnessMs: pct(0.5, 4), lookupMs: pct(0.5, 4) })],
    notes: [],
  };

  it('checks p50/p99 against the goals and compares with PostgreSQL', () => {
    const { markdown, summary } = renderFreshness(r);
    expect(markdown).toContain('p50 **8.00 ms** (goal ≤ 20: met)');
    expect(markdown).toContain('p99 **15.0 ms** (goal ≤ 100: met)');
    expect(markdown).toContain('freshness p50 16.00×');
    expect(summary).toContain('goals at 10,000/s p50 ≤ 20: met, p99 ≤ 100: met');
    expect(freshnessChart(r)).toContain('<svg');
  });

  it('reports a missed goal and a failed target', () => {
    const x = { ...r, runs: [run({ freshnessMs: pct(25, 300) }), run({ target: 'postgres', freshnessMs: null, failure: 'boom' })] };
    const { markdown, summary } = renderFreshness(x);
    expect(markdown).toContain('(goal ≤ 20: **missed**)');
    expect(summary).toContain('postgres @ 10,000/s FAILED: boom');
    expect(summary).toContain('p99 ≤ 100: MISSED');
  });
});

describe('freshness at several loads', () => {
  const pct = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 });
  const base = (rate: number, p50: number, p99: number): FreshnessRun => ({
    target: 'freshet',
    rate,
    version: 'v',
    mode: 'verbatim',
    probes: 10,
    timeouts: 0,
    freshnessMs: pct(p50, p99),
    insertMs: pct(1, 2),
    lookupMs: pct(0.2, 1),
    meanPollsPerProbe: 5,
    servingMs: pct(1, 2),
    redisMs: pct(p50 + 5, p99 + 10),
    redisTimeouts: 0,
    series: [
      [0.1, p50],
      [0.2, p99],
    ],
    background: { targetRate: rate, achievedRate: rate * 0.98, events: rate, maxLagMs: 5, errors: 0 },
    loadAverage1m: [1, 1],
  });
  const r: FreshnessResult = {
    scenario: 'freshness',
    scale: 'quick',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { users: 100, preload: 1000, rate: 1000, rates: [1000, 10_000, 50_000], probes: 10, warmupS: 1 },
    runs: [base(1000, 6, 12), base(10_000, 9, 30), base(50_000, 40, 400)],
    notes: [],
  };

  it('judges the goals at 10,000 events/s and lists every load with Redis', () => {
    expect(goalRun(r, 'freshet')!.rate).toBe(10_000);
    const { markdown, summary } = renderFreshness(r);
    expect(markdown).toContain('Freshet at 10,000 events/s: p50 **9.00 ms** (goal ≤ 20: met)');
    expect(markdown).toContain('| freshet | 50,000 → 49,000 | n/a | verbatim | **40.0 / 400.0 / 400.0** | 45.0 / 410.0 / 410.0 |');
    expect(summary).toContain('freshet @ 1,000/s p50 6.00 / p99 12.0 ms (Redis p50 11.0 / p99 22.0)');
    expect(summary).toContain('goals at 10,000/s p50 ≤ 20: met, p99 ≤ 100: met');
  });

  it('charts freshness against load (MV and Redis) and over time', () => {
    const svg = freshnessChart(r);
    expect(svg.match(/<path /g)).toHaveLength(4);
    expect(svg).toContain('freshet → Redis p99');
    const overTime = freshnessOverTimeChart(r);
    expect(overTime).toContain('freshet @ 50,000/s');
    expect(overTime.match(/<circle /g)).toHaveLength(6);
  });
});

describe('freshness background load', () => {
  it('catches up in power-of-two batches of ticks, at most 64', () => {
    expect([0.5, 1, 1.9, 2, 3, 7.9, 8, 100, 1e6].map((b) => catchUpTicks(b))).toEqual([1, 1, 1, 2, 2, 4, 8, 64, 64]);
    // Capped by the parameters one INSERT may carry: at 500 events a tick, 20 ticks → 16.
    expect(catchUpTicks(100, 20)).toBe(16);
    expect(catchUpTicks(100, 0)).toBe(1);
  });
});
