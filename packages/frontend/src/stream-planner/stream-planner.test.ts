import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb, openTestSession } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('create table t (id int primary key, k int, v int)');
  await db.exec('create table n (a int, b varchar)'); // no pk: hidden _row_id
  await db.exec('create table w (k bigint, x int)');
});
afterEach(() => db.close());

const explain = async (q: string) => (await db.query(`explain create materialized view m as ${q}`)).map((r) => r[0]);

describe('stream planner: stream keys', () => {
  it('a table without a primary key is keyed by its hidden _row_id, carried through projections', async () => {
    const plan = await explain('select b from n');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [b, _row_id(hidden)], pk: [_row_id] }');
    expect(plan.at(-1)).toContain('StreamTableScan { table: n, columns: [a, b, _row_id], stream_key: [_row_id] }');
  });

  it('a pk column the query does not read is read anyway as a hidden key column', async () => {
    const plan = await explain('select v from t where k > 1');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [v, id(hidden)], pk: [id] }');
    expect(plan.some((l) => l.includes('StreamFilter { predicate: greater_than(k, 1:int32) }'))).toBe(true);
  });

  it('GROUP BY is keyed by the group key; a global aggregate has the empty key', async () => {
    expect((await explain('select k, sum(v) from t group by k'))[0]).toContain('pk: [k]');
    const simple = await explain('select count(*), max(v) from t');
    expect(simple[0]).toContain('pk: []');
    expect(simple.some((l) => l.includes('StreamSimpleAgg { aggs: [count(), max(v)] }'))).toBe(true);
  });

  it('aggregate arguments and FILTER are projected upstream of the agg', async () => {
    const plan = await explain('select k, sum(v + 1) filter (where v > 2) from t group by k');
    const agg = plan.findIndex((l) => l.includes('StreamHashAgg'));
    expect(plan[agg]).toMatch(/aggs: \[sum\(\$expr1\) filter\(\$expr2\)\]/);
    expect(plan[agg + 1]).toContain('StreamProject { exprs: [k, add(v, 1:int32), greater_than(v, 2:int32)] }');
  });

  it('a join is keyed by both sides’ keys, and casts its keys to one type on both sides', async () => {
    const plan = await explain('select t.v, w.x from t join w on t.k = w.k');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [v, x, id(hidden), _row_id(hidden)], pk: [id, _row_id] }');
    const join = plan.find((l) => l.includes('StreamHashJoin'))!;
    expect(join).toContain('type: Inner');
    expect(join).toContain('stream_key: [id, _row_id]');
    // int = bigint: the int side's key is projected as a bigint column.
    expect(plan.some((l) => l.includes('StreamProject { exprs: [id, k, v, k::int64] }'))).toBe(true);
  });

  it('a join whose equality covers one side’s key is keyed by the other side alone', async () => {
    await db.exec('create materialized view a as select k, count(*) as n from t group by k');
    await db.exec('create materialized view b as select k, sum(v) as s from t group by k');
    // LEFT JOIN USING (k) of two per-k MVs: one row per a.k, looked up by k.
    expect((await explain('select k, n, s from a left join b using (k)'))[0]).toContain('pk: [k]');
    expect((await explain('select a.k, n, s from a join b on a.k = b.k'))[0]).toContain('pk: [k]');
    // A RIGHT JOIN keeps b's rows: keyed by b's key. A FULL JOIN needs both.
    expect((await explain('select b.k, n from a right join b on a.k = b.k'))[0]).toContain('columns: [k, n], pk: [k]');
    expect((await explain('select a.k, b.k as bk from a full join b on a.k = b.k'))[0]).toContain('pk: [k, bk]');
    // Equality on a non-key column of b: b may match many rows, so both keys stay.
    expect((await explain('select t.id, b.k from t join b on t.v = b.s'))[0]).toContain('pk: [id, k]');
    await db.exec('insert into t values (1, 1, 10), (2, 1, 5), (3, 2, 7)');
    await db.exec('create materialized view ab as select k, n, s from a left join b using (k)');
    await db.exec('update t set k = 3 where id = 3');
    await db.exec('flush');
    expect(await db.query('select * from ab order by k')).toEqual([
      ['1', '2', '15'],
      ['3', '1', '7'],
    ]);
  });

  it('IS NOT DISTINCT FROM is a hash key on which NULL matches NULL, in every join type', async () => {
    await db.exec('create table u (k int, s varchar)');
    await db.exec("insert into t values (1, NULL, 10), (2, 1, 20), (3, 2, 30)");
    await db.exec("insert into u values (NULL, 'n'), (1, 'one'), (3, 'three')");
    const plan = await explain('select t.id, u.s from t join u on t.k is not distinct from u.k and t.v = u.k');
    expect(plan.some((l) => l.includes('predicate: [k IS NOT DISTINCT FROM k AND v = k]'))).toBe(true);
    await db.exec('create materialized view nj as select t.id, u.s from t join u on t.k is not distinct from u.k');
    await db.exec('create materialized view nf as select t.id, u.s from t full join u on u.k is not distinct from t.k and t.v > 0');
    await db.exec('flush');
    expect(await db.query('select * from nj order by id')).toEqual([
      ['1', 'n'],
      ['2', 'one'],
    ]);
    expect(await db.query('select * from nf order by id, s')).toEqual([
      ['1', 'n'],
      ['2', 'one'],
      ['3', 'NULL'],
      ['NULL', 'three'],
    ]);
    // Keys change both ways through NULL.
    await db.exec('update t set k = 3 where id = 1');
    await db.exec('update t set k = NULL where id = 3');
    await db.exec('flush');
    expect(await db.query('select * from nj order by id')).toEqual([
      ['1', 'three'],
      ['2', 'one'],
      ['3', 'n'],
    ]);
    // Plain `=` still never matches NULL.
    await db.exec('create materialized view ej as select t.id, u.s from t join u on t.k = u.k');
    await db.exec('flush');
    expect(await db.query('select * from ej order by id')).toEqual([
      ['1', 'three'],
      ['2', 'one'],
    ]);
  });

  it('ORDER BY … LIMIT becomes a top-N keyed by the input key', async () => {
    const plan = await explain('select id, v from t order by v desc limit 3 offset 1');
    expect(plan.some((l) => l.includes('StreamTopN { order: [v DESC], limit: 3, offset: 1 }'))).toBe(true);
    expect(plan[0]).toContain('pk: [id]');
  });

  it('DISTINCT is keyed by every column; UNION ALL by a branch number and each branch key', async () => {
    expect((await explain('select distinct k from t'))[0]).toContain('pk: [k]');
    expect((await explain('select k from t union all select a from n'))[0]).toBe(
      'StreamMaterialize { name: m, columns: [k, $src(hidden), id(hidden), _row_id(hidden)], pk: [$src, id, _row_id] }',
    );
  });
});

