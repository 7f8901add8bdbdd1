import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
  await db.exec(`
    create table s (g varchar, k int, v int);
    insert into s values ('a', 1, 10), ('a', 2, 20), ('b', 1, 5), ('b', 3, 5);
    create table w (p varchar, o int, v int);
    insert into w values ('x', 1, 10), ('x', 2, 20), ('x', 3, 20), ('x', 4, 5), ('y', 1, 7), ('y', 2, NULL);
  `);
});

afterAll(async () => {
  await db?.close();
});

const rows = async (sql: string) => (await db.query(sql)).map((r) => r.join(' '));

async function error(sql: string): Promise<{ code: string; message: string }> {
  try {
    await db.query(sql);
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`expected ${sql} to fail`);
}

describe('GROUPING()', () => {
  it('sets a bit for each argument not grouped in the row’s grouping set', async () => {
    expect(await rows('select g, k, sum(v), grouping(g, k), grouping(k) from s group by rollup (g, k) order by g, k')).toEqual([
      'a 1 10 0 0',
      'a 2 20 0 0',
      'a NULL 30 1 1',
      'b 1 5 0 0',
      'b 3 5 0 0',
      'b NULL 10 1 1',
      'NULL NULL 40 3 1',
    ]);
  });

  it('works in HAVING and is 0 under a plain GROUP BY', async () => {
    expect(await rows('select k, count(*) from s group by cube (g, k) having grouping(g) = 1 and grouping(k) = 0 order by k')).toEqual(['1 2', '2 1', '3 1']);
    expect(await rows('select g, grouping(g) from s group by g order by g')).toEqual(['a 0', 'b 0']);
  });

  it('rejects arguments that are not grouping expressions, and use outside aggregation', async () => {
    expect((await error('select grouping(v) from s group by g')).code).toBe('42803');
    expect((await error('select grouping(g) from s')).code).toBe('42803');
    expect((await error('select g from s where grouping(g) = 0 group by g')).message).toBe('grouping operations are not allowed in WHERE');
  });
});

describe('RETURNING', () => {
  it('returns the written rows of INSERT, UPDATE and DELETE with the usual tags', async () => {
    await db.exec('create table t (id int, name varchar, score int default 10)');
    expect(await rows("insert into t (id, name) values (1, 'a'), (2, 'b') returning id, score + 1")).toEqual(['1 11', '2 11']);
    expect(await rows("insert into t values (3, 'c', 30) returning *")).toEqual(['3 c 30']);
    expect(await rows('update t set score = score * 2 where id >= 2 returning id, score')).toEqual(['2 20', '3 60']);
    expect(await rows('delete from t where id = 1 returning name')).toEqual(['a']);
    expect(await db.exec("insert into t values (4, 'd', 1) returning id")).toBe('INSERT 0 1');
    expect(await db.exec('update t set score = 0 returning id')).toBe('UPDATE 3');
    expect(await db.exec('delete from t returning id')).toBe('DELETE 3');
  });
});

describe('window frames', () => {
  it('honours ROWS frames for aggregates and first/last_value', async () => {
    expect(
      await rows(
        'select p, o, sum(v) over (partition by p order by o rows between 1 preceding and 1 following), last_value(v) over (partition by p order by o rows between unbounded preceding and unbounded following) from w order by p, o',
      ),
    ).toEqual(['x 1 30 5', 'x 2 50 5', 'x 3 45 5', 'x 4 25 5', 'y 1 7 NULL', 'y 2 7 NULL']);
  });

  it('defaults to RANGE UNBOUNDED PRECEDING .. CURRENT ROW, peers included', async () => {
    expect(await rows("select o, sum(v) over (order by v), last_value(o) over (order by v) from w where p = 'x' and o <> 3 order by o")).toEqual([
      '1 15 1',
      '2 35 2',
      '4 5 4',
    ]);
    expect(await rows("select o, sum(o) over (order by v) from w where p = 'x' order by o")).toEqual(['1 5', '2 10', '3 10', '4 4']);
  });

  it('supports GROUPS frames and EXCLUDE', async () => {
    expect(
      await rows("select o, sum(v) over (order by v groups between 1 preceding and current row), sum(v) over (order by o rows between unbounded preceding and unbounded following exclude current row) from w where p = 'x' order by o"),
    ).toEqual(['1 15 45', '2 50 35', '3 50 35', '4 5 50']);
  });

  it('rejects invalid frames', async () => {
    expect((await error('select sum(v) over (order by o rows between 1 following and current row) from w')).code).toBe('42601');
    expect((await error('select sum(v) over (order by o rows -1 preceding) from w')).code).toBe('22013');
  });
});
