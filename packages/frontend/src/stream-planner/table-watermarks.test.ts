/**
 * Late rows of a watermarked table are dropped at INSERT, as RisingWave's table job drops
 * them (WatermarkFilter before Materialize): the INSERT reports every row, the table and
 * the MVs over it keep only rows at or above the watermark before the statement.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('SET RW_IMPLICIT_FLUSH TO true');
  await db.exec("create table w (ts timestamp, v int, watermark for ts as ts - interval '5' second) append only");
});
afterEach(() => db.close());

const tsOf = async (sql: string) => (await db.query(sql)).map((r) => `${r[0].slice(17, 19)}:${r[1]}`);

describe('late rows of a watermarked table', () => {
  it('are counted by INSERT but not stored; a statement never drops its own rows', async () => {
    await db.exec('create materialized view all_w as select ts, v from w');
    // Watermark after this statement: 00:00:12 - 5 s = 00:00:07 (nothing is late in the first one).
    expect(await db.exec("insert into w values ('2024-01-01 00:00:12', 1), ('2024-01-01 00:00:01', 2), ('2024-01-01 00:00:07', 3)")).toBe('INSERT 0 3');
    // 00:00:03 is below 00:00:07: late. 00:00:07 is not (equal). NULL is late once a watermark exists.
    expect(await db.exec("insert into w values ('2024-01-01 00:00:03', 4), ('2024-01-01 00:00:07', 5), (NULL, 6), ('2024-01-01 00:00:30', 7)")).toBe('INSERT 0 4');
    // Watermark now 00:00:25; within one statement 00:00:40 does not make 00:00:26 late.
    await db.exec("insert into w values ('2024-01-01 00:00:40', 8), ('2024-01-01 00:00:26', 9), ('2024-01-01 00:00:24', 10)");
    const expected = ['01:2', '07:3', '07:5', '12:1', '26:9', '30:7', '40:8'];
    expect(await tsOf('select ts, v from w order by ts, v')).toEqual(expected);
    expect(await tsOf('select ts, v from all_w order by ts, v')).toEqual(expected);
  });

  it('rebuilds the watermark from the stored rows when a new statement-writer starts (max over kept rows)', async () => {
    await db.exec("insert into w values ('2024-01-01 00:01:00', 1)");
    await db.exec("insert into w select '2024-01-01 00:00:50'::timestamp, 2"); // INSERT … SELECT: late too
    await db.exec("insert into w values ('2024-01-01 00:00:56', 3)");
    expect(await tsOf('select ts, v from w order by ts')).toEqual(['56:3', '00:1']);
  });

  it('leave tables without a watermark alone', async () => {
    await db.exec('create table plain (ts timestamp, v int) append only');
    await db.exec("insert into plain values ('2024-01-01 00:01:00', 1)");
    await db.exec("insert into plain values ('2024-01-01 00:00:00', 2), (NULL, 3)");
    expect((await db.query('select count(*) from plain'))[0][0]).toBe('3');
  });
});
