import { type DataType, Decimal, type Datum, Op, type Row, type StreamChunk, StreamChunkBuilder, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { AggCallDesc } from '../agg/call';
import { partialAggSupported, partialTypes } from '../agg/partial';
import { Barrier, Watermark } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, aggCall, bag, chunk, expected } from '../test-util';
import { HashAggExecutor } from './hash-agg';
import { SimpleAggExecutor } from './simple-agg';
import { SourceExecutor } from './source';
import { StatelessLocalAggExecutor } from './stateless-local-agg';

describe('stateless local agg', () => {
  it('emits one signed partial row per group of each chunk', () => {
    const types = [T.Int32, T.Int32];
    const local = new StatelessLocalAggExecutor({ inputTypes: types, groupKey: [0], calls: [aggCall('count', [], types), aggCall('count', [1], types), aggCall('sum', [1], types)] });
    // [k, row count, count(*), count(v), sum(v), non-NULL count of v]
    expect(local.types).toEqual([T.Int32, T.Int64, T.Int64, T.Int64, T.Int64, T.Int64]);
    const out = local.aggregate(
      chunk(`
        i i
        +  1 10
        +  1 20
        -  2 5
        +  . 7
        U- 1 20
        U+ 1 .
        +  3 .`),
    );
    expect(out!.records()).toEqual(
      expected(`
        i I I I  I  I
        + 1 2 2 1 10 1
        + 2 -1 -1 -1 -5 -1
        + . 1 1 1 7 1
        + 3 1 1 0 0 0`),
    );
  });

  it('keeps a partial sum whose non-NULL count passes through zero (U- before U+)', () => {
    const types = [T.Int64];
    const local = new StatelessLocalAggExecutor({ inputTypes: types, groupKey: [], calls: [aggCall('sum', [0], types)] });
    const out = local.aggregate(
      chunk(`
        I
        U- 2
        U+ 3`),
    );
    expect(out!.records()).toEqual(expected(`
      I N I
      + 0 1 0`));
  });

  it('skips invisible rows and returns null for a chunk with none visible', () => {
    const types = [T.Int32];
    const local = new StatelessLocalAggExecutor({ inputTypes: types, groupKey: [], calls: [aggCall('sum', [0], types)] });
    const c = chunk(`
      i
      + 1
      + 2`);
    expect(local.aggregate(c.withVisibility(Uint8Array.of(0, 0)))).toBeNull();
    expect(local.aggregate(c.withVisibility(Uint8Array.of(0, 1)))!.records()).toEqual(expected(`
      I I I
      + 1 2 1`));
  });

  it('applies FILTER per call and widens partial sums (int8 → numeric, float4 → float8)', () => {
    const types = [T.Int64, T.Float32, T.Boolean];
    const local = new StatelessLocalAggExecutor({
      inputTypes: types,
      groupKey: [],
      calls: [aggCall('sum', [0], types), aggCall('avg', [1], types), aggCall('count', [], types, { filter: 2 })],
    });
    expect(local.types).toEqual([T.Int64, T.Decimal, T.Int64, T.Float64, T.Int64, T.Int64]);
    const out = local.aggregate(
      chunk(`
        I                   f   B
        + 9223372036854775807 0.5 t
        + 9223372036854775807 1.5 f
        + 1                   .   .`),
    );
    expect(out!.records()).toEqual(expected(`
      I N                    I F I I
      + 3 18446744073709551615 3 2 2 1`));
  });

  it('knows which calls have a partial form', () => {
    expect(partialAggSupported('count', [])).toBe(true);
    expect(partialAggSupported('sum', [T.Decimal])).toBe(true);
    expect(partialAggSupported('avg', [T.Interval])).toBe(true);
    expect(partialAggSupported('sum', [T.Varchar])).toBe(false);
    expect(partialAggSupported('min', [T.Int32])).toBe(false);
    expect(partialAggSupported('string_agg', [T.Varchar, T.Varchar])).toBe(false);
    expect(partialTypes('sum', [T.Int16])).toEqual([T.Int64, T.Int64]);
  });

  it('keeps watermarks of group-key columns only, renumbered', () => {
    const types = [T.Int32, T.Int32];
    const src = new SourceExecutor(types);
    const local = src.connect(new StatelessLocalAggExecutor({ inputTypes: types, groupKey: [1], calls: [aggCall('count', [], types)] }));
    const out = local.connect(new Collector());
    src.push(new Watermark(0, T.Int32, 5));
    src.push(new Watermark(1, T.Int32, 7));
    expect(out.watermarks().map((w) => [w.column, w.value])).toEqual([[0, 7]]);
  });
});

