/**
 * The background load of table rows after a restart (engine.ts `loadTables`, MemTable
 * `startLoad`): the node serves before the rows are in memory, so reads by key, DML and
 * the change feed must give exactly what a fully loaded table would, and full scans wait.
 * The load is held after its first batch (a gate around `LevelLog.tableBatches`) so every
 * check below runs while most rows are still only in LevelDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Row, T } from '@freshet/common';
import type { RowChange, StorageEngine } from './api';
import { holdTableLoads } from './table-load-gate';
import { openStorage } from './open';
import { readAllRows } from './read-all';

const SCHEMA = { types: [T.Int32, T.Varchar], pk: [0] };
const ROWS = 3000; // three load batches of 1000

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'freshet-table-load-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A data dir with table 1 holding rows [i, `v${i}`] for i in [0, ROWS). */
async function seed(): Promise<void> {
  const s = openStorage({ dataDir: dir, objectStore: 'none' });
  await s.open();
  s.createTable(1, SCHEMA);
  const b = s.newBatch();
  for (let i = 0; i < ROWS; i++) b.put(1, [i, `v${i}`]);
  await s.commit(b);
  await s.close();
}


async function reopen(logs: string[] = []): Promise<StorageEngine> {
  const s = openStorage({ dataDir: dir, objectStore: 'none', log: (m) => logs.push(m), tableRowsBeforeServing: 0 });
  await s.open();
  s.createTable(1, SCHEMA);
  return s;
}


const expectedRows = (m: Map<number, string>): Row[] => [...m].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, v]);

describe('tables loaded in the background after a restart', () => {
  it('serves reads by key and DML while loading; scans wait; the result is exactly the committed rows', async () => {
    await seed();
    const release = holdTableLoads();
    const logs: string[] = [];
    const s = await reopen(logs);
    expect(s.tableLoading(1)).not.toBeNull();
    expect(s.tablesLoading).not.toBeNull();
    const t = s.table(1);
    // Not loaded yet (past the first batch): read from LevelDB.
    expect(t.get([2500])).toEqual([2500, 'v2500']);
    expect(t.get([10])).toEqual([10, 'v10']);
    expect(t.get([ROWS + 5])).toBeUndefined();
    expect(t.size).toBeLessThan(ROWS);
    expect(() => [...t.scan()]).toThrow(/still being loaded/);

    const changes: RowChange[] = [];
    s.watchTable(1, (c) => changes.push(...c));
    const b = s.newBatch();
    b.put(1, [2600, 'new 2600']); // stored, not loaded yet
    b.delete(1, [2700]); // stored, not loaded yet
    b.delete(1, [2800]); // stored, not loaded yet; put again below
    b.put(1, [ROWS + 1, 'brand new']);
    b.delete(1, [10]); // loaded
    b.put(1, [20, 'new 20']); // loaded
    b.delete(1, [ROWS + 7]); // never existed: no change
    await s.commit(b);
    const b2 = s.newBatch();
    b2.put(1, [2800, 'back']);
    await s.commit(b2);
    // The change feed carries the rows as stored before (what recovery and MVs rely on).
    expect(changes).toEqual([
      { old: [2600, 'v2600'], row: [2600, 'new 2600'] },
      { old: [2700, 'v2700'], row: undefined },
      { old: [2800, 'v2800'], row: undefined },
      { old: undefined, row: [ROWS + 1, 'brand new'] },
      { old: [10, 'v10'], row: undefined },
      { old: [20, 'v20'], row: [20, 'new 20'] },
      { old: undefined, row: [2800, 'back'] },
    ]);
    expect(t.get([2700])).toBeUndefined();
    expect(t.get([2600])).toEqual([2600, 'new 2600']);
    expect(t.get([2800])).toEqual([2800, 'back']);

    const want = new Map<number, string>(Array.from({ length: ROWS }, (_, i) => [i, `v${i}`]));
    want.set(2600, 'new 2600').set(ROWS + 1, 'brand new').set(20, 'new 20').set(2800, 'back');
    want.delete(2700);
    want.delete(10);
    // A full scan started now waits for the load, then sees every row once.
    const scanning = readAllRows(s.table(1));
    release();
    expect(await scanning).toEqual(expectedRows(want));
    await s.tablesLoading;
    expect(s.tableLoading(1)).toBeNull();
    expect(t.size).toBe(want.size);
    expect([...t.scan()]).toEqual(expectedRows(want));
    expect(logs.some((l) => /^table rows: 1 tables \(3000 rows\) loaded in the background in [\d.]+ s after the restart$/.test(l))).toBe(true);
    await s.close();

    vi.restoreAllMocks();
    const again = await reopen();
    await again.tablesLoading;
    expect([...again.table(1).scan()]).toEqual(expectedRows(want));
    await again.close();
  });

  it('DROP during the load waits for it and the table stays dropped; writes after it go with it', async () => {
    await seed();
    const release = holdTableLoads();
    const s = await reopen();
    const b = s.newBatch();
    b.put(1, [ROWS + 1, 'x']);
    b.dropTable(1);
    const dropped = s.commit(b);
    let done = false;
    void dropped.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false); // the drop deletes every stored key: it needs them all
    release();
    await dropped;
    expect(s.hasTable(1)).toBe(false);
    await s.close();
    vi.restoreAllMocks();
    const again = openStorage({ dataDir: dir, objectStore: 'none', tableRowsBeforeServing: 0 });
    await again.open();
    expect(again.hasTable(1)).toBe(false);
    expect(again.tablesLoading).toBeNull();
    await again.close();
  });

  it('loads the first rows before open() returns (small tables whole), the rest in the background', async () => {
    await seed();
    const logs: string[] = [];
    const whole = openStorage({ dataDir: dir, objectStore: 'none', log: (m) => logs.push(m) }); // default: 100,000 rows
    await whole.open();
    expect(whole.tablesLoading).toBeNull();
    expect(whole.tableLoading(1)).toBeNull();
    whole.createTable(1, SCHEMA);
    expect(whole.table(1).size).toBe(ROWS);
    expect(logs.some((l) => l.includes('loaded in the background'))).toBe(false);
    await whole.close();
    const part = openStorage({ dataDir: dir, objectStore: 'none', log: (m) => logs.push(m), tableRowsBeforeServing: 1500 });
    await part.open();
    part.createTable(1, SCHEMA);
    expect(part.table(1).size).toBeGreaterThanOrEqual(1500);
    await part.tablesLoading;
    expect(part.table(1).size).toBe(ROWS);
    expect(logs.some((l) => l.startsWith('table rows: 1 tables (3000 rows) loaded in the background'))).toBe(true);
    await part.close();
  });

  it('close during the load stops it and loses nothing', async () => {
    await seed();
    const release = holdTableLoads();
    const logs: string[] = [];
    const s = await reopen(logs);
    const b = s.newBatch();
    b.put(1, [2999, 'last']);
    await s.commit(b);
    const closing = s.close();
    release();
    await closing; // the load stops at its next batch
    expect(logs.some((l) => l.includes('loaded in the background'))).toBe(false);
    vi.restoreAllMocks();
    const again = await reopen();
    await again.tablesLoading;
    expect(again.table(1).size).toBe(ROWS);
    expect(again.table(1).get([2999])).toEqual([2999, 'last']);
    await again.close();
  });
});
