/**
 * Under a memory limit a table's rows stay in LevelDB behind a bounded cache (storage's
 * disk-table.ts). What reads a table whole must read it from there: a new MV's backfill
 * (while DML goes on), an MV rebuilt at a restart, batch scans, ALTER TABLE's rewrite and
 * a watermarked table's watermark rebuilt after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';
import { dmlDuringBackfill, queryOnceRebuilt } from './backfill-testing';

/** Rows of ~200 bytes: 20,000 of them are ~4 MiB, four times the tables' cache. */
const ROWS = 20_000;
const LIMIT = 256 << 10;

describe('tables under a memory limit', () => {
  let dir: string;
  let db: TestDb;
  let logs: string[];
  const start = async () => {
    logs = [];
    db = await openTestDb({ dataDir: dir, storage: { memoryLimit: LIMIT }, frontend: { log: (m) => logs.push(m) } });
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-tables-on-disk-'));
    await start();
    await db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, g INT, v INT, pad VARCHAR)');
    await db.exec(`INSERT INTO t SELECT x, x % 7, x, repeat('p', 180) FROM generate_series(1, ${ROWS}) x`);
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** The tables' cache (storage's Engine.tableCache). */
  const cache = () => (db.frontend.storage as unknown as { tableCache: { bytes: number; limit: number } }).tableCache;

  it('backfills a new MV from LevelDB while DML goes on, and equals batch evaluation', async () => {
    expect(cache().bytes).toBeLessThanOrEqual(cache().limit);
    expect(ROWS * 200).toBeGreaterThan(2 * cache().limit);
    await db.exec(`SET backfill_rate_limit = ${ROWS / 2}`);
    const created = db.exec('CREATE MATERIALIZED VIEW m AS SELECT g, count(*) AS n, sum(v) AS s FROM t GROUP BY g');
    const during = await dmlDuringBackfill(db, 'm', (i) => `${ROWS + 1 + i}, 1, ${i}, 'new'`);
    await created;
    expect(during).toBeGreaterThan(0);
    await db.exec('FLUSH');
    const expected = await db.query('SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g');
    expect(await db.query('SELECT g, n, s FROM m ORDER BY g')).toEqual(expected);
    expect(await db.query('SELECT count(*) FROM t')).toEqual([[String(ROWS)]]);
    expect(cache().bytes).toBeLessThanOrEqual(cache().limit);
  });

  it('rebuilds at a restart an MV over the table from LevelDB, serves point reads and counts its rows', async () => {
    await db.exec('CREATE MATERIALIZED VIEW m AS SELECT g, count(*) AS n, sum(v) AS s FROM t GROUP BY g');
    await db.exec('FLUSH');
    await db.frontend.streaming.checkpoint();
    // Created after the last checkpoint: rebuilt by backfill at the restart.
    db.frontend.streaming.durability!.store.checkpointFrequency = 1e9;
    await db.exec('CREATE MATERIALIZED VIEW m2 AS SELECT v % 10 AS d, count(*) AS c FROM t GROUP BY v % 10');
    await db.exec('DELETE FROM t WHERE id <= 10');
    await db.exec('FLUSH');
    await db.close();
    await start();
    expect(await db.query('SELECT g, v FROM t WHERE id = 12345')).toEqual([['4', '12345']]);
    const answer = await queryOnceRebuilt(db, 'SELECT d, c FROM m2 ORDER BY d');
    expect(answer).toEqual(await db.query('SELECT v % 10 AS d, count(*) FROM t GROUP BY v % 10 ORDER BY d'));
    expect(await db.query('SELECT g, n, s FROM m ORDER BY g')).toEqual(await db.query('SELECT g, count(*), sum(v) FROM t GROUP BY g ORDER BY g'));
    expect(logs.filter((l) => l.includes('could not be'))).toEqual([]);
    // The stored rows are counted in the background after the restart.
    const table = db.frontend.storage.table(db.frontend.catalog.getRelation('dev', 'public', 't')!.id);
    for (let i = 0; i < 100 && table.size !== ROWS - 10; i++) await new Promise((r) => setTimeout(r, 20));
    expect(table.size).toBe(ROWS - 10);
  });

  it('rewrites every row for ALTER TABLE ADD/DROP COLUMN', async () => {
    await db.exec('ALTER TABLE t ADD COLUMN w INT');
    await db.exec('UPDATE t SET w = 1 WHERE id <= 5');
    expect(await db.query('SELECT count(*), count(w), sum(v) FROM t')).toEqual([[String(ROWS), '5', String((ROWS * (ROWS + 1)) / 2)]]);
    await db.exec('ALTER TABLE t DROP COLUMN pad');
    expect(await db.query('SELECT id, g, v, w FROM t WHERE id IN (3, 19999) ORDER BY id')).toEqual([
      ['3', '3', '3', '1'],
      ['19999', '0', '19999', 'NULL'],
    ]);
    expect(await db.query('SELECT count(*) FROM t')).toEqual([[String(ROWS)]]);
  });

  it('restores a stateless sink over the table at a restart; one that keeps state is refused with a clear log line', async () => {
    await db.exec('CREATE TABLE copy (id BIGINT PRIMARY KEY, v INT)');
    await db.exec('CREATE SINK s_copy INTO copy AS SELECT id, v FROM t');
    await db.exec('CREATE TABLE out (g INT PRIMARY KEY, n BIGINT)');
    await db.exec('CREATE SINK s_agg INTO out AS SELECT g, count(*) AS n FROM t GROUP BY g');
    await db.exec('FLUSH');
    expect(await db.query('SELECT count(*), sum(v) FROM copy')).toEqual(await db.query('SELECT count(*), sum(v) FROM t'));
    await db.frontend.streaming.checkpoint();
    await db.close();
    await start();
    expect(logs.filter((l) => l.includes('could not be restored'))).toEqual([
      'sink s_agg could not be restored: its state is rebuilt from a snapshot of its inputs taken at once, and t is read from disk (memory limit)',
    ]);
    await db.exec(`INSERT INTO t VALUES (${ROWS + 1}, 1, 5, 'new')`);
    await db.exec('DELETE FROM t WHERE id = 7');
    await db.exec('FLUSH');
    expect(await db.query('SELECT count(*), sum(v) FROM copy')).toEqual(await db.query('SELECT count(*), sum(v) FROM t'));
  });

  it("rebuilds a watermarked table's watermark from its rows on disk after a restart", async () => {
    await db.exec("CREATE TABLE wm (ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
    await db.exec(`INSERT INTO wm SELECT TIMESTAMP '2024-01-01 00:00:00' + x * INTERVAL '1' SECOND, x FROM generate_series(1, ${ROWS}) x`);
    await db.close();
    await start();
    // Late: far below the highest ts stored (the watermark is that minus 5 s).
    await db.exec("INSERT INTO wm VALUES ('2024-01-01 00:00:10', -1)");
    await db.exec(`INSERT INTO wm VALUES (TIMESTAMP '2024-01-01 00:00:00' + ${ROWS - 2} * INTERVAL '1' SECOND, -2)`);
    expect(await db.query('SELECT v FROM wm WHERE v < 0 ORDER BY v')).toEqual([['-2']]);
  });
});
