import { describe, expect, it } from 'vitest';
import { defaultNexmarkConfig, NexmarkGeneratorConfig } from '@freshet/connectors';
import { renderNexmark, type NexmarkResult } from '../scenarios/nexmark';
import { createSourceSql, NEXMARK_QUERIES, rowsOfType, statementFor } from './nexmark-queries';

describe('nexmark queries', () => {
  it('rowsOfType counts what the generator emits for the first N event numbers', () => {
    const cfg = new NexmarkGeneratorConfig(defaultNexmarkConfig(0));
    for (const n of [0, 1, 3, 4, 49, 50, 51, 1003, 10_007]) {
      const counts = { person: 0, auction: 0, bid: 0 };
      for (let e = 0; e < n; e++) counts[cfg.eventType(e)]++;
      expect({ person: rowsOfType('person', n), auction: rowsOfType('auction', n), bid: rowsOfType('bid', n) }).toEqual(counts);
    }
  });

  it('defines q0–q22, each run query creating the MV its id names', () => {
    expect(NEXMARK_QUERIES.map((q) => q.id)).toEqual(Array.from({ length: 23 }, (_, i) => `q${i}`));
    for (const q of NEXMARK_QUERIES) {
      if (q.skip) continue;
      expect(q.sql).toMatch(new RegExp(`^CREATE MATERIALIZED VIEW nexmark_${q.id} AS`));
      for (const t of new Set(q.reads)) expect(q.sql).toMatch(new RegExp(`\\b${t}\\b`, 'i'));
    }
    expect(createSourceSql('bid', 1000)).toContain(`nexmark.table.type = 'Bid'`);
  });

  it('the sink form is RisingWave\'s blackhole sink over the same query', () => {
    const q0 = NEXMARK_QUERIES[0];
    expect(statementFor(q0, 'mv')).toBe(q0.sql);
    expect(statementFor(q0, 'sink')).toBe(
      `CREATE SINK nexmark_q0 AS SELECT auction, bidder, price, date_time FROM bid\nWITH (connector = 'blackhole', type = 'append-only', force_append_only = 'true')`,
    );
  });
});

describe('renderNexmark', () => {
  const base: Omit<NexmarkResult, 'queries'> = {
    scenario: 'nexmark', scale: 'quick', date: '2026-11-22', startedAt: '', finishedAt: '',
    machine: { cpuModel: 'cpu', cores: 2, memoryGiB: 8, os: 'linux', node: 'v20', loadAverage1m: 1, gitCommit: null, gitDirty: null },
    config: { events: 1000, repeats: 1, queries: ['q0', 'q14'], barrierIntervalMs: '10', peakRssMiB: 100 },
    version: 'v', notes: [],
  };
  it('shows the ratio to RisingWave, the target verdict, and a rejected query with its SQLSTATE', () => {
    const { markdown, summary } = renderNexmark({
      ...base,
      queries: [
        { id: 'q0', status: 'ok', runs: [], eventsPerS: 300_000, perCore: 400_000, spreadPct: 5, risingwavePerCore: 118_000, flinkPerCore: 155_020, ratioToRisingwave: 400 / 118, targetMet: true },
        { id: 'q14', status: 'error', error: { code: '0A000', message: 'CREATE FUNCTION is not supported' }, runs: [], eventsPerS: null, perCore: null, spreadPct: null, risingwavePerCore: null, flinkPerCore: 161_230, ratioToRisingwave: null, targetMet: null },
      ],
    });
    expect(markdown).toContain('| q0 | 300K | **400K** | 5% | 118K | 155K | 3.39× | met |');
    expect(markdown).toContain('**rejected** 0A000: CREATE FUNCTION is not supported');
    expect(summary).toContain('met on 1/1');
  });
});