describe('stream planner: time, ranking and subqueries', () => {
  it('NOW() comparisons become one temporal filter per value (BETWEEN: both bounds)', async () => {
    await db.exec('create table e (id int primary key, ts timestamptz)');
    const plan = await explain("select id from e where ts between now() - interval '1 hour' and now() and id > 0");
    expect(plan.some((l) => l.includes('StreamTemporalFilter { predicate: ts >= subtract(now(), 01:00:00:interval) AND ts <= now() }'))).toBe(true);
    expect(plan.some((l) => l.includes('StreamFilter { predicate: greater_than(id, 0:int32) }'))).toBe(true);
  });

  it('row_number() <= N is a group top-N carrying the rank; DISTINCT ON a group top-1', async () => {
    const plan = await explain('select k, v, rn from (select *, row_number() over (partition by k order by v desc) as rn from t) where rn <= 2');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [k, v, rn, id(hidden)], pk: [id] }');
    expect(plan.some((l) => l.includes('StreamGroupTopN { order: [v DESC], limit: 2, offset: 0, group_key: [k] }'))).toBe(true);
    const on = await explain('select distinct on (k) k, v from t order by k, v');
    expect(on.some((l) => l.includes('StreamGroupTopN { order: [k ASC, v ASC], limit: 1, offset: 0, group_key: [k] }'))).toBe(true);
  });

  it('a top-N over an inner join of append-only inputs is append-only (keeps only its top rows); over an outer join it is not', async () => {
    await db.exec('create table a (id int, p int) append only');
    await db.exec('create table b (aid int, price int) append only');
    const inner = await explain('select id, price from (select a.id, b.price, row_number() over (partition by a.id order by b.price desc) as rn from a join b on a.id = b.aid) where rn <= 1');
    expect(inner.some((l) => l.includes('StreamAppendOnlyGroupTopN { order: [price DESC], limit: 1, offset: 0, group_key: [id] }'))).toBe(true);
    const outer = await explain('select id, price from (select a.id, b.price, row_number() over (partition by a.id order by b.price desc) as rn from a left join b on a.id = b.aid) where rn <= 1');
    expect(outer.some((l) => l.includes('StreamGroupTopN { order: [price DESC], limit: 1, offset: 0, group_key: [id] }'))).toBe(true);
    // The results match the batch engine's as rows arrive.
    await db.exec('create materialized view top_bid as select id, price from (select a.id, b.price, row_number() over (partition by a.id order by b.price desc) as rn from a join b on a.id = b.aid) where rn <= 1');
    await db.exec('insert into a values (1, 0), (2, 0)');
    await db.exec('insert into b values (1, 5), (1, 9), (2, 3)');
    await db.exec('flush');
    await db.exec('insert into b values (1, 7), (2, 8), (1, 10)');
    await db.exec('flush');
    expect(await db.query('select * from top_bid order by id')).toEqual([
      ['1', '10'],
      ['2', '8'],
    ]);
  });

  it('EXISTS is a semi join keyed by the left side; `v > (subquery)` a dynamic filter', async () => {
    const semi = await explain('select id from t where exists (select 1 from w where w.k = t.k)');
    expect(semi[0]).toBe('StreamMaterialize { name: m, columns: [id], pk: [id] }');
    expect(semi.some((l) => l.includes('StreamHashJoin { type: Semi'))).toBe(true);
    const scalar = await explain('select id from t where v > (select max(x) from w)');
    expect(scalar.some((l) => l.includes('StreamDynamicFilter { predicate: v > $subquery, stream_key: [id] }'))).toBe(true);
    // Other uses of the value: the one-row side joined on a constant key.
    const other = await explain('select id from t where v = (select max(x) from w)');
    expect(other.some((l) => l.includes('StreamHashJoin { type: Inner, predicate: [$key'))).toBe(true);
  });

  it('a scalar subquery in the select list is a one-row side left-joined on a constant key', async () => {
    const plan = await explain('select id, (select max(x) from w) as mx from t');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [id, mx], pk: [id] }');
    expect(plan.some((l) => l.includes('StreamHashJoin { type: Left, predicate: [$key'))).toBe(true);
    await db.exec('insert into t values (1, 1, 10), (2, 2, 20)');
    await db.exec('create materialized view sq as select id, v + (select max(x) from w) as s, (select x from w where k = 7 order by x limit 1) as seven from t');
    await db.exec('flush');
    // No row in w: max() is NULL, and a subquery with no row is NULL too.
    expect(await db.query('select * from sq order by id')).toEqual([
      ['1', 'NULL', 'NULL'],
      ['2', 'NULL', 'NULL'],
    ]);
    await db.exec('insert into w values (7, 5), (8, 3)');
    await db.exec('flush');
    expect(await db.query('select * from sq order by id')).toEqual([
      ['1', '15', '5'],
      ['2', '25', '5'],
    ]);
    // The subquery's value changes: every row follows.
    await db.exec('update w set x = 1 where k = 7');
    await db.exec('flush');
    expect(await db.query('select * from sq order by id')).toEqual([
      ['1', '13', '1'],
      ['2', '23', '1'],
    ]);
  });
});

