import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb, openTestFrontend } from '../query/testing';

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

describe('stream planner: unsupported constructs', () => {
  it.each([
    ['select id from t where v > (select max(v) from t)', /subqueries/],
    ['select id, rank() over (order by v) from t', /window functions/],
    ['select id from t where exists (select 1 from w where w.k = t.k)', /not yet implemented/],
    ['select * from t where v < extract(epoch from now())', /now\(\)/],
    ['select k from t intersect select k from w', /INTERSECT/],
    ['select * from generate_series(1, 3)', /table functions/],
    ['select * from pg_catalog.pg_class', /not yet implemented/],
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

  async function open() {
    const opened = await openTestFrontend({ dataDir: dir });
    const session = await opened.frontend.connect({ user: 'root', database: 'dev', params: {} });
    const run = async (sql: string) => {
      const out: unknown[][] = [];
      for (const portal of await session.simpleQuery(sql)) out.push(...(await portal.execute(0)).rows);
      return out;
    };
    return {
      run,
      close: async () => {
        session.close();
        await opened.close();
      },
    };
  }

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
