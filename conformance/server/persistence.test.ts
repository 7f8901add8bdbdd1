/**
 * Durability of `freshet start --data-dir`: everything created or changed survives a
 * graceful restart, acknowledged statements survive `kill -9` (DESIGN §4: a DML statement
 * is acknowledged only once it is durable), and `freshet playground` writes nothing.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startFreshet, type FreshetServer } from '@freshet/testkit';
import { assertServerAlive } from './health';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function connect(server: FreshetServer, opts: { database?: string; user?: string; password?: string } = {}): Promise<pg.Client> {
  const c = new pg.Client({
    host: server.host,
    port: server.port,
    user: opts.user ?? 'root',
    database: opts.database ?? 'dev',
    password: opts.password,
  });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Runs `fn` with a client, always closing it. */
async function withClient<T>(server: FreshetServer, fn: (c: pg.Client) => Promise<T>, opts?: Parameters<typeof connect>[1]): Promise<T> {
  const c = await connect(server, opts);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

const rows = async (c: pg.Client, sql: string) => (await c.query({ text: sql, rowMode: 'array' })).rows;

describe('freshet start keeps everything across restarts', () => {
  it('a graceful stop and restart keeps databases, schemas, tables, views, users and DML results', async () => {
    const dataDir = tempDir('freshet-persist-');
    let server = await startFreshet({ dataDir });
    await withClient(server, async (c) => {
      await c.query('CREATE DATABASE shop');
      await c.query('CREATE SCHEMA sales');
      await c.query('CREATE TABLE sales.orders (id INT PRIMARY KEY, item VARCHAR, qty INT, price DECIMAL, at TIMESTAMPTZ)');
      await c.query('CREATE TABLE plain (x INT, y DOUBLE PRECISION, z BOOLEAN)');
      await c.query(`INSERT INTO sales.orders VALUES
        (1, 'apple', 3, 1.25, '2024-01-01 10:00:00+00'),
        (2, 'pear', 1, 0.5, '2024-01-02 10:00:00+00'),
        (3, 'plum', 7, 2.125, NULL),
        (4, 'fig', 2, 9.99, '2024-01-04 10:00:00+00')`);
      await c.query('UPDATE sales.orders SET qty = qty + 10 WHERE id = 2');
      await c.query('DELETE FROM sales.orders WHERE id = 3');
      await c.query('INSERT INTO plain SELECT g, g / 4.0, g % 2 = 0 FROM generate_series(1, 1000) AS g');
      await c.query('DELETE FROM plain WHERE x > 900');
      await c.query('CREATE VIEW sales.big_orders AS SELECT id, item FROM sales.orders WHERE qty > 2');
      await c.query("CREATE USER alice WITH PASSWORD 'wonderland'");
    });
    await withClient(server, (c) => c.query('CREATE TABLE in_shop (k VARCHAR, v INT); INSERT INTO in_shop VALUES (\'a\', 1), (\'b\', 2)'), { database: 'shop' });

    await server.stop();
    expect(server.logs.toString()).toMatch(/server stopped/);
    server = await startFreshet({ dataDir });
    try {
      await withClient(server, async (c) => {
        expect(await rows(c, 'SELECT id, item, qty, price::VARCHAR, at::VARCHAR FROM sales.orders ORDER BY id')).toEqual([
          [1, 'apple', 3, '1.25', '2024-01-01 10:00:00+00:00'],
          [2, 'pear', 11, '0.5', '2024-01-02 10:00:00+00:00'],
          [4, 'fig', 2, '9.99', '2024-01-04 10:00:00+00:00'],
        ]);
        expect(await rows(c, 'SELECT count(*)::INT, sum(x)::INT, sum(y)::VARCHAR, count(*) FILTER (WHERE z)::INT FROM plain')).toEqual([[900, 405450, '101362.5', 450]]);
        expect(await rows(c, 'SELECT * FROM sales.big_orders ORDER BY id')).toEqual([
          [1, 'apple'],
          [2, 'pear'],
        ]);
        // The primary key still works after recovery: RisingWave's default conflict
        // behaviour overwrites the row with the same key instead of adding one.
        await c.query("INSERT INTO sales.orders VALUES (1, 'dup', 1, 1, NULL)");
        expect(await rows(c, 'SELECT id, item FROM sales.orders ORDER BY id')).toEqual([
          [1, 'dup'],
          [2, 'pear'],
          [4, 'fig'],
        ]);
        // New writes after recovery work and get new row ids that do not collide.
        await c.query('INSERT INTO plain VALUES (-1, 0, NULL)');
        expect(await rows(c, 'SELECT count(*)::INT FROM plain')).toEqual([[901]]);
      });
      expect(await withClient(server, (c) => rows(c, 'SELECT k, v FROM in_shop ORDER BY k'), { database: 'shop' })).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      // The user and its password survived.
      expect(await withClient(server, (c) => rows(c, 'SELECT current_user'), { user: 'alice', password: 'wonderland' })).toEqual([['alice']]);
      await expect(connect(server, { user: 'alice', password: 'wrong' })).rejects.toMatchObject({ code: '28P01' });
      assertServerAlive(server);
    } finally {
      await server.stop();
    }

    // A second restart recovers a recovered directory, including the post-recovery write.
    server = await startFreshet({ dataDir });
    try {
      expect(await withClient(server, (c) => rows(c, 'SELECT count(*)::INT, min(x) FROM plain'))).toEqual([[901, -1]]);
    } finally {
      await server.stop();
    }
  });

  it('dropped objects stay dropped after a restart', async () => {
    const dataDir = tempDir('freshet-persist-drop-');
    let server = await startFreshet({ dataDir });
    await withClient(server, async (c) => {
      await c.query('CREATE TABLE gone (a INT)');
      await c.query('INSERT INTO gone VALUES (1)');
      await c.query('CREATE TABLE kept (a INT)');
      await c.query('CREATE VIEW gone_v AS SELECT a FROM kept');
      await c.query('DROP VIEW gone_v');
      await c.query('DROP TABLE gone');
      await c.query('CREATE TABLE gone (b VARCHAR)');
    });
    await server.stop();
    server = await startFreshet({ dataDir });
    try {
      await withClient(server, async (c) => {
        // The re-created table is empty and has the new column, not the old rows.
        expect(await rows(c, 'SELECT * FROM gone')).toEqual([]);
        expect((await c.query('SELECT * FROM gone')).fields.map((f) => f.name)).toEqual(['b']);
        await expect(c.query('SELECT * FROM gone_v')).rejects.toMatchObject({ code: '42P01' });
      });
    } finally {
      await server.stop();
    }
  });
});

describe('acknowledged statements survive kill -9', () => {
  it('every acknowledged INSERT/UPDATE/DELETE and DDL is there after a crash', async () => {
    const dataDir = tempDir('freshet-crash-');
    let server = await startFreshet({ dataDir });
    await withClient(server, async (c) => {
      await c.query('CREATE TABLE acked (writer INT, seq INT, payload VARCHAR)');
      await c.query('CREATE TABLE counters (id INT PRIMARY KEY, n INT)');
      await c.query('INSERT INTO counters VALUES (1, 0), (2, 0), (3, 100)');
    });
    // Four writers insert concurrently; each records what the server acknowledged.
    const acked: string[] = [];
    const writers = [0, 1, 2, 3].map((w) =>
      withClient(server, async (c) => {
        for (let seq = 0; seq < 40; seq++) {
          await c.query('INSERT INTO acked VALUES ($1, $2, $3)', [w, seq, `w${w}-s${seq}-${'x'.repeat(seq)}`]);
          acked.push(`${w}:${seq}`);
        }
      }),
    );
    await Promise.all(writers);
    await withClient(server, async (c) => {
      await c.query('UPDATE counters SET n = n + 5 WHERE id = 1');
      await c.query('DELETE FROM counters WHERE id = 3');
      await c.query('DELETE FROM acked WHERE writer = 3 AND seq >= 20');
      await c.query('CREATE TABLE made_last (a INT)');
      await c.query('INSERT INTO made_last VALUES (42)');
    });
    // No graceful shutdown: the process gets SIGKILL right after the last acknowledgement.
    await server.kill9();
    server = await startFreshet({ dataDir });
    try {
      await withClient(server, async (c) => {
        const got = (await rows(c, 'SELECT writer, seq, payload FROM acked ORDER BY writer, seq')).map(([w, s, p]) => {
          expect(p).toBe(`w${w}-s${s}-${'x'.repeat(s as number)}`);
          return `${w}:${s}`;
        });
        const expected = acked.filter((k) => !(k.startsWith('3:') && Number(k.split(':')[1]) >= 20)).sort();
        expect(got.sort()).toEqual(expected);
        expect(expected.length).toBe(140);
        expect(await rows(c, 'SELECT id, n FROM counters ORDER BY id')).toEqual([
          [1, 5],
          [2, 0],
        ]);
        expect(await rows(c, 'SELECT a FROM made_last')).toEqual([[42]]);
      });
    } finally {
      await server.stop();
    }
  });

  it('a crash while statements are in flight loses no acknowledged row and splits no statement', async () => {
    const dataDir = tempDir('freshet-crash-inflight-');
    let server = await startFreshet({ dataDir });
    await withClient(server, (c) => c.query('CREATE TABLE batches (batch INT, i INT)'));
    const acked = new Set<number>();
    let stop = false;
    const writers = [0, 1, 2].map((w) =>
      (async () => {
        const c = await connect(server);
        try {
          for (let b = w * 100_000; !stop; b++) {
            // Ten rows per statement: after the crash a batch is all there or absent.
            await c.query('INSERT INTO batches SELECT $1::INT, g FROM generate_series(1, 10) AS g', [b]);
            acked.add(b);
          }
        } catch {
          // The connection dies with the server.
        } finally {
          c.end().catch(() => {});
        }
      })(),
    );
    await new Promise((r) => setTimeout(r, 700));
    await server.kill9();
    stop = true;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(10);

    server = await startFreshet({ dataDir });
    try {
      await withClient(server, async (c) => {
        const perBatch = await rows(c, 'SELECT batch, count(*)::INT FROM batches GROUP BY batch');
        const present = new Set(perBatch.map(([b]) => b as number));
        for (const [b, n] of perBatch) expect(n, `batch ${b}`).toBe(10);
        const lost = [...acked].filter((b) => !present.has(b));
        expect(lost, 'acknowledged batches missing after kill -9').toEqual([]);
        // At most one unacknowledged statement per writer can have been committed.
        expect(present.size - acked.size).toBeLessThanOrEqual(3);
      });
    } finally {
      await server.stop();
    }
  });
});

describe('freshet playground', () => {
  it('writes nothing to disk: no data directory in its working directory and no open data files', async () => {
    const cwd = tempDir('freshet-playground-cwd-');
    const server = await startFreshet({ playground: true, cwd });
    try {
      await withClient(server, async (c) => {
        await c.query('CREATE TABLE t (a INT, b VARCHAR)');
        await c.query("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 5000) AS g");
        await c.query('CREATE DATABASE pdb');
        await c.query("CREATE USER pu WITH PASSWORD 'p'");
        await c.query('FLUSH');
      });
      expect(server.dataDir).toBeUndefined();
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(join(cwd, 'freshet-data'))).toBe(false);
      // Whatever the process holds open, none of it is a database file.
      const fdDir = `/proc/${server.pid}/fd`;
      if (existsSync(fdDir)) {
        const files = readdirSync(fdDir)
          .map((fd) => {
            try {
              return readlinkSync(join(fdDir, fd));
            } catch {
              return '';
            }
          })
          .filter((p) => p.startsWith('/') && !p.startsWith('/dev/') && !p.startsWith('/proc/'));
        expect(files.filter((p) => /LOCK|MANIFEST|\.ldb|\.log|freshet-data/.test(p))).toEqual([]);
      }
    } finally {
      await server.stop();
    }
    // And the data is gone with the process.
    const again = await startFreshet({ playground: true, cwd });
    try {
      await expect(withClient(again, (c) => c.query('SELECT * FROM t'))).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await again.stop();
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

});