/** Single-phase agg and local → global agg side by side over the same input. */
function pair(types: DataType[], groupKey: number[], calls: AggCallDesc[]) {
  const store = new MemStateStore();
  const src = new SourceExecutor(types);
  const single = src.connect(
    groupKey.length === 0
      ? new SimpleAggExecutor({ inputTypes: types, calls, tables: new StateTableAllocator(store, 100) })
      : new HashAggExecutor({ inputTypes: types, groupKey, calls, tables: new StateTableAllocator(store, 100) }),
  );
  const local = src.connect(new StatelessLocalAggExecutor({ inputTypes: types, groupKey, calls }));
  // Global calls read the partial columns: [key…, row count, partials of each call…].
  let at = groupKey.length + 1;
  const merged = calls.map((c) => {
    const width = partialTypes(c.impl.name, c.args.map((a) => types[a])).length;
    const desc: AggCallDesc = { impl: c.impl, args: Array.from({ length: width }, (_, j) => at + j), merge: true };
    at += width;
    return desc;
  });
  const nk = groupKey.length;
  const keys = [...Array(nk).keys()];
  const tables = new StateTableAllocator(store, 200);
  const global = local.connect(
    nk === 0
      ? new SimpleAggExecutor({ inputTypes: local.types, calls: merged, tables, rowCountColumn: nk })
      : new HashAggExecutor({ inputTypes: local.types, groupKey: keys, calls: merged, tables, rowCountColumn: nk }),
  );
  const a = single.connect(new Collector());
  const b = global.connect(new Collector());
  let epoch = store.committedEpoch;
  const barrier = () => {
    src.injectBarrier(new Barrier(++epoch));
    void store.commitEpoch(epoch);
  };
  return { src, a, b, barrier, global };
}

describe('two-phase agg (local → global) equals single-phase', () => {
  const calls = (t: DataType[]) => [aggCall('count', [], t), aggCall('count', [1], t), aggCall('sum', [1], t), aggCall('avg', [1], t), aggCall('sum', [2], t), aggCall('sum', [1], t, { filter: 3 })];
  const types = [T.Int32, T.Int32, T.Float64, T.Boolean];

  it('over GROUP BY with retractions, NULLs and groups that leave', () => {
    const { src, a, b, barrier, global } = pair(types, [0], calls(types));
    const steps = [
      `i i F B
       + 1 10 0.5 t
       + 1 20 .   f
       + 2 5  1   t
       + . 7  2   .`,
      `i i F B
       -  1 10 0.5 t
       U- 2 5  1   t
       U+ 2 .  1   t
       +  3 .  .   t`,
      `i i F B
       -  1 20 .   f
       -  2 .  1   t
       +  2 4  1   f`,
    ];
    for (const s of steps) {
      src.pushChunk(chunk(s));
      barrier();
      expect(bag(b.take().map(([op, r]) => [op, ...r] as Row))).toEqual(bag(a.take().map(([op, r]) => [op, ...r] as Row)));
    }
    // Group 1 left entirely: it was deleted from the global agg's state too.
    expect(global.groupCount).toBe(3);
  });

  it('over a global aggregate: NULL sums once every non-NULL input left', () => {
    const { src, a, b, barrier } = pair(types, [], calls(types));
    barrier();
    expect(b.take()).toEqual(a.take());
    src.pushChunk(chunk(`
      i i F B
      + 1 10 0.5 t
      + 2 .  .   t`));
    src.pushChunk(chunk(`
      i i F B
      - 1 10 0.5 t`));
    barrier();
    const got = b.take();
    expect(got).toEqual(a.take());
    expect(got.at(-1)).toEqual([Op.UpdateInsert, [1n, 0n, null, null, null, null]]);
  });
});

describe('two-phase agg: randomized against single-phase', () => {
  // Columns: k (int32, few values), a (int32), b (int64), c (numeric), d (float64, small integers: exact).
  const types = [T.Int32, T.Int32, T.Int64, T.Decimal, T.Float64, T.Boolean];
  const calls = (t: DataType[]) => [
    aggCall('count', [], t),
    aggCall('count', [1], t),
    aggCall('sum', [1], t),
    aggCall('avg', [1], t),
    aggCall('sum', [2], t),
    aggCall('avg', [2], t),
    aggCall('sum', [3], t),
    aggCall('avg', [4], t),
    aggCall('sum', [1], t, { filter: 5 }),
  ];

  for (const groupKey of [[0], []]) {
    it(`random inserts, updates and deletes with NULLs (${groupKey.length ? 'GROUP BY' : 'global'})`, () => {
      let seed = 7;
      const rand = (n: number) => Math.floor(((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * n);
      const maybe = (d: Datum): Datum => (rand(5) === 0 ? null : d);
      const newRow = (): Row => [maybe(rand(4)), maybe(rand(100) - 50), maybe(BigInt(rand(1000)) * 10n ** 15n), maybe(Decimal.fromInt(rand(90))), maybe(rand(20) - 10), maybe(rand(2) === 0)];
      const { src, a, b, barrier } = pair(types, groupKey, calls(types));
      const live: Row[] = [];
      const emit = (ch: StreamChunk | null) => ch !== null && src.pushChunk(ch);
      for (let epoch = 0; epoch < 40; epoch++) {
        for (let c = 0, chunks = 1 + rand(3); c < chunks; c++) {
          const builder = new StreamChunkBuilder(types, 64);
          for (let i = 0, n = 1 + rand(40); i < n; i++) {
            const op = rand(4);
            if (op <= 1 || live.length === 0) {
              const r = newRow();
              live.push(r);
              emit(builder.append(Op.Insert, r));
            } else if (op === 2) {
              const [r] = live.splice(rand(live.length), 1);
              emit(builder.append(Op.Delete, r));
            } else {
              const at = rand(live.length);
              const next = newRow();
              emit(builder.appendUpdate(live[at], next));
              live[at] = next;
            }
          }
          emit(builder.take());
        }
        barrier();
        const single = bag(a.take().map(([op, r]) => [op, ...r] as Row));
        expect(bag(b.take().map(([op, r]) => [op, ...r] as Row)), `epoch ${epoch}`).toEqual(single);
      }
    });
  }
});
