/** The ingest and freshness reports: goals, ratios and the fallback note render from the data. */
import { describe, expect, it } from 'vitest';
import { freshnessChart, renderFreshness, type FreshnessResult, type FreshnessRun } from './freshness';
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
    expect(markdown).toContain('**20,000 events/s** — goal ≥ 300,000: **missed**');
    expect(markdown).toContain('Freshet / PostgreSQL (plain tables + views): 0.10×');
    expect(markdown).toContain('**2,000,000 rows/s**');
    expect(markdown).toContain('goal ≥ 1,000,000: met');
    expect(summary).toContain('freshet 20,000 events/s [verbatim]');
    expect(summary).toContain('goal ≥ 300,000: MISSED');
    expect(ingestChart(r)).toContain('<svg');
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
    config: { users: 100, preload: 1000, rate: 10_000, probes: 100, warmupS: 1 },
    runs: [run({}), run({ target: 'postgres', mode: 'postgres-views', freshnessMs: pct(0.5, 4), lookupMs: pct(0.5, 4) })],
    notes: [],
  };

  it('checks p50/p99 against the goals and compares with PostgreSQL', () => {
    const { markdown, summary } = renderFreshness(r);
    expect(markdown).toContain('p50 **8.00 ms** (goal ≤ 20: met)');
    expect(markdown).toContain('p99 **15.0 ms** (goal ≤ 100: met)');
    expect(markdown).toContain('freshness p50 16.00×');
    expect(summary).toContain('goals p50 ≤ 20: met, p99 ≤ 100: met');
    expect(freshnessChart(r)).toContain('<svg');
  });

  it('reports a missed goal and a failed target', () => {
    const x = { ...r, runs: [run({ freshnessMs: pct(25, 300) }), run({ target: 'postgres', freshnessMs: null, failure: 'boom' })] };
    const { markdown, summary } = renderFreshness(x);
    expect(markdown).toContain('(goal ≤ 20: **missed**)');
    expect(summary).toContain('postgres FAILED: boom');
    expect(summary).toContain('p99 ≤ 100: MISSED');
  });
});
