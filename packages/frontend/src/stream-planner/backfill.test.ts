/**
 * CREATE MATERIALIZED VIEW over a table that other sessions keep changing: the backfill
 * runs in time slices, so their DML interleaves with it, and none of it may be lost or
 * counted twice. Cancelling the CREATE removes the half-built MV.
 */
import { SqlError, formatDatum } from '@freshet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestFrontend, openTestFrontend } from '../query/testing';
import type { FrontendSession } from '../session/session';

let db: TestFrontend;
/** What the engine logged (the server log at info level). */
let logged: string[];
beforeEach(async () => {
  logged = [];
  db = await openTestFrontend({ frontend: { log: (m) => logged.push(m), streaming: { backfillLogIntervalMs: 1 } } });
});
afterEach(() => db.close());

async function connect(): Promise<FrontendSession> {
  return (await db.frontend.connect({ user: 'root', database: 'dev', params: {} })) as FrontendSession;
}

/** Rows of the last statement of `sql`, as sorted text lines. */
async function run(s: FrontendSession, sql: string): Promise<string[]> {
  let out: string[] = [];
  for (const portal of await s.simpleQuery(sql)) {
    const fields = portal.fields();
    const res = await portal.execute(0);
    portal.close();
    out = fields ? res.rows.map((r) => r.map((d, i) => (d === null ? 'NULL' : formatDatum(fields[i].type, d, 'UTC'))).join(' ')) : [];
  }
  return out.sort();
}

/** Rows of the backfilled table. */
const ROWS = 24_000;
/** Backfill rows per second: the backfills below last about a second, many slices on any machine. */
const RATE = 20_000;
const MV_QUERY = 'select k, count(*) as n, sum(v) as s from t group by k';

describe('backfill with concurrent DML', () => {
  it('loses and double counts nothing that other sessions change while the MV backfills', async () => {
    const ddl = await connect();
    const dml = await connect();
    await run(ddl, 'create table t (id int primary key, k int, v int)');
    await run(ddl, `insert into t select g, g % 97, g from generate_series(1, ${ROWS}) g`);
    await run(ddl, `set backfill_rate_limit = ${RATE}`);
    let creating = true;
    const created = run(ddl, `create materialized view m as ${MV_QUERY}`).finally(() => (creating = false));
    let statements = 0;
    let sawProgress = false;
    let next = ROWS + 1;
    while (creating) {
      sawProgress ||= db.frontend.streaming.backfillProgress().some((p) => p.name === 'm' && p.done > 0);
      const id = 1 + ((statements * 7919) % ROWS);
      await run(dml, `insert into t values (${next++}, 3, 1)`);
      await run(dml, `update t set k = k + 1, v = v * 2 where id = ${id}`);
      await run(dml, `delete from t where id = ${ROWS - statements}`);
      statements += 3;
      // In-memory DML resolves on microtasks; a real client's next statement arrives on a
      // later socket read, which is what lets the backfill's next slice run.
      await new Promise((r) => setImmediate(r));
    }
    await created;
    await run(ddl, 'flush');
    expect(sawProgress).toBe(true);
    // Progress lines while it ran, then one when it finished.
    expect(logged.some((l) => /^backfill of m: \d+% \([\d,]+ \/ 24,000 rows\)$/.test(l))).toBe(true);
    expect(logged).toContainEqual(expect.stringMatching(/^backfill of m finished: 24,000 rows in \d+\.\d s$/));
    expect(statements).toBeGreaterThan(3);
    expect(await run(ddl, 'select * from m')).toEqual(await run(ddl, MV_QUERY));
    expect(db.frontend.streaming.backfillProgress()).toEqual([]);
  });

  it('a cancelled CREATE MATERIALIZED VIEW leaves no MV behind', async () => {
    const ddl = await connect();
    await run(ddl, 'create table t (id int primary key, k int, v int)');
    await run(ddl, `insert into t select g, g % 97, g from generate_series(1, ${ROWS * 2}) g`);
    // Two seconds of backfill at the limit: the cancel lands mid-backfill.
    await run(ddl, `set backfill_rate_limit = ${RATE}`);
    const created = run(ddl, `create materialized view m as ${MV_QUERY}`);
    while (!db.frontend.streaming.backfillProgress().some((p) => p.done > 0)) await new Promise((r) => setImmediate(r));
    ddl.cancelRunning();
    const err = await created.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).code).toBe('57014');
    expect(db.frontend.streaming.jobCount).toBe(0);
    const other = await connect();
    expect(await run(other, "select count(*) from rw_catalog.rw_materialized_views where name = 'm'")).toEqual(['0']);
    // The name is free again, and the table still feeds new MVs.
    await run(other, `create materialized view m as ${MV_QUERY}`);
    expect((await run(other, 'select sum(n) from m'))[0]).toBe(String(ROWS * 2));
  });

  it('backfills at most backfill_rate_limit rows per second: set in the session or in WITH, checked, kept in the catalog', async () => {
    const ddl = await connect();
    await run(ddl, 'create table t (id int primary key, k int, v int)');
    await run(ddl, 'insert into t select g, g % 97, g from generate_series(1, 3000) g');
    for (const bad of ["'fast'", '-1', '1.5', "''"]) {
      await expect(run(ddl, `set backfill_rate_limit = ${bad}`)).rejects.toMatchObject({ code: '22023' });
      await expect(run(ddl, `create materialized view bad with (backfill_rate_limit = ${bad}) as ${MV_QUERY}`)).rejects.toMatchObject({ code: '22023' });
    }
    expect(await run(ddl, 'show backfill_rate_limit')).toEqual(['default']);
    await run(ddl, 'set backfill_rate_limit = 10000');
    let started = performance.now();
    // WITH wins over the session: 3,000 rows at 5,000 per second (500 up front) take at least 0.5 s.
    await run(ddl, `create materialized view slow with (backfill_rate_limit = 5000) as ${MV_QUERY}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(480);
    started = performance.now();
    await run(ddl, `create materialized view quick as ${MV_QUERY}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190); // 3,000 rows at 10,000 per second (1,000 up front)
    const limits = (name: string) => db.frontend.catalog.listRelations('dev').find((r) => r.name === name)?.withOptions.backfill_rate_limit;
    expect([limits('slow'), limits('quick')]).toEqual(['5000', '10000']);
    await run(ddl, 'reset backfill_rate_limit');
    await run(ddl, `create materialized view free as ${MV_QUERY}`);
    expect(limits('free')).toBeUndefined();
    for (const mv of ['slow', 'quick', 'free']) expect(await run(ddl, `select * from ${mv}`)).toEqual(await run(ddl, MV_QUERY));
  });
});
