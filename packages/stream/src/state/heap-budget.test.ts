/**
 * The state cache weighs its entries by stateHeapBudget.scale (the heap bytes per
 * estimated byte the server's memory manager measured): at scale 3 a memory-limited
 * store keeps a third of the entries it keeps at scale 1, and still serves every key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { T } from '@freshet/common';
import { type StorageEngine, openStorage } from '@freshet/storage';
import { stateHeapBudget } from './heap-budget';
import { MemStateStore } from './mem-store';
import { StateTable } from './state-table';

const LIMIT = 256 << 10;
const EPOCHS = 30;
const PER_EPOCH = 500;

describe('state cache weighed by the measured heap', () => {
  const dirs: string[] = [];
  const open: StorageEngine[] = [];
  afterEach(async () => {
    stateHeapBudget.scale = 1;
    for (const s of open.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** Writes EPOCHS × PER_EPOCH keys, a checkpoint per epoch; the cache's estimated bytes after, and the table. */
  async function fill(scale: number): Promise<{ estimated: number; weighed: number; table: StateTable }> {
    stateHeapBudget.scale = scale;
    const dir = mkdtempSync(join(tmpdir(), 'freshet-heap-budget-'));
    dirs.push(dir);
    const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: LIMIT, log: () => {} });
    await storage.open();
    open.push(storage);
    const store = storage.openStateStore(new MemStateStore())!;
    store.checkpointFrequency = 1;
    const table = new StateTable(store, { tableId: 1, types: [T.Int64, T.Int64], pk: [0] }).declarePointReads();
    let id = 0;
    for (let epoch = 1; epoch <= EPOCHS + 1; epoch++) {
      if (epoch <= EPOCHS) for (let i = 0; i < PER_EPOCH; i++, id++) table.insert([BigInt(id), BigInt(id * 7)]);
      table.commit(epoch);
      await store.commitEpoch(epoch);
    }
    return { estimated: store.cacheStats.stateBytes, weighed: store.cacheStats.bytes, table };
  }

  it('keeps fewer entries at a higher scale, within the limit in weighed bytes, and serves every key', async () => {
    const plain = await fill(1);
    const scaled = await fill(3);
    // Both caches are at the limit in weighed bytes (the last epoch's writes are pinned).
    for (const r of [plain, scaled]) {
      expect(r.weighed).toBeGreaterThan(LIMIT * 0.5);
      expect(r.weighed).toBeLessThan(LIMIT * 1.3);
    }
    expect(scaled.weighed).toBeCloseTo(scaled.estimated * 3, -2);
    expect(scaled.estimated).toBeLessThan(plain.estimated * 0.5);
    // Every key is served, those evicted from LevelDB.
    for (const id of [0, 1, 777, 7_000, EPOCHS * PER_EPOCH - 1]) {
      expect(scaled.table.getCommitted([BigInt(id)])).toEqual([BigInt(id), BigInt(id * 7)]);
      expect(plain.table.getCommitted([BigInt(id)])).toEqual([BigInt(id), BigInt(id * 7)]);
    }
  });
});
