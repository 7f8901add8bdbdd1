import { type DataType, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { AggCallDesc } from '../agg/call';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, aggCall, chunk, expected } from '../test-util';
import { HashAggExecutor, type HashAggOptions } from './hash-agg';
import { SimpleAggExecutor } from './simple-agg';
import { SourceExecutor } from './source';

function setup(inputTypes: DataType[], groupKey: number[], calls: (t: DataType[]) => AggCallDesc[], store = new MemStateStore(), idleGroups?: HashAggOptions['idleGroups']) {
  const src = new SourceExecutor(inputTypes);
  const tables = new StateTableAllocator(store, 100);
  const agg =
    groupKey.length === 0
      ? new SimpleAggExecutor({ inputTypes, calls: calls(inputTypes), tables })
      : new HashAggExecutor({ inputTypes, groupKey, calls: calls(inputTypes), tables, idleGroups });
  src.connect(agg);
  const out = agg.connect(new Collector());
  let epoch = store.committedEpoch;
  const barrier = () => {
    src.injectBarrier(new Barrier(++epoch));
    void store.commitEpoch(epoch);
  };
  return { src, agg, out, store, barrier };
}

const basic = (t: DataType[]) => [aggCall('count', [], t), aggCall('sum', [1], t), aggCall('min', [1], t), aggCall('max', [1], t)];