describe('stream planner: unsupported constructs', () => {
  it.each([
    ['select id from t where v not in (select x from w where w.k = t.k)', /subqueries/],
    ['select id from t where v > (select k from w)', /several rows/],
    ['select id, (select k from w) from t', /several rows/],
    ['select t.id from t, w where t.v < w.k', /cross join/],
    ['select id, now() from t', /now\(\) in a materialized view outside a temporal filter/],
    ['select id from t where v > 1 or now() > now() - interval \'1 hour\'', /now\(\)/],
    ['select k from t intersect all select k from w', /INTERSECT ALL/],
    ['select * from generate_series(1, 3) with ordinality', /ORDINALITY/],
    ['select * from pg_catalog.pg_class', /not yet implemented/],
    ['select t.id, w.k from t join w for system_time as of proctime() on t.v = w.k', /primary key/],
    ['select u.id from w right join t for system_time as of proctime() u on u.id = w.x', /temporal join of type RIGHT/],
    ['select t.id from t for system_time as of proctime()', /FOR SYSTEM_TIME AS OF PROCTIME\(\) other than/],
    ['with v as (select * from w) select t.id from t join v for system_time as of proctime() on t.k = v.k', /on a view or a WITH query/],
  ])('%s → 0A000', async (q, msg) => {
    const err = await db.exec(`create materialized view m as ${q}`).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).toBe('0A000');
    expect(err.message).toMatch(msg);
    // Nothing is left behind by a failed CREATE.
    expect(await db.query('show materialized views')).toEqual([]);
  });
});

describe('materialized views across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-mv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => openTestSession({ dataDir: dir });

  it('rebuilds every MV from its definition, in dependency order, and keeps following DML', async () => {
    const a = await open();
    await a.run('create table t (id int primary key, k int)');
    await a.run('insert into t values (1, 1), (2, 1), (3, 2)');
    await a.run('create materialized view c as select k, count(*) as n from t group by k');
    await a.run('create materialized view c2 as select sum(n) as total from c');
    await a.close();

    const b = await open();
    expect(await b.run('select * from c order by k')).toEqual([
      [1, 2n],
      [2, 1n],
    ]);
    await b.run('insert into t values (4, 2)');
    await b.run('flush');
    expect(await b.run('select * from c order by k')).toEqual([
      [1, 2n],
      [2, 2n],
    ]);
    expect((await b.run('select * from c2')).map((r) => String(r[0]))).toEqual(['4']);
    await b.close();
  });
});
