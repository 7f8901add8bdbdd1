import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from './mem-store';
import { StateTable } from './state-table';
import { rng } from '../test-util';

describe('StateTable', () => {
  const types = [T.Int32, T.Varchar, T.Int64];

  it('orders rows by the memcomparable pk, with DESC and NULLs, and scans prefixes and ranges', () => {
    const store = new MemStateStore();
    const t = new StateTable(store, { tableId: 1, types, pk: [0, 1], orders: [{}, { desc: true }] });
    for (const r of [[2, 'a', 1n], [1, 'b', 2n], [1, 'c', 3n], [1, null, 4n], [3, 'a', 5n], [-1, 'z', 6n]]) t.insert(r);
    expect([...t.scan()].map((r) => r[2])).toEqual([6n, 4n, 3n, 2n, 1n, 5n]);
    expect([...t.iterPrefix([1])].map((r) => r[1])).toEqual([null, 'c', 'b']);
    expect([...t.iterPrefix([1], true)].map((r) => r[1])).toEqual(['b', 'c', null]);
    expect([...t.range({ values: [1], inclusive: false }, { values: [3], inclusive: false })].map((r) => r[0])).toEqual([2]);
    expect([...t.range({ values: [1], inclusive: true }, { values: [2], inclusive: true })].map((r) => r[2])).toEqual([4n, 3n, 2n, 1n]);
    expect(t.get([1, 'c'])).toEqual([1, 'c', 3n]);
    t.update([1, 'c', 3n], [1, 'c', 30n]);
    expect(t.get([1, 'c'])).toEqual([1, 'c', 30n]);
    t.update([1, 'c', 30n], [9, 'c', 30n]);
    expect(t.get([1, 'c'])).toBeUndefined();
    t.delete([9, 'c', 0n]);
    expect(t.size).toBe(5);
  });

  it('shows readers the committed epoch only, across tables', async () => {
    const store = new MemStateStore();
    const a = new StateTable(store, { tableId: 1, types, pk: [0] });
    const b = new StateTable(store, { tableId: 2, types, pk: [0] });
    a.insert([1, 'x', 1n]);
    b.insert([1, 'y', 1n]);
    expect(a.getCommitted([1])).toBeUndefined();
    a.commit(1);
    b.commit(1);
    await store.commitEpoch(1);
    expect(a.getCommitted([1])).toEqual([1, 'x', 1n]);
    // Epoch 2 in progress: writes are visible to the operator, not to readers.
    a.update([1, 'x', 1n], [1, 'x2', 2n]);
    a.insert([2, 'new', 0n]);
    b.delete([1]);
    expect(a.get([1])).toEqual([1, 'x2', 2n]);
    expect(a.getCommitted([1])).toEqual([1, 'x', 1n]);
    expect([...a.scanCommitted()]).toEqual([[1, 'x', 1n]]);
    expect([...b.scanCommitted()]).toEqual([[1, 'y', 1n]]);
    a.commit(2);
    b.commit(2);
    // Epoch 3 writes before 2 is published: readers still see epoch 1.
    a.update([1, 'x2', 2n], [1, 'x3', 3n]);
    expect(a.getCommitted([1])).toEqual([1, 'x', 1n]);
    await store.commitEpoch(2);
    expect(a.getCommitted([1])).toEqual([1, 'x2', 2n]);
    expect([...a.scanCommitted()]).toEqual([[1, 'x2', 2n], [2, 'new', 0n]]);
    expect([...b.scanCommitted()]).toEqual([]);
    await store.commitEpoch(3);
    expect(a.getCommitted([1])).toEqual([1, 'x3', 3n]);
  });

  it('rejects writes into an epoch that is already committed', async () => {
    const store = new MemStateStore();
    const t = new StateTable(store, { tableId: 1, types, pk: [0] });
    await store.commitEpoch(5);
    expect(() => t.insert([1, 'a', 1n])).toThrow(/already committed/);
    const t2 = new StateTable(store, { tableId: 2, types, pk: [0] });
    expect(t2.epoch).toBe(6);
    t2.insert([1, 'a', 1n]);
    expect(() => t2.commit(4)).toThrow(/commit of epoch 4/);
  });
});

