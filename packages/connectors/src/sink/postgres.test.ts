import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Decimal, Op, T } from '@freshet/common';
import { startPostgres, type PostgresServer } from '@freshet/testkit';
import type { SinkColumn } from './api';
import { PostgresSinkTarget, postgresSinkConfig } from './postgres';
import { prepareExternalSink } from './registry';
import { chunkOf, sinkSpec, testContext } from './test-util';

const cols: SinkColumn[] = [
  { name: 'id', type: T.Int32 },
  { name: 'name', type: T.Varchar },
  { name: 'amount', type: T.Decimal },
  { name: 'at', type: T.Timestamptz },
];
const AT = 1_700_000_000_123_456;
const row = (id: number, name: string) => [id, name, Decimal.tryParse('1.50')!, AT];

let server: PostgresServer;
let client: pg.Client;
beforeAll(async () => {
  server = await startPostgres();
  client = new pg.Client({ connectionString: server.url });
  await client.connect();
  await client.query('CREATE TABLE feats (id int PRIMARY KEY, name text, amount numeric, at timestamptz)');
  await client.query('CREATE TABLE log (id int, name text, amount numeric, at timestamptz)');
}, 60_000);
afterAll(async () => {
  await client?.end();
  await server?.stop();
});

const native = (extra: Record<string, string> = {}) => ({
  host: server.host,
  port: String(server.port),
  user: server.user,
  database: 'postgres',
  table: 'feats',
  ...extra,
});
const target = (options: Record<string, string>, over = {}, connector = 'postgres') =>
  new PostgresSinkTarget(postgresSinkConfig(sinkSpec(connector, cols, { options, ...over }), connector === 'jdbc'), 's1', cols, [0], testContext(), { initialMs: 20, maxMs: 200 });
const rows = async (table: string) => (await client.query(`SELECT id, name, amount::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM ${table} ORDER BY id`)).rows;

describe('postgres sink', () => {
  it('upserts by primary key and deletes, one transaction per epoch', async () => {
    const t = target(native());
    t.write(chunkOf(cols, [[Op.Insert, row(1, 'a')], [Op.Insert, row(2, 'b')], [Op.Insert, row(3, 'c')]]));
    await t.commit(1);
    t.write(chunkOf(cols, [[Op.UpdateDelete, row(1, 'a')], [Op.UpdateInsert, row(1, 'A')], [Op.Delete, row(2, 'b')]]));
    await t.commit(2);
    expect(await rows('feats')).toEqual([
      { id: 1, name: 'A', amount: '1.50', at: '2023-11-14 22:13:20.123456' },
      { id: 3, name: 'c', amount: '1.50', at: '2023-11-14 22:13:20.123456' },
    ]);
    // A replay of epoch 2 converges to the same rows.
    t.write(chunkOf(cols, [[Op.UpdateDelete, row(1, 'a')], [Op.UpdateInsert, row(1, 'A')], [Op.Delete, row(2, 'b')]]));
    await t.commit(3);
    expect((await rows('feats')).map((r) => r.id)).toEqual([1, 3]);
    t.close();
  });

  it('JDBC form, append-only inserts into a table without a key', async () => {
    const url = `jdbc:postgresql://${server.host}:${server.port}/postgres?user=${server.user}`;
    const t = target({ 'jdbc.url': url, 'table.name': 'log', type: 'append-only' }, { appendOnly: true }, 'jdbc');
    t.write(chunkOf(cols, [[Op.Insert, row(1, 'a')], [Op.Insert, row(1, 'a')]]));
    await t.commit(1);
    expect(await rows('log')).toHaveLength(2);
    t.close();
  });

  it('skips (and counts) rows the table refuses, keeping the rest of the epoch', async () => {
    await client.query('CREATE TABLE checked (id int PRIMARY KEY, name text CHECK (name <> \'bad\'), amount numeric, at timestamptz)');
    const t = target(native({ table: 'checked' }));
    t.write(chunkOf(cols, [[Op.Insert, row(1, 'ok')], [Op.Insert, row(2, 'bad')], [Op.Insert, row(3, 'ok')]]));
    await t.commit(1);
    expect((await rows('checked')).map((r) => r.id)).toEqual([1, 3]);
    expect(t.stats).toMatchObject({ rowsRejected: 1, epochsCommitted: 1 });
    t.close();
  });

  it('retries while the table is unavailable, rolling back a failed epoch', async () => {
    await client.query('DELETE FROM feats');
    const t = target(native({ table: 'feats' }));
    t.write(chunkOf(cols, [[Op.Insert, row(10, 'x')]]));
    await t.commit(1);
    await client.query('ALTER TABLE feats RENAME TO feats_moved');
    t.write(chunkOf(cols, [[Op.Insert, row(11, 'y')]]));
    let done = false;
    const committing = t.commit(2).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(t.stats.errors).toBeGreaterThan(0);
    expect(t.stats.lastError).toMatch(/feats/);
    await client.query('ALTER TABLE feats_moved RENAME TO feats');
    await committing;
    expect((await rows('feats')).map((r) => r.id)).toEqual([10, 11]);
    t.close();
  });

  it('validates options and checks the table at CREATE SINK', async () => {
    const prep = (o: Record<string, string>, connector = 'postgres') => prepareExternalSink(sinkSpec(connector, cols, { options: o }));
    expect(() => prep({ host: 'h', user: 'u', database: 'd' })).toThrow(/missing field `table`/);
    expect(() => prep({ 'jdbc.url': 'jdbc:mysql://h/d', 'table.name': 't' }, 'jdbc')).toThrow(/option jdbc.url/);
    expect(() => prep(native({ port: 'x' }))).toThrow(/option port/);
    await expect(prep(native({ table: 'missing' })).check!()).rejects.toMatchObject({ code: 'XX000', message: expect.stringMatching(/does not exist/) });
    await expect(prep(native({ table: 'log' }), 'postgres').check!()).resolves.toBeUndefined();
    await client.query('CREATE TABLE narrow (id int PRIMARY KEY)');
    await expect(prep(native({ table: 'narrow' })).check!()).rejects.toThrow(/no column name, amount, at/);
  });
});
