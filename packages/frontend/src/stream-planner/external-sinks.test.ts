/**
 * CREATE SINK into real Redis, S3 (s3rver) and PostgreSQL, through the in-process
 * frontend: the seed articles' sink statements as written (plus the test endpoints), and
 * the sinks' contents compared with the MVs they deliver.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pg from 'pg';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { eventually, type KafkaTestBroker, type PostgresServer, type RedisServer, type S3TestServer, startKafkaBroker, startPostgres, startRedis, startS3rver } from '@freshet/testkit';
import { externalSinkStats } from '@freshet/connectors';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDb, openTestDb, openTestFrontend } from '../query/testing';

let redisServer: RedisServer;
let redis: Redis;
let s3: S3TestServer;
let s3client: S3Client;
let pgServer: PostgresServer;
let pgClient: pg.Client;
let db: TestDb;

beforeAll(async () => {
  [redisServer, s3, pgServer] = await Promise.all([startRedis(), startS3rver('ml-feature-store'), startPostgres()]);
  redis = new Redis(redisServer.url, { protocol: 2 });
  redis.on('error', () => {});
  s3client = new S3Client(s3.clientConfig);
  pgClient = new pg.Client({ connectionString: pgServer.url });
  await pgClient.connect();
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  s3client?.destroy();
  await pgClient?.end();
  await Promise.all([redisServer?.close(), s3?.stop(), pgServer?.stop()]);
});

beforeEach(async () => {
  db = await openTestDb();
  await redis.flushall();
  await db.exec('create table user_events (user_id bigint, amount numeric, at timestamptz)');
  await db.exec(`create materialized view user_features_1h as
    select user_id, count(*) as event_count, sum(amount) as total_amount, max(at) as last_event
    from user_events group by user_id`);
});
afterEach(() => db.close());


const error = (sql: string) => db.exec(sql).then(() => null, (e) => e as { code: string; message: string });
const mvRows = async () => (await db.query('select user_id, event_count, total_amount, last_event from user_features_1h order by user_id')).map((r) => r.join(' '));

/** Redis string values parsed, sorted by key, as `user_id event_count total_amount`. */
async function redisRows(pattern: string): Promise<string[]> {
  const keys = (await redis.keys(pattern)).sort();
  const values = keys.length > 0 ? await redis.mget(keys) : [];
  return values.map((v) => JSON.parse(v!)).map((o) => `${o.user_id} ${o.event_count} ${o.total_amount}`).sort();
}
const mvTriples = async () => (await db.query('select user_id, event_count, total_amount from user_features_1h')).map((r) => r.join(' ')).sort();

