import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../../query/testing';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
  await db.exec(`
    CREATE TABLE t (id bigint PRIMARY KEY, f int, s varchar);
    INSERT INTO t VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');
    CREATE TABLE c (k varchar, n int, v int, PRIMARY KEY (k, n));
    INSERT INTO c VALUES ('x', 1, 100), ('x', 2, 200), ('y', 1, 300);
    CREATE TABLE d (k decimal PRIMARY KEY, v int);
    INSERT INTO d VALUES (1.0, 1), (2.50, 2);
    CREATE TABLE nopk (a int, b int);
    INSERT INTO nopk VALUES (1, 1);
  `);
});

afterAll(async () => {
  await db.close();
});

const plan = async (sql: string) => (await db.query(`EXPLAIN ${sql}`)).map((r) => r[0]).join('\n');
const usesLookup = async (sql: string) => /Lookup|Get/.test(await plan(sql)) && !/Scan/.test(await plan(sql));

describe('point-lookup rule', () => {
  it('turns pk = constant into a lookup, either way round', async () => {
    expect(await usesLookup('SELECT * FROM t WHERE id = 2')).toBe(true);
    expect(await usesLookup('SELECT f FROM t WHERE 2 = id')).toBe(true);
    expect(await db.query('SELECT * FROM t WHERE id = 2')).toEqual([['2', '20', 'b']]);
    expect(await db.query('SELECT f FROM t WHERE 3 = id')).toEqual([['30']]);
    expect(await db.query('SELECT f FROM t WHERE id = 4')).toEqual([]);
    expect(await db.query('SELECT f FROM t WHERE id = NULL')).toEqual([]);
  });

  it('keeps the other conjuncts as a filter over the looked-up row', async () => {
    expect(await usesLookup('SELECT * FROM t WHERE id = 2 AND f = 20')).toBe(true);
    expect(await plan('SELECT * FROM t WHERE id = 2 AND f = 20')).toMatch(/Filter/);
    expect(await db.query('SELECT s FROM t WHERE id = 2 AND f = 20')).toEqual([['b']]);
    expect(await db.query('SELECT s FROM t WHERE id = 2 AND f = 21')).toEqual([]);
  });

  it('needs every column of a composite key', async () => {
    expect(await usesLookup("SELECT v FROM c WHERE k = 'x' AND n = 2")).toBe(true);
    expect(await db.query("SELECT v FROM c WHERE n = 2 AND k = 'x'")).toEqual([['200']]);
    expect(await usesLookup("SELECT v FROM c WHERE k = 'x'")).toBe(false);
    expect(await db.query("SELECT v FROM c WHERE k = 'x' ORDER BY n")).toEqual([['100'], ['200']]);
  });

  it('leaves keys whose equality is not byte equality, and non-constant keys, to the scan', async () => {
    expect(await usesLookup('SELECT v FROM d WHERE k = 2.5')).toBe(false);
    expect(await db.query('SELECT v FROM d WHERE k = 2.5')).toEqual([['2']]);
    expect(await db.query('SELECT v FROM d WHERE k = 1')).toEqual([['1']]);
    expect(await usesLookup('SELECT * FROM t WHERE id = f')).toBe(false);
    expect(await usesLookup('SELECT * FROM t WHERE id = 1 OR id = 2')).toBe(false);
    expect(await usesLookup('SELECT * FROM nopk WHERE a = 1')).toBe(false);
  });

  it('serves UPDATE and DELETE by key', async () => {
    expect(await usesLookup('UPDATE t SET f = 11 WHERE id = 1')).toBe(true);
    expect(await db.exec('UPDATE t SET f = 11 WHERE id = 1')).toBe('UPDATE 1');
    expect(await db.exec('UPDATE t SET f = 11 WHERE id = 9')).toBe('UPDATE 0');
    expect(await db.query('SELECT f FROM t WHERE id = 1')).toEqual([['11']]);
    expect(await db.exec('DELETE FROM t WHERE id = 3')).toBe('DELETE 1');
    expect(await db.query('SELECT count(*) FROM t')).toEqual([['2']]);
  });

  it('works inside joins and subqueries', async () => {
    expect(await db.query('SELECT t.s, c.v FROM t JOIN c ON c.n = t.id WHERE t.id = 2')).toEqual([['b', '200']]);
    expect(await db.query('SELECT (SELECT s FROM t WHERE id = 2)')).toEqual([['b']]);
  });
});

describe('point-lookup rule on materialized views', () => {
  beforeAll(async () => {
    await db.exec(`
      CREATE TABLE ev (user_id bigint, kind varchar, item bigint);
      INSERT INTO ev VALUES (1, 'click', 10), (1, 'view', 11), (2, 'click', 10);
      CREATE MATERIALIZED VIEW feat AS
        SELECT user_id, count(*) FILTER (WHERE kind = 'click') AS clicks, count(DISTINCT item) AS items
        FROM ev GROUP BY user_id;
      CREATE MATERIALIZED VIEW total AS SELECT count(*) AS n FROM ev;
    `);
  });

  it('serves pk = value on an MV (the group key) as a lookup of its committed state', async () => {
    expect(await usesLookup('SELECT clicks, items FROM feat WHERE user_id = 1')).toBe(true);
    expect(await db.query('SELECT clicks, items FROM feat WHERE user_id = 1')).toEqual([['1', '2']]);
    expect(await db.query('SELECT * FROM feat WHERE user_id = 3')).toEqual([]);
  });

  it('sees new rows after FLUSH, and retractions', async () => {
    await db.exec("INSERT INTO ev VALUES (3, 'click', 12), (1, 'click', 13); FLUSH;");
    expect(await db.query('SELECT clicks, items FROM feat WHERE user_id = 3')).toEqual([['1', '1']]);
    expect(await db.query('SELECT clicks, items FROM feat WHERE user_id = 1')).toEqual([['2', '3']]);
    await db.exec('DELETE FROM ev WHERE user_id = 3; FLUSH;');
    expect(await db.query('SELECT clicks FROM feat WHERE user_id = 3')).toEqual([]);
  });

  it('leaves an MV without a key (global aggregate) to the scan', async () => {
    expect(await usesLookup('SELECT n FROM total WHERE n = 3')).toBe(false);
  });
});
