import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb();
  await db.exec(`
    create table a (x int, y int);
    create table b (y int, z int);
    create table c (x int, w int);
    insert into a values (1, 10), (2, 20), (3, 30), (4, NULL), (NULL, 10);
    insert into b values (10, 100), (10, 101), (20, 200), (NULL, 300);
    insert into c values (1, 100), (2, 200), (3, 999), (NULL, 101);
  `);
});

afterAll(async () => {
  await db?.close();
});

const plan = async (sql: string) => (await db.query(`explain ${sql}`)).map((r) => r[0]).join('\n');
const rows = async (sql: string) => (await db.query(sql)).map((r) => r.join(' ')).sort();

describe('predicate pushdown and join ordering', () => {
  it('turns WHERE equalities over a comma join into hash joins without a cross product', async () => {
    // FROM order a, b, c with a–c and c–b conditions: a and b are not joined directly.
    const sql = 'select a.x, b.z, c.w from a, b, c where a.x = c.x and c.w = b.z and a.y > 5';
    const p = await plan(sql);
    expect(p).not.toContain('NestedLoop');
    expect(p.match(/BatchHashJoin/g)).toHaveLength(2);
    expect(await rows(sql)).toEqual(['1 100 100', '2 200 200']);
  });

  it('moves single-table conjuncts below the join', async () => {
    const p = await plan('select * from a, b where a.y = b.y and b.z > 100 and a.x < 3');
    const lines = p.split('\n');
    const join = lines.findIndex((l) => l.includes('BatchHashJoin'));
    const filters = lines.map((l, i) => (l.includes('BatchFilter') ? i : -1)).filter((i) => i >= 0);
    expect(filters).toHaveLength(2);
    expect(filters.every((i) => i > join)).toBe(true);
    expect(await rows('select a.x, b.z from a, b where a.y = b.y and b.z > 100 and a.x < 3')).toEqual(['1 101', '2 200']);
  });

  it('pulls conjuncts shared by every OR branch out as join keys', async () => {
    const sql = 'select a.x, b.z from a, b where (a.y = b.y and b.z = 100) or (a.y = b.y and a.x = 2)';
    expect(await plan(sql)).not.toContain('NestedLoop');
    expect(await rows(sql)).toEqual(['1 100', '2 200', 'NULL 100']);
  });

  it('treats a LEFT JOIN whose right side a filter rejects NULLs for as an inner join', async () => {
    const sql = 'select a.x, b.z from a left join b on a.y = b.y where b.z > 100';
    expect(await plan(sql)).toContain('type: Inner');
    expect(await rows(sql)).toEqual(['1 101', '2 200', 'NULL 101']);
    // IS NULL keeps the unmatched rows: must stay an outer join.
    expect(await rows('select a.x from a left join b on a.y = b.y where b.z is null')).toEqual(['3', '4']);
  });

  it('keeps filters on the null-extended side of an outer join above it', async () => {
    expect(await rows('select a.x, b.z from a left join b on a.y = b.y and b.z > 100')).toEqual(['1 101', '2 200', '3 NULL', '4 NULL', 'NULL 101']);
  });

  it('pushes filters through projections and group keys', async () => {
    const sql = 'select * from (select y, count(*) as n from a group by y) t where y = 10';
    const p = await plan(sql);
    expect(p.indexOf('BatchFilter')).toBeGreaterThan(p.indexOf('BatchHashAgg'));
    expect(await rows(sql)).toEqual(['10 2']);
    // A filter on an aggregate result stays above the aggregation.
    expect(await rows('select * from (select y, count(*) as n from a group by y) t where n = 1')).toEqual(['20 1', '30 1', 'NULL 1']);
  });

  it('does not move volatile predicates', async () => {
    expect(await plan('select * from a, b where a.y = b.y and random() < 2')).toMatch(/BatchFilter \{ predicate: less_than\(random\(\)/);
  });
});

describe('projection merging', () => {
  it('collapses stacked projections, but never duplicates a computed expression', async () => {
    const p = await plan('select a.x, c.w from a, b, c where a.x = c.x and c.w = b.z');
    expect(p.match(/BatchProject/g)).toHaveLength(1);
    const twice = 'select s + s from (select x * 2 as s from a) t';
    expect((await plan(twice)).match(/BatchProject/g)).toHaveLength(2);
    expect(await rows(twice)).toEqual(['12', '4', '8', 'NULL', '16'].sort());
  });
});

describe('subquery decorrelation', () => {
  it('turns correlated EXISTS and NOT EXISTS into semi and anti joins', async () => {
    const ex = 'select x from a where exists (select 1 from b where b.y = a.y and b.z > 100)';
    expect(await plan(ex)).toContain('LeftSemi');
    expect(await rows(ex)).toEqual(['1', '2', 'NULL']);
    const nex = 'select x from a where not exists (select 1 from b where b.y = a.y and b.z > 100)';
    expect(await plan(nex)).toContain('LeftAnti');
    expect(await rows(nex)).toEqual(['3', '4']);
  });

  it('turns IN (subquery) into a semi join, correlated or not', async () => {
    const sql = 'select x from a where y in (select y from b)';
    expect(await plan(sql)).toContain('LeftSemi');
    expect(await rows(sql)).toEqual(['1', '2', 'NULL']);
    const corr = 'select x from a where y in (select b.y from b where b.z = a.x * 100)';
    expect(await plan(corr)).toContain('LeftSemi');
    expect(await rows(corr)).toEqual(['1', '2']);
  });

  it('keeps NOT IN three-valued (a NULL in the subquery rejects every row)', async () => {
    expect(await rows('select x from a where y not in (select y from b)')).toEqual([]);
    expect(await rows('select x from a where y not in (select y from b where y is not null)')).toEqual(['3']);
  });

  it('turns a correlated scalar aggregate into a left join with a grouped aggregate', async () => {
    const sql = 'select a.x, (select max(z) + 1 from b where b.y = a.y) as m from a';
    const p = await plan(sql);
    expect(p).toContain('LeftOuter');
    expect(p).not.toContain('Subquery');
    expect(await rows(sql)).toEqual(['1 102', '2 201', '3 NULL', '4 NULL', 'NULL 102']);
    const where = 'select x from a where x * 100 < (select max(z) from b where b.y = a.y)';
    expect(await rows(where)).toEqual(['1']);
  });

  it('leaves count() subqueries row-wise: no group must still give 0, not NULL', async () => {
    const sql = 'select a.x, (select count(*) from b where b.y = a.y) from a';
    expect(await plan(sql)).toContain('Subquery(scalar)');
    expect(await rows(sql)).toEqual(['1 2', '2 1', '3 0', '4 0', 'NULL 2']);
  });

  it('decorrelates subqueries nested inside a semi join input', async () => {
    const sql = 'select x from a where y in (select b.y from b where b.z = (select max(c.w) from c where c.x * 100 = b.z))';
    expect(await rows(sql)).toEqual(['1', '2', 'NULL']);
  });
});
