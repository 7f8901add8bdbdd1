/**
 * Overlay segments (overlays.ts) through the durable store and real LevelDB, with limits
 * small enough that every rule runs: what a restart recovers must be exactly the tables as
 * of the last checkpoint, whatever mix of rewrites, deletes, large takes, settling, dropped
 * segments, failed checkpoints, drops and restarts came before; and a key rewritten at
 * every checkpoint must never get an `s/` row of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Row } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { openStorage } from '../open';
import type { StorageEngine } from '../api';
import type { DurableStateStore } from './durable-store';
import { Db } from '../db';
import type { OverlayLimits } from './overlays';

/** Every LevelDB key (latin1) starting with `prefix`, read with the storage closed. */
async function keysWithPrefix(dir: string, prefix: string): Promise<string[]> {
  const db = new Db(dir);
  await db.open();
  const out: string[] = [];
  const lo = Buffer.from(prefix, 'latin1');
  const hi = Buffer.from(prefix, 'latin1');
  hi[hi.length - 1]++;
  for await (const k of db.level.keys({ gte: lo, lt: hi })) out.push(k.toString('latin1'));
  await db.level.close();
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('overlay segments', () => {
  let dir: string;
  let storage: StorageEngine;
  let store: DurableStateStore;
  let limits: OverlayLimits;
  let log: string[];

  const start = async () => {
    log = [];
    storage = openStorage({ dataDir: dir, objectStore: 'none', overlayLimits: limits, log: (m) => log.push(m) });
    await storage.open();
    store = storage.openStateStore(new MemStateStore())!;
    store.checkpointFrequency = 1;
    store.onError = () => {};
  };
  const restart = async () => {
    await storage.close();
    await start();
  };
  const committed = (id: number): Map<string, Row> => new Map([...store.table(id).iterCommitted()]);

  beforeEach(() => {
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
    await start();
    expect(log.some((m) => /overlay segments folded/.test(m))).toBe(true);
    expect(committed(5).get('hot')).toEqual([8]);
    expect(committed(5).size).toBe(11);
    await storage.close();
    // Folded at open: only rows now.
    expect(await keysWithPrefix(dir, 'h/')).toEqual([]);
    expect(await keysWithPrefix(dir, 's/5/')).toHaveLength(11);
    await start();
  });

  it('recovers exactly the last checkpoint under random rewrites, deletes, large takes, failures, drops and restarts', async () => {
    limits = { cap: 24, bigTake: 40, settleMaxKeys: 7 };
    await start();
    const r = rng(11);
    const ids = [3, 4];
    // The model: each table as of the last checkpoint, and as written since.
    let model = new Map<number, Map<string, Row>>(ids.map((id) => [id, new Map()]));
    let working = new Map<number, Map<string, Row>>(ids.map((id) => [id, new Map()]));
    let failures = 0;
    let restarts = 0;
    let drops = 0;
    for (let round = 0; round < 400; round++) {
      const epoch = store.committedEpoch + 1;
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
      if (!failed) model = new Map([...working].map(([id, m]) => [id, new Map(m)]));
      for (const id of ids) expect(committed(id)).toEqual(working.get(id));
      if (!failed && r() < 0.08) {
        await restart();
        restarts++;
        for (const id of ids) expect(committed(id)).toEqual(model.get(id));
        working = new Map([...model].map(([id, m]) => [id, new Map(m)]));
      }
    }
    // A last checkpoint without a failure, then what it recovers.
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.lastError).toBeNull();
    model = new Map([...working].map(([id, m]) => [id, new Map(m)]));
    await restart();
    for (const id of ids) expect(committed(id)).toEqual(model.get(id));
    expect(failures).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
    expect(drops).toBeGreaterThan(0);
  });
});
