/**
 * `WriteBatch.rewriteTable` (ALTER TABLE ADD/DROP COLUMN) rewrites a table's rows in commit
 * order: DML committed before it, even in the same commit group or still being written to
 * LevelDB when the ALTER runs, comes out in the new layout, and DML after it sees the new
 * rows. Nothing of the rewrite reaches watchers or the change log (its values do not change).
 * In memory, with rows in memory over LevelDB, and with rows kept in LevelDB (memory limit).
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

const NARROW = { types: [T.Int32, T.Varchar], pk: [0] };
const WIDE = { types: [T.Int32, T.Varchar, T.Int32], pk: [0] };
const ROWS = 3000;
/** Rows of ~400 bytes: 3,000 of them overflow a 256 KiB limit's row cache (1 MiB at the least). */
const PAD = 'x'.repeat(400);
const widen = (r: Row): Row => [r[0], r[1], null];
const byKey = (a: Row, b: Row) => (a[0] as number) - (b[0] as number);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'freshet-rewrite-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const MODES = [
  { name: 'in memory', persistent: false, memoryLimit: undefined },
  { name: 'rows in memory, over LevelDB', persistent: true, memoryLimit: undefined },
  { name: 'rows in LevelDB (memory limit)', persistent: true, memoryLimit: 256 << 10 },
] as const;

describe.each(MODES)('rewriteTable, $name', ({ persistent, memoryLimit }) => {
  async function open(schema = NARROW): Promise<StorageEngine> {
    const s = openStorage(persistent ? { dataDir: dir, objectStore: 'none', memoryLimit, log: () => {} } : {});
    await s.open();
    s.createTable(1, schema);
    return s;
  }

  it('rewrites the rows of every write committed before it, and none after', async () => {
    const s = await open();
    const seed = s.newBatch();
    for (let i = 0; i < ROWS; i++) seed.put(1, [i, `a${i}${PAD}`]);
    await s.commit(seed);
    // The model in the new layout, as the statements below leave it.
    const model = new Map<number, Row>();
    for (let i = 0; i < ROWS; i++) model.set(i, [i, `a${i}${PAD}`, null]);
    const changes: RowChange[] = [];
    s.watchTable(1, (c) => changes.push(...c));

    // First DML group: held between LevelDB's write and its apply (persistent modes), so
    // the rewrite is queued while its rows are not applied yet.
    let release = (): void => {};
    let held: Promise<void> = Promise.resolve();
    if (persistent) {
      let written!: () => void;
      held = new Promise<void>((r) => (written = r));
      const gate = new Promise<void>((r) => (release = r));
      const write = LevelLog.prototype.write;
      vi.spyOn(LevelLog.prototype, 'write').mockImplementation(async function (this: LevelLog, group) {
        await write.call(this, group);
        vi.restoreAllMocks();
        written();
        await gate;
      });
    }
    const first = s.newBatch();
    for (let i = 0; i < 300; i += 3) first.delete(1, [i]);
    for (let i = 1; i < 300; i += 3) first.put(1, [i, `b${i}`]);
    for (let i = ROWS; i < ROWS + 100; i++) first.put(1, [i, `c${i}`]);
    const committed = [s.commit(first)];
    await held;
    for (let i = 0; i < 300; i += 3) model.delete(i);
    for (let i = 1; i < 300; i += 3) model.set(i, [i, `b${i}`, null]);
    for (let i = ROWS; i < ROWS + 100; i++) model.set(i, [i, `c${i}`, null]);

    // Queued behind it, one group: DML in the old layout, the rewrite, DML in the new one.
    const before = s.newBatch();
    before.put(1, [2, 'd2']);
    before.delete(1, [5]);
    before.put(1, [9000, 'd9000']);
    committed.push(s.commit(before));
    model.set(2, [2, 'd2', null]);
    model.delete(5);
    model.set(9000, [9000, 'd9000', null]);

    s.createTable(1, WIDE);
    const rewrite = s.newBatch();
    rewrite.rewriteTable(1, widen);
    committed.push(s.commit(rewrite));

    const after = s.newBatch();
    after.put(1, [4, 'e4', 4]);
    after.put(1, [9001, 'e9001', 1]);
    after.delete(1, [8]);
    committed.push(s.commit(after));
    model.set(4, [4, 'e4', 4]);
    model.set(9001, [9001, 'e9001', 1]);
    model.delete(8);

    release();
    await Promise.all(committed);

    const expected = [...model.values()].sort(byKey);
    const check = async (e: StorageEngine) => {
      expect((await readAllRows(e.table(1))).sort(byKey)).toEqual(expected);
      for (const k of [1, 2, 4, 7, 2999, 9000, 9001]) expect(e.table(1).get([k])).toEqual(model.get(k));
      for (const k of [0, 5, 8, 9002]) expect(e.table(1).get([k])).toBeUndefined();
    };
    await check(s);
    expect(s.table(1).size).toBe(model.size);

    // Watchers saw the DML, each change in the layout it was made in, and no rewrite.
    const widthOf = (r: Row | undefined) => r?.length ?? 0;
    expect(changes.length).toBe(100 + 100 + 100 + 3 + 3);
    expect(changes.filter((c) => widthOf(c.old) === 2 && widthOf(c.row) === 3)).toEqual([]);
    expect(changes.findLast((c) => c.row?.[0] === 4)).toEqual({ old: [4, 'b4', null], row: [4, 'e4', 4] });

    if (!persistent) return;
    await s.close();
    const again = await open(WIDE);
    await check(again);
    if (memoryLimit !== undefined) await vi.waitFor(() => expect(again.table(1).size).toBe(model.size));
    // The change log holds the DML groups (the seed's rows too) and nothing of the rewrite.
    const logged = [...(again as Engine).changesAfter(0)].flatMap((m) => m.get(1) ?? []);
    expect(logged.length).toBe(ROWS + changes.length);
    expect(logged.filter((c) => widthOf(c.old) === 2 && widthOf(c.row) === 3)).toEqual([]);
    await again.close();
  });

  it('rewrites rows written earlier in its own batch, and skips those it deleted', async () => {
    const s = await open();
    const seed = s.newBatch();
    for (let i = 0; i < 10; i++) seed.put(1, [i, `a${i}`]);
    await s.commit(seed);
    const b = s.newBatch();
    b.put(1, [3, 'b3']);
    b.delete(1, [4]);
    b.put(1, [20, 'b20']);
    s.createTable(1, WIDE);
    b.rewriteTable(1, widen);
    b.put(1, [21, 'c21', 21]);
    await s.commit(b);
    const rows = (await readAllRows(s.table(1))).sort(byKey);
    expect(rows.map((r) => r[0])).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9, 20, 21]);
    expect(rows.every((r) => r.length === 3)).toBe(true);
    expect(s.table(1).get([3])).toEqual([3, 'b3', null]);
    expect(s.table(1).get([21])).toEqual([21, 'c21', 21]);
    await s.close();
  });
});
