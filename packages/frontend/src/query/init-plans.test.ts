import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from './testing';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
  await db.exec('create table t (x int); insert into t values (1), (2), (3)');
});

afterAll(async () => {
  await db?.close();
});

describe('uncorrelated subqueries run before the main plan', () => {
  it('give the same values as inline evaluation', async () => {
    expect(await db.query('select x, (select max(x) from t) from t where x > (select min(x) from t) order by x')).toEqual([
      ['2', '3'],
      ['3', '3'],
    ]);
    expect(await db.query('select x from t where x > all (select x from t where x < 3) order by x')).toEqual([['3']]);
    expect(await db.query('select exists (select 1 from t where x = 2), array(select x from t order by x)')).toEqual([['t', '{1,2,3}']]);
  });

  it('raise their errors only where the value is used', async () => {
    expect(await db.query('select case when x > 10 then (select 1 / 0) else x end from t order by 1')).toEqual([['1'], ['2'], ['3']]);
    expect(await db.sqlState('select (select 1 / 0) from t')).toBe('22012');
    expect(await db.sqlState('select (select x from t)')).toBe('21000');
  });

  it('still run inside correlated subqueries and DML', async () => {
    expect(await db.query('select x, (select count(*) from t u where u.x < t.x and u.x < (select max(x) from t)) from t order by x')).toEqual([
      ['1', '0'],
      ['2', '1'],
      ['3', '2'],
    ]);
    expect(await db.exec('delete from t where x = (select max(x) from t)')).toBe('DELETE 1');
    expect(await db.query('select count(*) from t')).toEqual([['2']]);
  });
});
