/**
 * Cold mode (a memory limit): the durable store as a bounded cache over LevelDB for
 * point-read tables — eviction of clean entries only, dirty ones pinned until durable,
 * reads of cold keys (working and committed view), lazy recovery, drops, crash/recover.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Row } from '@freshet/common';
import { MemStateStore } from '@freshet/stream';
import { openStorage, parseByteSize } from '../open';
import type { StorageEngine } from '../api';
import type { DurableStateStore } from './durable-store';

const ID = 5;
const key = (i: number) => `k${String(i).padStart(7, '0')}`;
const row = (i: number, v = 0): Row => [i, `value-${i}-${v}`];

async function start(dir: string, memoryLimit: number): Promise<{ storage: StorageEngine; store: DurableStateStore; inner: MemStateStore }> {
  const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit });
  await storage.open();
  const inner = new MemStateStore();
  const store = storage.openStateStore(inner)!;
  store.checkpointFrequency = 1;
  return { storage, store, inner };
}

describe('cold mode state store', () => {
  let dir: string;
  let storage: StorageEngine;
  let store: DurableStateStore;
  let inner: MemStateStore;
  const LIMIT = 64 * 1024;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-cold-'));
    ({ storage, store, inner } = await start(dir, LIMIT));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const restart = async (limit = LIMIT) => {
    await storage.close();
    ({ storage, store, inner } = await start(dir, limit));
  };

  /** Writes keys [lo, hi) in one epoch each of `per` keys, committing (and checkpointing) each. */
  async function fill(lo: number, hi: number, v = 0, per = 1000): Promise<void> {
    const t = store.table(ID);
    for (let i = lo; i < hi; i += per) {
      const epoch = store.committedEpoch + 1;
      for (let j = i; j < Math.min(hi, i + per); j++) t.write(epoch, key(j), row(j, v));
      await store.commitEpoch(epoch);
    }
    await store.commitEpoch(store.committedEpoch + 1); // evicts what the last checkpoint made clean
  }

  it('keeps memory near the limit and serves every key, evicted or not, in both views', async () => {
    store.table(ID).declarePointReads();
    await fill(0, 10_000);
    expect(store.cacheStats.bytes).toBeLessThanOrEqual(LIMIT);
    expect(store.cacheStats.evicted).toBeGreaterThan(9000);
    expect(inner.isPartial(ID)).toBe(true);
    const t = store.table(ID);
    for (let i = 0; i < 10_000; i += 7) {
      expect(t.get(key(i))).toEqual(row(i));
      expect(t.getCommitted(key(i))).toEqual(row(i));
    }
    expect(t.get(key(10_001))).toBeUndefined();
    expect(t.getCommitted('nope')).toBeUndefined();
    expect(store.cacheStats.coldReads).toBeGreaterThan(1000);
  });

  it('weighs only the cache against the limit: state kept whole does not make it evict the cache', async () => {
    // Table 9 is read by range (kept whole, not evictable) and alone several times the limit.
    const whole = store.table(9);
    const epoch = store.committedEpoch + 1;
    for (let j = 0; j < 4000; j++) whole.write(epoch, key(j), row(j));
    await store.commitEpoch(epoch);
    store.table(ID).declarePointReads();
    await fill(0, 300); // well under the limit
    for (let k = 0; k < 5; k++) await store.commitEpoch(store.committedEpoch + 1);
    expect(store.cacheStats.stateBytes).toBeGreaterThan(2 * LIMIT);
    expect(store.cacheStats.bytes).toBeLessThan(LIMIT);
    expect(store.cacheStats.evicted).toBe(0);
    expect(inner.isPartial(ID)).toBe(false);
  });

  it('restarts cold with a limit on a data dir checkpointed without one', async () => {
    await restart(0);
    store.table(ID).declarePointReads();
    await fill(0, 2000);
    expect(store.cacheStats.evicted).toBe(0);
    await restart(LIMIT);
    expect(inner.isPartial(ID)).toBe(true); // left in LevelDB, not loaded
    const t = store.table(ID);
    for (let i = 0; i < 2000; i += 13) expect(t.get(key(i))).toEqual(row(i));
    expect(store.cacheStats.coldReads).toBeGreaterThan(100);
  });

  it('checkpoints as soon as entries it may not evict (written since the last checkpoint) put it over the limit, then evicts them', async () => {
    store.table(ID).declarePointReads();
    store.checkpointFrequency = 1_000_000; // no checkpoint by frequency
    const t = store.table(ID);
    const e = store.committedEpoch + 1;
    for (let i = 0; i < 6000; i++) t.write(e, key(i), row(i));
    await store.commitEpoch(e);
    // The commit that went over the limit with only dirty entries was a checkpoint; once it
    // was durable the entries became clean and were evicted down to the limit.
    expect(store.lastCheckpoint?.epoch).toBe(e);
    expect(store.cacheStats.evicted).toBeGreaterThan(0);
    expect(store.cacheStats.bytes).toBeLessThanOrEqual(LIMIT);
    expect(inner.isPartial(ID)).toBe(true);
    for (let i = 0; i < 6000; i += 11) expect(t.get(key(i))).toEqual(row(i));
  });

  it('reads cold keys in the committed view as of the committed epoch while newer writes are uncommitted', async () => {
    store.table(ID).declarePointReads();
    await fill(0, 5000);
    const t = store.table(ID);
    // Key 3 is evicted (cold). Overwrite it and delete key 4 in an uncommitted epoch: the
    // committed view still shows the durable values, the working view the new ones.
    expect(inner.isPartial(ID)).toBe(true);
    const e = store.committedEpoch + 1;
    t.write(e, key(3), row(3, 1));
    t.write(e, key(4), null);
    expect(t.get(key(3))).toEqual(row(3, 1));
    expect(t.get(key(4))).toBeUndefined();
    expect(t.getCommitted(key(3))).toEqual(row(3));
    expect(t.getCommitted(key(4))).toEqual(row(4));
    await store.commitEpoch(e);
    expect(t.getCommitted(key(3))).toEqual(row(3, 1));
    expect(t.getCommitted(key(4))).toBeUndefined();
    // Fill more so the deleted key's tombstone is evicted once durable: LevelDB has no row.
    await fill(5000, 9000);
    expect(t.get(key(4))).toBeUndefined();
    expect(t.get(key(3))).toEqual(row(3, 1));
  });

  it('keeps tables not declared point-read whole, and range reads of a partial table throw', async () => {
    const whole = store.table(6);
    const e = store.committedEpoch + 1;
    for (let i = 0; i < 3000; i++) whole.write(e, key(i), row(i));
    await store.commitEpoch(e);
    store.table(ID).declarePointReads();
    await fill(0, 5000);
    expect(inner.isPartial(6)).toBe(false);
    expect([...whole.iter(undefined, undefined)].length).toBe(3000);
    expect(() => [...store.table(ID).iterCommitted()]).toThrow(/only partly in memory/);
  });

  it('recovers lazily: point-read tables stay in LevelDB, served by key, equal to the unlimited recovery', async () => {
    store.table(ID).declarePointReads();
    const whole = store.table(6);
    whole.write(store.committedEpoch + 1, 'w', row(1));
    await fill(0, 8000);
    // Updates and deletes after the fill, some of them dirty at the "crash".
    const t = store.table(ID);
    let e = store.committedEpoch + 1;
    for (let i = 0; i < 8000; i += 10) t.write(e, key(i), i % 20 === 0 ? null : row(i, 2));
    await store.commitEpoch(e);
    store.checkpointFrequency = 1_000_000;
    e = store.committedEpoch + 1;
    t.write(e, key(1), row(1, 9)); // committed, never checkpointed: lost at the crash
    await store.commitEpoch(e);
    await restart();
    expect(inner.isPartial(ID)).toBe(true);
    expect(inner.isPartial(6)).toBe(false);
    expect(store.table(6).get('w')).toEqual(row(1));
    const expected = (i: number) => (i % 20 === 0 ? undefined : i % 10 === 0 ? row(i, 2) : row(i));
    const lazy: (Row | undefined)[] = [];
    for (let i = 0; i < 8000; i++) lazy.push(store.table(ID).getCommitted(key(i)));
    for (let i = 0; i < 8000; i++) expect(lazy[i]).toEqual(expected(i));
    // The live count of a partial table is approximate (writes of keys not in memory count as new).
    expect(store.table(ID).size).toBeGreaterThanOrEqual(8000 - 400);
    // The same data dir without a limit loads everything (in the background): the same rows.
    await restart(0);
    await store.loading;
    expect(inner.isPartial(ID)).toBe(false);
    const all = [...store.table(ID).iterCommitted()];
    expect(all.length).toBe(8000 - 400);
    for (const [k, r] of all) expect(r).toEqual(expected(Number(k.slice(1))));
  });

  it('scans a partial table in key order, LevelDB merged with memory, as of the committed epoch', async () => {
    store.table(ID).declarePointReads();
    await fill(0, 6000);
    const t = store.table(ID);
    let e = store.committedEpoch + 1;
    t.write(e, key(10), row(10, 1)); // committed update of a (probably evicted) key
    t.write(e, key(11), null); // committed delete
    t.write(e, key(99999), row(99999)); // committed new key, after every other
    await store.commitEpoch(e);
    e = store.committedEpoch + 1;
    t.write(e, key(12), row(12, 7)); // uncommitted: not seen
    t.write(e, key(13), null); // uncommitted delete: still seen
    const scan = t.scanCold()!;
    expect(scan).not.toBeNull();
    // Eviction is held off while the scan is open.
    const evictedBefore = store.cacheStats.evicted;
    const got: Row[] = [];
    for (;;) {
      const r = scan.next();
      if (r === null) break;
      if (r instanceof Promise) {
        expect(() => scan.next()).toThrow(/resumed before its read finished/);
        await r;
        await store.commitEpoch(store.committedEpoch + 1);
        continue;
      }
      got.push(...r);
    }
    expect(store.cacheStats.evicted).toBe(evictedBefore);
    const expected: Row[] = [];
    for (let i = 0; i < 6000; i++) if (i !== 11) expected.push(i === 10 ? row(10, 1) : row(i));
    expected.push(row(99999));
    // Keys 12 and 13 change with the commits made during the scan: either value is right.
    const steady = (rows: Row[]) => rows.filter((r) => r[0] !== 12 && r[0] !== 13);
    expect(steady(got)).toEqual(steady(expected));
    expect(got.filter((r) => r[0] === 12).length).toBe(1);
    scan.close();
    for (let i = 0; i < 6000; i++) t.get(key(i)); // cold reads fill the cache past the limit
    await store.commitEpoch(store.committedEpoch + 1);
    expect(store.cacheStats.evicted).toBeGreaterThan(evictedBefore);
  });

  it('a dropped partial table loses its LevelDB rows, also when recreated with the same id', async () => {
    store.table(ID).declarePointReads();
    await fill(0, 5000);
    await restart();
    expect(inner.isPartial(ID)).toBe(true);
    store.dropTable(ID);
    const t = store.table(ID);
    t.declarePointReads();
    const e = store.committedEpoch + 1;
    t.write(e, key(1), row(1, 5));
    await store.commitEpoch(e);
    await restart();
    expect(store.table(ID).get(key(1))).toEqual(row(1, 5));
    expect(store.table(ID).get(key(2))).toBeUndefined();
    await restart(0);
    await store.loading;
    expect([...store.table(ID).iterCommitted()]).toEqual([[key(1), row(1, 5)]]);
  });

  it('crash and recover with a tiny limit, many rounds: state equals a model', async () => {
    const model = new Map<string, Row>();
    let durable = new Map<string, Row>();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 6; round++) {
      store.checkpointFrequency = 3;
      const t = store.table(ID);
      t.declarePointReads();
      for (let b = 0; b < 10; b++) {
        const e = store.committedEpoch + 1;
        for (let w = 0; w < 300; w++) {
          const k = key(rnd(3000));
          const cur = t.get(k);
          expect(cur).toEqual(model.get(k));
          if (rnd(4) === 0) {
            t.write(e, k, null);
            model.delete(k);
          } else {
            const r = row(rnd(1000), round);
            t.write(e, k, r);
            model.set(k, r);
          }
        }
        // A checkpoint every 3 epochs, or earlier under memory pressure.
        await store.commitEpoch(e);
        if (store.lastCheckpoint?.epoch === e) durable = new Map(model);
      }
      await restart(8 * 1024);
      model.clear();
      for (const [k, r] of durable) model.set(k, r);
      for (let i = 0; i < 3000; i++) expect(store.table(ID).getCommitted(key(i))).toEqual(model.get(key(i)));
    }
  });
});

describe('parseByteSize', () => {
  it('reads binary and decimal units', () => {
    expect(parseByteSize('64MiB')).toBe(64 * 2 ** 20);
    expect(parseByteSize('1GiB')).toBe(2 ** 30);
    expect(parseByteSize('16mib')).toBe(16 * 2 ** 20);
    expect(parseByteSize('512MB')).toBe(512e6);
    expect(parseByteSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseByteSize('65536')).toBe(65536);
    expect(() => parseByteSize('lots')).toThrow(/invalid size/);
    expect(() => parseByteSize('-1MiB')).toThrow(/invalid size/);
  });
});
