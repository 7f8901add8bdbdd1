import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb, openTestSession } from '../query/testing';

let db: TestDb;
beforeEach(async () => {
  db = await openTestDb();
  await db.exec('create table clicks (id int primary key, user_id int)');
  await db.exec('create table orders (id int primary key, user_id int, amount int)');
  await db.exec('create table events (user_id int primary key, kind varchar, n bigint)');
});
afterEach(() => db.close());

const rows = async (q: string) => (await db.query(q)).map((r) => r.map((d) => (d === null ? 'NULL' : String(d))).join(' ')).sort();
const error = (sql: string) => db.exec(sql).then(() => null, (e) => e as { code: string; message: string });

describe('CREATE SINK … INTO table', () => {
  it('fans several sinks into one table, and MVs on the table see their rows', async () => {
    await db.exec("insert into clicks values (1, 10), (2, 11)");
    await db.exec("create sink s_clicks into events (user_id, kind) as select user_id, 'click' from clicks");
    await db.exec("create sink s_orders into events as select user_id, 'order', amount from orders");
    await db.exec('create materialized view kinds as select kind, count(*) as n from events group by kind');
    expect(await rows('select * from events')).toEqual(['10 click NULL', '11 click NULL']);
    await db.exec('insert into orders values (1, 12, 99)');
    await db.exec('flush');
    expect(await rows('select * from events')).toEqual(['10 click NULL', '11 click NULL', '12 order 99']);
    expect(await rows('select * from kinds')).toEqual(['click 2', 'order 1']);
    // Upsert sink: deletes and key updates reach the table by primary key.
    await db.exec('delete from clicks where id = 1');
    await db.exec('update clicks set user_id = 13 where id = 2');
    await db.exec('flush');
    expect(await rows('select * from events')).toEqual(['12 order 99', '13 click NULL']);
    expect(await rows('select * from kinds')).toEqual(['click 1', 'order 1']);
    expect(await rows('show sinks')).toEqual(['s_clicks', 's_orders']);
  });

  it('force_append_only / ignore_delete keep rows the source deletes', async () => {
    await db.exec("create sink s into events (user_id, kind) from clicks with (force_append_only = 'true')");
    await db.exec('insert into clicks values (1, 10)');
    await db.exec('delete from clicks');
    await db.exec('flush');
    // `FROM clicks` assigns (id, user_id) to (user_id, kind).
    expect(await rows('select user_id, kind from events')).toEqual(['1 10']);
  });

  it('rejects what RisingWave rejects', async () => {
    await db.exec('create table log (user_id int, n bigint)');
    const agg = 'select user_id, count(*) from clicks group by user_id';
    expect((await error(`create sink s into log as ${agg}`))?.message).toMatch(/Only append-only sinks can sink to a table without primary keys/);
    expect((await error(`create sink s into log as ${agg} with (type = 'append-only')`))?.message).toMatch(/force_append_only/);
    expect((await error('create sink s into events as select id from clicks'))?.message).toMatch(/column count mismatch/);
    expect((await error('create sink s into events as select * from events'))?.message).toMatch(/circular dependency/);
    expect((await error("create sink s from clicks with (connector = 'iceberg')"))?.code).toBe('0A000');
    // An append-only sink into a table without a pk, and a blackhole sink, are fine.
    await db.exec(`create sink ok into log as ${agg} with (force_append_only = 'true')`);
    await db.exec("create sink bh from clicks with (connector = 'blackhole')");
    expect((await error('create sink ok from clicks with (connector = \'blackhole\')'))?.code).toBe('42P07');
  });

  it('DROP SINK stops the job; dropping its source or target needs CASCADE', async () => {
    await db.exec("create sink s into events (user_id, kind) as select user_id, 'c' from clicks");
    expect((await error('drop table events'))?.message).toMatch(/depend on it.*sink s/);
    await db.exec('drop sink s');
    await db.exec('insert into clicks values (1, 10)');
    await db.exec('flush');
    expect(await rows('select * from events')).toEqual([]);
    expect((await error('drop sink s'))?.message).toBe('sink not found: s');
    await db.exec('drop sink if exists s');
    await db.exec("create sink s2 into events (user_id, kind) as select user_id, 'c' from clicks");
    await db.exec('drop table clicks cascade');
    expect(await rows('show sinks')).toEqual([]);
  });
});

describe('sinks across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-sink-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the rebuilt sink keeps following changes without writing its backfill twice', async () => {
    const open = () => openTestSession({ dataDir: dir });
    const a = await open();
    await a.run('create table src (v int) append only');
    await a.run('create table dst (v int)');
    await a.run('insert into src values (1)');
    await a.run('create sink s into dst from src');
    await a.close();
    const b = await open();
    await b.run('insert into src values (2)');
    await b.run('flush');
    expect((await b.run('select v from dst order by v')).map((r) => r[0])).toEqual([1, 2]);
    await b.close();
  });
});
