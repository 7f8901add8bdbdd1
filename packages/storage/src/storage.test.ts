import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Decimal, Interval, Jsonb, T, type Row } from '@freshet/common';
import { openStorage } from './open';
import { LevelLog } from './level-log';
import type { StorageEngine, TableSchema } from './api';

const PEOPLE: TableSchema = { types: [T.Int32, T.Varchar, T.Decimal], pk: [0] };
/** A table keyed by (varchar, int64) in that order although the columns are reversed. */
const EVENTS: TableSchema = { types: [T.Int64, T.Varchar, T.Jsonb], pk: [1, 0] };

async function insert(s: StorageEngine, tableId: number, rows: Row[]): Promise<void> {
  const b = s.newBatch();
  for (const r of rows) b.put(tableId, r);
  await s.commit(b);
}

describe.each([
  ['memory', false],
  ['persistent', true],
])('storage engine (%s)', (_name, persistent) => {
  let dir: string;
  let s: StorageEngine;
  const open = async () => {
    const e = openStorage({ dataDir: persistent ? dir : undefined });
    const meta = await e.open();
    return { e, meta };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-storage-'));
    s = (await open()).e;
  });
  afterEach(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts, overwrites, deletes and looks up by primary key', async () => {
    s.createTable(1, PEOPLE);
    await insert(s, 1, [
      [3, 'c', new Decimal(3n, 0)],
      [1, 'a', null],
      [2, 'b', new Decimal(25n, 1)],
    ]);
    const t = s.table(1);
    expect(t.size).toBe(3);
    expect(t.get([2])).toEqual([2, 'b', new Decimal(25n, 1)]);
    expect(t.get([9])).toBeUndefined();
    const b = s.newBatch();
    b.put(1, [2, 'bb', null]);
    b.delete(1, [3]);
    await s.commit(b);
    expect([...t.scan()]).toEqual([
      [1, 'a', null],
      [2, 'bb', null],
    ]);
  });

  it('scans in primary-key order, including composite and negative keys', async () => {
    s.createTable(1, PEOPLE);
    const ids = [5, -3, 100, 0, -2147483648, 2147483647, 7];
    await insert(
      s,
      1,
      ids.map((i) => [i, String(i), null]),
    );
    expect([...s.table(1).scan()].map((r) => r[0])).toEqual([...ids].sort((a, b) => a - b));

    s.createTable(2, EVENTS);
    await insert(s, 2, [
      [2n, 'b', null],
      [1n, 'b', null],
      [-5n, 'a', new Jsonb({ x: 1 })],
      [10n, '', null],
    ]);
    expect([...s.table(2).scan()].map((r) => [r[1], r[0]])).toEqual([
      ['', 10n],
      ['a', -5n],
      ['b', 1n],
      ['b', 2n],
    ]);
    expect(s.table(2).get(['a', -5n])).toEqual([-5n, 'a', new Jsonb({ x: 1 })]);
  });

  it('keeps scan order through interleaved writes and scans', async () => {
    s.createTable(1, PEOPLE);
    const model = new Map<number, Row>();
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) % 50;
    for (let round = 0; round < 30; round++) {
      const b = s.newBatch();
      for (let i = 0; i < 10; i++) {
        const k = rnd();
        if (rnd() % 3 === 0) {
          b.delete(1, [k]);
          model.delete(k);
        } else {
          const row = [k, `v${round}`, null];
          b.put(1, row);
          model.set(k, row);
        }
      }
      await s.commit(b);
      const expected = [...model.keys()].sort((a, b) => a - b).map((k) => model.get(k));
      expect([...s.table(1).scan()]).toEqual(expected);
    }
  });

  it('a scan in progress is not disturbed by later commits', async () => {
    s.createTable(1, PEOPLE);
    await insert(s, 1, [
      [1, 'a', null],
      [2, 'b', null],
      [3, 'c', null],
    ]);
    const seen: number[] = [];
    for (const row of s.table(1).scan()) {
      seen.push(row[0] as number);
      if (row[0] === 1) await insert(s, 1, [[0, 'z', null], [4, 'd', null]]);
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rejects rows of the wrong width before committing anything', async () => {
    s.createTable(1, PEOPLE);
    const b = s.newBatch();
    b.put(1, [1, 'a', null]);
    expect(() => b.put(1, [2, 'b'])).toThrow(/width/);
    expect(s.table(1).size).toBe(0);
  });

  it('allocates increasing row ids per table', () => {
    s.createTable(1, PEOPLE);
    s.createTable(2, PEOPLE);
    expect(s.nextRowId(1)).toBe(1n);
    expect(s.nextRowId(1)).toBe(2n);
    expect(s.nextRowId(2)).toBe(1n);
  });

  it('inserts rows keyed by generated row ids without looking them up: scans in order, changes with no old row, updates see them', async () => {
    const ROWS: TableSchema = { types: [T.Int64, T.Varchar], pk: [0] };
    s.createTable(3, ROWS);
    const seen: [Row | undefined, Row | undefined][] = [];
    s.watchTable(3, (changes) => {
      for (const c of changes) seen.push([c.old, c.row]);
    });
    const generated = async (n: number) => {
      const b = s.newBatch();
      for (let i = 0; i < n; i++) {
        const id = s.nextRowId(3);
        b.insertGenerated(3, [id, `row ${id}`]);
      }
      await s.commit(b);
    };
    await generated(3);
    expect([...s.table(3).scan()].map((r) => r[0])).toEqual([1n, 2n, 3n]);
    // Commits interleaved with scans: each new key is queued for sorting exactly once.
    await generated(2);
    await insert(s, 3, [[2n, 'updated']]);
    await generated(1);
    expect([...s.table(3).scan()]).toEqual([[1n, 'row 1'], [2n, 'updated'], [3n, 'row 3'], [4n, 'row 4'], [5n, 'row 5'], [6n, 'row 6']]);
    expect(s.table(3).size).toBe(6);
    expect(seen.filter(([old]) => old !== undefined)).toEqual([[[2n, 'row 2'], [2n, 'updated']]]);
    expect(seen).toHaveLength(7);
  });

  it('drops a table with its rows in the same batch as meta changes', async () => {
    s.createTable(1, PEOPLE);
    await insert(s, 1, [[1, 'a', null]]);
    const b = s.newBatch();
    b.putMeta('rel/1', undefined);
    b.dropTable(1);
    await s.commit(b);
    expect(s.hasTable(1)).toBe(false);
    expect(() => s.table(1)).toThrow(/does not exist/);
  });
});

