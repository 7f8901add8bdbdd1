import { T } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { HashAggExecutor } from './hash-agg';
import { SourceExecutor } from './source';
import { TemporalFilterExecutor } from './temporal-filter';

/** (id int64, user int32, ts int64 µs-like) with `ts > now - 10`, for readable fixtures. */
function setup(inclusive = false) {
  const tables = new StateTableAllocator(new MemStateStore(), 1);
  const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
  const tf = src.connect(
    new TemporalFilterExecutor({ types: src.types, column: 2, lowerBound: (now) => BigInt(now - 10), inclusive, pk: [0], tables, initialNow: 100 }),
  );
  return { src, tf, tables };
}

describe('temporal filter', () => {
  it('admits recent rows and expires them as barrier time advances', () => {
    const { src, tf } = setup();
    const out = tf.connect(new Collector());
    src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 90\n+ 3 8 . \n+ 4 8 99'));
    expect(out.take()).toEqual(expected('I i I\n+ 1 7 95\n+ 4 8 99'));
    src.injectBarrier(new Barrier(1, false, null, 106)); // bound 96: row 1 (95) leaves
    expect(out.take()).toEqual(expected('I i I\n- 1 7 95'));
    // Deleting an expired or never-admitted row is dropped; a live one is retracted.
    src.pushChunk(chunk('I i I\n- 1 7 95\n- 2 7 90\nU- 4 8 99\nU+ 4 8 100'));
    expect(out.take()).toEqual(expected('I i I\n- 4 8 99\n+ 4 8 100'));
    src.injectBarrier(new Barrier(2, false, null, 110)); // bound 100: ts > 100 only
    expect(out.take()).toEqual(expected('I i I\n- 4 8 100'));
    expect(out.barriers()).toEqual([]);
  });

  it('cleans recovered rows at the first barrier, even one stamped before it was built', () => {
    // See append-only-temporal-filter.test.ts: the constructor's bound admits rows, but the
    // recovered rows were expired only up to their checkpoint's.
    const store = new MemStateStore();
    const build = (now: number) => {
      const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
      const tf = src.connect(
        new TemporalFilterExecutor({ types: src.types, column: 2, lowerBound: (t) => BigInt(t - 10), pk: [0], tables: new StateTableAllocator(store, 1), initialNow: now }),
      );
      return { src, out: tf.connect(new Collector()) };
    };
    const before = build(100);
    before.src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 195'));
    before.src.injectBarrier(new Barrier(1, false, null, 100));
    void store.commitEpoch(1);
    const after = build(200);
    after.src.injectBarrier(new Barrier(2, false, null, 150));
    expect(after.out.take()).toEqual(expected('I i I\n- 1 7 95'));
    after.src.injectBarrier(new Barrier(3, false, null, 206));
    expect(after.out.take()).toEqual(expected('I i I\n- 2 7 195'));
  });

  it('>= keeps the row exactly at the bound', () => {
    const { src, tf } = setup(true);
    const out = tf.connect(new Collector());
    src.pushChunk(chunk('I i I\n+ 1 7 90\n+ 2 7 89'));
    expect(out.take()).toEqual(expected('I i I\n+ 1 7 90'));
    src.injectBarrier(new Barrier(1, false, null, 100));
    expect(out.take()).toEqual([]);
  });

  it('downstream aggregates retract expired rows at the same barrier', () => {
    const { src, tf, tables } = setup();
    const agg = tf.connect(new HashAggExecutor({ inputTypes: tf.types, groupKey: [1], calls: [{ impl: resolveAggregate('count', []), args: [] }], tables }));
    const out = agg.connect(new Collector());
    src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 99'));
    src.injectBarrier(new Barrier(1, false, null, 100));
    expect(out.take()).toEqual(expected('i I\n+ 7 2'));
    src.injectBarrier(new Barrier(2, false, null, 106));
    expect(out.take()).toEqual(expected('i I\nU- 7 2\nU+ 7 1'));
    src.injectBarrier(new Barrier(3, false, null, 200));
    expect(out.take()).toEqual(expected('i I\n- 7 1'));
  });

  it('an upper bound holds rows back until the clock reaches them (BETWEEN: both bounds)', () => {
    const tables = new StateTableAllocator(new MemStateStore(), 1);
    const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
    const tf = src.connect(
      new TemporalFilterExecutor({
        types: src.types,
        column: 2,
        lowerBound: (now) => BigInt(now - 10),
        inclusive: true,
        upperBound: (now) => BigInt(now),
        upperInclusive: true,
        pk: [0],
        tables,
        initialNow: 100,
      }),
    );
    const out = tf.connect(new Collector());
    // Window [90, 100]: 95 passes, 105 and 120 wait, 80 is gone for good.
    src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 105\n+ 3 7 80\n+ 4 7 120'));
    expect(out.take()).toEqual(expected('I i I\n+ 1 7 95'));
    // Deleting a waiting row emits nothing (it was never visible).
    src.pushChunk(chunk('I i I\n- 4 7 120'));
    expect(out.take()).toEqual([]);
    src.injectBarrier(new Barrier(1, false, null, 106)); // window [96, 106]: 95 leaves, 105 enters
    expect(out.take()).toEqual(expected('I i I\n- 1 7 95\n+ 2 7 105'));
    src.injectBarrier(new Barrier(2, false, null, 130)); // window [120, 130]: 105 leaves
    expect(out.take()).toEqual(expected('I i I\n- 2 7 105'));
  });
});
