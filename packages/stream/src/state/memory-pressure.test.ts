/**
 * A fast load into a memory-limited durable store, driven by the barrier manager as a
 * running server is: a source that pulls a batch of new keys at every barrier (as
 * connector sources do) → GROUP BY → MV, barriers on a timer, checkpoints only when the
 * limit forces them. What is written since the last durable checkpoint cannot be evicted;
 * while that checkpoint was being written, sources kept pulling and the pinned state grew
 * to several times the limit. The store now holds new epochs back meanwhile
 * (StateStore.throttled), so the cache stays within the limit plus about one barrier's rows,
 * and it checkpoints once an eighth of the limit is unsaved, so batches stay small.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Op, StreamChunkBuilder, T } from '@freshet/common';
import { type StorageEngine, openStorage } from '@freshet/storage';
import { HashAggExecutor } from '../executor/hash-agg';
import { MaterializeExecutor } from '../executor/materialize';
import { SourceExecutor } from '../executor/source';
import { BarrierManager } from '../graph/barrier-manager';
import type { Barrier } from '../message';
import { aggCall } from '../test-util';
import { MemStateStore } from './mem-store';
import { StateTableAllocator } from './state-table';

const IN = [T.Int64, T.Int32];

describe('memory pressure under a barrier-driven load', () => {
  const dirs: string[] = [];
  const open: StorageEngine[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps the state not yet durable near the limit while checkpoints are written, and loses nothing', async () => {
    const LIMIT = 1 << 20;
    const PER_BARRIER = 100;
    const TOTAL = 40_000;
    const dir = mkdtempSync(join(tmpdir(), 'freshet-pressure-'));
    dirs.push(dir);
    const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: LIMIT });
    await storage.open();
    open.push(storage);
    const store = storage.openStateStore(new MemStateStore())!;
    // Only the limit forces checkpoints (a server's default is one a second).
    store.checkpointFrequency = 1_000_000;
    const manager = new BarrierManager(store, { intervalMs: 1, checkpointEvery: 1_000_000 });
    const src = new SourceExecutor(IN);
    const agg = src.connect(
      new HashAggExecutor({ inputTypes: IN, groupKey: [0], calls: [aggCall('count', [], IN), aggCall('sum', [1], IN)], tables: new StateTableAllocator(store, 100) }),
    );
    const mv = agg.connect(new MaterializeExecutor({ types: agg.types, pk: [0], tables: new StateTableAllocator(store, 200), collector: manager.registerCollector() }));
    // Pulls the next batch of new ids at each barrier, as a connector source does.
    let next = 1;
    const builder = new StreamChunkBuilder(IN, PER_BARRIER);
    manager.addSource({
      injectBarrier(b: Barrier) {
        for (let i = 0; i < PER_BARRIER && next <= TOTAL; i++, next++) {
          const full = builder.append(Op.Insert, [BigInt(next), next % 97]);
          if (full) src.pushChunk(full);
        }
        const c = builder.take();
        if (c) src.pushChunk(c);
        src.injectBarrier(b);
      },
    });

    // One barrier's rows in the cache (both tables), to state the bound in those units.
    manager.injectBarrier();
    await manager.flush();
    const perBarrier = store.cacheStats.bytes / 2; // two barriers so far
    expect(perBarrier).toBeLessThan(LIMIT / 4);

    let maxBytes = 0;
    const sampler = setInterval(() => (maxBytes = Math.max(maxBytes, store.cacheStats.bytes)), 0);
    // Keys per checkpoint (a key is in the batch once): each batch is held several times over while written.
    const checkpointKeys = new Map<number, number>();
    manager.onCommit(() => {
      const s = store.lastCheckpointStats;
      if (s) checkpointKeys.set(s.epoch, s.keys);
    });
    manager.start();
    while (next <= TOTAL) await new Promise((r) => setTimeout(r, 5));
    manager.stop();
    clearInterval(sampler);
    await manager.flush();

    // Dozens of pressure checkpoints, state ~25x the limit; what is over the limit is pinned
    // for at most about one barrier past the commit that started the checkpoint.
    expect(store.cacheStats.evicted).toBeGreaterThan(TOTAL);
    expect(maxBytes).toBeGreaterThan(LIMIT * 0.8);
    expect(maxBytes).toBeLessThan(LIMIT + 3 * perBarrier);
    // Checkpoints come once an eighth of the limit is unsaved, not when all of the cache is
    // (a slow fsync lets one grow, up to what the throttle allows).
    const bytesPerKey = perBarrier / (2 * PER_BARRIER); // two state rows (agg, MV) per input row
    const keys = [...checkpointKeys.values()].sort((a, b) => a - b);
    expect(keys.length).toBeGreaterThan(20);
    expect(keys[keys.length >> 1]).toBeLessThan((LIMIT / 8 + 2 * perBarrier) / bytesPerKey);
    expect(keys[keys.length - 1]).toBeLessThan((LIMIT + 3 * perBarrier) / bytesPerKey);

    // Every key is there, most of them read back from LevelDB.
    for (const id of [1, 2, 1234, 20_000, 39_999, TOTAL]) {
      expect(mv.table.getCommitted([BigInt(id)])).toEqual([BigInt(id), 1n, BigInt(id % 97)]);
    }
    expect(store.cacheStats.coldReads).toBeGreaterThan(0);
  }, 60_000);
});
