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
    expect(await db.sqlState('select x, (select y from u where y <= t.x) from t')).toBe('21000');
    expect(await db.sqlState('select x, (select 1 / (y - y) from u where y < t.x) from t')).toBe('22012');
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

describe('correlated subqueries in other operators are isolated into a Project or Filter', () => {
  const explain = async (sql: string) => (await db.query(`explain ${sql}`)).map((r) => r[0]).join('\n');

  it('aggregate arguments', async () => {
    const sql = 'select sum((select count(*) from u where u.y < t.x)), count(case when x > 1 then (select max(y) from u where u.y < t.x) end) from t';
    expect(await db.query(sql)).toEqual([['4', '2']]);
    expect(await explain(sql)).not.toMatch(/Agg \{[^\n]*Subquery/);
    // Under FILTER the argument is evaluated only for the rows the filter keeps: for x = 2
    // the subquery would fail (two rows).
    const filtered = 'select sum((select y from u where u.y = t.x)) filter (where x = 1), count(*) filter (where (select count(*) from u where u.y < t.x) > 0) from t';
    expect(await db.query(filtered)).toEqual([['1', '2']]);
    expect(await explain(filtered)).not.toMatch(/Agg \{[^\n]*Subquery/);
  });

  it('window keys and arguments', async () => {
    const sql = 'select x, row_number() over (order by (select count(*) from u where u.y < t.x) desc, x), sum((select count(*) from u where u.y < t.x)) over () from t order by x';
    expect(await db.query(sql)).toEqual([
      ['1', '3', '4'],
      ['2', '2', '4'],
      ['3', '1', '4'],
      ['NULL', '4', '4'],
    ]);
    expect(await explain(sql)).not.toMatch(/OverWindow \{[^\n]*Subquery/);
  });

  it('set-returning function arguments', async () => {
    expect(await db.query('select x, generate_series(1, (select count(*) from u where u.y < t.x)) from t where x >= 2 order by 1, 2')).toEqual([
      ['2', '1'],
      ['3', '1'],
      ['3', '2'],
      ['3', '3'],
    ]);
  });

  it('inner join conditions', async () => {
    const sql = 'select t.x, u.y from t join u on u.y = (select count(*) from u u2 where u2.y < t.x) order by 1, 2';
    expect(await db.query(sql)).toEqual([['2', '1']]);
    expect(await explain(sql)).not.toMatch(/Join \{[^\n]*Subquery/);
  });
});

describe('LIMIT / OFFSET from a subquery', () => {
  it('is evaluated when the plan runs, after the init plans', async () => {
    expect(await db.query('select x from t order by x limit (select count(*) from u where y = 2) offset (select min(y) from u)')).toEqual([['2'], ['3']]);
    expect(await db.sqlState('select x from t limit (select -1)')).toBe('22023');
  });
});

describe('ordering comparisons with ANY / ALL', () => {
  // Three-valued reference: compare with every element, then combine.
  const cmpOf: Record<string, (a: number, b: number) => boolean> = { '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b };
  const reference = (x: number | null, op: string, mode: 'any' | 'all', set: (number | null)[]): string => {
    const results = set.map((v) => (x === null || v === null ? null : cmpOf[op](x, v)));
    if (mode === 'any') return results.includes(true) ? 't' : results.includes(null) ? 'NULL' : 'f';
    return results.includes(false) ? 'f' : results.includes(null) ? 'NULL' : 't';
  };
  const sets: (number | null)[][] = [[], [2], [1, 3], [null], [2, null], [1, 2, 3, null], [3, 3, 1]];

  it('match element-wise three-valued logic', async () => {
    await db.exec('create table xs (x int); insert into xs values (0), (1), (2), (3), (4), (null)');
    const xs = [0, 1, 2, 3, 4, null];
    for (const set of sets) {
      const sub = set.length === 0 ? 'select 1 where false' : `values ${set.map((v) => `(${v ?? 'null::int'})`).join(', ')}`;
      for (const op of Object.keys(cmpOf)) {
        for (const mode of ['any', 'all'] as const) {
          const got = await db.query(`select x, x ${op} ${mode} (${sub}) from xs order by x`);
          const want = [...xs].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b)).map((x) => [x === null ? 'NULL' : String(x), reference(x, op, mode, set)]);
          expect(got, `x ${op} ${mode} (${set.join(',')})`).toEqual(want);
        }
      }
    }
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
