import { type DataType, type Datum, Op, type Row, StreamChunkBuilder, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { AppendOnlyTemporalFilterExecutor } from './append-only-temporal-filter';
import { SourceExecutor } from './source';
import { TemporalFilterExecutor } from './temporal-filter';

/** (id, user, ts µs as a TIMESTAMPTZ) with `ts > now - window` (or `>=`). */
const TYPES: DataType[] = [T.Int64, T.Int32, T.Timestamptz];

/** A random generator with a seed, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Records as a sorted multiset of `op row` lines: the order within a barrier is not part of the contract. */
const bag = (records: [Op, Row][]) => records.map(([op, row]) => `${op} ${row.map(String).join(',')}`).sort();

function appendOnly(store: MemStateStore, window: number, inclusive: boolean, now: number) {
  const src = new SourceExecutor(TYPES);
  const tf = src.connect(
    new AppendOnlyTemporalFilterExecutor({ types: TYPES, column: 2, lowerBound: (t) => t - window, inclusive, tables: new StateTableAllocator(store, 1), initialNow: now, chunkSize: 7 }),
  );
  return { src, out: tf.connect(new Collector()) };
}

/** (id int64, user int32, ts int64) with `ts > now - 10`, for readable fixtures. */
function small() {
  const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
  const tf = src.connect(
    new AppendOnlyTemporalFilterExecutor({ types: src.types, column: 2, lowerBound: (now) => BigInt(now - 10), tables: new StateTableAllocator(new MemStateStore(), 1), initialNow: 100 }),
  );
  return { src, out: tf.connect(new Collector()) };
}

function general(store: MemStateStore, window: number, inclusive: boolean, now: number) {
  const src = new SourceExecutor(TYPES);
  const tf = src.connect(
    new TemporalFilterExecutor({ types: TYPES, column: 2, lowerBound: (t) => t - window, inclusive, pk: [0], tables: new StateTableAllocator(store, 1), initialNow: now }),
  );
  return { src, out: tf.connect(new Collector()) };
}

describe('append-only temporal filter', () => {
  it('admits rows above the bound and retracts them as barrier time passes them', () => {
    const { src, out } = small();
    // Out of time order within the epoch, a NULL time, one at the bound (90: not > 90).
    src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 90\n+ 3 8 .\n+ 4 8 99\n+ 5 9 93'));
    expect(out.take()).toEqual(expected('I i I\n+ 1 7 95\n+ 4 8 99\n+ 5 9 93'));
    src.injectBarrier(new Barrier(1, false, null, 104)); // bound 94: 93 leaves
    expect(out.take()).toEqual(expected('I i I\n- 5 9 93'));
    src.pushChunk(chunk('I i I\n+ 6 7 120'));
    src.injectBarrier(new Barrier(2, false, null, 109)); // bound 99: 95 and 99 leave, 120 stays
    expect(bag(out.take())).toEqual(bag(expected('I i I\n+ 6 7 120\n- 1 7 95\n- 4 8 99')));
    // The same first time and bucket as row 6's group, in another epoch: a group of its own.
    src.pushChunk(chunk('I i I\n+ 7 9 120'));
    src.injectBarrier(new Barrier(3, false, null, 200));
    expect(bag(out.take())).toEqual(bag(expected('I i I\n+ 7 9 120\n- 6 7 120\n- 7 9 120')));
  });

  it('cleans recovered groups at the first barrier, even one stamped before it was built', () => {
    // A barrier injected while a job's graph is being built carries a time from before the
    // filter's constructor read the clock: the bound then computed is not above the
    // constructor's, but the groups recovered from the state were cleaned only up to the
    // bound of their checkpoint.
    const store = new MemStateStore();
    const build = (now: number) => {
      const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
      const tf = src.connect(new AppendOnlyTemporalFilterExecutor({ types: src.types, column: 2, lowerBound: (t) => BigInt(t - 10), tables: new StateTableAllocator(store, 1), initialNow: now }));
      return { src, out: tf.connect(new Collector()) };
    };
    const before = build(100);
    before.src.pushChunk(chunk('I i I\n+ 1 7 95\n+ 2 7 195'));
    before.src.injectBarrier(new Barrier(1, false, null, 100));
    void store.commitEpoch(1);
    const after = build(200); // bound 190 for rows it admits
    after.src.injectBarrier(new Barrier(2, false, null, 150)); // bound 140, stamped before
    expect(after.out.take()).toEqual(expected('I i I\n- 1 7 95'));
    after.src.injectBarrier(new Barrier(3, false, null, 206)); // bound 196: 195 leaves
    expect(after.out.take()).toEqual(expected('I i I\n- 2 7 195'));
  });

  it('refuses a delete: the planner proved its input append-only', () => {
    const { src } = small();
    expect(() => src.pushChunk(chunk('I i I\n- 1 7 95'))).toThrow(/not an insert/);
  });

  // Differential: the general temporal filter (an entry per row) is the reference. Random
  // append-only input in and out of time order, random barrier times, `>` and `>=`, and a
  // restart half-way (new executors over the same store) so the groups are read back from
  // the state table and not from anything the first executor kept.
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`emits what the general filter emits, barrier by barrier (seed ${seed})`, () => {
      const r = rng(seed);
      const window = 1_000_000 + Math.floor(r() * 3_000_000);
      const inclusive = r() < 0.5;
      let now = 5_000_000_000;
      const stores = [new MemStateStore(), new MemStateStore()];
      let a = appendOnly(stores[0], window, inclusive, now);
      let g = general(stores[1], window, inclusive, now);
      let id = 0n;
      const barriers = 60;
      for (let epoch = 1; epoch <= barriers; epoch++) {
        if (epoch === barriers / 2) {
          a = appendOnly(stores[0], window, inclusive, now);
          g = general(stores[1], window, inclusive, now);
        }
        const chunks = Math.floor(r() * 3);
        for (let c = 0; c < chunks; c++) {
          const b = new StreamChunkBuilder(TYPES, 64);
          const rows = 1 + Math.floor(r() * 40);
          for (let i = 0; i < rows; i++) {
            // Mostly near NOW(), some late (already out or close to the bound), some NULL,
            // some exactly at the bound, some ahead.
            const p = r();
            const ts: Datum = p < 0.05 ? null : p < 0.1 ? now - window : p < 0.3 ? now - Math.floor(r() * window * 1.2) : now + Math.floor(r() * 2_000_000) - 500_000;
            b.append(Op.Insert, [++id, Math.floor(r() * 5), ts]);
          }
          const ch = b.take()!;
          a.src.pushChunk(ch);
          g.src.pushChunk(ch);
          expect(bag(a.out.take())).toEqual(bag(g.out.take()));
        }
        now += Math.floor(r() * 700_000);
        const barrier = new Barrier(epoch, false, null, now);
        a.src.injectBarrier(barrier);
        g.src.injectBarrier(barrier);
        for (const s of stores) void s.commitEpoch(epoch);
        expect(bag(a.out.take())).toEqual(bag(g.out.take()));
      }
      // Far ahead: everything left leaves, the same rows from both.
      const last = new Barrier(barriers + 1, false, null, now + 100 * window);
      a.src.injectBarrier(last);
      g.src.injectBarrier(last);
      expect(bag(a.out.take())).toEqual(bag(g.out.take()));
      expect([...new StateTableAllocator(stores[0], 1).create([T.Timestamptz, T.Int64, T.Int64, T.Varchar], [0, 1, 2], undefined, { segmented: true }).scan()]).toEqual([]);
    });
  }
});
