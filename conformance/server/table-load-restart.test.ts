/**
 * Restart of a table-fed MV (issue 4, restart time): the server accepts connections and
 * serves the MV before the table's rows are loaded (they load in the background and the
 * server logs `table rows: … loaded in the background` when done). While they load, every
 * statement must give exactly what a fully loaded table gives: MV lookups, DML with
 * primary-key conflicts (RisingWave's default: the new row overwrites), full scans, and a
 * kill -9 in the middle of the load followed by another restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type FreshetServer, startFreshet } from '@freshet/testkit';

const ROWS = 300_000;
const LOADED = /table rows: 1 tables \((\d+) rows\) loaded in the background/;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function connect(server: FreshetServer): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  c.on('error', () => {}); // the kill -9 below ends the connection
  await c.connect();
  return c;
}

const one = async (c: pg.Client, sql: string): Promise<unknown[]> => (await c.query({ text: sql, rowMode: 'array' })).rows[0] as unknown[];

/** The table's content and the MV's, as aggregates the batch engine computes over the table (exact, not sampled). */
async function expectConsistent(c: pg.Client, want: { count: number; sum: bigint }): Promise<void> {
  expect(await one(c, 'SELECT count(*), sum(v) FROM t')).toEqual([String(want.count), String(want.sum)]);
  expect(await one(c, 'SELECT count(*), sum(w) FROM mv')).toEqual([String(want.count), String(2n * want.sum)]);
}

describe('a table-fed MV right after a restart', () => {
  it('serves the MV before the table is loaded; DML, conflicts and scans are exact during the load and after a kill -9 in it', { timeout: 180_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'freshet-table-load-'));
    dirs.push(dataDir);
    let server = await startFreshet({ dataDir });
    let c = await connect(server);
    await c.query('CREATE TABLE t (id INT PRIMARY KEY, v BIGINT)');
    for (let lo = 1; lo <= ROWS; lo += 100_000) await c.query(`INSERT INTO t SELECT x, x FROM generate_series(${lo}, ${lo + 99_999}) x`);
    await c.query('CREATE MATERIALIZED VIEW mv AS SELECT id, v * 2 AS w FROM t');
    await c.end();
    await server.stop(); // graceful: a last checkpoint, nothing to replay

    let count = ROWS;
    let sum = (BigInt(ROWS) * BigInt(ROWS + 1)) / 2n;
    server = await startFreshet({ dataDir, removeDataDir: false });
    try {
      c = await connect(server);
      // Served before the table's rows are in memory.
      expect(await one(c, `SELECT w FROM mv WHERE id = ${ROWS - 1}`)).toEqual([String(2 * (ROWS - 1))]);
      expect(server.logs.toString()).not.toMatch(LOADED);
      // Point reads of the table itself (rows not loaded yet are read from LevelDB).
      expect(await one(c, `SELECT v FROM t WHERE id = ${ROWS - 2}`)).toEqual([String(ROWS - 2)]);
      // DML on rows not loaded yet: a primary-key conflict overwrites, UPDATE and DELETE find them.
      await c.query(`INSERT INTO t VALUES (${ROWS - 10}, 7)`);
      sum += 7n - BigInt(ROWS - 10);
      await c.query(`UPDATE t SET v = v + 1000 WHERE id = ${ROWS - 20}`);
      sum += 1000n;
      await c.query(`DELETE FROM t WHERE id = ${ROWS - 30}`);
      sum -= BigInt(ROWS - 30);
      count--;
      await c.query(`INSERT INTO t VALUES (${ROWS + 1}, 1)`);
      sum += 1n;
      count++;
      // Streaming resumed: the changes reach the MV, as updates (no duplicate rows).
      await c.query('FLUSH');
      expect(await one(c, `SELECT w FROM mv WHERE id = ${ROWS - 10}`)).toEqual(['14']);
      expect(await one(c, `SELECT w FROM mv WHERE id = ${ROWS - 20}`)).toEqual([String(2 * (ROWS - 20 + 1000))]);
      expect((await c.query(`SELECT w FROM mv WHERE id = ${ROWS - 30}`)).rowCount).toBe(0);
      const duringLoad = !LOADED.test(server.logs.toString());
      // Crash in the middle of the load (when the machine is quick enough to still be in it).
      await server.kill9();
      console.log(`table-load restart: kill -9 ${duringLoad ? 'during' : 'after'} the background table load`);
    } finally {
      await server.stop();
    }

    server = await startFreshet({ dataDir, removeDataDir: false });
    try {
      c = await connect(server);
      expect(await one(c, `SELECT w FROM mv WHERE id = ${ROWS - 10}`)).toEqual(['14']);
      // A full scan waits for the load, then is exact; so are the MV and the change-log replay.
      await c.query('FLUSH');
      await expectConsistent(c, { count, sum });
      expect(server.logs.toString()).toMatch(LOADED);
      // After the load: a conflict on a loaded row, and a new MV backfilled from the table.
      await c.query('INSERT INTO t VALUES (5, 500)');
      sum += 495n;
      await c.query('CREATE MATERIALIZED VIEW mv2 AS SELECT count(*) AS n, sum(v) AS s FROM t');
      await c.query('FLUSH');
      expect(await one(c, 'SELECT n, s FROM mv2')).toEqual([String(count), String(sum)]);
      await expectConsistent(c, { count, sum });
      await c.end();
    } finally {
      await server.stop();
    }
  });
});
