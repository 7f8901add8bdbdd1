/**
 * Under a memory limit an MV's rows may be partly in memory (the rest in LevelDB). A new MV
 * over it backfills from a snapshot taken at one instant: the rows in memory then, and
 * LevelDB's rows of the other keys as of then, read while DML goes on; the changes made
 * during the read reach the new MV once, after the snapshot (ChainExecutor.backfill).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';
import { dmlDuringBackfill, queryOnceRebuilt } from './backfill-testing';

const KEYS = 20_000;

describe('an MV over an MV partly in memory', () => {
  let dir: string;
  let db: TestDb;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-mv-cold-'));
    db = await openTestDb({ dataDir: dir, storage: { memoryLimit: 256 << 10 } });
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Table t of KEYS rows and m1, one row per key, checkpointed (so it can be evicted). */
  const createKeyedMv = async () => {
    await db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, g INT, v INT)');
    await db.exec(`INSERT INTO t SELECT x, x % 7, x FROM generate_series(1, ${KEYS}) x`);
    await db.exec('CREATE MATERIALIZED VIEW m1 AS SELECT id, count(*) AS n, sum(v) AS s FROM t GROUP BY id');
    await db.exec('FLUSH');
    await db.frontend.streaming.checkpoint();
  };

  it('backfills from a point-in-time snapshot while DML goes on, and equals batch evaluation', async () => {
    await createKeyedMv();
    await db.exec('FLUSH');
    const cache = db.frontend.streaming.durability!.store.cacheStats;
    expect(cache.evicted).toBeGreaterThan(KEYS / 2); // most of m1 is only in LevelDB
    // Dirty rows in memory (not yet checkpointed) on top of the evicted ones.
    await db.exec('UPDATE t SET v = v + 1 WHERE id <= 100');
    await db.exec('DELETE FROM t WHERE id > 100 AND id <= 150');
    // Limited to about two seconds of backfill, so the DML below surely runs during it.
    await db.exec(`SET backfill_rate_limit = ${KEYS / 2}`);
    const created = db.exec('CREATE MATERIALIZED VIEW m2 AS SELECT s % 10 AS d, count(*) AS c, sum(n) AS total FROM m1 GROUP BY s % 10');
    // DML while the backfill reads LevelDB (at least until it ends): each change counts once.
    const during = await dmlDuringBackfill(db, 'm2', (i) => `${KEYS + 1 + i}, 1, ${i}`);
    await created;
    expect(during).toBeGreaterThan(0);
    await db.exec('FLUSH');
    const expected = await db.query('SELECT s % 10 AS d, count(*), sum(n) FROM m1 GROUP BY s % 10 ORDER BY d');
    expect(await db.query('SELECT d, c, total FROM m2 ORDER BY d')).toEqual(expected);
    expect(await db.query('SELECT sum(c) FROM m2')).toEqual([[String(KEYS - 50)]]);
  });

  it('is rebuilt at a restart from the restored MV left on disk, and served once complete', async () => {
    await createKeyedMv();
    // Created after the last checkpoint: rebuilt by backfill at the restart.
    db.frontend.streaming.durability!.store.checkpointFrequency = 1e9;
    await db.exec('CREATE MATERIALIZED VIEW m2 AS SELECT s % 10 AS d, count(*) AS c FROM m1 GROUP BY s % 10');
    await db.exec('FLUSH');
    await db.close();
    const logs: string[] = [];
    db = await openTestDb({ dataDir: dir, storage: { memoryLimit: 256 << 10 }, frontend: { log: (m) => logs.push(m) } });
    expect(logs.filter((l) => l.includes('could not be'))).toEqual([]);
    const answer = await queryOnceRebuilt(db, 'SELECT d, c FROM m2 ORDER BY d');
    expect(answer).toEqual(await db.query('SELECT s % 10 AS d, count(*) FROM m1 GROUP BY s % 10 ORDER BY d'));
    expect(logs.filter((l) => l.includes('could not be'))).toEqual([]);
  });
});