describe('hash agg', () => {
  it('emits inserts, U-/U+ pairs and deletes per group at the barrier', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [0], basic);
    src.pushChunk(chunk(`
      i i
      + 1 10
      + 1 20
      + 2 5
      + . 7
      + 3 .`));
    expect(out.take()).toEqual([]);
    barrier();
    expect(out.take()).toEqual(
      expected(`
        i I I  i  i
        + 1 2 30 10 20
        + 2 1 5  5  5
        + . 1 7  7  7
        + 3 1 .  .  .`),
    );
    src.pushChunk(chunk(`
      i i
      -  1 10
      U- 2 5
      U+ 1 5
      +  . 8
      -  . 8`));
    barrier();
    expect(out.take()).toEqual(
      expected(`
        i I I  i  i
        U- 1 2 30 10 20
        U+ 1 2 25 5  20
        -  2 1 5  5  5`),
    );
    expect(out.barriers()).toEqual([]);
  });

  it('keeps min/max right when the current extreme and its duplicates are deleted', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [0], basic);
    src.pushChunk(chunk('i i\n+ 1 3\n+ 1 3\n+ 1 9\n+ 1 1'));
    barrier();
    out.take();
    src.pushChunk(chunk('i i\n- 1 1\n- 1 3\n- 1 9'));
    barrier();
    expect(out.take()).toEqual(expected('i I I i i\nU- 1 4 16 1 9\nU+ 1 1 3 3 3'));
    src.pushChunk(chunk('i i\n- 1 3'));
    barrier();
    expect(out.take()).toEqual(expected('i I I i i\n- 1 1 3 3 3'));
  });

  it('reads min/max back from the multiset exactly: timestamps and text from the key, decimals kept beside it (their scale)', () => {
    // k, ts, s, d: MAX(ts) and MIN(s) keep only counts (values decoded from keys), MIN(d) keeps the value.
    const { src, out, barrier } = setup([T.Int32, T.Timestamptz, T.Varchar, T.Decimal], [0], (t) => [
      aggCall('max', [1], t),
      aggCall('min', [2], t),
      aggCall('min', [3], t),
    ]);
    src.pushChunk(chunk('i TZ T N\n+ 1 2026-01-01T00:00:01Z b 2.50\n+ 1 2026-01-01T00:00:03Z ä 1.0\n+ 1 2026-01-01T00:00:02Z a 2.50\n+ 1 2026-01-01T00:00:03Z c 1.000'));
    barrier();
    const s = (iso: string) => String(Date.parse(iso) * 1000);
    // Equal decimals share an entry, which holds the one written last (with its scale).
    expect(out.take().map(([, row]) => row.map(String))).toEqual([['1', s('2026-01-01T00:00:03Z'), 'a', '1.000']]);
    // Deleting the extremes makes `result` read the next entry back from the table.
    src.pushChunk(chunk('i TZ T N\n- 1 2026-01-01T00:00:03Z a 1.0\n- 1 2026-01-01T00:00:02Z c 1.000'));
    barrier();
    const [, after] = out.take().at(-1)!;
    expect(after.map(String)).toEqual(['1', s('2026-01-01T00:00:03Z'), 'b', '2.50']);
    src.pushChunk(chunk('i TZ T N\n- 1 2026-01-01T00:00:03Z b 2.50'));
    barrier();
    expect(out.take().at(-1)![1].map(String)).toEqual(['1', s('2026-01-01T00:00:01Z'), 'ä', '2.50']);
  });

  it('supports DISTINCT, FILTER, ordered string_agg, array_agg, avg and bool_and/or', () => {
    // k, v, s, sep, b
    const { src, out, barrier } = setup([T.Int32, T.Int32, T.Varchar, T.Varchar, T.Boolean], [0], (t) => [
      aggCall('count', [1], t, { distinct: true }),
      aggCall('count', [], t, { filter: 4 }),
      aggCall('string_agg', [2, 3], t, { orderBy: [{ column: 1, desc: true }] }),
      aggCall('avg', [1], t),
      aggCall('bool_and', [4], t),
      aggCall('bool_or', [4], t),
      aggCall('sum', [1], t, { distinct: true }),
    ]);
    src.pushChunk(chunk(`
      i i T T B
      + 1 5 a , t
      + 1 5 b , f
      + 1 7 c , t
      + 1 . d , .`));
    barrier();
    // ORDER BY v DESC puts the NULL first (DESC defaults to NULLS FIRST).
    expect(out.take()).toEqual(expected('i I I T N B B I\n+ 1 2 2 d,c,a,b 5.6666666666666666666666666667 f t 12'));
    src.pushChunk(chunk('i i T T B\n- 1 5 b , f\n- 1 7 c , t'));
    barrier();
    expect(out.take()).toEqual(
      expected(`
        i I I T       N                              B B I
        U- 1 2 2 d,c,a,b 5.6666666666666666666666666667 f t 12
        U+ 1 1 1 d,a     5                              t t 5`),
    );
  });

  it('emits nothing for a group whose outputs did not change', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [0], basic);
    src.pushChunk(chunk('i i\n+ 1 3'));
    barrier();
    out.take();
    src.pushChunk(chunk('i i\n+ 1 4\n- 1 4'));
    barrier();
    expect(out.take()).toEqual([]);
  });

  it('retracts the outputs of the flush before, flush after flush (the two output arrays a group alternates)', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [0], basic);
    let prev: number[] | null = null;
    let sum = 0;
    let count = 0;
    // Five updates of one group with an epoch without input in the middle (no flush of the
    // group: the arrays must not swap): each U- must carry exactly the outputs of the last U+.
    for (const v of [10, 20, null, 30, 40, 50]) {
      if (v !== null) {
        src.pushChunk(chunk(`i i\n+ 1 ${v}`));
        sum += v;
        count++;
      }
      barrier();
      const cur = [count, sum, 10, v ?? 0];
      if (v === null) {
        expect(out.take()).toEqual([]);
        continue;
      }
      const change = prev === null ? `+ 1 ${cur.join(' ')}` : `U- 1 ${prev.join(' ')}\nU+ 1 ${cur.join(' ')}`;
      expect(out.take()).toEqual(expected(`i I I i i\n${change}`));
      prev = cur;
    }
  });

  it('retracts BIGINT outputs exactly on both sides of 2^53 (kept as numbers only where exact)', () => {
    const maxAndCount = (t: DataType[]) => [aggCall('max', [1], t), aggCall('count', [], t)];
    const { src, out, barrier, store } = setup([T.Int32, T.Int64], [0], maxAndCount);
    const below = 9007199254740991n; // 2^53 − 1: exact as a number
    const above = 9007199254740993n; // 2^53 + 1: a number would round it to 2^53
    src.pushChunk(chunk(`i I\n+ 1 ${below}`));
    barrier();
    expect(out.take()).toEqual(expected(`i I I\n+ 1 ${below} 1`));
    src.pushChunk(chunk(`i I\n+ 1 ${above}`));
    barrier();
    expect(out.take()).toEqual(expected(`i I I\nU- 1 ${below} 1\nU+ 1 ${above} 2`));
    src.pushChunk(chunk('i I\n+ 1 5'));
    barrier();
    expect(out.take()).toEqual(expected(`i I I\nU- 1 ${above} 2\nU+ 1 ${above} 3`));
    // Unchanged outputs (a kept BigInt against a fresh one) emit nothing.
    src.pushChunk(chunk('i I\n+ 1 6\n- 1 6'));
    barrier();
    expect(out.take()).toEqual([]);
    // The state row holds the outputs as BigInts, as a restart reads them.
    const restarted = setup([T.Int32, T.Int64], [0], maxAndCount, store);
    restarted.src.pushChunk(chunk(`i I\n- 1 ${above}`));
    restarted.barrier();
    expect(restarted.out.take()).toEqual(expected(`i I I\nU- 1 ${above} 3\nU+ 1 ${below} 2`));
  });

  it('drops groups no row came to for a sweep, and reloads them exactly when rows come again', () => {
    // Every commit sweeps the whole cache: a group untouched since the last sweep leaves.
    const { src, agg, out, barrier } = setup([T.Int32, T.Int32], [0], basic, new MemStateStore(), { from: 0, afterMs: 0 });
    src.pushChunk(chunk('i i\n+ 1 3\n+ 1 8\n+ 2 1'));
    barrier();
    out.take();
    expect(agg.groupCount).toBe(2);
    src.pushChunk(chunk('i i\n+ 1 4'));
    barrier();
    out.take();
    expect(agg.groupCount).toBe(1);
    barrier();
    expect(agg.groupCount).toBe(0);
    src.pushChunk(chunk('i i\n+ 2 9\n- 1 3'));
    barrier();
    expect(out.take()).toEqual(
      expected(`
        i I I  i i
        U- 2 1 1  1 1
        U+ 2 2 10 1 9
        U- 1 3 15 3 8
        U+ 1 2 12 4 8`),
    );
    expect(agg.groupCount).toBe(2);
  });

  it('reloads groups from its state tables (restart on the same store)', () => {
    const store = new MemStateStore();
    const a = setup([T.Int64, T.Int32], [0], basic, store);
    a.src.pushChunk(chunk('I i\n+ 1 3\n+ 1 8\n+ 2 1'));
    a.barrier();
    a.out.take();
    const b = setup([T.Int64, T.Int32], [0], basic, store);
    b.src.pushChunk(chunk('I i\n- 1 3\n+ 2 2'));
    b.barrier();
    expect(b.out.take()).toEqual(
      expected(`
        I I I i i
        U- 1 2 11 3 8
        U+ 1 1 8  8 8
        U- 2 1 1  1 1
        U+ 2 2 3  1 2`),
    );
  });

  it('groups by several columns of different types, NULLs included', () => {
    const { src, out, barrier } = setup([T.Varchar, T.Int64, T.Float64], [0, 1], (t) => [aggCall('sum', [2], t)]);
    src.pushChunk(chunk('T I F\n+ a 1 1.5\n+ a . 2\n+ . 1 4\n+ a 1 1'));
    barrier();
    expect(out.take()).toEqual(expected('T I F\n+ a 1 2.5\n+ a . 2\n+ . 1 4'));
  });

  it('forwards a watermark on a group key column after the flush', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [0], basic);
    src.pushChunk(chunk('i i\n+ 1 3'));
    src.pushWatermark(0, 1);
    src.pushWatermark(1, 1);
    barrier();
    expect(out.messages.map((m) => m.constructor.name)).toEqual(['StreamChunk', 'Watermark', 'Barrier']);
  });
});

describe('simple agg', () => {
  it('emits its row at the first barrier even over empty input, then only updates', () => {
    const { src, out, barrier } = setup([T.Int32, T.Int32], [], (t) => [aggCall('count', [], t), aggCall('sum', [1], t)]);
    barrier();
    expect(out.take()).toEqual(expected('I I\n+ 0 .'));
    src.pushChunk(chunk('i i\n+ 1 2\n+ 1 3'));
    barrier();
    expect(out.take()).toEqual(expected('I I\nU- 0 .\nU+ 2 5'));
    src.pushChunk(chunk('i i\n- 1 2\n- 1 3'));
    barrier();
    expect(out.take()).toEqual(expected('I I\nU- 2 5\nU+ 0 .'));
    barrier();
    expect(out.take()).toEqual([]);
  });
});
