import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('create table events (id int primary key, user_id int, amount int)');
  await db.exec('create table users (uid int primary key, tier varchar, region varchar)');
});
afterEach(() => db.close());

const rows = async (q: string) => (await db.query(q)).map((r) => r.map((d) => (d === null ? 'NULL' : String(d))).join(' ')).sort();

describe('temporal join (FOR SYSTEM_TIME AS OF PROCTIME()) in materialized views', () => {
  it('enriches each event with the user row current when the event arrives; later user changes do not retract', async () => {
    await db.exec("insert into users values (1, 'gold', 'eu')");
    await db.exec('insert into events values (1, 1, 10), (2, 2, 20)');
    await db.exec(
      'create materialized view enriched as select e.id, e.amount, u.tier from events e left join users for system_time as of proctime() u on e.user_id = u.uid',
    );
    expect(await rows('select * from enriched')).toEqual(['1 10 gold', '2 20 NULL']);
    await db.exec("insert into users values (2, 'silver', 'us')");
    await db.exec("update users set tier = 'platinum' where uid = 1");
    await db.exec('insert into events values (3, 1, 30), (4, 2, 40)');
    await db.exec('flush');
    // Rows 1 and 2 keep what they found; 3 and 4 see the new user rows.
    expect(await rows('select * from enriched')).toEqual(['1 10 gold', '2 20 NULL', '3 30 platinum', '4 40 silver']);
    // A changed event looks the user up again; a deleted one retracts exactly its row.
    await db.exec('update events set amount = 11 where id = 1');
    await db.exec('delete from events where id = 4');
    await db.exec('flush');
    expect(await rows('select * from enriched')).toEqual(['1 11 platinum', '2 20 NULL', '3 30 platinum']);
  });

  it('inner join drops unmatched events; filters on the table side and extra conditions apply at lookup', async () => {
    await db.exec("insert into users values (1, 'gold', 'eu'), (2, 'gold', 'us')");
    await db.exec(
      "create materialized view eu as select e.id, u.tier from events e join users for system_time as of proctime() u on e.user_id = u.uid and e.amount > 5 where u.region = 'eu'",
    );
    await db.exec('insert into events values (1, 1, 10), (2, 2, 10), (3, 1, 1), (4, 9, 10)');
    await db.exec('flush');
    expect(await rows('select * from eu')).toEqual(['1 gold']);
    expect((await db.query('explain create materialized view x as select e.id from events e join users for system_time as of proctime() u on e.user_id = u.uid')).map((r) => r[0]).join('\n')).toMatch(
      /StreamTemporalJoin \{ type: Inner, table: users, predicate: \[user_id = users\.uid\], append_only: false/,
    );
  });

  it('an append-only stream keeps no memo, and the lookup table may be a materialized view', async () => {
    await db.exec('create table clicks (user_id int, n int) append only');
    await db.exec('create materialized view per_user as select user_id, sum(n) as total from clicks group by user_id');
    await db.exec('insert into clicks values (1, 5)');
    await db.exec('create table probes (user_id int) append only');
    await db.exec('create materialized view seen as select p.user_id, m.total from probes p join per_user for system_time as of proctime() m on p.user_id = m.user_id');
    await db.exec('insert into probes values (1)');
    await db.exec('insert into clicks values (1, 7)');
    // The aggregate publishes its new total at the end of the epoch.
    await db.exec('flush');
    await db.exec('insert into probes values (1)');
    await db.exec('flush');
    expect(await rows('select * from seen')).toEqual(['1 12', '1 5']);
    const plan = (await db.query('explain create materialized view x as select p.user_id from probes p join per_user for system_time as of proctime() m on p.user_id = m.user_id')).map((r) => r[0]);
    expect(plan.join('\n')).toContain('append_only: true');
  });

  it('a filter pinning the table’s pk stays a temporal lookup (not a point-lookup scan)', async () => {
    await db.exec("insert into users values (1, 'gold', 'eu'), (2, 'silver', 'us')");
    await db.exec('create materialized view one as select e.id, u.tier from events e join users for system_time as of proctime() u on e.user_id = u.uid where u.uid = 1');
    await db.exec('insert into events values (1, 1, 10), (2, 2, 20)');
    await db.exec("update users set tier = 'platinum' where uid = 1");
    await db.exec('flush');
    expect(await rows('select * from one')).toEqual(['1 gold']);
  });

  it('batch queries treat FOR SYSTEM_TIME AS OF PROCTIME() as a plain join', async () => {
    await db.exec("insert into users values (1, 'gold', 'eu')");
    await db.exec('insert into events values (1, 1, 10), (2, 2, 20)');
    expect(await rows('select e.id, u.tier from events e left join users for system_time as of proctime() u on e.user_id = u.uid')).toEqual(['1 gold', '2 NULL']);
  });
});
