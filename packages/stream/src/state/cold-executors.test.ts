/**
 * Executors over a memory-limited durable store (cold mode): GROUP BY (hash agg), a global
 * aggregate, DISTINCT, COUNT(DISTINCT …) by group, MIN and MAX by group over updates and
 * deletes (their multisets), a LEFT JOIN of two aggregates on their group key (a join whose
 * sides hold one row per key), a temporal filter whose window holds ~20 epochs of rows
 * (expired, updated and deleted) and materialize with state many times the limit, a restart
 * in the middle (lazy recovery), results equal to the same input over an unlimited
 * in-memory store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Op, type Row, StreamChunkBuilder, T } from '@freshet/common';
import { type DurableStateStore, type StorageEngine, openStorage } from '@freshet/storage';
import { DedupExecutor } from '../executor/dedup';
import { HashAggExecutor } from '../executor/hash-agg';
import { HashJoinExecutor } from '../executor/hash-join';
import { MaterializeExecutor } from '../executor/materialize';
import { SimpleAggExecutor } from '../executor/simple-agg';
import { SourceExecutor } from '../executor/source';
import { TemporalFilterExecutor } from '../executor/temporal-filter';
import { Barrier } from '../message';
import { aggCall } from '../test-util';
import { MemStateStore } from './mem-store';
import { StateTableAllocator } from './state-table';
import type { StateStore } from './store';

const IN = [T.Int64, T.Int32, T.Int32]; // id, g, v

/** Epoch e's barrier is at time (e + 1) * 1000, after its ids (e * 1000 + i): the temporal filter keeps the last WINDOW ids. */
const WINDOW = 20_000;
const barrierTime = (e: number) => (e + 1) * 1000;

/**
 * source → {agg by id, agg by g, count(*), distinct g, agg by id ⟕ sum(g) by id, count(distinct v) by g, min/max by g,
 * agg by g of the ids in the window} → eight MVs, over `store`; `from`: the first epoch it runs.
 */
function build(store: StateStore, from: number) {
  const src = new SourceExecutor(IN);
  const mv = (agg: { connect: SourceExecutor['connect'] }, types: typeof IN, pk: number[], base: number) =>
    agg.connect(new MaterializeExecutor({ types, pk, tables: new StateTableAllocator(store, base) }));
  const calls = [aggCall('count', [], IN), aggCall('sum', [2], IN)];
  const byId = src.connect(new HashAggExecutor({ inputTypes: IN, groupKey: [0], calls, tables: new StateTableAllocator(store, 1000) }));
  const byG = src.connect(new HashAggExecutor({ inputTypes: IN, groupKey: [1], calls, tables: new StateTableAllocator(store, 2000) }));
  const all = src.connect(new SimpleAggExecutor({ inputTypes: IN, calls, tables: new StateTableAllocator(store, 3000) }));
  const distinct = src.connect(new DedupExecutor({ types: IN, dedupColumns: [1, 2], tables: new StateTableAllocator(store, 4000) }));
  // One DISTINCT tuple (g, v) per few events: its count table is ~5x the limit on its own.
  const distinctVByG = src.connect(
    new HashAggExecutor({ inputTypes: IN, groupKey: [1], calls: [aggCall('count', [2], IN, { distinct: true })], tables: new StateTableAllocator(store, 7000) }),
  );
  // MIN and MAX of v share a multiset of ≤ 100 values per group; MAX(id)'s holds a value per
  // live row (~32,000). The deletes take groups' current extremes.
  const extremesByG = src.connect(
    new HashAggExecutor({
      inputTypes: IN,
      groupKey: [1],
      calls: [aggCall('min', [2], IN), aggCall('max', [2], IN), aggCall('max', [0], IN)],
      tables: new StateTableAllocator(store, 8000),
    }),
  );
  // The ids as times: rows leave the window as barriers pass them (Deletes), and the
  // updates and deletes of the previous epoch's rows find them stored.
  const recent = src.connect(
    new TemporalFilterExecutor({
      types: IN,
      column: 0,
      lowerBound: (now) => BigInt(now - WINDOW),
      pk: [0],
      tables: new StateTableAllocator(store, 9000),
      initialNow: from === 0 ? 0 : barrierTime(from - 1),
    }),
  );
  const recentByG = recent.connect(new HashAggExecutor({ inputTypes: IN, groupKey: [1], calls, tables: new StateTableAllocator(store, 9100) }));
  const sumGById = src.connect(
    new HashAggExecutor({ inputTypes: IN, groupKey: [0], calls: [aggCall('sum', [1], IN)], tables: new StateTableAllocator(store, 5000) }),
  );
  const AGG = [T.Int64, T.Int64, T.Int64];
  const SUM = [T.Int64, T.Int64];
  const joined = new HashJoinExecutor({
    joinType: 'left',
    leftTypes: AGG,
    rightTypes: SUM,
    leftKeys: [0],
    rightKeys: [0],
    leftPk: [0],
    rightPk: [0],
    tables: new StateTableAllocator(store, 6000),
  });
  byId.connect(joined.left);
  sumGById.connect(joined.right);
  const mvs = [
    mv(joined, [...AGG, ...SUM] as typeof IN, [0], 6100),
    mv(byId, [T.Int64, T.Int64, T.Int64], [0], 1100),
    mv(byG, [T.Int32, T.Int64, T.Int64], [0], 2100),
    mv(all, [T.Int64, T.Int64], [], 3100),
    mv(distinct, IN, [1, 2], 4100),
    mv(distinctVByG, [T.Int32, T.Int64] as typeof IN, [0], 7100),
    mv(extremesByG, [T.Int32, T.Int32, T.Int32, T.Int64] as typeof IN, [0], 8100),
    mv(recentByG, [T.Int32, T.Int64, T.Int64], [0], 9200),
  ];
  return {
    src,
    mvs,
    distinctCounts: distinctVByG.stateTables().at(-1)!,
    multisets: extremesByG.stateTables().slice(1),
    windowRows: recent.stateTables()[0],
  };
}

