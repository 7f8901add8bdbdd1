/**
 * MAX over a temporal filter's column on an append-only input keeps one value per group
 * (expiring-column.ts), where a table that may retract keeps every value: the plans differ
 * by that state table, and both MVs must equal the batch query as rows expire — including
 * a FILTER whose subset empties before its group does, and a group that empties.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

const WINDOW_S = 3;
const FEATURES = (t: string) =>
  `SELECT k, MAX(ts) AS last_at, MAX(ts) FILTER (WHERE click) AS last_click_at, COUNT(*) AS n FROM ${t} WHERE ts > NOW() - INTERVAL '${WINDOW_S} seconds' GROUP BY k`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (t0: number, offsetS: number) => new Date(t0 + offsetS * 1000).toISOString();
const sorted = (rows: string[][]) => rows.map((r) => r.join('|')).sort();

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
});
afterEach(() => db.close());

describe('MAX of a column that expires in order', () => {
  it('needs no value table over an append-only table, and agrees with batch evaluation as rows expire', async () => {
    await db.query('CREATE TABLE ev (k INT, ts TIMESTAMPTZ, click BOOLEAN) APPEND ONLY');
    await db.query('CREATE TABLE ev_any (k INT, ts TIMESTAMPTZ, click BOOLEAN)');
    const before = db.frontend.streaming.stateTableIds().size;
    await db.query(`CREATE MATERIALIZED VIEW f AS ${FEATURES('ev')}`);
    const appendOnlyTables = db.frontend.streaming.stateTableIds().size - before;
    await db.query(`CREATE MATERIALIZED VIEW f_any AS ${FEATURES('ev_any')}`);
    const anyTables = db.frontend.streaming.stateTableIds().size - before - appendOnlyTables;
    // Temporal filter, agg groups, MV rows — plus one value table per MAX when rows may be deleted.
    expect(appendOnlyTables).toBe(3);
    expect(anyTables).toBe(5);

    const t0 = Date.now();
    // k=1: a click expiring at t0+2 s and a view at t0+5 s; k=2: one row expiring at t0+2 s;
    // k=3: far in the future (never expires here). Checks happen ≥ 1 s from each boundary.
    const values = `(1, '${at(t0, -1)}', true), (1, '${at(t0, 2)}', false), (2, '${at(t0, -1)}', true), (3, '${at(t0, 3600)}', true), (1, '${at(t0, -1.5)}', false)`;
    await db.query(`INSERT INTO ev VALUES ${values}`);
    await db.query(`INSERT INTO ev_any VALUES ${values}`);
    const check = async (groups: number) => {
      await db.query('FLUSH');
      const batch = sorted(await db.query(FEATURES('ev')));
      expect(batch.length).toBe(groups);
      expect(sorted(await db.query('SELECT * FROM f'))).toEqual(batch);
      expect(sorted(await db.query('SELECT * FROM f_any'))).toEqual(batch);
      return batch;
    };
    const first = await check(3);
    expect(first[0]).toContain('|3');
    await sleep(Math.max(0, t0 + 3200 - Date.now()));
    const second = await check(2);
    // k=1 keeps its view; its click expired, so the filtered MAX is NULL; k=2 is gone.
    expect(second[0]).toMatch(/^1\|.+\|NULL\|1$/);
    await sleep(Math.max(0, t0 + 6200 - Date.now()));
    expect(await check(1)).toHaveLength(1);
  }, 20_000);
});
