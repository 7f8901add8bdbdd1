/**
 * Packed state tables (StateTableDesc.packed) must be indistinguishable from plain ones to
 * their owner: the same random writes through a packed and a plain table give the same
 * reads of every kind, working and committed, while the store really holds strings. Under
 * a memory limit (an MV's or an aggregate's table) the rows in memory are strings and
 * those read back from LevelDB arrays: every read, the cold scans included, gives arrays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Datum, Decimal, type Row, T, encodeRow, packRow, unpackRow } from '@freshet/common';
import { openStorage } from '@freshet/storage';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from './mem-store';
import { PACK_LARGE_FROM, StateTable } from './state-table';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// (ts, id, name, amount, score): pk (ts, id), as a temporal filter keys its rows.
const types = [T.Timestamptz, T.Int64, T.Varchar, T.Decimal, T.Float64];

function randomRow(r: () => number): Row {
  const pick = <X>(xs: X[]): X => xs[Math.floor(r() * xs.length)];
  return [
    1_700_000_000_000_000 + Math.floor(r() * 20) * 1_000_000,
    BigInt(Math.floor(r() * 50)) - 10n,
    pick(['click', 'view', '', 'ünïcödé ✓', null]),
    pick([Decimal.parse('12.50'), Decimal.parse('-0.001'), null]),
    pick([0.1, -2.5e300, Number.NaN, null]),
  ];
}

describe('packRow', () => {
  it('is the value encoding as one-byte characters, and unpacks to the same row', () => {
    const r = rng(3);
    for (let i = 0; i < 200; i++) {
      const row = randomRow(r);
      const packed = packRow(row);
      expect(typeof packed).toBe('string');
      expect(Buffer.from(packed, 'latin1').equals(encodeRow(row))).toBe(true);
      expect(unpackRow(packed)).toEqual(row);
    }
  });
});

describe('a packed StateTable', () => {
  it('reads exactly as a plain one under random inserts, updates, deletes and commits', async () => {
    const r = rng(11);
    const store = new MemStateStore();
    const plain = new StateTable(store, { tableId: 1, types, pk: [0, 1] });
    const packed = new StateTable(store, { tableId: 2, types, pk: [0, 1], packed: true });
    const both = [plain, packed];
    const live = new Map<string, Row>();
    let epoch = 1;
    for (let step = 0; step < 3000; step++) {
      const x = r();
      const row = randomRow(r);
      const key = plain.keyOfRow(row);
      const old = live.get(key);
      if (x < 0.55) {
        for (const t of both) t.insert([...row]);
        live.set(key, row);
      } else if (x < 0.75 && old !== undefined) {
        const next: Row = [...old];
        next[2] = 'updated';
        for (const t of both) t.update(old, [...next]);
        live.set(key, next);
      } else if (old !== undefined) {
        for (const t of both) t.delete(old);
        live.delete(key);
      }
      if (step % 250 === 249) {
        for (const t of both) t.commit(epoch);
        await store.commitEpoch(epoch++);
        const lo = { values: [1_700_000_000_000_000 + 5_000_000], inclusive: true };
        const hi = { values: [1_700_000_000_000_000 + 12_000_000], inclusive: false };
        expect([...packed.scan()]).toEqual([...plain.scan()]);
        expect([...packed.range(lo, hi)]).toEqual([...plain.range(lo, hi)]);
        expect([...packed.range(undefined, hi, true)]).toEqual([...plain.range(undefined, hi, true)]);
        expect([...packed.scanCommitted()]).toEqual([...plain.scanCommitted()]);
        expect(packed.firstWithKeyPrefix(packed.keyOfPk([lo.values[0] as Datum]))).toEqual(plain.firstWithKeyPrefix(plain.keyOfPk([lo.values[0] as Datum])));
        expect([...packed.iterKeyPrefix('')]).toEqual([...plain.iterKeyPrefix('')]);
        expect([...packed.iterPrefix([lo.values[0] as Datum], true)]).toEqual([...plain.iterPrefix([lo.values[0] as Datum], true)]);
        expect(packed.size).toBe(live.size);
      }
    }
    expect(live.size).toBeGreaterThan(50);
    for (const [key, row] of live) {
      const pk = [row[0], row[1]];
      expect(packed.get(pk)).toEqual(row);
      expect(packed.getByKey(key)).toEqual(row);
      expect(packed.getCommitted(pk)).toEqual(plain.getCommitted(pk));
      // What the store holds: the packed string, not the row.
      expect(typeof store.table(2).get(key)).toBe('string');
      expect(Array.isArray(store.table(1).get(key))).toBe(true);
    }
  });

  it('reads rows stored unpacked (as recovery loads them) as they are', () => {
    const store = new MemStateStore();
    const packed = new StateTable(store, { tableId: 1, types, pk: [0, 1], packed: true });
    const row: Row = [1_700_000_000_000_000, 7n, 'view', null, 1.5];
    // A checkpointed row comes back from LevelDB decoded, not as a string.
    store.table(1).write(packed.epoch, packed.keyOfRow(row), row);
    expect(packed.get([row[0], row[1]])).toEqual(row);
    expect([...packed.scan()]).toEqual([row]);
  });
});

describe("a table packed once large (packed: 'large')", () => {
  it('stores arrays while small and strings from PACK_LARGE_FROM keys on, and reads both as rows', async () => {
    const store = new MemStateStore();
    const table = new StateTable(store, { tableId: 3, types: [T.Int64, T.Int64, T.Float64], pk: [0], packed: 'large' });
    const rowOf = (i: number, v: bigint): Row => [BigInt(i), v, i / 8];
    const n = PACK_LARGE_FROM + 1000;
    const raw = (i: number) => store.table(3).get(table.keyOfPk([BigInt(i)]));
    for (let i = 0; i < PACK_LARGE_FROM - 1; i++) table.insert(rowOf(i, 1n));
    expect(Array.isArray(raw(0))).toBe(true);
    // The write that finds the table large packs it, and the rows written before it too.
    for (let i = PACK_LARGE_FROM - 1; i < n; i++) table.insert(rowOf(i, 1n));
    expect(typeof raw(n - 1)).toBe('string');
    expect(typeof raw(0)).toBe('string');
    expect(typeof raw(PACK_LARGE_FROM - 2)).toBe('string');
    table.putByKey(table.keyOfPk([0n]), rowOf(0, 2n));
    table.commit(1);
    await store.commitEpoch(1);
    expect(table.get([0n])).toEqual(rowOf(0, 2n));
    expect(table.getCommitted([5n])).toEqual(rowOf(5, 1n));
    expect(table.get([BigInt(n - 1)])).toEqual(rowOf(n - 1, 1n));
    const all = [...table.scanCommitted()];
    expect(all.length).toBe(n);
    for (const r of all) expect(Array.isArray(r)).toBe(true);
    expect(all[7]).toEqual(rowOf(7, 1n));
  });
});

describe('packing the rows a table stored while small', () => {
  it('keeps the committed and the working view of every key when the crossing write packs them', async () => {
    const store = new MemStateStore();
    const table = new StateTable(store, { tableId: 4, types: [T.Int64, T.Int64], pk: [0], packed: 'large' });
    const raw = (i: number) => store.table(4).get(table.keyOfPk([BigInt(i)]));
    for (let i = 0; i < PACK_LARGE_FROM - 10; i++) table.insert([BigInt(i), 1n]);
    table.commit(1);
    await store.commitEpoch(1);
    // Epoch 2, uncommitted: key 0 rewritten (its committed image is the epoch-1 array), then
    // the table crosses the size at which it packs.
    table.putByKey(table.keyOfPk([0n]), [0n, 2n]);
    for (let i = PACK_LARGE_FROM - 10; i < PACK_LARGE_FROM + 10; i++) table.insert([BigInt(i), 1n]);
    expect(typeof raw(0)).toBe('string');
    expect(typeof raw(1)).toBe('string');
    expect(table.get([0n])).toEqual([0n, 2n]);
    expect(table.getCommitted([0n])).toEqual([0n, 1n]);
    expect(table.getCommitted([1n])).toEqual([1n, 1n]);
    expect(table.getCommitted([BigInt(PACK_LARGE_FROM)])).toBeUndefined();
    table.commit(2);
    await store.commitEpoch(2);
    expect(table.getCommitted([0n])).toEqual([0n, 2n]);
    expect([...table.scanCommitted()].length).toBe(PACK_LARGE_FROM + 10);
  });
});

describe('a packed point-read table under a memory limit', () => {
  it('gives rows, never packed strings, from memory and from LevelDB alike: by key, in a cold snapshot and a cold scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-packed-cold-'));
    const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: 64 * 1024 });
    try {
      await storage.open();
      const store = storage.openStateStore(new MemStateStore())!;
      store.checkpointFrequency = 1;
      const table = new StateTable(store, { tableId: 7, types: [T.Int64, T.Varchar, T.Float64], pk: [0], packed: true }).declarePointReads();
      const rowOf = (i: number): Row => [BigInt(i), `user-${i}`, i / 4];
      const N = 6000;
      for (let e = 0; e < 30; e++) {
        // New keys, and a rewrite of a few older ones (written again while maybe evicted).
        for (let i = e * 200; i < (e + 1) * 200; i++) table.insert(rowOf(i));
        if (e > 0) table.putByKey(table.keyOfPk([BigInt(e)]), rowOf(e));
        const epoch = store.committedEpoch + 1;
        table.commit(epoch);
        await store.commitEpoch(epoch);
      }
      await store.commitEpoch(store.committedEpoch + 1);
      expect(store.cacheStats.evicted).toBeGreaterThan(1000);
      // The in-memory store's own view (not part of StoreTable): undefined = not in memory.
      const memTable = store.table(7) as unknown as { committedInMemory(key: string): unknown };
      const inMemory = [...Array(N).keys()].filter((i) => memTable.committedInMemory(table.keyOfPk([BigInt(i)])) !== undefined);
      expect(inMemory.length).toBeGreaterThan(0);
      expect(typeof store.table(7).get(table.keyOfPk([BigInt(inMemory[0])]))).toBe('string');

      const snap = table.snapshotCold()!;
      expect(snap).not.toBeNull();
      const seen: Row[] = [...snap.memory];
      for (;;) {
        const more = await snap.next(500);
        if (more.length === 0) break;
        seen.push(...more);
      }
      snap.close();
      for (const r of seen) expect(Array.isArray(r)).toBe(true);
      expect(seen.map((r) => Number(r[0])).sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
      for (const r of seen) expect(r).toEqual(rowOf(Number(r[0])));

      const scan = table.scanCommittedCold()!;
      const scanned: Row[] = [];
      for (;;) {
        const r = scan.next();
        if (r === null) break;
        if (r instanceof Promise) await r;
        else scanned.push(...r);
      }
      scan.close();
      expect(scanned).toEqual([...Array(N).keys()].map(rowOf));
      for (const i of [0, 1, 17, 2999, N - 1]) {
        expect(table.get([BigInt(i)])).toEqual(rowOf(i));
        expect(table.hasKey(table.keyOfPk([BigInt(i)]))).toBe(true);
      }
      expect(table.hasKey(table.keyOfPk([BigInt(N + 5)]))).toBe(false);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
