/**
 * Watermarks and EMIT ON WINDOW CLOSE through the whole front end: CREATE TABLE checks,
 * the catalog record, the stream plan (EXPLAIN) and the MV contents as rows arrive.
 */
import { Prng } from '@freshet/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('SET RW_IMPLICIT_FLUSH TO true');
  await db.exec("create table w (ts timestamp, k int, v int, watermark for ts as ts - interval '5' second) append only");
});
afterEach(() => db.close());

const explain = async (q: string) => (await db.query(`explain create materialized view m as ${q}`)).map((r) => r[0] as string);
const rows = async (q: string) => (await db.query(q)).map((r) => r.map((d) => (d === null ? null : String(d))).join(' '));

describe('WATERMARK FOR on tables', () => {
  it('is checked like RisingWave: the column type, one watermark, append-only tables', async () => {
    await expect(db.exec("create table a (v int, watermark for v as to_timestamp(v) - interval '5' second) append only")).rejects.toThrow(
      'The return value type of the watermark expression must be identical to the watermark column data type. Current data type of watermark return value: `timestamp with time zone`, column `integer`',
    );
    await expect(db.exec("create table b (ts timestamp, watermark for ts as ts - interval '1' second)")).rejects.toThrow(
      'Defining watermarks on table requires the table to be append only.',
    );
    await expect(db.exec("create table c (ts timestamp, watermark for nope as ts) append only")).rejects.toThrow('column "nope" does not exist');
  });

  it('plans a watermark filter over the scan and derives watermarks through TUMBLE and the group key', async () => {
    const plan = await explain("select window_start, count(*) from tumble(w, ts, interval '10' second) group by window_start");
    expect(plan.find((l) => l.includes('StreamWatermarkFilter'))).toContain('StreamWatermarkFilter { watermark_descs: [ts: subtract(ts, 00:00:05:interval)], output_watermarks: [ts] }');
    expect(plan.find((l) => l.includes('StreamHopWindow'))).toContain('output_watermarks: [ts, window_start, window_end]');
    expect(plan.find((l) => l.includes('StreamHashAgg'))).toContain('StreamHashAgg [append_only] { group_key: [window_start]');
  });

  it('reads the expression columns even when the query does not, and drops them again', async () => {
    const plan = await explain('select k from w');
    expect(plan[0]).toBe('StreamMaterialize { name: m, columns: [k, _row_id(hidden)], pk: [_row_id] }');
    expect(plan.some((l) => l.includes('StreamWatermarkFilter'))).toBe(true);
  });

  it('late rows do not reach materialized views', async () => {
    await db.exec('create materialized view per_k as select k, count(*) as c, sum(v) as s from w group by k');
    await db.exec("insert into w values ('2024-01-01 00:00:10', 1, 1)"); // watermark 00:00:05
    await db.exec("insert into w values ('2024-01-01 00:00:04', 1, 100), ('2024-01-01 00:00:05', 1, 2)");
    expect(await rows('select * from per_k')).toEqual(['1 2 3']);
  });
});

