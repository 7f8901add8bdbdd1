/**
 * Temporal filters across a restart. A temporal filter's rows are in its state like any
 * operator's, but its bounds come from the wall clock: rows that aged out while the node
 * was down must leave the MV (and the aggregate above it) at the first barrier after the
 * restart, rows still inside the window must stay and leave later on time, and DML
 * replayed from the change log (written after the last checkpoint) must be filtered by the
 * clock at replay, not at the time it was first written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurableStateStore } from '@freshet/storage';
import { openTestDb, type TestDb } from '../query/testing';

/** The window, in seconds: long enough that a busy CI machine does not blur the boundaries. */
const WINDOW_S = 4;
const RECENT = `SELECT id, k FROM ev WHERE ts > NOW() - INTERVAL '${WINDOW_S} seconds'`;
const COUNTS = `SELECT k, count(*) AS n FROM ev WHERE ts > NOW() - INTERVAL '${WINDOW_S} seconds' GROUP BY k`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (rows: string[][]) => rows.map((r) => Number(r[0])).sort((a, b) => a - b);
/** `ts` text `offsetS` seconds from now (negative: in the past). */
const at = (offsetS: number) => new Date(Date.now() + offsetS * 1000).toISOString();

// A table that may delete keeps an entry per row (temporal-filter.ts); an append-only one
// keeps the rows of each epoch grouped (append-only-temporal-filter.ts).
describe.each([
  ['a table', 'CREATE TABLE ev (id INT PRIMARY KEY, k INT, ts TIMESTAMPTZ)'],
  ['an append-only table', 'CREATE TABLE ev (id INT, k INT, ts TIMESTAMPTZ) APPEND ONLY'],
])('temporal filters across a restart, over %s', (_, createTable) => {
  let dir = '';
  let db: TestDb | null = null;
  afterEach(async () => {
    await db?.close();
    db = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('drops rows that aged out while down, keeps the others until their time, and filters replayed DML by the clock at replay', async () => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-temporal-recovery-'));
    db = await openTestDb({ dataDir: dir });
    await db.query(createTable);
    await db.query(`CREATE MATERIALIZED VIEW recent AS ${RECENT}`);
    await db.query(`CREATE MATERIALIZED VIEW counts AS ${COUNTS}`);
    const t0 = Date.now();
    // 1–3: inside the window now, out of it ~1 s from now (while the node is down).
    // 4–6: inside the window until ~WINDOW_S + 3 s from now (they outlive the restart).
    // 7: far in the future (always inside).
    await db.query(`INSERT INTO ev VALUES (1, 1, '${at(-3)}'), (2, 1, '${at(-3)}'), (3, 2, '${at(-3)}')`);
    await db.query(`INSERT INTO ev VALUES (4, 1, '${at(3)}'), (5, 2, '${at(3)}'), (6, 2, '${at(3)}'), (7, 3, '${at(3600)}')`);
    await db.query('FLUSH');
    expect(ids(await db.query('SELECT * FROM recent'))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await db.frontend.streaming.checkpoint();
    (db.frontend.streaming.durability!.store as DurableStateStore).checkpointFrequency = 1e9;
    // After the checkpoint (replayed from the change log at restart): 8 is out of the
    // window by then, 9 is inside.
    const t8 = Date.now();
    await db.query(`INSERT INTO ev VALUES (8, 3, '${at(-2)}'), (9, 3, '${at(3600)}')`);
    await db.query('FLUSH');
    expect(ids(await db.query('SELECT * FROM recent'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await db.close();
    db = null;

    // Down until rows 1–3 and 8 have aged out (with a margin), but not 4–6.
    await sleep(Math.max(0, t0 + 1_500 - Date.now(), t8 + 2_500 - Date.now()));
    db = await openTestDb({ dataDir: dir });
    await db.query('FLUSH');
    expect(ids(await db.query('SELECT * FROM recent'))).toEqual([4, 5, 6, 7, 9]);
    expect((await db.query('SELECT k, n FROM counts ORDER BY k')).map((r) => r.join(':'))).toEqual(['1:1', '2:2', '3:2']);
    // Each MV equals its query evaluated now.
    expect(ids(await db.query('SELECT * FROM recent'))).toEqual(ids(await db.query(RECENT)));

    // 4–6 leave on time after the restart; the aggregate retracts them.
    await sleep(Math.max(0, t0 + (3 + WINDOW_S) * 1000 + 1_000 - Date.now()));
    await db.query('FLUSH');
    expect(ids(await db.query('SELECT * FROM recent'))).toEqual([7, 9]);
    expect((await db.query('SELECT k, n FROM counts ORDER BY k')).map((r) => r.join(':'))).toEqual(['3:2']);
  }, 30_000);
});