describe('redis sink', () => {
  it('runs the seed statement as written and mirrors the MV: upserts, and DEL on delete', async () => {
    await db.exec("insert into user_events values (1, 10.5, '2026-11-21 10:00:00+00'), (2, 3, '2026-11-21 10:01:00+00')");
    // Seed 001, verbatim except the address of the test server.
    await db.exec(`CREATE SINK user_features_to_redis
FROM user_features_1h
WITH (
    connector = 'redis',
    primary_key = 'user_id',
    redis.url = '${redisServer.url}'
)`);
    // The backfill is in Redis when CREATE SINK returns.
    expect(await redis.get('{"user_id":1}')).toBe('{"user_id":1,"event_count":1,"total_amount":"10.5","last_event":"2026-11-21T10:00:00.000000Z"}');
    await db.exec("insert into user_events values (1, 1.5, '2026-11-21 11:00:00+00'), (3, 7, '2026-11-21 11:00:00+00')");
    await db.exec('delete from user_events where user_id = 2');
    await db.exec('flush');
    expect(await redisRows('{"user_id":*')).toEqual(await mvTriples());
    expect(await redisRows('{"user_id":*')).toEqual(['1 2 12.0', '3 1 7']);
    expect(await redis.exists('{"user_id":2}')).toBe(0);
  });

  it("the seeds' redis.key.format spelling, and FORMAT UPSERT ENCODE TEMPLATE", async () => {
    await db.exec("insert into user_events values (5, 2, '2026-11-21 10:00:00+00')");
    // Seed 004: no primary_key (the MV's key, user_id, is used) and no FORMAT.
    await db.exec(`CREATE SINK user_risk_features_redis
FROM user_features_1h
WITH (
    connector = 'redis',
    redis.url = '${redisServer.url}',
    redis.key.format = 'user_risk:{user_id}'
)`);
    expect(JSON.parse((await redis.get('user_risk:5'))!)).toMatchObject({ user_id: 5, event_count: 1, total_amount: '2' });
    await db.exec(`create sink t from user_features_1h with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id')
      format upsert encode template (key_format = 'features:user:{user_id}', value_format = '{event_count}|{total_amount}|{last_event}')`);
    expect(await redis.get('features:user:5')).toBe('1|2|2026-11-21 10:00:00+00:00');
    await db.exec('delete from user_events');
    await db.exec('flush');
    expect(await redis.keys('*')).toEqual([]);
  });

  it('a dead Redis holds no epoch: FLUSH and the MV go on, the log keeps the changes, the sink converges', async () => {
    await db.exec(`create sink s from user_features_1h with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id')`);
    await db.exec("insert into user_events values (1, 1, now()), (4, 4, now())");
    await db.exec('flush');
    await redisServer.stop();
    try {
      await db.exec("insert into user_events values (1, 1, now()), (2, 5, now())");
      await db.exec('delete from user_events where user_id = 4');
      // FLUSH does not wait for a failing sink: the MV is fresh while Redis is away.
      await db.exec('flush');
      expect(await mvTriples()).toEqual(['1 2 2', '2 1 5']);
      const stats = () => externalSinkStats().find((e) => e.name === 's')!.stats;
      for (let i = 0; i < 100 && stats().errors === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(stats()).toMatchObject({ lastError: expect.any(String) });
      const job = db.frontend.streaming.sinkJob(db.frontend.catalog.listRelations('dev', undefined, 'sink')[0].id)!;
      expect(job.sink.pendingRows).toBeGreaterThan(0);
    } finally {
      await redisServer.restart(); // with its saved keys
    }
    await db.exec("insert into user_events values (3, 1, now())");
    // Once Redis is back the held changes (the delete of user 4 too) and the new ones arrive.
    await eventually(async () => expect(await redisRows('*')).toEqual(['1 2 2', '2 1 5', '3 1 1']));
  });

  it('option errors name the option; an unreachable server fails CREATE SINK', async () => {
    expect(await error("create sink s from user_features_1h with (connector = 'redis')")).toMatchObject({ code: '42601', message: expect.stringMatching(/redis\.url/) });
    expect(await error(`create sink s from user_features_1h with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'nope')`)).toMatchObject({ code: '22023', message: expect.stringMatching(/nope/) });
    expect(await error(`create sink s from user_features_1h with (connector = 'redis', redis.url = '${redisServer.url}') format plain encode json`)).toMatchObject({ code: '22023', message: expect.stringMatching(/force_append_only/) });
    expect(await error("create sink s from user_features_1h with (connector = 'redis', redis.url = 'redis://127.0.0.1:1', primary_key = 'user_id')")).toMatchObject({ code: 'XX000' });
    expect(await error("create sink s from user_features_1h with (connector = 'nosuch')")).toMatchObject({ code: '0A000', message: expect.stringMatching(/nosuch/) });
    expect(await db.query('show sinks')).toEqual([]);
    // RisingWave's spelling: force_append_only among the FORMAT options.
    await db.exec(`create sink p from user_features_1h with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id') format plain encode json (force_append_only = 'true')`);
    expect(await db.query('show sinks')).toEqual([['p']]);
  });
});

describe('s3 sink', () => {
  async function parquetRows(prefix: string): Promise<Record<string, unknown>[]> {
    const listed = await s3client.send(new ListObjectsV2Command({ Bucket: 'ml-feature-store', Prefix: prefix }));
    const out: Record<string, unknown>[] = [];
    for (const o of listed.Contents ?? []) {
      const body = await (await s3client.send(new GetObjectCommand({ Bucket: 'ml-feature-store', Key: o.Key }))).Body!.transformToByteArray();
      out.push(...(await parquetReadObjects({ file: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer })));
    }
    return out;
  }

  it("runs the seed's daily snapshot sink (date={snapshot_date}, s3.region) into Parquet", async () => {
    await db.exec("insert into user_events values (1, 10.5, '2026-11-21 10:00:00+00'), (2, 3, '2026-11-21 10:01:00+00')");
    // Seed 001, plus the test endpoint and immediate rollover.
    await db.exec(`CREATE SINK user_features_daily_snapshot
FROM user_features_1h
WITH (
    connector = 's3',
    s3.region = 'us-east-1',
    s3.bucket_name = 'ml-feature-store',
    s3.path = 'snapshots/user_features_1h/date={snapshot_date}/',
    s3.credentials.access = 'S3RVER',
    s3.credentials.secret = 'S3RVER',
    s3.endpoint_url = '${s3.endpoint}',
    rollover_seconds = '0'
)
FORMAT PLAIN ENCODE PARQUET`);
    const today = new Date().toISOString().slice(0, 10);
    const listed = await s3client.send(new ListObjectsV2Command({ Bucket: 'ml-feature-store', Prefix: 'snapshots/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^snapshots/user_features_1h/date=${today}/user_features_daily_snapshot_\\d+\\.parquet$`));
    const rows = (await parquetRows('snapshots/')).map((r) => `${r.user_id} ${r.event_count} ${r.total_amount} ${(r.last_event as Date).toISOString()}`).sort();
    expect(rows).toEqual(['1 1 10.5 2026-11-21T10:00:00.000Z', '2 1 3 2026-11-21T10:01:00.000Z']);
    // An update appends the row's new version (a file sink only appends).
    await db.exec("insert into user_events values (2, 1, '2026-11-21 12:00:00+00')");
    await db.exec('flush');
    const all = await parquetRows('snapshots/');
    expect(all.filter((r) => r.user_id === 2n).map((r) => Number(r.event_count)).sort()).toEqual([1, 2]);
  });

  it('ENCODE JSON files, one object per line', async () => {
    await db.exec('create table clicks (id int, url varchar) append only');
    await db.exec(`create sink c from clicks with (connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = 'ml-feature-store', s3.path = 'clicks',
      s3.endpoint_url = '${s3.endpoint}', s3.credentials.access = 'S3RVER', s3.credentials.secret = 'S3RVER', rollover_seconds = '0', type = 'append-only') format plain encode json`);
    await db.exec("insert into clicks values (1, 'a'), (2, 'b')");
    await db.exec('flush');
    const listed = await s3client.send(new ListObjectsV2Command({ Bucket: 'ml-feature-store', Prefix: 'clicks/' }));
    const text = await Promise.all((listed.Contents ?? []).map(async (o) => (await s3client.send(new GetObjectCommand({ Bucket: 'ml-feature-store', Key: o.Key }))).Body!.transformToString()));
    expect(text.join('').trim().split('\n').sort()).toEqual(['{"id":1,"url":"a"}', '{"id":2,"url":"b"}']);
  });

  it('errors name the option; a missing bucket fails CREATE SINK', async () => {
    expect(await error("create sink s from user_features_1h with (connector = 's3', s3.region_name = 'x')")).toMatchObject({ code: '42601', message: expect.stringMatching(/s3\.bucket_name/) });
    expect(await error(`create sink s from user_features_1h with (connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = 'nope', s3.endpoint_url = '${s3.endpoint}', s3.credentials.access = 'x', s3.credentials.secret = 'y')`)).toMatchObject({
      code: 'XX000',
      message: expect.stringMatching(/nope/),
    });
  });
});

describe('postgres sink', () => {
  it('upserts the MV into a PostgreSQL table by primary key, deleting removed keys', async () => {
    await pgClient.query('DROP TABLE IF EXISTS user_features; CREATE TABLE user_features (user_id bigint PRIMARY KEY, event_count bigint, total_amount numeric, last_event timestamptz)');
    await db.exec("insert into user_events values (1, 10.5, '2026-11-21 10:00:00+00'), (2, 3, '2026-11-21 10:01:00+00')");
    await db.exec(`create sink pg_features from user_features_1h with (connector = 'postgres', host = '${pgServer.host}', port = '${pgServer.port}',
      user = '${pgServer.user}', password = '', database = 'postgres', table = 'user_features', type = 'upsert', primary_key = 'user_id')`);
    await db.exec("insert into user_events values (1, 1.5, '2026-11-21 11:00:00+00'), (3, 7, '2026-11-21 11:30:00+00')");
    await db.exec('delete from user_events where user_id = 2');
    await db.exec('flush');
    const got = await pgClient.query("SELECT user_id, event_count, total_amount, to_char(last_event AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00:00' AS last_event FROM user_features ORDER BY user_id");
    expect(got.rows.map((r) => `${r.user_id} ${r.event_count} ${r.total_amount} ${r.last_event}`)).toEqual(await mvRows());
  });

  it("RisingWave's jdbc form", async () => {
    await pgClient.query('DROP TABLE IF EXISTS f2; CREATE TABLE f2 (user_id bigint PRIMARY KEY, event_count bigint, total_amount numeric, last_event timestamptz)');
    await db.exec("insert into user_events values (4, 1, '2026-11-21 10:00:00+00')");
    await db.exec(`create sink j from user_features_1h with (connector = 'jdbc', jdbc.url = 'jdbc:postgresql://${pgServer.host}:${pgServer.port}/postgres?user=${pgServer.user}',
      table.name = 'f2', type = 'upsert', primary_key = 'user_id')`);
    expect((await pgClient.query('SELECT user_id, event_count FROM f2')).rows).toEqual([{ user_id: '4', event_count: '1' }]);
    expect(await error(`create sink k from user_features_1h with (connector = 'jdbc', jdbc.url = 'jdbc:postgresql://${pgServer.host}:${pgServer.port}/postgres?user=${pgServer.user}', table.name = 'absent')`)).toMatchObject({ code: 'XX000', message: expect.stringMatching(/absent/) });
  });
});

describe('kafka sink', () => {
  let broker: KafkaTestBroker;
  beforeAll(async () => {
    broker = await startKafkaBroker();
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('FORMAT UPSERT ENCODE JSON: keyed by the primary key, a delete is a tombstone', async () => {
    await db.exec("insert into user_events values (1, 2, '2026-11-21 10:00:00+00')");
    await db.exec(`create sink k from user_features_1h with (connector = 'kafka', topic = 'features', properties.bootstrap.server = '${broker.bootstrap}', primary_key = 'user_id')
      format upsert encode json`);
    await db.exec('delete from user_events');
    await db.exec('flush');
    const text = (b: Buffer | null) => (b === null ? null : b.toString());
    expect(broker.records('features', 0).map((r) => [text(r.key), text(r.value)])).toEqual([
      ['{"user_id":1}', '{"user_id":1,"event_count":1,"total_amount":"2","last_event":"2026-11-21T10:00:00.000000Z"}'],
      ['{"user_id":1}', null],
    ]);
    expect(await error("create sink k2 from user_features_1h with (connector = 'kafka')")).toMatchObject({ code: '42601', message: expect.stringMatching(/topic/) });
  });
});

describe('sink lifecycle', () => {
  /** A frontend persisted under `dir`, with a session's simple-query runner. */
  async function node(dir: string) {
    const opened = await openTestFrontend({ dataDir: dir });
    const session = await opened.frontend.connect({ user: 'root', database: 'dev', params: {} });
    const exec = async (sql: string) => {
      for (const portal of await session.simpleQuery(sql)) {
        await portal.execute(0);
        portal.close();
      }
    };
    return { exec, close: () => opened.close() };
  }

  it('a sink survives a restart (an upsert sink re-sends the MV), and DROP SINK stops it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-sinks-'));
    try {
      let n = await node(dir);
      // No checkpoint will list the sink: the restart rebuilds it (sink-recovery.test.ts
      // covers sinks restored from a checkpoint, which replay their log instead).
      await n.exec('alter system set checkpoint_frequency = 1000000');
      await n.exec('create table ev (user_id bigint, amount int)');
      await n.exec('create materialized view f as select user_id, sum(amount) as total from ev group by user_id');
      await n.exec(`create sink r from f with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id')`);
      await n.exec('insert into ev values (1, 5), (9, 9)');
      await n.exec('flush');
      await n.close();
      // The cache loses everything meanwhile: the restarted upsert sink re-sends the MV.
      await redis.flushall();

      n = await node(dir);
      await n.exec('flush');
      expect(await redis.get('{"user_id":9}')).toBe('{"user_id":9,"total":9}');
      await n.exec('insert into ev values (1, 1), (2, 2)');
      await n.exec('flush');
      expect(await redis.get('{"user_id":1}')).toBe('{"user_id":1,"total":6}');
      expect(await redis.get('{"user_id":2}')).toBe('{"user_id":2,"total":2}');
      await n.exec('drop sink r');
      await n.exec('insert into ev values (3, 3)');
      await n.exec('flush');
      expect(await redis.exists('{"user_id":3}')).toBe(0);
      await n.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
