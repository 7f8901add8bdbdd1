/** The connectors report: goals met/missed, ratios to the raw Redis ceiling, and the data shapes. */
import { describe, expect, it } from 'vitest';
import { freshnessChart, goalRows, ingestMessage, redisSinkPair, renderConnectors, repeated, throughputChart, type ConnectorsResult } from './connectors';
import type { MachineInfo } from '../lib/machine';

const machine: MachineInfo = { cpuModel: 'test cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 9, gitCommit: null, gitDirty: null };

function result(): ConnectorsResult {
  return {
    scenario: 'connectors',
    scale: 'quick',
    date: '2026-01-01',
    startedAt: '',
    finishedAt: '',
    machine,
    config: { messages: 1000, users: 10, partitions: 4, redisKeys: 500, rate: 100, probes: 3, warmupS: 0, timeoutS: 10, repeats: 2, parts: ['kafka-ingest', 'redis-sink', 'kafka-redis-freshness'] },
    freshetVersion: 'v',
    engine: { barrier_interval_ms: '10', checkpoint_frequency: '10' },
    freshetPeakRssMiB: 100,
    kafkaIngest: {
      messages: 1000,
      users: 10,
      partitions: 4,
      produceS: 1,
      produceRate: 1000,
      runs: [],
      rate: repeated([250_000, 210_000]),
      perCpuS: repeated([300_000, 300_000]),
      goalMet: true,
    },
    redisSink: { keys: 500, loadS: 1, sinkRuns: [], sink: repeated([50_000, 60_000]), sinkPerCpuS: repeated([250_000]), rawSet: repeated([200_000, 200_000]), rawMset: repeated([400_000]), redisBenchmark: null, ratioToRaw: 0.275, goalMet: false },
    freshness: {
      rate: 100,
      users: 10,
      probes: 3,
      timeouts: 0,
      freshnessMs: { p50: 110, p90: 150, p99: 190, max: 195 },
      produceAckMs: { p50: 1, p90: 2, p99: 3, max: 3 },
      getMs: { p50: 0.1, p90: 0.2, p99: 0.3, max: 0.3 },
      background: { achievedRate: 100, messages: 100, maxLagMs: 0, errors: 0 },
      goalMet: true,
    },
    loadAverages: [9, 10],
    notes: ['a note'],
  };
}

describe('connectors report', () => {
  it('states each goal as met or missed with its figure and the ratio to the raw ceiling', () => {
    const rows = goalRows(result());
    expect(rows.map((g) => [g.part, g.met])).toEqual([
      ['kafka-ingest', true],
      ['redis-sink', false],
      ['kafka-redis-freshness', true],
    ]);
    expect(rows[0].figure).toBe('230,000 msg/s');
    expect(rows[1].ratioToRaw).toContain('0.28× of raw pipelined SET (200,000 keys/s)');
    const { markdown, summary } = renderConnectors(result());
    expect(markdown).toContain('## Goals');
    expect(markdown).toContain('**missed**');
    expect(markdown).toContain('barrier every 10 ms');
    expect(summary).toContain('redis-sink 55,000 keys/s (target ≥ 100,000 keys/s: MISSED)');
  });

  it('marks a spread above 20% as noisy', () => {
    expect(repeated([100, 130])!.noisy).toBe(true);
    expect(repeated([100, 105])!.noisy).toBe(false);
    expect(repeated([])).toBeNull();
  });

  it('writes ingest messages as JSON over every user, and the Redis pairs as the sink lays them out', () => {
    const m = JSON.parse(ingestMessage(3, 10));
    expect(m).toEqual({ user_id: ((3 * 7919) % 10) + 1, event_type: 'purchase', item_id: 3, amount: 0.3, ts: '2026-11-21T12:00:00Z' });
    expect(new Set(Array.from({ length: 10 }, (_, i) => JSON.parse(ingestMessage(i, 10)).user_id)).size).toBe(10);
    expect(redisSinkPair(7)).toEqual(['{"id":7}', '{"id":7,"n":7,"amount":3.5,"label":"user-7"}']);
  });

  it('draws both charts', () => {
    expect(throughputChart(result())).toContain('<svg');
    expect(freshnessChart(result())).toContain('target p99');
  });
});
