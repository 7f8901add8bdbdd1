/**
 * Differential test: random DML (NULLs, updates of grouping and join keys, deletes) against
 * tables read by a set of MVs; after each FLUSH every MV's contents must equal, as a bag,
 * the batch engine's answer to the MV's own query. A failure prints the statements so far
 * (a reproducer to paste into psql).
 */
import { describe, expect, it } from 'vitest';
import { openTestDb } from '../query/testing';
import { bag, rng } from './random-case';

const MVS: Record<string, string> = {
  mv_agg: 'select k, count(*) as c, count(v) as cv, sum(v) as s, min(v) as mi, max(v) as ma, count(distinct v) as cd, avg(v) as a from t group by k',
  mv_global: 'select count(*) as c, sum(v) as s, max(v) as m, min(k) as mk from t',
  mv_filter: 'select id, v + 1 as v1, k from t where v > 3 or k is null',
  mv_join: 'select t.id, t.v, u.w from t join u on t.k = u.k',
  mv_left: 'select u.w, u.k, t.v from u left join t on u.k = t.k',
  mv_full: 'select u.w, t.id from t full join u on t.k = u.k and t.v < u.w',
  mv_join_agg: 'select u.k, count(*) as n, sum(t.v) as s, max(u.w) as mw from t join u on t.k = u.k group by u.k',
  mv_top: 'select id, v from t order by v desc, id limit 3',
  mv_top_offset: 'select id, k from t order by k nulls first, id limit 2 offset 1',
  mv_distinct: 'select distinct k from t',
  mv_union: 'select k from t union all select k from u',
  mv_filter_agg: 'select k, sum(v) filter (where v > 2) as s from t group by k',
  mv_on_mv: 'select k, c * 2 as c2 from mv_agg where c > 1',
  mv_on_mv_agg: 'select count(*) as groups, sum(c) as rows from mv_agg',
  mv_group_top: 'select id, k, v, rn from (select *, row_number() over (partition by k order by v desc nulls last, id) as rn from t) where rn <= 2',
  mv_rank: 'select id, k from (select id, k, rank() over (partition by k order by v) as r from t) where r <= 1',
  mv_distinct_on: 'select distinct on (k) k, id, v from t order by k, v nulls first, id',
  mv_exists: 'select id, v from t where exists (select 1 from u where u.k = t.k and u.w > t.v)',
  mv_not_exists: 'select id from t where not exists (select 1 from u where u.k = t.k)',
  mv_in: 'select id from t where k in (select k from u)',
  mv_scalar_sub: 'select id, v from t where v >= (select avg(w) from u)',
  mv_except: 'select k from t except select k from u',
  mv_intersect: 'select k from t intersect select k from u',
  mv_srf: 'select id, generate_series(1, k) as g from t',
  mv_lag: 'select id, k, lag(v) over (partition by k order by id) as pv, sum(v) over (partition by k order by id) as rs from t',
  mv_win_frame: 'select id, avg(v) over (partition by k order by v nulls first, id rows between 1 preceding and current row) as a, count(*) over () as n from t',
  mv_not_in: 'select id from t where k not in (select k from u)',
  mv_not_in_w: 'select id, v from t where v not in (select w from u where w > 3)',
  // Two-phase by default (stateless local agg → global simple agg, to-stream-agg.ts).
  mv_global_2p: 'select count(*) as c, count(v) as cv, sum(v) as s, avg(v) as a, sum(id) filter (where v > 4) as sf from t',
};

/** Planned under `SET rw_force_two_phase_agg = true`: GROUP BY as stateless local → global hash agg. */
const FORCED_TWO_PHASE_MVS: Record<string, string> = {
  mv2_agg: 'select k, count(*) as c, count(v) as cv, sum(v) as s, avg(v) as a, sum(v) filter (where v > 4) as sf from t group by k',
  mv2_join_agg: 'select u.k, count(*) as n, sum(t.v) as s, avg(u.w) as aw from t join u on t.k = u.k group by u.k',
  mv2_expr_key: 'select k % 2 as p, sum(v * 2) as s, count(id) as c from t group by k % 2',
};

/**
 * Sinks into tables with a primary key: the table must hold exactly the query's rows
 * (fed by CREATE SINK … INTO, read back like any table).
 */