describe('MemStateStore', () => {
  it('matches a snapshot-per-epoch model under random writes, deletes and lagging commits', { timeout: 30_000 }, async () => {
    const r = rng(11);
    const store = new MemStateStore();
    const t = store.table(1);
    const working = new Map<string, number>();
    /** The working view at the end of each finished epoch: what committing that epoch must show. */
    const snapshots = new Map<number, Map<string, number>>([[0, new Map()]]);
    let epoch = 1;
    const sortedEntries = (m: Map<string, number>, lo?: string, hi?: string) =>
      [...m].filter(([k]) => (lo === undefined || k >= lo) && (hi === undefined || k < hi)).sort(([a], [b]) => (a < b ? -1 : 1));
    const check = () => {
      const committed = snapshots.get(store.committedEpoch)!;
      const lo = r() < 0.5 ? undefined : String.fromCharCode(97 + Math.floor(r() * 10));
      const hi = r() < 0.5 ? undefined : String.fromCharCode(100 + Math.floor(r() * 10));
      expect([...t.iterCommitted(lo, hi)].map(([k, v]) => [k, v[0]])).toEqual(sortedEntries(committed, lo, hi));
      expect([...t.iter(lo, hi)].map(([k, v]) => [k, v[0]])).toEqual(sortedEntries(working, lo, hi));
      expect(t.size).toBe(working.size);
      for (let q = 0; q < 5; q++) {
        const k = String.fromCharCode(97 + Math.floor(r() * 12), 97 + Math.floor(r() * 3));
        expect(t.getCommitted(k)?.[0]).toBe(committed.get(k));
        expect(t.get(k)?.[0]).toBe(working.get(k));
      }
    };
    for (let step = 0; step < 20000; step++) {
      const x = r();
      if (x < 0.7) {
        const k = String.fromCharCode(97 + Math.floor(r() * 12), 97 + Math.floor(r() * 3));
        if (r() < 0.35) {
          t.write(epoch, k, null);
          working.delete(k);
        } else {
          const v = step;
          t.write(epoch, k, [v]);
          working.set(k, v);
        }
      } else if (x < 0.85) {
        snapshots.set(epoch, new Map(working));
        epoch++;
      } else if (x < 0.95) {
        // Publish a finished epoch (commits may lag several epochs behind the writes).
        const finished = epoch - 1;
        if (finished > store.committedEpoch) await store.commitEpoch(store.committedEpoch + 1 + Math.floor(r() * (finished - store.committedEpoch)));
      } else check();
    }
    check();
  });
});

describe('MemStateStore ordered index', () => {
  it('is built on the first range read from the live keys, then maintained', async () => {
    const r = rng(5);
    const store = new MemStateStore();
    const t = store.table(7);
    const model = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const k = String.fromCharCode(97 + Math.floor(r() * 26), 97 + Math.floor(r() * 26));
      if (r() < 0.3) {
        t.write(1, k, null);
        model.delete(k);
      } else {
        t.write(1, k, [i]);
        model.set(k, i);
      }
    }
    const sorted = () => [...model].sort(([a], [b]) => (a < b ? -1 : 1));
    expect([...t.iter(undefined, undefined)].map(([k, v]) => [k, v[0]])).toEqual(sorted());
    t.write(1, 'zz', [1]);
    t.write(1, sorted()[0][0], null);
    model.set('zz', 1);
    model.delete(sorted()[0][0]);
    expect(t.keys(undefined, undefined)).toEqual(sorted().map(([k]) => k));
    expect(t.firstKey('m', undefined)).toBe(sorted().find(([k]) => k >= 'm')?.[0]);
  });
});

describe('prefixEnd', () => {
  it('is the least key above every extension of the prefix', async () => {
    const { prefixEnd } = await import('./state-table');
    expect(prefixEnd('ab')).toBe('ac');
    expect(prefixEnd('a\u00ff\u00ff')).toBe('b');
    expect(prefixEnd('\u00ff')).toBeUndefined();
    expect(prefixEnd('')).toBeUndefined();
    for (const ext of ['', '\u0000', '\u00ff\u00ff\u00ff', 'zzz']) expect('a\u00ff' + ext < prefixEnd('a\u00ff')!).toBe(true);
  });
});
