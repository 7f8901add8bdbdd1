/**
 * CREATE / DROP FUNCTION end to end through a session: SQL and JavaScript functions in
 * batch queries and materialized views, their catalog visibility, their errors, and their
 * survival across a restart (functions are catalog records; MVs calling them are planned
 * again from their text at startup).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../../query/testing';

describe('user-defined functions', () => {
  let db: TestDb | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('inlines SQL functions in batch queries and MVs, with named and positional arguments', async () => {
    db = await openTestDb();
    await db.exec(`CREATE FUNCTION count_char(s varchar, c varchar) RETURNS int LANGUAGE SQL AS $$SELECT LENGTH(s) - LENGTH(REPLACE(s, c, ''))$$`);
    await db.exec(`CREATE FUNCTION inc(int) RETURNS int LANGUAGE sql AS 'select $1 + 1'`);
    await db.exec('CREATE FUNCTION twice(a bigint) RETURNS bigint RETURN a * 2');
    expect(await db.query("SELECT count_char('abcabc', 'c'), inc(41), twice(21), inc(NULL)")).toEqual([['2', '42', '42', 'NULL']]);
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, s varchar)');
    await db.exec("INSERT INTO t VALUES (1, 'cccc'), (2, 'xyz')");
    await db.exec("CREATE MATERIALIZED VIEW mv AS SELECT id, count_char(s, 'c') AS n, inc(id) AS next FROM t");
    await db.exec("INSERT INTO t VALUES (3, 'acc')");
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM mv ORDER BY id')).toEqual([['1', '4', '2'], ['2', '0', '3'], ['3', '2', '4']]);
    // Overloads resolve by argument types; an unknown signature is 42883.
    await db.exec(`CREATE FUNCTION inc(varchar) RETURNS varchar LANGUAGE sql AS $$select $1 || '+'$$`);
    expect(await db.query("SELECT inc(1), inc('a'::varchar)")).toEqual([['2', 'a+']]);
    expect(await db.sqlState('SELECT inc(1, 2)')).toBe('42883');
    expect(await db.sqlState('SELECT count_char(1.5, true)')).toBe('42883');
  });

  it('runs JavaScript functions, scalar and RETURNS TABLE, in batch and streaming', async () => {
    db = await openTestDb();
    await db.exec(`CREATE FUNCTION gcd(a int, b int) RETURNS int LANGUAGE javascript AS $$
      if (a == null || b == null) return null;
      while (b != 0) { let t = b; b = a % b; a = t; }
      return a;
    $$`);
    await db.exec('CREATE FUNCTION series(n int) RETURNS TABLE (x int) LANGUAGE javascript AS $$ for (let i = 0; i < n; i++) yield i; $$');
    expect(await db.query('SELECT gcd(25, 15), gcd(NULL, 3)')).toEqual([['5', 'NULL']]);
    expect(await db.query('SELECT * FROM series(3)')).toEqual([['0'], ['1'], ['2']]);
    expect(await db.query('SELECT series(2)')).toEqual([['0'], ['1']]);
    await db.exec('CREATE TABLE p (a int, b int)');
    await db.exec('CREATE MATERIALIZED VIEW g AS SELECT a, b, gcd(a, b) AS d, gcd(a, 4) * 10 + 1 AS e FROM p');
    await db.exec('INSERT INTO p VALUES (12, 18), (7, 3)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM g ORDER BY a')).toEqual([['7', '3', '1', '11'], ['12', '18', '6', '41']]);
  });

  it('reports bad bodies, runtime exceptions and timeouts as errors with SQLSTATEs', async () => {
    db = await openTestDb();
    expect(await db.sqlState('CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$select nope + a$$')).toBe('42703');
    expect(await db.sqlState("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$select 'x'::varchar$$")).toBe('42804');
    expect(await db.sqlState('CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$select a from t$$')).toBe('0A000');
    expect(await db.sqlState('CREATE FUNCTION f(a int) RETURNS int LANGUAGE javascript AS $$ return ( $$')).toBe('42P13');
    expect(await db.sqlState('CREATE FUNCTION f(a int) RETURNS int LANGUAGE python AS $$ return a $$')).toBe('0A000');
    expect(await db.query("SELECT count(*) FROM pg_proc WHERE proname = 'f'")).toEqual([['0']]);
    await db.exec('CREATE FUNCTION boom() RETURNS int LANGUAGE javascript AS $$ throw new Error("kaput"); $$');
    expect(await db.sqlState('SELECT boom()')).toBe('38000');
    await db.exec('CREATE FUNCTION spin() RETURNS int LANGUAGE javascript AS $$ while (true) {} $$');
    expect(await db.sqlState('SELECT spin()')).toBe('57014');
    expect(await db.query('SELECT 1')).toEqual([['1']]);
    expect(await db.sqlState('CREATE FUNCTION boom() RETURNS int LANGUAGE javascript AS $$ return 1 $$')).toBe('42723');
  });

  it('lists functions and drops them (not while an MV calls them)', async () => {
    db = await openTestDb();
    await db.exec(`CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql AS 'select a + 1'`);
    expect(await db.query('SHOW FUNCTIONS')).toEqual([['inc', 'integer', 'integer', 'sql', 'NULL']]);
    expect(await db.query("SELECT proname, pronargs, prosrc FROM pg_catalog.pg_proc WHERE proname = 'inc'")).toEqual([['inc', '1', 'select a + 1']]);
    await db.exec('CREATE TABLE t (a int)');
    await db.exec('CREATE MATERIALIZED VIEW m AS SELECT inc(a) AS b FROM t');
    expect(await db.sqlState('DROP FUNCTION inc')).toBe('2BP01');
    await db.exec('DROP MATERIALIZED VIEW m');
    await db.exec('DROP FUNCTION inc(int)');
    expect(await db.sqlState('DROP FUNCTION inc')).toBe('42883');
    expect(await db.exec('DROP FUNCTION IF EXISTS inc')).toBe('DROP_FUNCTION');
    expect(await db.query('SHOW FUNCTIONS')).toEqual([]);
  });

  it('keeps functions, and the MVs that call them, across a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-udf-'));
    db = await openTestDb({ dataDir: dir });
    await db.exec(`CREATE FUNCTION inc(a int) RETURNS int LANGUAGE sql AS 'select a + 1'`);
    await db.exec('CREATE FUNCTION neg(a int) RETURNS int LANGUAGE javascript AS $$ return -a; $$');
    await db.exec('CREATE TABLE t (a int)');
    await db.exec('CREATE MATERIALIZED VIEW m AS SELECT inc(a) AS b, neg(a) AS c FROM t');
    await db.exec('INSERT INTO t VALUES (1)');
    await db.exec('FLUSH');
    await db.close();
    db = await openTestDb({ dataDir: dir });
    expect(await db.query('SELECT inc(1), neg(2)')).toEqual([['2', '-2']]);
    await db.exec('INSERT INTO t VALUES (10)');
    await db.exec('FLUSH');
    expect(await db.query('SELECT * FROM m ORDER BY b')).toEqual([['2', '-1'], ['11', '-10']]);
  });
});