const SINKS: Record<string, { table: string; query: string }> = {
  sunk_filter: { table: 'id int primary key, k int, v int', query: 'select id, k, v from t where v > 2' },
  sunk_agg: { table: 'k int primary key, n bigint, s bigint', query: 'select k, count(*), sum(v) from t where k is not null group by k' },
};


/** Rows compared in total (guards against a test that compares only empty MVs). */
let comparedRows = 0;

async function runCase(seed: number, steps: number): Promise<void> {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const val = (n: number, nullRate = 0.15) => (r() < nullRate ? 'NULL' : String(int(n)));
  const db = await openTestDb();
  const log: string[] = [];
  const exec = async (sql: string) => {
    log.push(`${sql};`);
    await db.exec(sql);
  };
  try {
    await exec('create table t (id int primary key, k int, v int)');
    await exec('create table u (k int, w int)');
    // Some rows exist before the MVs (backfill), the rest arrive after.
    const ids = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const id = int(40);
      if (ids.has(id)) continue;
      ids.add(id);
      await exec(`insert into t values (${id}, ${val(5)}, ${val(10)})`);
    }
    await exec(`insert into u values (${val(5)}, ${val(10)}), (${val(5)}, ${val(10)})`);
    for (const [name, q] of Object.entries(MVS)) await exec(`create materialized view ${name} as ${q}`);
    await exec('set rw_force_two_phase_agg = true');
    for (const [name, q] of Object.entries(FORCED_TWO_PHASE_MVS)) await exec(`create materialized view ${name} as ${q}`);
    await exec('set rw_force_two_phase_agg = false');
    for (const [name, s] of Object.entries(SINKS)) {
      await exec(`create table ${name} (${s.table})`);
      await exec(`create sink ${name}_sink into ${name} as ${s.query}`);
    }
    for (let step = 0; step < steps; step++) {
      const op = int(10);
      if (op <= 2) {
        const rows: string[] = [];
        for (let i = 0, n = 1 + int(3); i < n; i++) {
          const id = int(40);
          if (ids.has(id)) continue;
          ids.add(id);
          rows.push(`(${id}, ${val(5)}, ${val(10)})`);
        }
        if (rows.length) await exec(`insert into t values ${rows.join(', ')}`);
      } else if (op === 3) await exec(`update t set k = ${val(5)} where id % 3 = ${int(3)}`);
      else if (op === 4) await exec(`update t set v = ${val(10)} where k = ${int(5)}`);
      else if (op === 5) {
        const id = [...ids][int(ids.size)];
        if (id !== undefined) {
          ids.delete(id);
          await exec(`delete from t where id = ${id}`);
        }
      } else if (op === 6) await exec(`insert into u values (${val(5)}, ${val(10)})`);
      else if (op === 7) await exec(`update u set k = ${val(5)} where w = ${int(10)}`);
      else if (op === 8) await exec(`delete from u where w = ${int(10)}`);
      else {
        await exec(`delete from t where v < ${int(3)}`);
        ids.clear();
        for (const [id] of await db.query('select id from t')) ids.add(Number(id));
      }
      if (step % 3 === 2 || step === steps - 1) {
        await exec('flush');
        for (const [name, q] of [...Object.entries(MVS), ...Object.entries(FORCED_TWO_PHASE_MVS)]) {
          const mv = bag(await db.query(`select * from ${name}`));
          const batch = bag(await db.query(q));
          comparedRows += mv.length;
          expect(mv, `seed ${seed}, MV ${name} after:\n${log.join('\n')}`).toEqual(batch);
        }
        for (const [name, s] of Object.entries(SINKS)) {
          expect(bag(await db.query(`select * from ${name}`)), `seed ${seed}, sink into ${name} after:\n${log.join('\n')}`).toEqual(bag(await db.query(s.query)));
        }
      }
    }
  } finally {
    await db.close();
  }
}

describe('streaming MVs vs the batch engine (differential)', () => {
  it('agree after every FLUSH over random DML', { timeout: 120_000 }, async () => {
    const budgetMs = 20_000;
    const start = Date.now();
    let cases = 0;
    for (let seed = 1; seed <= 40 && Date.now() - start < budgetMs; seed++) {
      await runCase(seed, 30);
      cases++;
    }
    expect(cases).toBeGreaterThan(0);
    expect(comparedRows).toBeGreaterThan(cases * 50);
  });
});
