/**
 * ALTER … RENAME TO rewrites the stored SQL of the renamed object and of its dependents,
 * so views keep binding and MVs are planned again correctly after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../../query/testing';

describe('ALTER … RENAME TO', () => {
  let db: TestDb | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('rewrites dependents, which survive a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-rename-'));
    db = await openTestDb({ dataDir: dir });
    await db.exec('CREATE TABLE t (a int PRIMARY KEY, b int)');
    await db.exec('INSERT INTO t VALUES (1, 10)');
    await db.exec('CREATE VIEW v AS SELECT t.a, x.b FROM t JOIN t AS x ON t.a = x.a');
    await db.exec('CREATE MATERIALIZED VIEW m (k, total) AS WITH c AS CHANGELOG FROM t SELECT a, b FROM c');
    await db.exec('CREATE MATERIALIZED VIEW s AS SELECT sum(b) AS total FROM t');
    expect(await db.exec('ALTER TABLE t RENAME TO t2')).toBe('ALTER_TABLE');
    expect(await db.exec('ALTER MATERIALIZED VIEW m RENAME TO m2')).toBe('ALTER_MATERIALIZED_VIEW');
    expect(await db.sqlState('SELECT * FROM t')).toBe('42P01');
    expect((await db.query('SHOW CREATE MATERIALIZED VIEW m2'))[0][1]).toBe('CREATE MATERIALIZED VIEW m2 (k, total) AS WITH c AS CHANGELOG FROM t2 SELECT a, b FROM c');
    expect((await db.query('SHOW CREATE MATERIALIZED VIEW s'))[0][1]).toBe('CREATE MATERIALIZED VIEW s AS SELECT sum(b) AS total FROM t2 AS t');
    await db.close();
    db = await openTestDb({ dataDir: dir });
    await db.exec('INSERT INTO t2 VALUES (2, 20)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM v ORDER BY a')).toEqual([['1', '10'], ['2', '20']]);
    expect(await db.query('SELECT k, total FROM m2 ORDER BY k')).toEqual([['1', '10'], ['2', '20']]);
    expect(await db.query('SELECT total FROM s')).toEqual([['30']]);
  });

  it('renames sources and sinks, and rewrites the sinks that read a renamed relation', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-rename-'));
    db = await openTestDb({ dataDir: dir });
    await db.exec("CREATE SOURCE src (v int) WITH (connector = 'datagen', datagen.rows.per.second = '1') FORMAT PLAIN ENCODE JSON");
    await db.exec('CREATE TABLE t (a int PRIMARY KEY, b int)');
    await db.exec('CREATE TABLE target (a int PRIMARY KEY, b int)');
    await db.exec('CREATE MATERIALIZED VIEW m AS SELECT a, b FROM t');
    await db.exec("CREATE SINK k1 FROM m WITH (connector = 'blackhole')");
    await db.exec('CREATE SINK k2 INTO target AS SELECT a, b * 10 AS b FROM t');
    expect(await db.exec('ALTER SOURCE src RENAME TO src2')).toBe('ALTER_SOURCE');
    expect(await db.exec('ALTER MATERIALIZED VIEW m RENAME TO m2')).toBe('ALTER_MATERIALIZED_VIEW');
    expect(await db.exec('ALTER TABLE target RENAME TO target2')).toBe('ALTER_TABLE');
    expect(await db.exec('ALTER TABLE t RENAME TO t2')).toBe('ALTER_TABLE');
    expect(await db.exec('ALTER SINK k1 RENAME TO k1b')).toBe('ALTER_SINK');
    expect((await db.query('SHOW CREATE SINK k1b'))[0][1]).toBe("CREATE SINK k1b FROM m2 WITH (connector = 'blackhole')");
    expect((await db.query('SHOW CREATE SINK k2'))[0][1]).toBe('CREATE SINK k2 INTO target2 AS SELECT a, b * 10 AS b FROM t2 AS t');
    expect(await db.query('SHOW SOURCES')).toEqual([['src2']]);
    await db.close();
    db = await openTestDb({ dataDir: dir });
    await db.exec('INSERT INTO t2 VALUES (1, 2)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM target2')).toEqual([['1', '20']]);
    expect(await db.query('SELECT * FROM m2')).toEqual([['1', '2']]);
  });

  it('refuses a taken name and an object of another kind', async () => {
    db = await openTestDb();
    await db.exec('CREATE TABLE a (x int); CREATE TABLE b (y int); CREATE VIEW w AS SELECT x FROM a');
    expect(await db.sqlState('ALTER TABLE a RENAME TO b')).toBe('42P07');
    expect(await db.sqlState('ALTER MATERIALIZED VIEW w RENAME TO w2')).toBe('42P01');
    expect(await db.exec('ALTER VIEW w RENAME TO w2')).toBe('ALTER_VIEW');
    expect(await db.query('SELECT count(*) FROM w2')).toEqual([['0']]);
  });
});
