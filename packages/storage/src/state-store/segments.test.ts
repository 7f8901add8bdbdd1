/**
 * Segmented state tables (segments.ts) through the durable store and real LevelDB: what a
 * restart recovers must be exactly the table as of the last checkpoint, whatever mix of
 * inserts, deletes above and below the low water, rewrites and restarts came before; and
 * storage must hold only segments (no row keys), dropping them once dead.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Row } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { openStorage } from '../open';
import type { StorageEngine } from '../api';
import type { DurableStateStore } from './durable-store';
import { keysWithPrefix, rng } from './testing';
import { Db } from '../db';
import { BatchRecord } from '../batch-record';
import { POINTER_BYTES } from '../part-log';
import { SEGMENT_PART_BYTES } from './segments';

async function start(dir: string): Promise<{ storage: StorageEngine; store: DurableStateStore }> {
  const storage = openStorage({ dataDir: dir });
  await storage.open();
  const store = storage.openStateStore(new MemStateStore())!;
  store.checkpointFrequency = 1;
  return { storage, store };
}

/** Keys that order like a temporal filter's: a fixed-width time, then a sequence number. */
const key = (time: number, seq: number) => `${String(time).padStart(8, '0')}#${String(seq).padStart(8, '0')}`;

describe('segmented state tables', () => {
  const ID = 40;
  let dir: string;
  let storage: StorageEngine;
  let store: DurableStateStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-segments-'));
    ({ storage, store } = await start(dir));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const restart = async () => {
    await storage.close();
    ({ storage, store } = await start(dir));
  };

  const table = () => {
    const t = store.table(ID);
    t.declareSegmented();
    return t;
  };

  const committed = (): Map<string, Row> => new Map([...store.table(ID).iterCommitted()]);

  it('recovers exactly the last checkpoint under random inserts, deletes, expiry, cleaning and restarts', async () => {
    const r = rng(7);
    // The model: the table as of the last checkpoint.
    let model = new Map<string, Row>();
    let working = new Map<string, Row>();
    let t = table();
    let now = 1000; // the low water: keys with a time below it are gone
    let seq = 0;
    let cleanedAny = false;
    for (let round = 0; round < 60; round++) {
      const epoch = store.committedEpoch + 1;
      // New rows, mostly around the present, some a little late.
      const inserts = Math.floor(r() * 4000);
      for (let i = 0; i < inserts; i++) {
        const k = key(now + Math.floor(r() * 50), seq++);
        const row: Row = [seq, `v${seq}`];
        t.write(epoch, k, row);
        working.set(k, row);
      }
      // A few rows that stay: cleaning must carry them over from the segments it deletes.
      for (let i = 0; i < 5; i++) {
        const k = key(99_999_999, seq++);
        t.write(epoch, k, [seq, 'stays']);
        working.set(k, [seq, 'stays']);
      }
      // Deletes above the low water (retractions), and rewrites of live keys.
      const live = [...working.keys()].filter((k) => k < key(99_999_999, 0));
      const changes = Math.floor(r() * 6000);
      for (let i = 0; i < changes && live.length > 0; i++) {
        const k = live[Math.floor(r() * live.length)];
        if (r() < 0.8) {
          t.write(epoch, k, null);
          working.delete(k);
        } else {
          const row: Row = [-1, `rewritten in ${epoch}`];
          t.write(epoch, k, row);
          working.set(k, row);
        }
      }
      // Time passes: everything below the new low water leaves, as a temporal filter expires it.
      if (r() < 0.15) {
        now += Math.floor(r() * 20);
        const lw = key(now, 0);
        for (const k of [...working.keys()]) {
          if (k < lw) {
            t.write(epoch, k, null);
            working.delete(k);
          }
        }
        t.expireBelow(epoch, lw);
      }
      const held = (store as unknown as { segmented: Map<number, { cleaning: unknown }> }).segmented.get(ID);
      const cleaning = held?.cleaning != null;
      await store.commitEpoch(epoch);
      if (cleaning && held?.cleaning == null) cleanedAny = true;
      model = new Map(working);
      expect(committed()).toEqual(model);
      // Now and then time for the background read of segments to clean.
      if (r() < 0.5) await new Promise((res) => setTimeout(res, 5));
      if (r() < 0.2) {
        await restart();
        t = table();
        expect(committed()).toEqual(model);
        working = new Map(model);
      }
    }
    await restart();
    expect(committed()).toEqual(model);
    await storage.close();
    // Only segments and the low water: no key per row.
    expect(await keysWithPrefix(dir, `s/${ID}/`)).toEqual([]);
    const segs = await keysWithPrefix(dir, `g/${ID}/s`);
    expect(segs.length).toBeGreaterThan(0);
    expect(cleanedAny).toBe(true);
    expect(await keysWithPrefix(dir, `g/${ID}/w`)).toHaveLength(1);
    ({ storage, store } = await start(dir));
  });

  it('deletes a segment once the low water passes all of its keys', async () => {
    const t = table();
    // Three checkpoints, one segment each, times 100…, 200…, 300….
    for (let s = 1; s <= 3; s++) {
      const epoch = store.committedEpoch + 1;
      for (let i = 0; i < 10; i++) t.write(epoch, key(s * 100 + i, i), [s, i]);
      await store.commitEpoch(epoch);
    }
    // The first segment expires whole, the second in part.
    const epoch = store.committedEpoch + 1;
    for (const k of [...committed().keys()]) if (k < key(205, 0)) t.write(epoch, k, null);
    t.expireBelow(epoch, key(205, 0));
    await store.commitEpoch(epoch);
    await storage.close();
    const segs = await keysWithPrefix(dir, `g/${ID}/s`);
    expect(segs).toHaveLength(2); // the second and third; the expiry itself wrote no tombstones
    ({ storage, store } = await start(dir));
    const got = [...committed().keys()];
    expect(got).toHaveLength(15);
    expect(got.every((k) => k >= key(205, 0))).toBe(true);
  });

  it('cleans the oldest segments when they hold mostly dead entries', async () => {
    let t = table();
    // A first segment of several parts whose last rows live on (cleaning must carry rows
    // from every part), then many short-lived rows deleted above any low water.
    const pad = 'p'.repeat(40);
    let epoch = store.committedEpoch + 1;
    for (let i = 0; i < 20_000; i++) t.write(epoch, key(1, i), [i, pad]);
    await store.commitEpoch(epoch);
    epoch = store.committedEpoch + 1;
    for (let i = 0; i < 19_990; i++) t.write(epoch, key(1, i), null);
    await store.commitEpoch(epoch);
    const kept = Array.from({ length: 10 }, (_, j) => [key(1, 19_990 + j), [19_990 + j, pad]]);
    const perRound = 20_000;
    for (let round = 0; round < 10; round++) {
      epoch = store.committedEpoch + 1;
      for (let i = 0; i < perRound; i++) t.write(epoch, key(10 + round, i), [round, i]);
      await store.commitEpoch(epoch);
      // Time for the background read of the oldest segments' keys, before the next checkpoint.
      await new Promise((r) => setTimeout(r, 20));
      epoch = store.committedEpoch + 1;
      for (let i = 0; i < perRound; i++) t.write(epoch, key(10 + round, i), null);
      await store.commitEpoch(epoch);
      await new Promise((r) => setTimeout(r, 20));
    }
    await storage.close();
    // 439,990 entries were written. What is stored: the dead entries allowed (65,536 beyond
    // twice the ten rows) plus the segments written since the last cleaning could run.
    const db = new Db(dir);
    await db.open();
    let stored = 0;
    for await (const [, v] of db.level.iterator({ gte: Buffer.from(`g/${ID}/s`), lt: Buffer.from(`g/${ID}/t`) })) BatchRecord.decode(await db.parts.read(v), () => stored++);
    await db.close();
    expect(stored).toBeLessThan(65_536 + 3 * perRound);
    ({ storage, store } = await start(dir));
    t = table();
    expect([...committed()]).toEqual(kept);
  });

  it('stores a big segment in parts, recovers it whole, and deletes every part once dead', async () => {
    const t = table();
    const big = 'x'.repeat(40);
    let epoch = store.committedEpoch + 1;
    for (let i = 0; i < 30_000; i++) t.write(epoch, key(100, i), [i, big]);
    await store.commitEpoch(epoch);
    epoch = store.committedEpoch + 1;
    t.write(epoch, key(200, 0), ['later']);
    await store.commitEpoch(epoch);
    await storage.close();
    const db = new Db(dir);
    await db.open();
    const sizes: number[] = [];
    for await (const [, v] of db.level.iterator({ gte: Buffer.from(`g/${ID}/s`), lt: Buffer.from(`g/${ID}/t`) })) {
      // A pointer into the part files (part-log.ts), not the part itself.
      expect(v.length).toBe(POINTER_BYTES);
      sizes.push((await db.parts.read(v)).length);
    }
    await db.close();
    // ~2 MB of rows: parts of about SEGMENT_PART_BYTES (one row past it at most), and the later segment.
    expect(sizes.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...sizes)).toBeLessThan(SEGMENT_PART_BYTES + 1024);
    ({ storage, store } = await start(dir));
    const rows = committed();
    expect(rows.size).toBe(30_001);
    expect(rows.get(key(100, 29_999))).toEqual([29_999, big]);
    // The low water passes the big segment's keys: all of its parts go, the later one stays.
    table();
    epoch = store.committedEpoch + 1;
    for (let i = 0; i < 30_000; i++) store.table(ID).write(epoch, key(100, i), null);
    store.table(ID).expireBelow(epoch, key(150, 0));
    await store.commitEpoch(epoch);
    await storage.close();
    expect(await keysWithPrefix(dir, `g/${ID}/s`)).toHaveLength(1);
    ({ storage, store } = await start(dir));
    expect([...committed()]).toEqual([[key(200, 0), ['later']]]);
  });

  it('reads a data dir of format 1, whose parts are stored inline, raises its format, and deletes those parts when they die', async () => {
    let t = table();
    let epoch = store.committedEpoch + 1;
    for (let i = 0; i < 20_000; i++) t.write(epoch, key(100, i), [i, 'x'.repeat(30)]);
    await store.commitEpoch(epoch);
    await storage.close();
    // What format 1 wrote: each part's bytes as the value, no part files, `x/format` 1.
    const db = new Db(dir);
    await db.open();
    const inline: [Buffer, Buffer][] = [];
    for await (const [k, v] of db.level.iterator({ gte: Buffer.from(`g/${ID}/s`), lt: Buffer.from(`g/${ID}/t`) })) inline.push([k, await db.parts.read(v)]);
    expect(inline.length).toBeGreaterThan(1);
    await db.write([...inline.map(([k, v]) => ({ type: 'put' as const, key: k, value: v })), { type: 'put', key: Buffer.from('x/format'), value: Buffer.from('1') }]);
    await db.close();
    for (const f of readdirSync(join(dir, 'state'))) if (f.endsWith('.parts')) rmSync(join(dir, 'state', f));
    ({ storage, store } = await start(dir));
    t = table();
    expect(committed().size).toBe(20_000);
    expect(committed().get(key(100, 19_999))).toEqual([19_999, 'x'.repeat(30)]);
    const format = async () => {
      const d = new Db(dir);
      await d.open();
      const v = (await d.level.get(Buffer.from('x/format')))?.toString();
      await d.close();
      return v;
    };
    // The low water passes them: the inline parts go like any others.
    epoch = store.committedEpoch + 1;
    for (let i = 0; i < 20_000; i++) t.write(epoch, key(100, i), null);
    t.write(epoch, key(300, 0), ['later']);
    t.expireBelow(epoch, key(200, 0));
    await store.commitEpoch(epoch);
    await storage.close();
    expect(await format()).toBe('2');
    expect(await keysWithPrefix(dir, `g/${ID}/s`)).toHaveLength(1);
    ({ storage, store } = await start(dir));
    expect([...committed()]).toEqual([[key(300, 0), ['later']]]);
    // A format this build does not know is refused.
    await storage.close();
    const d = new Db(dir);
    await d.open();
    await d.write([{ type: 'put', key: Buffer.from('x/format'), value: Buffer.from('3') }]);
    await d.close();
    await expect(start(dir)).rejects.toThrow(/has storage format 3; this build reads formats 1, 2/);
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'freshet-segments-'));
    ({ storage, store } = await start(dir)); // for afterEach
  });

  it('deletes every segment of a dropped table', async () => {
    const t = table();
    for (let s = 0; s < 3; s++) {
      const epoch = store.committedEpoch + 1;
      for (let i = 0; i < 10; i++) t.write(epoch, key(s, i), [s, i]);
      t.expireBelow(epoch, key(0, 5));
      await store.commitEpoch(epoch);
    }
    store.dropTable(ID);
    // A table created again under the same id (an MV rebuilt at recovery) starts empty.
    const again = table();
    const epoch = store.committedEpoch + 1;
    again.write(epoch, key(50, 0), ['new']);
    await store.commitEpoch(epoch);
    await restart();
    expect([...committed()]).toEqual([[key(50, 0), ['new']]]);
    store.dropTable(ID);
    await store.commitEpoch(store.committedEpoch + 1);
    await storage.close();
    expect(await keysWithPrefix(dir, `g/${ID}/`)).toEqual([]);
    ({ storage, store } = await start(dir));
  });

  it('deletes the segments of a dropped table when the checkpoint that was to delete them failed', async () => {
    const t = table();
    for (let s = 0; s < 2; s++) {
      const epoch = store.committedEpoch + 1;
      for (let i = 0; i < 10; i++) t.write(epoch, key(s, i), [s, i]);
      await store.commitEpoch(epoch);
    }
    store.dropTable(ID);
    store.onError = () => {};
    vi.spyOn(Db.prototype, 'write').mockRejectedValueOnce(new Error('No space left on device'));
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.lastError).toMatch(/No space left/);
    vi.restoreAllMocks();
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.lastError).toBeNull();
    await storage.close();
    expect(await keysWithPrefix(dir, `g/${ID}/`)).toEqual([]);
    ({ storage, store } = await start(dir));
  });
});
