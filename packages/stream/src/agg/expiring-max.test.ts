/**
 * MAX of a column that only expires in order (AggCallDesc.expiresInOrder): an append-only
 * input through a temporal filter `ts > NOW() - 30 s`, grouped. One value and a count per
 * group must give, epoch by epoch, exactly what the retractable multiset MAX gives — with
 * late rows, ties, a FILTER that empties a group's subset before the group, and groups
 * that empty and come back.
 */
import { type DataType, Op, StreamChunkBuilder, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { HashAggExecutor } from '../executor/hash-agg';
import { SourceExecutor } from '../executor/source';
import { TemporalFilterExecutor } from '../executor/temporal-filter';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { aggCall, bag, Collector, rng } from '../test-util';

// (user, ts µs, is_click, id): stream key id.
const TYPES: DataType[] = [T.Int32, T.Timestamptz, T.Boolean, T.Int64];
const SECOND = 1_000_000;
const T0 = 1_700_000_000 * SECOND;

function run(expiresInOrder: boolean, seed: number) {
  const r = rng(seed);
  const store = new MemStateStore();
  const tables = new StateTableAllocator(store, 100);
  const src = new SourceExecutor(TYPES);
  const filter = new TemporalFilterExecutor({ types: TYPES, column: 1, lowerBound: (now) => now - 30 * SECOND, pk: [3], tables, initialNow: T0 });
  const calls = [
    aggCall('max', [1], TYPES, { expiresInOrder }),
    aggCall('max', [1], TYPES, { expiresInOrder, filter: 2 }),
    aggCall('count', [], TYPES),
  ];
  const agg = new HashAggExecutor({ inputTypes: TYPES, groupKey: [0], calls, tables });
  src.connect(filter);
  filter.connect(agg);
  const out = agg.connect(new Collector());
  const outputs: string[][] = [];
  let now = T0;
  let id = 0n;
  for (let epoch = 1; epoch <= 120; epoch++) {
    const b = new StreamChunkBuilder(TYPES, 4096);
    // Every 40 epochs a quiet spell lets whole groups expire.
    const quiet = epoch % 40 >= 30;
    const n = quiet ? 0 : Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      // Mostly fresh rows, some late (possibly already below the bound), coarse times for ties.
      const age = r() < 0.8 ? Math.floor(r() * 3) : Math.floor(r() * 45);
      b.append(Op.Insert, [Math.floor(r() * 4), now - age * SECOND, r() < 0.4, id++]);
    }
    const chunk = b.take();
    if (chunk) src.pushChunk(chunk);
    // The clock moves 0–4 s per epoch (sometimes not at all), 6 s in a quiet spell.
    now += quiet ? 6 * SECOND : Math.floor(r() * 5) * SECOND;
    src.injectBarrier(new Barrier(epoch, false, null, now));
    void store.commitEpoch(epoch);
    outputs.push(bag(out.take().map(([op, row]) => [op, ...row])));
  }
  return { outputs, tables: agg.stateTables().length };
}

describe('MAX of a column that expires in order', () => {
  it('matches the retractable MAX epoch by epoch, with FILTER, ties and late rows', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const fast = run(true, seed);
      const full = run(false, seed);
      expect(fast.outputs).toEqual(full.outputs);
      // Some epochs did change groups, and groups did empty (a Delete of the group's row).
      expect(full.outputs.flat().length).toBeGreaterThan(100);
      expect(full.outputs.flat().some((row) => row.startsWith(`[${Op.Delete},`))).toBe(true);
      // The retractable version keeps a value table per MAX; this one only the intermediate table.
      expect(full.tables).toBe(3);
      expect(fast.tables).toBe(1);
    }
  });
});
