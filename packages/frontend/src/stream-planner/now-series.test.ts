import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
});
afterEach(() => db.close());

describe('generate_series(start, NOW(), step) in a materialized view', () => {
  it('grows as barriers advance NOW(); start and step must be constants', async () => {
    const start = new Date(Date.now() - 5_000).toISOString();
    await db.exec(`create materialized view s as select * from generate_series('${start}'::timestamptz, now(), interval '1 second')`);
    const count = async () => Number((await db.query('select count(*) from s'))[0][0]);
    const first = await count();
    expect(first).toBeGreaterThanOrEqual(5);
    await new Promise((r) => setTimeout(r, 1100));
    await db.exec('flush');
    expect(await count()).toBeGreaterThan(first);
    // Distinct, increasing values: the series never repeats a row.
    expect(Number((await db.query('select count(distinct generate_series) from s'))[0][0])).toBe(await count());
    const err = await db.exec("create materialized view bad as select * from generate_series(now() - interval '1 hour', now(), interval '1 second')").then(() => null, (e) => e);
    expect(err?.code).toBe('0A000');
  });
});
