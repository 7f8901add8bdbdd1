/** The Kafka path's report: goals judged at 50,000 events/s, the source backlog, the keep-up verdict. */
import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../lib/machine';
import { freshnessChart, goalRun, renderFreshness, type FreshnessResult, type FreshnessRun } from './freshness';
import { kafkaNotes, keptUp } from './freshness-kafka';
import { redisShowsMarker } from './freshness-probe';

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null };
const pct = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99 });
const lag = (maxBacklog: number, drainMs: number | null) => ({ samples: 50, maxBacklog, maxBacklogS: maxBacklog / 50_000, medianBacklog: maxBacklog / 2, backlogAtStop: 100, drainMs, consumedRate: 49_500 });
const run = (rate: number, over: Partial<FreshnessRun> = {}): FreshnessRun => ({
  target: 'freshet',
  rate,
  version: 'v',
  mode: 'verbatim',
  origin: 'send',
  probes: 100,
  timeouts: 0,
  freshnessMs: pct(20, 60),
  insertMs: pct(1, 3),
  lookupMs: pct(0.3, 5),
  meanPollsPerProbe: 30,
  servingMs: pct(0.3, 2),
  redisMs: pct(25, 90),
  redisTimeouts: 0,
  background: { targetRate: rate, achievedRate: rate * 0.99, events: rate * 10, maxLagMs: 15, errors: 0, sourceLag: lag(2_000, 12) },
  serverCpu: { wallS: 10, cpuS: 8, usPerEvent: 16 },
  loadAverage1m: [1, 1],
  ...over,
});
const result = (runs: FreshnessRun[]): FreshnessResult => ({
  scenario: 'freshness',
  source: 'kafka',
  scale: 'quick',
  date: '2026-01-01',
  startedAt: '',
  finishedAt: '',
  machine,
  config: { users: 100, preload: 1000, rate: 1000, rates: [1000, 10_000, 50_000], probes: 100, warmupS: 1 },
  runs,
  notes: [],
});

describe('freshness --source kafka report', () => {
  it('judges MV and Redis p99 at 50,000 events/s, with the load reached and kept up with', () => {
    const r = { ...result([run(1000, { freshnessMs: pct(5, 9) }), run(10_000), run(50_000)]), kafkaPreload: { events: 100_000, wallS: 4, eventsPerS: 25_000, cpuS: 4, usPerEvent: 40 } };
    expect(goalRun(r, 'freshet')!.rate).toBe(50_000);
    const { markdown, summary } = renderFreshness(r);
    expect(markdown).toContain('# freshness — Kafka source');
    expect(markdown).toContain('freshness is timed from the start of its produce call');
    expect(markdown).toContain('At 50,000 events/s (achieved 49,500: reached; server kept up)');
    expect(markdown).toContain('produce → MV lookup p99 **60.0 ms** (goal ≤ 100 ms: met)');
    expect(markdown).toContain('produce → Redis p99 **90.0 ms** (goal ≤ 200 ms: met)');
    expect(markdown).toContain('| freshet | 50,000 → 49,500 | 1,000 / 2,000 (0.04 s); 12 ms | 49,500/s | 16.0 | verbatim | **20.0 / 60.0 / 60.0** |');
    expect(markdown).toContain('marker produce ack');
    expect(summary).toContain('Kafka source, from the produce call');
    expect(summary).toContain('MV p99 ≤ 100: met, Redis p99 ≤ 200: met');
    expect(markdown).toContain('**25,000 events/s**, 40.0 server CPU µs per event (≈ 25,000 events per server CPU-second)');
    expect(summary).toContain('preload read 25,000 events/s (40.0 server CPU µs/event)');
    expect(freshnessChart(r)).toContain('Redis p99 goal');
  });

  it('fails the goal at 50k when that load timed out or fell behind, rather than judging a lighter load', () => {
    const behind = run(50_000, {
      freshnessMs: null,
      redisMs: null,
      timeouts: 5,
      failure: '5 of 5 probes not visible',
      background: { targetRate: 50_000, achievedRate: 38_000, events: 1, maxLagMs: 900, errors: 0, sourceLag: lag(3_000_000, null) },
    });
    const r = result([run(10_000), behind]);
    expect(goalRun(r, 'freshet')!.rate).toBe(50_000);
    const { markdown, summary } = renderFreshness(r);
    expect(markdown).toContain('achieved 38,000: **not reached**; server **fell behind**');
    expect(markdown).toContain('produce → MV lookup p99 **FAILED** (goal ≤ 100 ms: **missed**)');
    expect(markdown).toContain('**not drained**');
    expect(summary).toContain('FELL BEHIND');
    expect(summary).toContain('MV p99 ≤ 100: MISSED, Redis p99 ≤ 200: MISSED');
  });

  it('counts a Redis value as visible only when it shows the marker click', () => {
    expect(redisShowsMarker(null)).toBe(false);
    expect(redisShowsMarker('{"user_id":7,"clicks_30m":0}')).toBe(false);
    expect(redisShowsMarker('{"user_id":7,"clicks_30m":1,"views_30m":0}')).toBe(true);
    expect(redisShowsMarker('not json')).toBe(false);
  });

  it('tells a stall from falling behind, and what one core sustains', () => {
    const stalled = run(10_000, { background: { targetRate: 10_000, achievedRate: 9_990, events: 1, maxLagMs: 1, errors: 0, sourceLag: { ...lag(16_000, 16), maxBacklogS: 1.6, consumedRate: 9_995 } } });
    const behind = run(50_000, { background: { targetRate: 50_000, achievedRate: 40_000, events: 1, maxLagMs: 1, errors: 0, sourceLag: { ...lag(700_000, null), consumedRate: 12_000 } } });
    expect([keptUp(stalled), keptUp(behind), keptUp(run(1000, { background: { ...run(1000).background, sourceLag: undefined } }))]).toEqual([true, false, null]);
    const notes = kafkaNotes([stalled, behind]).join('\n');
    expect(notes).toContain('freshet @ 10,000/s: kept up on average (read 9,995/s), but the backlog reached 16,000 messages');
    expect(notes).toContain('freshet @ 50,000/s: **the server did not keep up** — the source read 12,000/s of 40,000/s produced');
    expect(notes).toContain('16.0 µs at 10,000/s (≈ 62,500 events per server CPU-second)');
  });
});
