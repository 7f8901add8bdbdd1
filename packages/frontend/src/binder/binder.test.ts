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

describe('RisingWave dialect and error chains', () => {
  it('types untyped set-operation outputs from the other side', async () => {
    expect(await rows('select 1 union all select null')).toEqual(['1', 'NULL']);
    expect(await rows("select 1 union select '2' order by 1")).toEqual(['1', '2']);
    expect(await rows('select 1.5 union all (select null limit 1)')).toEqual(['1.5', 'NULL']);
  });

  it('matches set-operation columns by name with CORRESPONDING [BY]', async () => {
    await db.exec('create table c1 (v1 int, v2 int, v4 int); create table c2 (v1 int, v3 int, v4 int); insert into c1 values (1, 2, 3); insert into c2 values (1, 2, 3)');
    expect(await rows('select * from c1 union all corresponding select * from c2')).toEqual(['1 3', '1 3']);
    expect(await rows('select * from c1 union corresponding by (v4, v1) select * from c2')).toEqual(['3 1']);
    expect(await rows('select * except (v2) from c1')).toEqual(['1 3']);
  });

  it('gives untyped literals in ROW(…) the target struct field types', async () => {
    await db.exec('create table st (a timestamptz[], b struct<x timestamptz, y int>)');
    await db.exec("insert into st values (array['2022-10-01 12:00:00+01:00'::timestamptz], row('2022-10-01 12:01:00+01:00', '7'))");
    expect(await rows('select a[1], (b).x, (b).y from st')).toEqual(['2022-10-01 11:00:00+00:00 2022-10-01 11:01:00+00:00 7']);
  });

  it('names only the column in ambiguity errors', async () => {
    expect((await error('with cte as (select 1 as col, 2 as col) select cte.col from cte')).message).toBe('column reference "col" is ambiguous');
  });

  it('records RisingWave error context for LIMIT and multi-column UPDATE casts', async () => {
    const neg = (await error("select * from generate_series(0, 3) limit '-2'")) as { message: string; context?: string[] };
    expect(neg.message).toBe('LIMIT must not be negative, but found: -2');
    expect(neg.context).toEqual(['Expr error']);
    await db.exec('create table u2 (v1 int, v2 int)');
    const cast = (await error("update u2 set (v1, v2) = (select '888.88' s1, 999 s2)")) as { message: string; context?: string[] };
    expect(cast.message).toBe('cannot cast type "character varying" to "integer" in Assign context');
    expect(cast.context).toEqual(['cannot cast type "struct<s1 character varying, s2 integer>" to "struct<v1 integer, v2 integer>"', 'cannot cast struct field "s1" to struct field "v1"']);
    const anon = (await error("update u2 set (v1, v2) = (select '888.88', 999)")) as { context?: string[] };
    expect(anon.context?.[0]).toBe('cannot cast type "record" to "struct<v1 integer, v2 integer>"');
  });
});
