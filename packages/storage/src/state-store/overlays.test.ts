/**
 * Overlay segments (overlays.ts) through the durable store and real LevelDB, with limits
 * small enough that every rule runs: what a restart recovers must be exactly the tables as
 * of the last checkpoint, whatever mix of rewrites, deletes, large takes, settling, dropped
 * segments, failed checkpoints, drops and restarts came before; and a key rewritten at
 * every checkpoint must never get an `s/` row of its own; sweeps between checkpoints keep
 * only what segments still hold. `FRESHET_FUZZ_SEED=n` runs the
 * random test from another seed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Row } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { Prng } from '@freshet/testkit';
import { openStorage } from '../open';
import type { StorageEngine } from '../api';
import type { DurableStateStore } from './durable-store';
import { keysWithPrefix } from './testing';
import { Db } from '../db';
import type { OverlayLimits } from './overlays';

/** A map's entries in key order, for comparing maps filled in different orders. */
const sorted = (m: Map<string, Row>): [string, Row][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('overlay segments', () => {
  let dir: string;
  let storage: StorageEngine;
  let store: DurableStateStore;
  let limits: OverlayLimits;
  let log: string[];

  /** Tables declared read by key (left in LevelDB at a restart and loaded in the background). */
  let pointRead: number[] = [];
  const start = async (memoryLimit?: number) => {
    log = [];
    storage = openStorage({ dataDir: dir, objectStore: 'none', overlayLimits: limits, memoryLimit, log: (m) => log.push(m) });
    await storage.open();
    const inner = new MemStateStore();
    for (const id of pointRead) inner.table(id).declarePointReads();
    store = storage.openStateStore(inner)!;
    store.checkpointFrequency = 1;
    store.onError = () => {};
  };
  const restart = async () => {
    await storage.close();
    await start();
  };
  const committed = (id: number): Map<string, Row> => new Map([...store.table(id).iterCommitted()]);
  /** The committed rows of the random test's keys, read one by one (a table read by key may be partly in memory). */
  const committedByKey = (id: number): Map<string, Row> => {
    const out = new Map<string, Row>();
    for (let i = 0; i < 200; i++) {
      const row = store.table(id).getCommitted(`k${i}`);
      if (row !== undefined) out.set(`k${i}`, row);
    }
    return out;
  };

  beforeEach(() => {
    pointRead = [];
    dir = mkdtempSync(join(tmpdir(), 'freshet-overlays-'));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a hot key only into overlays and settles a key left alone once', async () => {
    limits = { cap: 8, bigTake: 100, settleMaxKeys: 100 };
    await start();
    const t = store.table(5);
    for (let i = 0; i < 10; i++) t.write(1, `cold${i}`, [i]);
    t.write(1, 'hot', [0]);
    await store.commitEpoch(1);
    for (let e = 2; e <= 8; e++) {
      t.write(e, 'hot', [e]);
      await store.commitEpoch(e);
    }
    await storage.close();
    const rows = await keysWithPrefix(dir, 's/5/');
    // The cold keys were settled (the first segment held more than the cap); the hot key's
    // segments died one after another without being read.
    expect(rows.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s/5/cold${i}`).sort());
    const overlays = await keysWithPrefix(dir, 'h/5/');
    expect(overlays.length).toBeGreaterThan(0);
    expect(overlays.length).toBeLessThanOrEqual(2);
    // Kept at a restart without a memory limit: applied over the rows in memory.
    await start();
    expect(log.some((m) => /overlay segments folded/.test(m))).toBe(false);
    expect(committed(5).get('hot')).toEqual([8]);
    expect(committed(5).size).toBe(11);
    await storage.close();
    expect(await keysWithPrefix(dir, 'h/5/')).toEqual(overlays);
    // Folded into the rows at a restart under a memory limit (evicted keys are read back from them).
    await start(1 << 20);
    expect(log.some((m) => /overlay segments folded/.test(m))).toBe(true);
    expect(store.table(5).getCommitted('hot')).toEqual([8]);
    await storage.close();
    expect(await keysWithPrefix(dir, 'h/')).toEqual([]);
    expect(await keysWithPrefix(dir, 's/5/')).toHaveLength(11);
    await start();
  });

  it('keeps live counts across a restart: a recovered segment dies once its keys are rewritten, and is settled otherwise', async () => {
    limits = { cap: 6, bigTake: 100, settleMaxKeys: 100 };
    pointRead = [6];
    await start();
    let t = store.table(6);
    for (let i = 0; i < 4; i++) t.write(1, `a${i}`, [i]);
    await store.commitEpoch(1);
    await restart();
    t = store.table(6);
    expect(store.table(6).get('a2')).toEqual([2]);
    // Every key of the recovered segment rewritten: it dies without being settled.
    for (let i = 0; i < 4; i++) t.write(2, `a${i}`, [i + 10]);
    await store.commitEpoch(2);
    t.write(3, 'b', [0]);
    await store.commitEpoch(3);
    await storage.close();
    expect(await keysWithPrefix(dir, 's/6/')).toEqual([]);
    expect((await keysWithPrefix(dir, 'h/6/')).length).toBe(2);
    await start();
    t = store.table(6);
    expect(t.get('a1')).toEqual([11]);
    // Past the cap, the oldest segment (recovered, 4 live keys) is settled into rows.
    for (let i = 0; i < 5; i++) t.write(4, `c${i}`, [i]);
    await store.commitEpoch(4);
    await storage.close();
    expect((await keysWithPrefix(dir, 's/6/')).sort()).toEqual(['s/6/a0', 's/6/a1', 's/6/a2', 's/6/a3']);
    await start();
    expect(store.table(6).get('a3')).toEqual([13]);
    expect(store.table(6).get('c4')).toEqual([4]);
  });

  it('sweeps segments down to the keys they still hold, and settles those once they are the oldest', async () => {
    // A cap no table reaches: without sweeping nothing would ever be settled, and each
    // checkpoint's segment, holding its one cold key, would stay for good.
    limits = { cap: 1 << 20, bigTake: 1 << 20, settleMaxKeys: 3 };
    await start();
    const t = store.table(5);
    const epochs = 40;
    for (let e = 1; e <= epochs; e++) {
      // Ten hot keys rewritten at every checkpoint, and one cold key written once.
      for (let h = 0; h < 10; h++) t.write(e, `hot${h}`, [e, h]);
      t.write(e, `cold${e}`, [e]);
      await store.commitEpoch(e);
      store.sweepOverlays();
    }
    await storage.close();
    // The cold keys were settled into rows; a few segments remain (the newest, and sparse ones
    // waiting for the settle budget), not one per checkpoint.
    const rows = await keysWithPrefix(dir, 's/5/');
    expect(rows.length).toBeGreaterThan(epochs - 10);
    expect(rows.every((k) => k.startsWith('s/5/cold'))).toBe(true);
    expect((await keysWithPrefix(dir, 'h/5/')).length).toBeLessThanOrEqual(6);
    await start();
    const after = committed(5);
    expect(after.size).toBe(10 + epochs);
    for (let h = 0; h < 10; h++) expect(after.get(`hot${h}`)).toEqual([epochs, h]);
    for (let e = 1; e <= epochs; e++) expect(after.get(`cold${e}`)).toEqual([e]);
  });

  it('recovers exactly the last checkpoint under random rewrites, deletes, large takes, failures, drops and restarts', async () => {
    limits = { cap: 24, bigTake: 40, settleMaxKeys: 7 };
    // One table read by key: a restart leaves it in LevelDB with its overlays in memory.
    pointRead = [4];
    await start();
    const prng = Prng.fromEnv(11);
    const r = () => prng.uint32() / 2 ** 32;
    const ids = [3, 4];
    // The model: each table as of the last checkpoint, and as written since.
    let model = new Map<number, Map<string, Row>>(ids.map((id) => [id, new Map()]));
    let working = new Map<number, Map<string, Row>>(ids.map((id) => [id, new Map()]));
    let failures = 0;
    let restarts = 0;
    let drops = 0;
    /** Random writes of epoch `epoch` to every table (and to `working`). */
    const writeRandom = (epoch: number) => {
      for (const id of ids) {
        const t = store.table(id);
        const w = working.get(id)!;
        // Mostly a few hot keys, now and then a cold one, sometimes a large take.
        const big = r() < 0.05;
        const n = big ? 80 : Math.floor(r() * 6);
        for (let i = 0; i < n; i++) {
          const k = !big && r() < 0.7 ? `k${Math.floor(r() * 5)}` : `k${Math.floor(r() * 200)}`;
          if (r() < 0.25) {
            t.write(epoch, k, null);
            w.delete(k);
          } else {
            const row: Row = [epoch, i];
            t.write(epoch, k, row);
            w.set(k, row);
          }
        }
      }
    };
    for (let round = 0; round < 400; round++) {
      if (store.lastError === null && r() < 0.3) {
        // An epoch published without a checkpoint, then a sweep: its keys are taken again in
        // a round no checkpoint has written yet, whose decrements are still to come.
        store.checkpointFrequency = Number.MAX_SAFE_INTEGER;
        const published = store.committedEpoch + 1;
        writeRandom(published);
        await store.commitEpoch(published);
        store.sweepOverlays();
        store.checkpointFrequency = 1;
      }
      const epoch = store.committedEpoch + 1;
      writeRandom(epoch);
      if (r() < 0.03) {
        // A dropped table whose id comes back (an MV rebuilt): nothing of the old one may show.
        const id = ids[Math.floor(r() * ids.length)];
        store.dropTable(id);
        working.set(id, new Map());
        drops++;
      }
      const fail = r() < 0.05;
      if (fail) vi.spyOn(Db.prototype, 'write').mockRejectedValueOnce(new Error('No space left on device'));
      await store.commitEpoch(epoch);
      const failed = store.lastError !== null;
      if (!fail) expect(failed).toBe(false);
      // A checkpoint with nothing to write writes no batch: the failure waits for none.
      if (fail && !failed) vi.restoreAllMocks();
      if (failed) failures++;
      // Between checkpoints, as the store does on its own after each one (segments due only).
      if (r() < 0.3) store.sweepOverlays();
      if (!failed) model = new Map([...working].map(([id, m]) => [id, new Map(m)]));
      for (const id of ids) expect(sorted(committedByKey(id))).toEqual(sorted(working.get(id)!));
      if (!failed && r() < 0.08) {
        // Now and then under a memory limit: the overlays are folded into the rows.
        await storage.close();
        await start(r() < 0.3 ? 1 << 20 : undefined);
        restarts++;
        for (const id of ids) expect(sorted(committedByKey(id))).toEqual(sorted(model.get(id)!));
        working = new Map([...model].map(([id, m]) => [id, new Map(m)]));
      }
    }
    // A last checkpoint without a failure, then what it recovers.
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.lastError).toBeNull();
    model = new Map([...working].map(([id, m]) => [id, new Map(m)]));
    await restart();
    for (const id of ids) expect(sorted(committedByKey(id))).toEqual(sorted(model.get(id)!));
    expect(failures).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
    expect(drops).toBeGreaterThan(0);
  });
});