describe('persistent storage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-storage-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives close and reopen: rows, meta, row-id counters', async () => {
    const a = openStorage({ dataDir: dir });
    expect((await a.open()).size).toBe(0);
    a.createTable(7, PEOPLE);
    a.createTable(8, EVENTS);
    const b = a.newBatch();
    b.putMeta('rel/7', { name: 'people', n: 1 });
    b.putMeta('gone', 1);
    b.put(7, [1, 'ann', new Decimal(-1050n, 2)]);
    b.put(7, [-1, 'bob', new Decimal(0n, 0, 'nan')]);
    b.put(8, [a.nextRowId(8), 'x', new Jsonb([1, 'two', { three: null }])]);
    b.put(8, [a.nextRowId(8), 'x', null]);
    await a.commit(b);
    const c = a.newBatch();
    c.putMeta('gone', undefined);
    c.put(7, [2, 'cy', null]);
    await a.commit(c);
    await a.close();

    const r = openStorage({ dataDir: dir });
    const meta = await r.open();
    await r.tablesLoading;
    expect([...meta]).toEqual([['rel/7', { name: 'people', n: 1 }]]);
    r.createTable(7, PEOPLE);
    r.createTable(8, EVENTS);
    expect([...r.table(7).scan()]).toEqual([
      [-1, 'bob', new Decimal(0n, 0, 'nan')],
      [1, 'ann', new Decimal(-1050n, 2)],
      [2, 'cy', null],
    ]);
    expect(r.table(7).get([1])).toEqual([1, 'ann', new Decimal(-1050n, 2)]);
    expect([...r.table(8).scan()]).toEqual([
      [1n, 'x', new Jsonb([1, 'two', { three: null }])],
      [2n, 'x', null],
    ]);
    expect(r.nextRowId(8)).toBe(3n);
    expect(r.nextRowId(7)).toBe(1n);
    await r.close();
  });

  it('a dropped table stays dropped after reopen', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    a.createTable(1, PEOPLE);
    a.createTable(2, PEOPLE);
    await insert(a, 1, [[1, 'a', null], [2, 'b', null]]);
    await insert(a, 2, [[1, 'keep', new Interval(1, 2, 3)]]);
    // Puts and the drop in one batch: the drop wins, including the not-yet-applied puts.
    const b = a.newBatch();
    b.put(1, [3, 'c', null]);
    b.dropTable(1);
    await a.commit(b);
    await a.close();
    const r = openStorage({ dataDir: dir });
    await r.open();
    await r.tablesLoading;
    expect(r.hasTable(1)).toBe(false);
    r.createTable(2, PEOPLE);
    expect([...r.table(2).scan()]).toEqual([[1, 'keep', new Interval(1, 2, 3)]]);
    await r.close();
  });

  it('makes a commit visible only once it is durable', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    a.createTable(1, PEOPLE);
    const p = insert(a, 1, [[1, 'a', null]]);
    expect(a.table(1).size).toBe(0);
    await p;
    expect(a.table(1).size).toBe(1);
    await a.close();
  });

  it('applies a batch atomically: a failed write changes nothing', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    a.createTable(1, PEOPLE);
    await insert(a, 1, [[1, 'a', null]]);
    vi.spyOn(LevelLog.prototype, 'write').mockRejectedValueOnce(new Error('disk full'));
    const b = a.newBatch();
    b.put(1, [2, 'b', null]);
    b.delete(1, [1]);
    b.putMeta('k', 1);
    await expect(a.commit(b)).rejects.toThrow(/disk full/);
    expect([...a.table(1).scan()]).toEqual([[1, 'a', null]]);
    await a.close();
    const r = openStorage({ dataDir: dir });
    expect((await r.open()).has('k')).toBe(false);
    await r.tablesLoading;
    r.createTable(1, PEOPLE);
    expect([...r.table(1).scan()]).toEqual([[1, 'a', null]]);
    await r.close();
  });

  it('group-commits concurrent commits into few LevelDB writes', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    a.createTable(1, PEOPLE);
    const spy = vi.spyOn(LevelLog.prototype, 'write');
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => insert(a, 1, [[i, `r${i}`, null]])));
    expect(a.table(1).size).toBe(n);
    expect(spy.mock.calls.length).toBeLessThan(n / 4);
    await a.close();
    const r = openStorage({ dataDir: dir });
    await r.open();
    await r.tablesLoading;
    r.createTable(1, PEOPLE);
    expect(r.table(1).size).toBe(n);
    await r.close();
  });

  it('refuses a data dir locked by another process, with a clear error', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    const b = openStorage({ dataDir: dir });
    await expect(b.open()).rejects.toThrow(/in use by another Freshet process/);
    await a.close();
  });

  it('close waits for queued commits', async () => {
    const a = openStorage({ dataDir: dir });
    await a.open();
    a.createTable(1, PEOPLE);
    const pending = Array.from({ length: 20 }, (_, i) => insert(a, 1, [[i, 'x', null]]));
    await a.close();
    await Promise.all(pending);
    const r = openStorage({ dataDir: dir });
    await r.open();
    await r.tablesLoading;
    r.createTable(1, PEOPLE);
    expect(r.table(1).size).toBe(20);
    await r.close();
  });
});