describe('EMIT ON WINDOW CLOSE', () => {
  it('emits each window once, when the watermark passes its start', async () => {
    const q = "select window_start, k, count(*) as c, sum(v) as s from tumble(w, ts, interval '10' second) group by window_start, k emit on window close";
    expect((await explain(q)).find((l) => l.includes('StreamHashAgg'))).toContain('StreamHashAgg [append_only, eowc] { group_key: [window_start, k]');
    await db.exec(`create materialized view m as ${q}`);
    await db.exec("insert into w values ('2024-01-01 00:00:01', 1, 10), ('2024-01-01 00:00:07', 1, 5), ('2024-01-01 00:00:12', 2, 1)");
    expect(await rows('select * from m')).toEqual([]); // watermark 00:00:07: window 00:00 still open
    await db.exec("insert into w values ('2024-01-01 00:00:03', 1, 100), ('2024-01-01 00:00:30', 2, 1)"); // 00:00:03 is late
    expect(await rows('select * from m order by 1, 2')).toEqual(['2024-01-01 00:00:00 1 2 15', '2024-01-01 00:00:10 2 1 1']);
  });

  it('carries watermarks through monotone expressions: GROUP BY date_trunc(…) / ts + interval', async () => {
    const q = "select date_trunc('minute', ts) as m, ts + interval '1' hour as later, count(*) as c from w group by 1, 2";
    expect((await explain(q)).find((l) => l.includes('StreamHashAgg'))).toContain('output_watermarks: [group_0, group_1]');
    await db.exec("create materialized view per_min as select date_trunc('minute', ts) as m, count(*) as c from w group by 1 emit on window close");
    await db.exec("insert into w values ('2024-01-01 00:00:50', 1, 1), ('2024-01-01 00:01:10', 1, 1), ('2024-01-01 00:00:59', 1, 1)");
    // Watermark 00:01:05, so date_trunc's is 00:01:00: minute 00:00 is closed, 00:01 is open.
    expect(await rows('select * from per_min')).toEqual(['2024-01-01 00:00:00 2']);
    await db.exec("insert into w values ('2024-01-01 00:02:06', 1, 1)"); // watermark 00:02:01
    expect(await rows('select * from per_min order by m')).toEqual(['2024-01-01 00:00:00 2', '2024-01-01 00:01:00 1']);
  });

  it('over a plain query: rows are held until the watermark passes them (StreamEowcSort)', async () => {
    const plan = await explain('select ts, v from w emit on window close');
    expect(plan[1]).toBe('└─StreamEowcSort { sort_column: ts, output_watermarks: [ts] }');
    await db.exec('create materialized view m as select ts, v from w emit on window close');
    await db.exec("insert into w values ('2024-01-01 00:00:01', 1, 1), ('2024-01-01 00:00:09', 1, 2)");
    expect(await rows('select ts, v from m order by 1')).toEqual(['2024-01-01 00:00:01 1']);
  });

  it('window functions: sorted by the watermark column, each row once with its final values', async () => {
    const q =
      'select ts, k, v, row_number() over (partition by k order by ts) as rn, lag(v) over (partition by k order by ts) as prev, ' +
      'sum(v) over (partition by k order by ts rows between 1 preceding and current row) as s2 from w emit on window close';
    const plan = await explain(q);
    const at = plan.findIndex((l) => l.includes('StreamEowcOverWindow'));
    expect(plan[at]).toContain('StreamEowcOverWindow { window_functions: [row_number(), lag(v), sum(v)], partition_by: [k], order_by: [ts ASC]');
    expect(plan[at + 1]).toContain('StreamEowcSort { sort_column: ts');
    await db.exec(`create materialized view m as ${q}`);
    await db.exec("insert into w values ('2024-01-01 00:00:01', 1, 10), ('2024-01-01 00:00:02', 2, 7), ('2024-01-01 00:00:03', 1, 5)");
    await db.exec("insert into w values ('2024-01-01 00:00:09', 1, 1)"); // watermark 00:00:04
    expect(await rows('select * from m order by ts')).toEqual([
      '2024-01-01 00:00:01 1 10 1 NULL 10',
      '2024-01-01 00:00:02 2 7 1 NULL 7',
      '2024-01-01 00:00:03 1 5 2 10 15',
    ]);
    await db.exec("insert into w values ('2024-01-01 00:00:20', 2, 1)");
    expect(await rows('select rn, prev, s2 from m where ts = \'2024-01-01 00:00:09\'')).toEqual(['3 5 6']);
  });

  it('an MV on an MV keeps the upstream watermarks (recorded in the catalog)', async () => {
    await db.exec("create materialized view clean as select ts, k, v * 2 as v2 from w where v > 0");
    const q = "select window_start, count(*) as c, sum(v2) as s from tumble(clean, ts, interval '10' second) group by window_start emit on window close";
    expect((await explain(q)).find((l) => l.includes('StreamHashAgg'))).toContain('[eowc]');
    await db.exec(`create materialized view m as ${q}`);
    await db.exec("insert into w values ('2024-01-01 00:00:01', 1, 1), ('2024-01-01 00:00:04', 1, -1), ('2024-01-01 00:00:12', 1, 3)");
    expect(await rows('select * from m')).toEqual([]);
    await db.exec("insert into w values ('2024-01-01 00:00:40', 1, 1)");
    expect(await rows('select * from m order by 1')).toEqual(['2024-01-01 00:00:00 1 2', '2024-01-01 00:00:10 1 6']);
  });

  it('needs a watermark to close windows on (RisingWave’s error)', async () => {
    await db.exec('create table plain (ts timestamp, v int)');
    await expect(db.exec("create materialized view m as select window_start, count(*) from tumble(plain, ts, interval '1' minute) group by window_start emit on window close")).rejects.toThrow(
      'The query cannot be executed in Emit-On-Window-Close mode.',
    );
    await expect(db.exec('create materialized view m as select count(*) from w emit on window close')).rejects.toThrow('Emit-On-Window-Close');
  });
});

/**
 * Differential: random batches of rows, in and out of order, into the watermarked table and,
 * through a model of the late-row rule, into a plain table `kept`. Every MV over `w` must
 * equal the batch engine's answer over `kept` (EOWC: restricted to the closed windows).
 */
