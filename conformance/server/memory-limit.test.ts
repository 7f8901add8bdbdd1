/**
 * `freshet start --memory-limit 16MiB` (issue 4, cold mode) with MVs whose state is several
 * times the limit: every key is served by point lookup and by full scans (which read
 * LevelDB), after more DML, after `kill -9` and after a graceful restart; results always
 * equal the same query run by the batch engine over the base table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type FreshetServer, startFreshet } from '@freshet/testkit';
import { assertServerAlive } from './health';

const ROWS = 100_000;
const LIMIT = '16MiB';
/** A ~100-byte payload per row: the MV's rows alone are several times the limit. */
const PAYLOAD = `repeat(md5(x::varchar), 3)`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function client(server: FreshetServer): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

const rows = async (c: pg.Client, sql: string, params: unknown[] = []) => (await c.query({ text: sql, values: params, rowMode: 'array' })).rows;

/** Every MV equals its query over the base table; point lookups of a sample of keys (and a missing one) agree. */
async function check(c: pg.Client, seed: number): Promise<void> {
  const base = await rows(c, 'SELECT id, v, length(v) FROM t ORDER BY id');
  expect(await rows(c, 'SELECT id, v, n FROM mv ORDER BY id')).toEqual(base);
  const groups = await rows(c, 'SELECT id % 50000 AS g, count(*), sum(length(v)) FROM t GROUP BY id % 50000 ORDER BY g');
  expect(await rows(c, 'SELECT * FROM mv_g ORDER BY g')).toEqual(groups);
  const counts = new Map(groups.map((r) => [r[0] as number, r[1]]));
  for (let i = 0; i < 500; i++) {
    const [id, v, n] = base[(seed * 7919 + i * 104729) % base.length] as [number, string, number];
    expect(await rows(c, 'SELECT v, n FROM mv WHERE id = $1', [id])).toEqual([[v, n]]);
    const g = id % 50000;
    expect(await rows(c, 'SELECT n FROM mv_g WHERE g = $1', [g])).toEqual([[counts.get(g)]]);
  }
  expect(await rows(c, 'SELECT * FROM mv WHERE id = -1')).toEqual([]);
}

describe('freshet start --memory-limit', () => {
  it(
    'serves MVs several times the limit by key and by scan, across DML, kill -9 and restart',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'freshet-memlimit-'));
      dirs.push(dataDir);
      const args = ['--memory-limit', LIMIT];
      let server = await startFreshet({ dataDir, args });
      let c = await client(server);
      try {
        await c.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR)');
        for (let lo = 1; lo <= ROWS; lo += 50_000) {
          await c.query(`INSERT INTO t SELECT x, ${PAYLOAD} FROM generate_series(${lo}, ${lo + 49_999}) x`);
        }
        await c.query('CREATE MATERIALIZED VIEW mv AS SELECT id, v, length(v) AS n FROM t');
        await c.query('CREATE MATERIALIZED VIEW mv_g AS SELECT id % 50000 AS g, count(*) AS n, sum(length(v)) AS s FROM t GROUP BY id % 50000');
        await c.query('FLUSH');
        await check(c, 1);
        // Updates, deletes and inserts reach keys that are only on disk by now.
        await c.query(`UPDATE t SET v = 'u' || v WHERE id % 10 = 3`);
        await c.query('DELETE FROM t WHERE id % 10 = 7');
        await c.query(`INSERT INTO t SELECT x, ${PAYLOAD} FROM generate_series(${ROWS + 1}, ${ROWS + 5000}) x`);
        await c.query('FLUSH');
        await check(c, 2);
        // The cache stayed near its limit by evicting, and the checks read evicted keys back.
        const [[limit, held, evictions, coldReads]] = await rows(
          c,
          'SELECT memory_limit_bytes, state_bytes, state_evictions, state_cold_reads FROM rw_catalog.rw_checkpoint_status',
        );
        expect(Number(limit)).toBe(16 * 2 ** 20);
        expect(Number(held)).toBeLessThanOrEqual(2 * 16 * 2 ** 20);
        expect(Number(evictions)).toBeGreaterThan(0);
        expect(Number(coldReads)).toBeGreaterThan(0);
        assertServerAlive(server);
      } finally {
        await c.end().catch(() => {});
      }

      await server.kill9();
      server = await startFreshet({ dataDir, args });
      c = await client(server);
      try {
        expect(server.logs.toString()).toMatch(/materialized views: 2 restored/);
        // Lazy recovery: the MV rows and aggregate groups stayed on disk.
        expect(server.logs.toString()).toMatch(/state memory limit 16\.0 MiB: [1-9]\d* point-read state tables \(~\d{5,} keys\) left in LevelDB/);
        await check(c, 3);
        await c.query('DELETE FROM t WHERE id % 10 = 1');
        await c.query('FLUSH');
        await check(c, 4);
      } finally {
        await c.end().catch(() => {});
      }
      await server.stop();

      server = await startFreshet({ dataDir, args, removeDataDir: false });
      c = await client(server);
      try {
        await check(c, 5);
        assertServerAlive(server);
      } finally {
        await c.end().catch(() => {});
        await server.stop();
      }
    },
    600_000,
  );
});
