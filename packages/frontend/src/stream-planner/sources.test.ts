/**
 * Connector sources end to end through the frontend (in-process, real storage and stream
 * engine): an MV over a nexmark source survives a restart exactly once (its source resumes
 * at the checkpointed offsets), and a table fed by datagen upserts by its primary key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestSession } from '../query/testing';

const open = (dataDir?: string) => openTestSession({ dataDir });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `sql` until `done(rows)` or the deadline; returns the last rows. */
async function until(run: (sql: string) => Promise<unknown[][]>, sql: string, done: (rows: unknown[][]) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  let rows = await run(sql);
  while (!done(rows) && Date.now() < deadline) {
    await sleep(50);
    await run('flush');
    rows = await run(sql);
  }
  return rows;
}

describe('sources across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-src-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an MV over a nexmark source resumes at its checkpointed offsets: no bid lost or counted twice', async () => {
    const a = await open(dir);
    // 20,000 events (18,400 bids) at 10,000 events/s: still running when the server stops.
    await a.run(
      "create source bid with (connector = 'nexmark', nexmark.table.type = 'Bid', nexmark.event.num = '20000', nexmark.min.event.gap.in.ns = '100000')",
    );
    await a.run('create materialized view c as select count(*) as n, count(distinct (auction, bidder, price, date_time, extra)) as d from bid');
    await sleep(300);
    await a.run('flush');
    const [[before]] = await a.run('select n from c');
    expect(Number(before)).toBeGreaterThan(0);
    expect(Number(before)).toBeLessThan(18_400);
    await a.close();

    const b = await open(dir);
    const [[n, d]] = await until(b.run, 'select n, d from c', (rows) => Number(rows[0]?.[0]) >= 18_400);
    expect([Number(n), Number(d)]).toEqual([18_400, 18_400]);
    await b.close();
  }, 30_000);
});

describe('tables fed by a connector', () => {
  it('stores datagen rows like inserts and upserts by the primary key', async () => {
    const db = await open();
    await db.run(
      "create table t (k int primary key, v int) with (connector = 'datagen', fields.k.kind = 'sequence', fields.k.start = '1', fields.k.end = '50', fields.v.min = '7', fields.v.max = '7', datagen.rows.per.second = '1000')",
    );
    await db.run('create materialized view s as select count(*) as n, sum(k) as total, min(v) as v from t');
    const rows = await until(db.run, 'select n, total, v from s', (r) => Number(r[0]?.[0]) === 50);
    expect(rows.map((r) => r.map(Number))).toEqual([[50, 1275, 7]]);
    await db.close();
  }, 30_000);

  it("reads at full speed under source_rate_limit = 'default' (no limit), and not at all under 0", async () => {
    const db = await open();
    const gen = "fields.v.kind = 'sequence', fields.v.start = '1', fields.v.end = '100', datagen.rows.per.second = '10000'";
    await db.run(`create source free (v int) with (connector = 'datagen', ${gen}, source_rate_limit = 'default') format plain encode json`);
    await db.run(`create source held (v int) with (connector = 'datagen', ${gen}, source_rate_limit = '0') format plain encode json`);
    await db.run('create materialized view n_free as select count(*) as n from free');
    await db.run('create materialized view n_held as select count(*) as n from held');
    const free = await until(db.run, 'select n from n_free', (r) => Number(r[0]?.[0]) === 100);
    expect(free.map((r) => r.map(Number))).toEqual([[100]]);
    expect((await db.run('select n from n_held')).map((r) => r.map(Number))).toEqual([[0]]);
    await db.close();
  }, 30_000);
});
