/**
 * Tables under a memory limit (disk-table.ts): rows stay in LevelDB behind a bounded cache.
 * Reads by key, the row count, full reads (batch scans and backfill snapshots) and drops
 * must give exactly what a table in memory would, through restarts, and a full read taken
 * while a commit group is written to LevelDB but not yet applied must show the rows as
 * applied (the group then reaches a watcher as changes, once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Row, T } from '@freshet/common';
import type { RowChange, StorageEngine } from './api';
import type { Engine } from './engine';
import { LevelLog } from './level-log';
import { openStorage } from './open';
import { readAllRows } from './read-all';
import { rng } from './state-store/testing';

const SCHEMA = { types: [T.Int32, T.Varchar], pk: [0] };
/** Rows of ~600 bytes: a few thousand overflow the tables' cache (1 MiB at the least). */
const PAD = 'x'.repeat(600);
const LIMIT = 256 << 10;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'freshet-disk-table-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<StorageEngine> {
  const s = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: LIMIT, log: () => {} });
  await s.open();
  s.createTable(1, SCHEMA);
  return s;
}

const byKey = (a: Row, b: Row) => (a[0] as number) - (b[0] as number);

/** Every row of a snapshot a backfill would read. */
async function snapshotRows(s: StorageEngine): Promise<Row[]> {
  const snap = s.table(1).snapshotCold!()!;
  const out: Row[] = [...snap.memory];
  for (let rows = await snap.next(500); rows.length > 0; rows = await snap.next(500)) out.push(...rows);
  snap.close();
  return out;
}

function modelRows(model: Map<number, string>): Row[] {
  return [...model].map(([k, v]) => [k, v] as Row).sort(byKey);
}

describe('tables under a memory limit', () => {
  it('reads by key, counts, scans and snapshots like the model, with the cache bounded, through restarts', async () => {
    const model = new Map<number, string>();
    const next = rng(7);
    let s = await open();
    const cacheLimit = (s as Engine).tableCache!.limit;
    for (let round = 0; round < 12; round++) {
      // Right after a restart the stored rows are still being counted: DML goes on meanwhile.
      for (let stmt = 0; stmt < 4; stmt++) {
        const b = s.newBatch();
        for (let i = 0; i < 400; i++) {
          const k = Math.floor(next() * 3000);
          if (next() < 0.3) {
            b.delete(1, [k]);
            model.delete(k);
          } else {
            const v = `${round}.${stmt}.${i}${PAD}`;
            b.put(1, [k, v]);
            model.set(k, v);
          }
        }
        await s.commit(b);
      }
      const t = s.table(1);
      for (let i = 0; i < 300; i++) {
        const k = Math.floor(next() * 3100);
        expect(t.get([k])?.[1]).toBe(model.get(k));
      }
      expect((s as Engine).tableCache!.bytes).toBeLessThanOrEqual(cacheLimit);
      expect(await readAllRows(t)).toEqual(modelRows(model));
      expect((await snapshotRows(s)).sort(byKey)).toEqual(modelRows(model));
      for (let i = 0; i < 100 && t.size !== model.size; i++) await new Promise((r) => setTimeout(r, 20));
      expect(t.size).toBe(model.size);
      if (round % 3 === 2) {
        await s.close();
        s = await open();
      }
    }
    // More rows than the cache holds went through it.
    expect(model.size * PAD.length).toBeGreaterThan(cacheLimit);
    await s.close();
  });

  it('a full read taken while a group is in LevelDB but not applied shows the rows as applied; the group reaches a watcher once', async () => {
    const s = await open();
    const seed = s.newBatch();
    for (let i = 0; i < 2000; i++) seed.put(1, [i, `a${i}${PAD}`]);
    await s.commit(seed);
    const before = await readAllRows(s.table(1));

    // Hold the engine between LevelDB's write and the apply.
    let written!: () => void;
    const inLevelDb = new Promise<void>((r) => (written = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const write = LevelLog.prototype.write;
    vi.spyOn(LevelLog.prototype, 'write').mockImplementation(async function (this: LevelLog, group) {
      await write.call(this, group);
      written();
      await gate;
    });
    const b = s.newBatch();
    for (let i = 0; i < 2000; i += 3) b.delete(1, [i]);
    for (let i = 1; i < 2000; i += 3) b.put(1, [i, `b${i}`]);
    for (let i = 2000; i < 2300; i++) b.put(1, [i, `c${i}`]);
    const committed = s.commit(b);
    await inLevelDb;

    const t = s.table(1);
    expect(t.get([0])?.[1]).toBe(`a0${PAD}`);
    expect(t.get([1])?.[1]).toBe(`a1${PAD}`);
    expect(t.get([2100])).toBeUndefined();
    const snap = snapshotRows(s);
    const scan = readAllRows(t);
    const changes: RowChange[] = [];
    s.watchTable(1, (c) => changes.push(...c));
    release();
    await committed;
    vi.restoreAllMocks();

    const snapshot = (await snap).sort(byKey);
    expect(snapshot).toEqual(before);
    expect(await scan).toEqual(before);
    // The snapshot with the changes applied is the table after the group.
    const replayed = new Map(snapshot.map((r) => [r[0], r]));
    for (const c of changes) {
      if (c.old) replayed.delete(c.old[0]);
      if (c.row) replayed.set(c.row[0], c.row);
    }
    expect([...replayed.values()].sort(byKey)).toEqual(await readAllRows(t));
    expect(t.get([0])).toBeUndefined();
    expect(t.get([1])?.[1]).toBe('b1');
    expect(t.size).toBe(2000 - 667 + 300);
    await s.close();
  });

  it('a drop deletes every stored row, cached or not', async () => {
    let s = await open();
    const b = s.newBatch();
    for (let i = 0; i < 3000; i++) b.put(1, [i, `${i}${PAD}`]);
    await s.commit(b);
    await s.close();
    s = await open();
    expect(s.table(1).get([5])?.[1]).toBe(`5${PAD}`);
    const drop = s.newBatch();
    drop.put(1, [9000, 'written in the dropping batch']);
    drop.dropTable(1);
    await s.commit(drop);
    expect(s.hasTable(1)).toBe(false);
    await s.close();
    s = await open();
    expect(await readAllRows(s.table(1))).toEqual([]);
    expect(s.table(1).get([5])).toBeUndefined();
    expect(s.table(1).size).toBe(0);
    await s.close();
  });
});
