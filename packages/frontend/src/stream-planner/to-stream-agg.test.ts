import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb, openTestSession } from '../query/testing';
import { twoPhaseAggSettings } from './to-stream-agg';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('create table t (id int primary key, k int, v int)');
});
afterEach(() => db.close());

const explain = async (q: string) => (await db.query(`explain create materialized view m as ${q}`)).map((r) => String(r[0]));
const ops = (plan: string[]) => plan.map((l) => /(Stream\w+)/.exec(l)?.[1]);

describe('two-phase aggregation (RisingWave rule)', () => {
  it('a global count/sum/avg is a stateless local agg under the global simple agg', async () => {
    const plan = await explain('select count(*), sum(v), avg(v), count(v) filter (where v > 1) from t');
    expect(plan).toEqual([
      'StreamMaterialize { name: m, columns: [count, sum, avg, count], pk: [] }',
      '└─StreamProject { exprs: [agg_0, agg_1, agg_2, agg_3] }',
      '  └─StreamSimpleAgg { aggs: [sum0(count()), sum(sum(v)), avg(sum(v), count(v)), sum0(count(v) filter($expr1))] }',
      '    └─StreamStatelessSimpleAgg { aggs: [count(), sum(v), count(v) filter($expr1)] }',
      '      └─StreamProject { exprs: [v, greater_than(v, 1:int32)] }',
      '        └─StreamTableScan { table: t, columns: [id, k, v], stream_key: [id] }',
    ]);
  });

  it('min/max, DISTINCT and string_agg stay single-phase', async () => {
    for (const q of ['select count(*), max(v) from t', 'select count(distinct v) from t', "select string_agg(v::varchar, ',') from t"]) {
      const plan = ops(await explain(q));
      expect(plan, q).toContain('StreamSimpleAgg');
      expect(plan, q).not.toContain('StreamStatelessSimpleAgg');
    }
  });

  it('an input that is already one stream (a global agg below) keeps a single phase', async () => {
    await db.exec('create materialized view g as select k, count(*) as c from t group by k');
    expect(ops(await explain('select sum(c) from g'))).toContain('StreamStatelessSimpleAgg');
    const plan = ops(await explain('select sum(s) from (select sum(v) as s from t) x'));
    expect(plan.filter((o) => o === 'StreamStatelessSimpleAgg')).toHaveLength(1);
  });

  it('GROUP BY is two-phase only under rw_force_two_phase_agg, and not when grouped by the input key', async () => {
    expect(ops(await explain('select k, count(*), sum(v) from t group by k'))).not.toContain('StreamStatelessLocalHashAgg');
    await db.exec('set rw_force_two_phase_agg = true');
    const plan = await explain('select k, count(*), sum(v) from t group by k');
    expect(plan.slice(2, 5)).toEqual([
      '  └─StreamHashAgg { group_key: [k], aggs: [sum0(count()), sum(sum(v))] }',
      '    └─StreamStatelessLocalHashAgg { group_key: [k], aggs: [count(), sum(v)] }',
      '      └─StreamProject { exprs: [k, v] }',
    ]);
    expect(plan[0]).toContain('pk: [k]');
    expect(ops(await explain('select id, sum(v) from t group by id'))).not.toContain('StreamStatelessLocalHashAgg');
  });

  it('rw_enable_two_phase_agg = false plans every aggregate single-phase; forcing enables it again', async () => {
    await db.exec('set rw_enable_two_phase_agg = false');
    expect(ops(await explain('select count(*) from t'))).not.toContain('StreamStatelessSimpleAgg');
    // RisingWave's linked setters: forcing two-phase agg turns it back on.
    await db.exec('set rw_force_two_phase_agg = true');
    expect(await db.query('show rw_enable_two_phase_agg')).toEqual([['true']]);
    expect(ops(await explain('select k, count(*) from t group by k'))).toContain('StreamStatelessLocalHashAgg');
  });

  it('reads the session variables with RisingWave defaults', () => {
    expect(twoPhaseAggSettings(undefined)).toEqual({ enabled: true, forced: false });
    const vars: Record<string, string> = { rw_force_two_phase_agg: 'true' };
    expect(twoPhaseAggSettings((n) => vars[n])).toEqual({ enabled: true, forced: true });
  });

  it('a two-phase MV stays correct under inserts, updates and deletes', async () => {
    await db.exec('set rw_force_two_phase_agg = true');
    await db.exec('insert into t values (1, 1, 10), (2, 1, null), (3, 2, 5)');
    await db.exec('create materialized view g as select k, count(*) as c, sum(v) as s, avg(v) as a from t group by k');
    await db.exec('create materialized view s as select count(*) as c, sum(v) as s from t');
    await db.exec('update t set v = 7 where id = 2');
    await db.exec('update t set k = 2 where id = 1');
    await db.exec('delete from t where id = 3');
    await db.exec('flush');
    expect(await db.query('select * from g order by k')).toEqual(await db.query('select k, count(*), sum(v), avg(v) from t group by k order by k'));
    expect(await db.query('select * from s')).toEqual([['2', '17']]);
    await db.exec('delete from t');
    await db.exec('flush');
    expect(await db.query('select * from g')).toEqual([]);
    expect(await db.query('select * from s')).toEqual([['0', 'NULL']]);
  });
});

describe('two-phase aggregation across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-2p-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-plans each MV with the settings it was created with (the restored state fits)', async () => {
    const a = await openTestSession({ dataDir: dir });
    await a.run('create table t (id int primary key, k int, v bigint)');
    await a.run('insert into t values (1, 1, 10), (2, 1, 20), (3, 2, 5)');
    // sum(bigint) keeps a numeric accumulator when two-phase, a bigint one when not.
    await a.run('set rw_force_two_phase_agg = true');
    await a.run('create materialized view forced as select k, sum(v) as s, count(*) as c from t group by k');
    await a.run('set rw_enable_two_phase_agg = false');
    await a.run('create materialized view single as select sum(v) as s from t');
    await a.run('flush');
    await a.close();

    const b = await openTestSession({ dataDir: dir });
    await b.run('insert into t values (4, 2, 1)');
    await b.run('delete from t where id = 1');
    await b.run('flush');
    const num = (rows: unknown[][]) => rows.map((r) => r.map((x) => (x === null ? null : String(x))));
    expect(num(await b.run('select * from forced order by k'))).toEqual([
      ['1', '20', '1'],
      ['2', '6', '2'],
    ]);
    expect(num(await b.run('select * from single'))).toEqual([['26']]);
    await b.close();
  });
});
