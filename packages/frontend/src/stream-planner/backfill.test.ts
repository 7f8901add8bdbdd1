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

/** Rows of the backfilled table: enough for many 10 ms backfill slices on a fast machine (60,000 could finish in one). */
const ROWS = 240_000;
const MV_QUERY = 'select k, count(*) as n, sum(v) as s from t group by k';

describe('backfill with concurrent DML', () => {
  it('loses and double counts nothing that other sessions change while the MV backfills', async () => {
    const ddl = await connect();
    const dml = await connect();
    await run(ddl, 'create table t (id int primary key, k int, v int)');
    await run(ddl, `insert into t select g, g % 97, g from generate_series(1, ${ROWS}) g`);
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
    expect(logged.some((l) => /^backfill of m: \d+% \([\d,]+ \/ 240,000 rows\)$/.test(l))).toBe(true);
    expect(logged).toContainEqual(expect.stringMatching(/^backfill of m finished: 240,000 rows in \d+\.\d s$/));
    expect(statements).toBeGreaterThan(3);
    expect(await run(ddl, 'select * from m')).toEqual(await run(ddl, MV_QUERY));
    expect(db.frontend.streaming.backfillProgress()).toEqual([]);
  });

  it('a cancelled CREATE MATERIALIZED VIEW leaves no MV behind', async () => {
    const ddl = await connect();
    await run(ddl, 'create table t (id int primary key, k int, v int)');
    // Enough rows for many 10 ms slices even on a fast machine, so the cancel lands mid-backfill.
    await run(ddl, `insert into t select g, g % 97, g from generate_series(1, ${ROWS * 2}) g`);
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
});
