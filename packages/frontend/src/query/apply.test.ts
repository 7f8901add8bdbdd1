import { SqlError, SqlState } from '@freshet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from './testing';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
  await db.exec('create table t (x int); insert into t values (1), (2), (3), (null)');
  await db.exec('create table u (y int); insert into u values (1), (2), (2), (null)');
});

afterAll(async () => {
  await db?.close();
});

async function failure(sql: string): Promise<string> {
  try {
    await db.query(sql);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'ok';
}

describe('correlated subqueries the optimizer keeps (run by ApplyExecutor)', () => {
  it('scalar count(*) with a non-equality correlation, in a projection', async () => {
    expect(await db.query('select x, (select count(*) from u where u.y < t.x) from t order by x')).toEqual([
      ['1', '0'],
      ['2', '1'],
      ['3', '3'],
      ['NULL', '0'],
    ]);
  });

  it('EXISTS, IN, NOT IN and ALL in a projection, three-valued', async () => {
    expect(await db.query('select x, exists (select 1 from u where u.y > t.x) from t order by x')).toEqual([
      ['1', 't'],
      ['2', 'f'],
      ['3', 'f'],
      ['NULL', 'f'],
    ]);
    expect(await db.query('select x, x in (select y from u where y is null or y >= t.x) from t order by x')).toEqual([
      ['1', 't'],
      ['2', 't'],
      ['3', 'NULL'],
      ['NULL', 'NULL'],
    ]);
    expect(await db.query('select x, x not in (select y from u where y <= t.x and y is not null) from t order by x')).toEqual([
      ['1', 'f'],
      ['2', 'f'],
      ['3', 't'],
      ['NULL', 't'],
    ]);
    expect(await db.query('select x, x not in (select y from u where y is null or y < t.x) from t order by x')).toEqual([
      ['1', 'NULL'],
      ['2', 'NULL'],
      ['3', 'NULL'],
      ['NULL', 'NULL'],
    ]);
    expect(await db.query('select x, x >= all (select y from u where y < t.x + 1 and y is not null) from t order by x')).toEqual([
      ['1', 't'],
      ['2', 't'],
      ['3', 't'],
      ['NULL', 't'],
    ]);
    expect(await db.query('select x, array(select y from u where y <= t.x order by y) from t order by x')).toEqual([
      ['1', '{1}'],
      ['2', '{1,2,2}'],
      ['3', '{1,2,2}'],
      ['NULL', '{}'],
    ]);
  });

  it('in a filter, combined with other conditions', async () => {
    expect(await db.query('select x from t where x > 1 and (select count(*) from u where u.y < t.x) > 1 order by x')).toEqual([['3']]);
    expect(await db.query('select x from t where x = 1 or exists (select 1 from u where u.y > t.x) order by x')).toEqual([['1']]);
    expect(await db.query('select x from t where not exists (select 1 from u where u.y >= t.x) order by x')).toEqual([['3'], ['NULL']]);
  });

  it('nested: a correlated subquery inside a correlated subquery, reading both outer rows', async () => {
    expect(
      await db.query('select x, (select count(*) from u where u.y <= t.x and exists (select 1 from t t2 where t2.x > u.y and t2.x <= t.x)) from t order by x'),
    ).toEqual([
      ['1', '0'],
      ['2', '1'],
      ['3', '3'],
      ['NULL', '0'],
    ]);
  });

  it('errors only where the subquery is evaluated, and cardinality is checked', async () => {
    expect(await db.query('select x, case when x > 2 then (select y from u where y < t.x) else 0 end from t where x < 3 order by x')).toEqual([
      ['1', '0'],
      ['2', '0'],
    ]);
    expect(await failure('select x, (select y from u where y <= t.x) from t')).toBe('21000');
    expect(await failure('select x, (select 1 / (y - y) from u where y < t.x) from t')).toBe('22012');
  });

  it('under a LIMIT that stops early, the next statement still sees correct outer rows', async () => {
    expect(await db.query('select x, (select count(*) from u where u.y < t.x) from t order by x limit 1')).toEqual([['1', '0']]);
    expect(await db.query('select (select count(*) from u where u.y < t.x) from t where x = 3')).toEqual([['3']]);
  });

  it('in DML', async () => {
    await db.exec('create table d (x int); insert into d values (1), (2), (3)');
    expect(await db.exec('delete from d where (select count(*) from u where u.y < d.x) >= 1')).toBe('DELETE 2');
    expect(await db.query('select x from d')).toEqual([['1']]);
  });
});

describe('a long correlated subquery', () => {
  it('lets the event loop run and stops on cancellation', async () => {
    let cancelled = false;
    const cancel = {
      get cancelled() {
        return cancelled;
      },
      throwIfCancelled() {
        if (cancelled) throw new SqlError(SqlState.QueryCanceled, 'canceling statement due to user request');
      },
    };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    setTimeout(() => (cancelled = true), 200);
    const run = db.runCancellable('select g, (select count(*) from generate_series(1, 50000000) as h where h > g) from generate_series(1, 3) as g', cancel);
    await expect(run).rejects.toMatchObject({ code: SqlState.QueryCanceled });
    clearInterval(timer);
    expect(performance.now() - t0).toBeLessThan(2000);
    // Timers fired while the statement ran: the event loop was not blocked.
    expect(ticks).toBeGreaterThan(2);
  });
});
