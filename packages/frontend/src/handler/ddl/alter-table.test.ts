/**
 * ALTER TABLE ADD/DROP COLUMN against what else uses the table: DML from other sessions
 * running beside it (rows committed before the ALTER's batch come out in the new layout,
 * none lost), streaming jobs that read or write the table (refused: they run on the
 * layout they were planned against), and a watermark on a later column.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type PreparedStatement, bindParamsOf } from '@freshet/pgwire';
import { type TestDb, openTestDb } from '../../query/testing';
import type { FrontendSession } from '../../session/session';

/** Runs `sql` on a session of its own (another client beside `db`'s). */
async function otherSession(db: TestDb): Promise<(sql: string) => Promise<void>> {
  const session = await db.frontend.connect({ user: 'root', database: 'dev', params: {} });
  return async (sql) => {
    for (const portal of await session.simpleQuery(sql)) {
      await portal.execute(0);
      portal.close();
    }
  };
}

describe.each([
  { name: 'in memory', persistent: false, memoryLimit: undefined },
  { name: 'on disk', persistent: true, memoryLimit: undefined },
  { name: 'on disk, rows in LevelDB (memory limit)', persistent: true, memoryLimit: 256 << 10 },
])('ALTER TABLE ADD/DROP COLUMN, $name', ({ persistent, memoryLimit }) => {
  let dir: string;
  let db: TestDb;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-alter-'));
    db = await openTestDb(persistent ? { dataDir: dir, storage: { memoryLimit } } : {});
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses none of the DML other sessions commit while it runs, and leaves every row in the new layout', async () => {
    await db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, v INT, pad VARCHAR)');
    await db.exec(`INSERT INTO t SELECT x, x, repeat('p', 100) FROM generate_series(1, 3000) x`);
    const writers = await Promise.all([0, 1, 2, 3].map(() => otherSession(db)));
    // Each writer inserts its own keys and updates a disjoint set of the seeded ones.
    const dml = writers.map(async (run, w) => {
      for (let i = 0; i < 25; i++) {
        await run(`INSERT INTO t (id, v) VALUES (${10_000 + w * 100 + i}, ${i})`);
        await run(`UPDATE t SET v = -v WHERE id = ${1 + w * 500 + i}`);
      }
    });
    await db.exec('ALTER TABLE t ADD COLUMN w INT');
    await db.exec('ALTER TABLE t DROP COLUMN pad');
    await Promise.all(dml);
    expect(await db.query('SELECT count(*), count(w), sum(v), sum(id) FROM t')).toEqual([
      [
        String(3000 + 100),
        '0',
        // The seeded sum with 100 values negated, plus the inserted 0..24 four times.
        String((3000 * 3001) / 2 - 2 * [0, 1, 2, 3].reduce((s, w) => s + 25 * (1 + w * 500) + 300, 0) + 4 * 300),
        String((3000 * 3001) / 2 + [0, 1, 2, 3].reduce((s, w) => s + 25 * (10_000 + w * 100) + 300, 0)),
      ],
    ]);
    // Every row has the table's three columns (a row left in the old layout would not).
    expect(await db.query('SELECT id, v, w FROM t WHERE id IN (1, 501, 3000, 10000, 10324) ORDER BY id')).toEqual([
      ['1', '-1', 'NULL'],
      ['501', '-501', 'NULL'],
      ['3000', '3000', 'NULL'],
      ['10000', '0', 'NULL'],
      ['10324', '24', 'NULL'],
    ]);
    await db.exec('UPDATE t SET w = v WHERE id <= 10');
    expect(await db.query('SELECT sum(w) FROM t')).toEqual([[String(-(1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10) + 0)]]);
  });

  it('plans prepared DML again after the columns change; one whose RETURNING would change is refused', async () => {
    await db.exec('CREATE TABLE p (id INT PRIMARY KEY, v INT, pad VARCHAR)');
    const session = (await db.frontend.connect({ user: 'root', database: 'dev', params: {} })) as FrontendSession;
    const exec = async (stmt: PreparedStatement, values: string[]) => {
      const portal = await session.bind(stmt, bindParamsOf(values.map((v) => Buffer.from(v)), values.map(() => 0)));
      try {
        return (await portal.execute(0)).rows;
      } finally {
        portal.close();
      }
    };
    const insert = await session.prepare('INSERT INTO p (id, v) VALUES ($1, $2)', []);
    const update = await session.prepare('UPDATE p SET v = v + 1 WHERE id = $1', []);
    await exec(insert, ['1', '10']);
    await db.exec('ALTER TABLE p ADD COLUMN w INT');
    await exec(insert, ['2', '20']);
    await exec(update, ['1']);
    await db.exec('ALTER TABLE p DROP COLUMN pad');
    await exec(insert, ['3', '30']);
    await exec(update, ['2']);
    expect(await db.query('SELECT * FROM p ORDER BY id')).toEqual([
      ['1', '11', 'NULL'],
      ['2', '21', 'NULL'],
      ['3', '30', 'NULL'],
    ]);
    const returning = await session.prepare('INSERT INTO p (id, v) VALUES ($1, $2) RETURNING *', []);
    expect(await exec(returning, ['4', '40'])).toEqual([[4, 40, null]]);
    await db.exec('ALTER TABLE p ADD COLUMN x INT');
    await expect(exec(returning, ['5', '50'])).rejects.toMatchObject({ code: '0A000', message: 'cached plan must not change result type' });
    expect(await db.query('SELECT count(*) FROM p')).toEqual([['4']]);
  });

  it('waits for a COPY into the table to finish, and rewrites its rows', async () => {
    await db.exec('CREATE TABLE c (id INT PRIMARY KEY, v INT)');
    const session = await db.frontend.connect({ user: 'root', database: 'dev', params: {} });
    const [portal] = await session.simpleQuery('COPY c FROM STDIN');
    const copy = (await portal.execute(0)).copyIn!;
    copy.write(Buffer.from('1\t10\n2\t20\n'));
    let altered = false;
    const alter = db.exec('ALTER TABLE c ADD COLUMN w INT').then(() => (altered = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(altered).toBe(false);
    copy.write(Buffer.from('3\t30\n'));
    expect(await copy.finish()).toBe('COPY 3');
    await alter;
    expect(await db.query('SELECT * FROM c ORDER BY id')).toEqual([
      ['1', '10', 'NULL'],
      ['2', '20', 'NULL'],
      ['3', '30', 'NULL'],
    ]);
  });

  it('refuses to add a column under a materialized view or a sink, and adds it once they are gone', async () => {
    await db.exec('CREATE TABLE t (a INT, b INT)');
    await db.exec('INSERT INTO t VALUES (1, 10), (2, 20)');
    await db.exec('CREATE MATERIALIZED VIEW m AS SELECT a, b FROM t');
    await db.exec('CREATE TABLE out (a INT PRIMARY KEY, b INT)');
    await db.exec('CREATE SINK s INTO out AS SELECT a, b FROM t');
    await db.exec('CREATE VIEW v AS SELECT a FROM t');
    expect(await db.sqlState('ALTER TABLE t ADD COLUMN c INT')).toBe('0A000');
    expect(await db.sqlState('ALTER TABLE out ADD COLUMN c INT')).toBe('0A000');
    // Nothing changed: the jobs still run on the old columns.
    await db.exec('INSERT INTO t VALUES (3, 30)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM m ORDER BY a')).toEqual([
      ['1', '10'],
      ['2', '20'],
      ['3', '30'],
    ]);
    expect(await db.query('SELECT * FROM out ORDER BY a')).toEqual(await db.query('SELECT * FROM m ORDER BY a'));
    await db.exec('DROP SINK s');
    await db.exec('DROP MATERIALIZED VIEW m');
    await db.exec('ALTER TABLE t ADD COLUMN c INT');
    // A job created after the change reads the new layout.
    await db.exec('CREATE MATERIALIZED VIEW m2 AS SELECT * FROM t');
    await db.exec('UPDATE t SET c = a * 100 WHERE a >= 2');
    await db.exec('DELETE FROM t WHERE a = 1');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM m2 ORDER BY a')).toEqual(await db.query('SELECT * FROM t ORDER BY a'));
    expect(await db.query('SELECT * FROM m2 ORDER BY a')).toEqual([
      ['2', '20', '200'],
      ['3', '30', '300'],
    ]);
  });

  it("keeps a watermark on its column when an earlier column is dropped, and refuses to drop the watermark's column", async () => {
    await db.exec("CREATE TABLE wm (a INT, ts TIMESTAMP, v INT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) APPEND ONLY");
    expect(await db.sqlState('ALTER TABLE wm DROP COLUMN ts')).toBe('0A000');
    await db.exec('ALTER TABLE wm DROP COLUMN a');
    await db.exec(
      "CREATE MATERIALIZED VIEW w AS SELECT window_start, count(*) AS n, sum(v) AS s FROM TUMBLE(wm, ts, INTERVAL '10' SECOND) GROUP BY window_start EMIT ON WINDOW CLOSE",
    );
    await db.exec("INSERT INTO wm SELECT TIMESTAMP '2024-01-01 00:00:00' + x * INTERVAL '1' SECOND, x FROM generate_series(0, 29) x");
    await db.exec('FLUSH');
    // The watermark reached 00:00:24: the windows at :00 and :10 are closed, :20 is not.
    expect(await db.query('SELECT window_start, n, s FROM w ORDER BY window_start')).toEqual([
      ['2024-01-01 00:00:00', '10', '45'],
      ['2024-01-01 00:00:10', '10', '145'],
    ]);
  });
});
