/**
 * Sinks at a restart while the tables' rows still load in the background
 * (StorageEngine.tableLoading; table-load-recovery.test.ts does MVs and DML): a sink INTO a
 * watermarked table starts at once and its writes wait for the table's rows (the late-row
 * filter is rebuilt from them); a sink that keeps no state over a loading table starts at
 * once without a snapshot; one over an MV whose rebuild waits for the load starts once the
 * load is done. The load is held after its first batch (table-load-gate.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { holdTableLoads } from '../../../storage/src/table-load-gate';
import { type TestDb, openTestDb } from '../query/testing';

/** More than one load batch (1,000 rows), so the gate holds the table's load. */
const ROWS = 3000;

describe('sinks restored while the tables load in the background', () => {
  let dir: string;
  let db: TestDb;
  let logs: string[];
  /** `rowsBeforeServing`: 0, every table loads in the background (by default the first 100,000 rows load before serving). */
  const start = async (rowsBeforeServing = 0) => {
    logs = [];
    db = await openTestDb({ dataDir: dir, storage: { tableRowsBeforeServing: rowsBeforeServing }, frontend: { log: (m) => logs.push(m) } });
  };
  const tableId = (name: string) => db.frontend.catalog.getRelation('dev', 'public', name)!.id;
  const idle = () => new Promise((r) => setTimeout(r, 100));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-sink-table-load-'));
    await start();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a sink INTO a watermarked table holds its writes until the rows are in, then drops exactly the late ones', async () => {
    // Empty at the restart: the sink's input is ready at once.
    await db.exec('CREATE TABLE src (ts TIMESTAMP, v INT) APPEND ONLY');
    await db.exec("CREATE TABLE wm (ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
    await db.exec(`INSERT INTO wm SELECT TIMESTAMP '2024-01-01 00:00:00' + x * INTERVAL '1' SECOND, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('CREATE SINK s INTO wm FROM src');
    await db.exec("INSERT INTO wm VALUES ('2024-01-02 00:00:00', -1)");
    await db.exec('FLUSH');
    await db.frontend.streaming.checkpoint();
    await db.close();
    const release = holdTableLoads();
    // src is empty (nothing to load), wm's load is held after its first batch.
    await start();
    expect(db.frontend.storage.tableLoading(tableId('src'))).toBeNull();
    expect(db.frontend.storage.tableLoading(tableId('wm'))).not.toBeNull();
    expect(logs.filter((l) => l.includes('could not be restored'))).toEqual([]);
    expect(logs).toContain("sink into wm: writes wait for the table's rows loading after the restart (its watermark is rebuilt from them)");
    // Late against the watermark of all of wm's rows (2024-01-02 minus 5 s), not of the first batch's.
    await db.exec("INSERT INTO src VALUES ('2024-01-01 00:30:00', -2), ('2024-01-02 00:00:01', -3)");
    const flushed = db.exec('FLUSH');
    let settled = false;
    void flushed.then(() => (settled = true));
    await idle();
    expect(settled).toBe(false);
    release();
    await flushed;
    await db.exec("INSERT INTO src VALUES ('2024-01-02 00:00:02', -4)");
    await db.exec('FLUSH');
    expect(await db.query('SELECT v FROM wm WHERE v < 0 ORDER BY v DESC')).toEqual([['-1'], ['-3'], ['-4']]);
    expect(await db.query('SELECT count(*) FROM wm')).toEqual([[String(ROWS + 3)]]);
  });

  it('stateless sinks over a loading table run at once, one over an MV whose rebuild waits starts after the load, each row delivered once', async () => {
    await db.exec('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    await db.exec(`INSERT INTO t SELECT x, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('CREATE TABLE copy (id INT PRIMARY KEY, v INT)');
    await db.exec('CREATE TABLE sums (n BIGINT PRIMARY KEY, s BIGINT)');
    await db.exec('CREATE SINK s_copy INTO copy FROM t');
    // A second stateless sink, from a table no MV reads (a change to it during the load
    // below touches nothing that waits).
    await db.exec('CREATE TABLE u (id INT PRIMARY KEY, v INT)');
    await db.exec(`INSERT INTO u SELECT x, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('CREATE TABLE u_copy (id INT PRIMARY KEY, v INT)');
    await db.exec('CREATE SINK s_u INTO u_copy FROM u');
    await db.exec("CREATE SINK s_black FROM t WITH (connector = 'blackhole')");
    await db.exec('FLUSH');
    await db.frontend.streaming.checkpoint();
    // After the checkpoint: the MV is rebuilt by backfill at the restart, and the sink over it re-planned.
    db.frontend.streaming.durability!.store.checkpointFrequency = 1e9;
    await db.exec('CREATE MATERIALIZED VIEW agg AS SELECT count(*) AS n, sum(v) AS s FROM t');
    await db.exec('CREATE SINK s_sums INTO sums FROM agg');
    await db.exec('FLUSH');
    expect(await db.query('SELECT n, s FROM sums')).toEqual([[String(ROWS), String((ROWS * (ROWS + 1)) / 2)]]);
    await db.close();
    const release = holdTableLoads();
    await start();
    // The sinks straight from t keep no state and drop their backfill: they need no snapshot
    // and run at once; the one over agg waits for agg's rebuild.
    expect(logs).toContain('sinks: 1 restored once the state and table rows restored from the checkpoint are loaded');
    expect(logs.filter((l) => l.includes('could not be restored'))).toEqual([]);
    expect(db.frontend.streaming.sinkJob(tableId('s_copy'))).toBeDefined();
    expect(db.frontend.streaming.sinkJob(tableId('s_black'))).toBeDefined();
    expect(db.frontend.streaming.sinkJob(tableId('s_sums'))).toBeUndefined();
    // A change while u's rows still load reaches its running sink, once.
    expect(db.frontend.storage.tableLoading(tableId('u'))).not.toBeNull();
    // (Point writes and reads only: scans of u or u_copy would wait for the held load.)
    await db.exec(`INSERT INTO u VALUES (${ROWS + 1}, 20)`);
    await db.exec('INSERT INTO u VALUES (3, -1)'); // overwrites the row: an update for the sink
    await db.exec('FLUSH');
    expect(await db.query(`SELECT v FROM u_copy WHERE id = ${ROWS + 1}`)).toEqual([['20']]);
    expect(await db.query('SELECT v FROM u_copy WHERE id = 3')).toEqual([['-1']]);
    release();
    await db.frontend.streaming.stateLoaded();
    await idle();
    expect(db.frontend.streaming.sinkJob(tableId('s_copy'))).toBeDefined();
    expect(db.frontend.streaming.sinkJob(tableId('s_black'))).toBeDefined();
    expect(db.frontend.streaming.sinkJob(tableId('s_sums'))).toBeDefined();
    await db.exec(`INSERT INTO t VALUES (${ROWS + 1}, 10)`);
    await db.exec('UPDATE t SET v = 0 WHERE id = 1');
    await db.exec('DELETE FROM t WHERE id = 2');
    await db.exec('FLUSH');
    // Nothing delivered twice (the backfill the targets had before the restart is dropped), nothing lost.
    expect(await db.query('SELECT count(*), sum(v) FROM copy')).toEqual(await db.query('SELECT count(*), sum(v) FROM t'));
    expect(await db.query('SELECT v FROM copy WHERE id IN (1, 2) ORDER BY id')).toEqual([['0']]);
    const sum = (ROWS * (ROWS + 1)) / 2 + 10 - 1 - 2;
    expect(await db.query('SELECT n, s FROM sums')).toEqual([[String(ROWS), String(sum)]]);
    expect(await db.query('SELECT count(*), sum(v) FROM u_copy')).toEqual(await db.query('SELECT count(*), sum(v) FROM u'));
  });
  it('a stateful sink restarted at once sends nothing again: its backfill flushes in a muted epoch', async () => {
    await db.exec('CREATE TABLE t (id INT PRIMARY KEY, k INT, v INT)');
    await db.exec('INSERT INTO t SELECT x, x % 3, x FROM generate_series(1, 30) x');
    await db.exec('CREATE TABLE out (k INT PRIMARY KEY, n BIGINT)');
    await db.exec('CREATE SINK agg_out INTO out AS SELECT k, count(*) AS n FROM t GROUP BY k');
    await db.exec('FLUSH');
    await db.exec('UPDATE out SET n = -1'); // values the sink never writes
    await db.frontend.streaming.checkpoint();
    await db.close();
    await start(100_000); // t loads before serving: the sink starts at once
    expect(logs.filter((l) => l.includes('restored once'))).toEqual([]);
    await db.exec('FLUSH');
    expect(await db.query('SELECT k, n FROM out ORDER BY k')).toEqual([['0', '-1'], ['1', '-1'], ['2', '-1']]);
    await db.exec('INSERT INTO t VALUES (31, 1, 31)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT k, n FROM out ORDER BY k')).toEqual([['0', '-1'], ['1', '11'], ['2', '-1']]);
  });

  it('a stateful sink that waits for the load gets the changes made meanwhile, a vanished group included, and nothing again', async () => {
    await db.exec('CREATE TABLE t (id INT PRIMARY KEY, k INT, v INT)');
    await db.exec(`INSERT INTO t SELECT x, x % 5, x FROM generate_series(1, ${ROWS}) x`);
    await db.exec('INSERT INTO t VALUES (5001, 100, 1), (5002, 100, 2)');
    await db.exec('CREATE TABLE out (k INT PRIMARY KEY, n BIGINT, s BIGINT)');
    await db.exec('CREATE SINK agg_out INTO out AS SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k');
    await db.exec('FLUSH');
    // A value the sink never writes: it stays unless the sink sends group 4 again.
    await db.exec('UPDATE out SET s = -1 WHERE k = 4');
    await db.frontend.streaming.checkpoint();
    await db.close();
    const release = holdTableLoads();
    await start();
    expect(db.frontend.storage.tableLoading(tableId('t'))).not.toBeNull();
    expect(logs).toContain('sinks: 1 restored once the state and table rows restored from the checkpoint are loaded');
    // While t loads: a new group, a changed group, and a group that vanishes (point DML only).
    await db.exec(`INSERT INTO t VALUES (${ROWS + 1}, 7, 70)`);
    await db.exec('UPDATE t SET v = v + 1000 WHERE id = 1');
    await db.exec('DELETE FROM t WHERE id = 5001');
    await db.exec('DELETE FROM t WHERE id = 5002');
    await db.exec('FLUSH');
    release();
    await db.frontend.streaming.stateLoaded();
    await idle();
    await db.exec('FLUSH');
    expect(db.frontend.streaming.sinkJob(tableId('agg_out'))).toBeDefined();
    expect(logs.filter((l) => l.includes('may be missing') || l.includes('could not be restored'))).toEqual([]);
    const batch = (where: string) => db.query(`SELECT k, count(*), sum(v) FROM t ${where} GROUP BY k ORDER BY k`);
    expect(await db.query('SELECT k, n, s FROM out WHERE k <> 4 ORDER BY k')).toEqual(await batch('WHERE k <> 4'));
    expect(await db.query('SELECT count(*) FROM out WHERE k = 100')).toEqual([['0']]);
    expect(await db.query('SELECT n, s FROM out WHERE k = 4')).toEqual([[String(ROWS / 5), '-1']]);
    // The sink's state is exact: the next change to group 4 writes its true totals.
    await db.exec(`INSERT INTO t VALUES (${ROWS + 2}, 4, 4)`);
    await db.exec('FLUSH');
    expect(await db.query('SELECT k, n, s FROM out ORDER BY k')).toEqual(await batch(''));
  });
});

describe('a sink INTO a watermarked table', () => {
  it('judges each epoch against the watermark as it was before the epoch, as DML statements are', async () => {
    const db = await openTestDb();
    try {
      await db.exec('CREATE TABLE src (ts TIMESTAMP, v INT) APPEND ONLY');
      await db.exec("CREATE TABLE wm (ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
      await db.exec('CREATE SINK s INTO wm FROM src');
      await db.exec("INSERT INTO src VALUES ('2024-01-01 10:00:00', 1)");
      await db.exec('FLUSH');
      // Below the watermark the first epoch set (09:59:55): late, not stored.
      await db.exec("INSERT INTO src VALUES ('2024-01-01 09:00:00', 2), ('2024-01-01 09:59:58', 3)");
      await db.exec('FLUSH');
      expect(await db.query('SELECT v FROM wm ORDER BY v')).toEqual([['1'], ['3']]);
    } finally {
      await db.close();
    }
  });
});
