/**
 * Restart with the tables' rows still loading in the background (StorageEngine.tableLoading):
 * restored MVs over the tables serve at once, and every SQL statement on a table gives
 * exactly what it gives once the rows are loaded — point reads, DML with primary-key
 * conflicts (RisingWave's default: the new row overwrites), full scans (they wait), a new
 * MV's backfill (waits), the late-row filter of a watermarked table (waits). The load is
 * held after its first batch (a gate around LevelLog.tableBatches) so the checks run while
 * most rows are only in LevelDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { holdTableLoads } from '../../../storage/src/table-load-gate';
import { type TestDb, openTestDb } from '../query/testing';

const ROWS = 5000;


describe('restart while the tables load in the background', () => {
  let dir: string;
  let db: TestDb;
  let logs: string[];
  const start = async () => {
    logs = [];
    // Every row in the background (by default the first 100,000 load before serving).
    db = await openTestDb({ dataDir: dir, storage: { tableRowsBeforeServing: 0 }, frontend: { log: (m) => logs.push(m) } });
  };
  const tableId = (name: string) => db.frontend.catalog.getRelation('dev', 'public', name)!.id;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-table-load-'));
    await start();
    await db.exec('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    await db.exec(`INSERT INTO t SELECT x, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('CREATE MATERIALIZED VIEW mv AS SELECT id, v * 2 AS w FROM t');
    await db.exec('CREATE MATERIALIZED VIEW mv_sum AS SELECT count(*) AS n, sum(v) AS s FROM t');
    await db.exec("CREATE TABLE wm (ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
    await db.exec(`INSERT INTO wm SELECT TIMESTAMP '2024-01-01 00:00:00' + x * INTERVAL '1' SECOND, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('FLUSH');
    await db.frontend.streaming.checkpoint();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves MVs and point reads, applies DML exactly, and makes scans and new MVs wait for the rows', async () => {
    await db.close();
    const release = holdTableLoads();
    await start();
    const storage = db.frontend.storage;
    expect(storage.tableLoading(tableId('t'))).not.toBeNull();
    // Restored MV: served without waiting for the table.
    expect(await db.query('SELECT w FROM mv WHERE id = 4000')).toEqual([['8000']]);
    // Point reads of rows not loaded yet, and DML on them.
    expect(await db.query('SELECT v FROM t WHERE id = 4500')).toEqual([['4500']]);
    await db.exec('INSERT INTO t VALUES (4600, 1)'); // conflict: overwrites
    await db.exec('UPDATE t SET v = v + 1000 WHERE id = 4700');
    await db.exec('DELETE FROM t WHERE id = 4800');
    await db.exec(`INSERT INTO t VALUES (${ROWS + 1}, 7)`);
    await db.exec('FLUSH');
    expect(await db.query('SELECT w FROM mv WHERE id = 4600')).toEqual([['2']]);
    expect(await db.query('SELECT w FROM mv WHERE id = 4700')).toEqual([['11400']]);
    expect(await db.query('SELECT w FROM mv WHERE id = 4800')).toEqual([]);
    const count = ROWS; // - 4800 + one new row
    const sum = (ROWS * (ROWS + 1)) / 2 - 4600 + 1 + 1000 - 4800 + 7;
    expect(await db.query('SELECT n, s FROM mv_sum')).toEqual([[String(count), String(sum)]]);
    // A late row for the watermarked table (its watermark is rebuilt from all its rows): waits, then is dropped.
    const late = db.exec("INSERT INTO wm VALUES ('2024-01-01 00:00:10', -1)");
    // Full scans and a new MV's backfill wait for the load.
    const scan = db.query('SELECT count(*), sum(v) FROM t');
    const created = db.exec('CREATE MATERIALIZED VIEW mv_new AS SELECT count(*) AS n, sum(v) AS s FROM t');
    let settled = false;
    void Promise.race([scan, created, late]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(storage.tableLoading(tableId('t'))).not.toBeNull();
    release();
    expect(await scan).toEqual([[String(count), String(sum)]]);
    await created;
    await late;
    expect(await db.query('SELECT n, s FROM mv_new')).toEqual([[String(count), String(sum)]]);
    expect(await db.query('SELECT count(*) FROM wm WHERE v < 0')).toEqual([['0']]);
    expect(logs.some((l) => l.startsWith('materialized views: 2 restored'))).toBe(true);
    // After the load: a conflict on a loaded row, a full-scan UPDATE, and the MVs still agree.
    await storage.tablesLoading;
    await db.exec('INSERT INTO t VALUES (5, 500)');
    await db.exec('UPDATE t SET v = v + 1');
    await db.exec('FLUSH');
    const after = await db.query('SELECT count(*), sum(v) FROM t');
    expect(after).toEqual([[String(count), String(sum + 495 + count)]]);
    expect(await db.query('SELECT n, s FROM mv_sum')).toEqual(after);
    expect(await db.query('SELECT n, s FROM mv_new')).toEqual(after);
    expect(await db.query('SELECT count(*), sum(w) FROM mv')).toEqual([[after[0][0], String(2 * Number(after[0][1]))]]);
  });

  it('an MV rebuilt at the restart from a loading table waits for its rows', async () => {
    // Created after the checkpoint: rebuilt by backfill at the restart.
    db.frontend.streaming.durability!.store.checkpointFrequency = 1e9;
    await db.exec('CREATE MATERIALIZED VIEW mv_late AS SELECT count(*) AS n, sum(v) AS s FROM t');
    await db.close();
    const release = holdTableLoads();
    await start();
    expect(logs).toContain('materialized views: 1 rebuilt once the state restored from the checkpoint is loaded');
    expect(await db.query('SELECT w FROM mv WHERE id = 3')).toEqual([['6']]);
    // Until its job is rebuilt, the MV answers with a clear, retryable error.
    await expect(db.query('SELECT n, s FROM mv_late')).rejects.toMatchObject({ code: '55000', message: expect.stringMatching(/mv_late is being rebuilt after the restart/) });
    release();
    await db.frontend.streaming.stateLoaded();
    await db.exec('FLUSH');
    expect(await db.query('SELECT n, s FROM mv_late')).toEqual([[String(ROWS), String((ROWS * (ROWS + 1)) / 2)]]);
  });
});