describe('watermarks: differential against the batch engine', () => {
  it('random out-of-order batches', async () => {
    const prng = Prng.fromEnv(20261121);
    await db.exec('create table kept (ts timestamp, k int, v int)');
    const tumble = (t: string) => `select window_start, k, count(*) as c, sum(v) as s, max(v) as mx from tumble(${t}, ts, interval '10' second) group by window_start, k`;
    const hop = (t: string) => `select window_start, count(*) as c, min(v) as mn from hop(${t}, ts, interval '5' second, interval '15' second) group by window_start`;
    await db.exec(`create materialized view live as ${tumble('w')}`);
    await db.exec(`create materialized view closed as ${tumble('w')} emit on window close`);
    await db.exec(`create materialized view hop_closed as ${hop('w')} emit on window close`);
    await db.exec('create materialized view raw as select ts, k, v from w emit on window close');
    // Peer-independent window functions only (ties in ts make row_number / lag order-dependent).
    const over = (t: string) =>
      `select ts, k, v, rank() over (partition by k order by ts) as r, dense_rank() over (partition by k order by ts) as dr, sum(v) over (partition by k order by ts) as s, max(v) over (partition by k order by ts) as m from ${t}`;
    await db.exec(`create materialized view over_closed as ${over('w')} emit on window close`);
    const trunc = (t: string) => `select date_trunc('minute', ts) as m, count(*) as c, sum(v) as s from ${t} group by 1`;
    await db.exec(`create materialized view trunc_closed as ${trunc('w')} emit on window close`);
    const base = Date.UTC(2024, 0, 1) * 1000; // µs
    let wm: number | null = null; // the model's watermark, µs
    let clock = 0;
    const log: string[] = [];
    let inserted = 0;
    const ts = (us: number) => new Date(us / 1000).toISOString().replace('T', ' ').replace('Z', '');
    const sorted = async (q: string) => (await rows(q)).sort();
    for (let step = 0; step < 25; step++) {
      const batch: [number | null, number, number][] = [];
      const n = prng.int(1, 6);
      for (let i = 0; i < n; i++) {
        clock += prng.int(0, 4) * 1_000_000;
        const jitter = prng.int(0, 12) * 1_000_000; // up to 12 s late: some rows miss the 5 s allowance
        batch.push([prng.int(0, 10) === 0 ? null : base + clock - jitter, prng.int(1, 4), prng.int(-5, 50)]);
      }
      const values = batch.map(([t, k, v]) => `(${t === null ? 'NULL' : `'${ts(t)}'`}, ${k}, ${v})`).join(', ');
      log.push(`insert into w values ${values}`);
      await db.exec(`insert into w values ${values}`);
      inserted += batch.length;
      // RisingWave's rule: judged against the watermark before the batch; then the max.
      const kept = batch.filter(([t]) => wm === null || (t !== null && t >= wm));
      if (kept.length > 0) await db.exec(`insert into kept values ${kept.map(([t, k, v]) => `(${t === null ? 'NULL' : `'${ts(t)}'`}, ${k}, ${v})`).join(', ')}`);
      for (const [t] of kept) if (t !== null && (wm === null || t - 5_000_000 > wm)) wm = t - 5_000_000;
      const ctx = `seed ${prng.seed}, after:\n${log.join(';\n')}`;
      expect(await sorted('select * from live'), ctx).toEqual(await sorted(tumble('kept')));
      if (wm === null) continue;
      const closedStart = wm - (((wm % 10_000_000) + 10_000_000) % 10_000_000);
      expect(await sorted('select * from closed'), ctx).toEqual(await sorted(`select * from (${tumble('kept')}) x where window_start < '${ts(closedStart)}'`));
      const hopStart = wm - (((wm % 5_000_000) + 5_000_000) % 5_000_000) - 10_000_000; // earliest 15 s window holding wm
      expect(await sorted('select * from hop_closed'), ctx).toEqual(await sorted(`select * from (${hop('kept')}) x where window_start < '${ts(hopStart)}'`));
      expect(await sorted('select * from raw'), ctx).toEqual(await sorted(`select * from kept where ts < '${ts(wm)}'`));
      expect(await sorted('select * from trunc_closed'), ctx).toEqual(await sorted(`select * from (${trunc('kept')}) x where m < date_trunc('minute', '${ts(wm)}'::timestamp)`));
      expect(await sorted('select * from over_closed'), ctx).toEqual(await sorted(`select * from (${over('kept')}) x where ts < '${ts(wm)}'`));
    }
    // The run closed windows and dropped late rows, so the checks above compared something.
    for (const mv of ['closed', 'hop_closed', 'raw', 'over_closed', 'trunc_closed']) expect((await rows(`select * from ${mv}`)).length, mv).toBeGreaterThan(0);
    // Late rows are not stored in the table either (RisingWave: WatermarkFilter before the table's Materialize).
    expect(await sorted('select * from w')).toEqual(await sorted('select * from kept'));
    expect(Number((await db.query('select count(*) from w'))[0][0])).toBeLessThan(inserted);
  });
});