/** The rows epoch `e` inserts (deterministic per epoch): new ids, random g and v. */
function inserts(e: number): Row[] {
  let seed = 42 + e;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const rows: Row[] = [];
  for (let i = 0; i < 1000; i++) rows.push([BigInt(e * 1000 + i), rnd(5000), rnd(100)]);
  return rows;
}

/** Pushes epochs [from, to): each inserts its rows and updates every 3rd / deletes every 7th row the previous one inserted. */
async function run(store: StateStore, src: SourceExecutor, from: number, to: number, commit: (e: number) => Promise<void>): Promise<void> {
  const b = new StreamChunkBuilder(IN, 1024);
  for (let e = from; e < to; e++) {
    const rows = inserts(e);
    const prev = e > 0 ? inserts(e - 1) : [];
    for (const r of rows) {
      const c = b.append(Op.Insert, r);
      if (c) src.pushChunk(c);
    }
    for (let i = 0; i < prev.length; i++) {
      const r = prev[i];
      let c = null;
      if (i % 7 === 0) c = b.append(Op.Delete, r);
      else if (i % 3 === 0) c = b.appendUpdate(r, [r[0], r[1], (r[2] as number) + 1]);
      if (c) src.pushChunk(c);
    }
    const last = b.take();
    if (last) src.pushChunk(last);
    const epoch = store.committedEpoch + 1;
    src.injectBarrier(new Barrier(epoch, false, null, barrierTime(e)));
    await commit(epoch);
  }
}

async function mvRows(mvs: MaterializeExecutor[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const m of mvs) {
    const rows: Row[] = [];
    const cold = m.table.scanCommittedCold();
    if (cold === null) rows.push(...m.table.scanCommitted());
    else {
      for (;;) {
        const r = cold.next();
        if (r === null) break;
        if (r instanceof Promise) await r;
        else rows.push(...r);
      }
    }
    out.push(rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}` : v))));
  }
  return out;
}

describe('executors over a memory-limited store', () => {
  const dirs: string[] = [];
  const open: StorageEngine[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function durable(dir: string, memoryLimit: number): Promise<DurableStateStore> {
    const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit });
    await storage.open();
    open.push(storage);
    const store = storage.openStateStore(new MemStateStore())!;
    store.checkpointFrequency = 2;
    return store;
  }

  it('GROUP BY, global agg, DISTINCT, MIN/MAX and MVs with state ~30x the limit equal the unlimited run, across a restart', async () => {
    const LIMIT = 256 * 1024;
    const EPOCHS = 40;
    // Reference: everything in memory.
    const ref = new MemStateStore();
    const r = build(ref, 0);
    await run(ref, r.src, 0, EPOCHS, (e) => ref.commitEpoch(e));
    const expected = await mvRows(r.mvs);
    expect(expected[0].length).toBeGreaterThan(30_000);
    // The window's rows by g count only the last ~WINDOW ids: rows expired.
    const inWindow = expected[7].reduce((n, row) => n + Number(JSON.parse(row)[1]), 0);
    expect(inWindow).toBeGreaterThan(WINDOW / 2);
    expect(inWindow).toBeLessThan(WINDOW);

    const dir = mkdtempSync(join(tmpdir(), 'freshet-cold-exec-'));
    dirs.push(dir);
    let store = await durable(dir, LIMIT);
    let g = build(store, 0);
    await run(store, g.src, 0, EPOCHS / 2, (e) => store.commitEpoch(e));
    // Force a checkpoint of the last epoch, then "crash" (close without anything else).
    const cp = store.requestCheckpoint();
    await store.commitEpoch(store.committedEpoch + 1);
    await cp;
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.cacheStats.evicted).toBeGreaterThan(10_000);
    // The DISTINCT counts are a cache too (~12,000 tuples): all state in memory, not only
    // the cache, is within the limit (kept whole, the counts alone were ~10x it).
    expect(g.distinctCounts.bounded).toBe(true);
    // So are the MIN/MAX multisets (two: MIN and MAX of v share one).
    expect(g.multisets.map((t) => t.bounded)).toEqual([true, true]);
    // And the temporal filter's rows (~20,000 in its window, ~4x the limit alone).
    expect(g.windowRows.bounded).toBe(true);
    expect(store.cacheStats.stateBytes).toBeLessThan(LIMIT * 1.5);
    expect(store.cacheStats.bytes).toBeLessThan(LIMIT * 1.5);
    await open.pop()!.close();

    store = await durable(dir, LIMIT);
    expect(store.recovered).not.toBeNull();
    g = build(store, EPOCHS / 2);
    await run(store, g.src, EPOCHS / 2, EPOCHS, (e) => store.commitEpoch(e));
    expect(store.cacheStats.coldReads).toBeGreaterThan(1000);
    // The limit held while the state grew (pinned entries are the dirty ones of ≤ 2 epochs).
    expect(store.cacheStats.bytes).toBeLessThan(LIMIT * 4);
    const got = await mvRows(g.mvs);
    for (let i = 0; i < expected.length; i++) expect(got[i]).toEqual(expected[i]);
  }, 120_000);
});
