/**
 * Seed article 000's architecture end to end, on a real `freshet start` child:
 *
 *   Kafka `user-events` (testkit's Kafka-protocol broker) ─┐
 *   PostgreSQL CDC `transactions` (PostgreSQL 15)  ────────┴─> the seed MVs ─> Redis + S3 Parquet
 *
 * Every statement is the articles' own text, extracted at runtime: seed 000's two CREATE
 * SOURCEs and three MVs; the sinks are the articles' CREATE SINKs (001's Redis and S3 Parquet
 * sinks, 004's `redis.key.format` sink) pointed at seed 000's MVs. Only addresses,
 * credentials and the FROM clause of the sinks differ from the text.
 *
 * The truth is PostgreSQL: every event sent to Kafka is also inserted into a `user_events`
 * table next to `transactions`, and the seed's MV statements run there as plain views. After
 * each phase the MVs must equal those views (nothing lost, nothing counted twice), Redis must
 * hold exactly the MVs' rows (a row that leaves an MV is DEL'd), and the S3 Parquet files
 * (read with DuckDB) must end, per key, with each MV row's current version. Phases: inserts /
 * updates / deletes upstream, malformed Kafka input, then outages of the broker, Redis,
 * PostgreSQL and S3, and a `kill -9` of Freshet, each while data keeps flowing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FreshetServer,
  type KafkaTestBroker,
  type PostgresServer,
  type RedisServer,
  type S3TestServer,
  postgresBinDir,
  sleep,
  startFreshet,
  startKafkaBroker,
  startPostgres,
  startRedis,
  startS3rver,
} from '@freshet/testkit';
import { mvSql, seedText, sinkSql, sourceColumns, sourceSql, withOption } from './seed-sql';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const seed000 = seedText('000_');
const seed001 = seedText('001_');
const seed004 = seedText('004_');
const present = seed000 !== undefined && seed001 !== undefined && seed004 !== undefined;
if (!present) process.stderr.write('\n*** seed-architecture.test: ../shared/seeds not found: pipeline test SKIPPED ***\n\n');

const MVS = ['user_session_features', 'user_purchase_count_7d', 'ml_feature_vector'] as const;
/** Seed 000's topic name (its CREATE SOURCE says `topic = 'user-events'`). */
const TOPIC = 'user-events';

let broker: KafkaTestBroker;
let upstream: PostgresServer;
let redisServer: RedisServer;
let s3: S3TestServer;
let freshet: FreshetServer | undefined;
let producer: Producer;
let dataDir: string;
let prodUrl: string;

// ---------------------------------------------------------------------------------------
// Rows, compared as text the way psql prints them, with values normalised so the three
// encodings (pgwire text, RisingWave's JSON in Redis, Parquet through DuckDB) compare equal.

/** µs since the epoch of a UTC timestamp in any of the three spellings. */
function micros(s: string): string | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:Z|\+00(?::00)?)?$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return `ts:${BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'))}`;
}

function norm(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = String(v);
  if (/^-?\d+(\.\d+)?$/.test(s)) return String(Number(s));
  return micros(s) ?? s;
}

const sortRows = (rows: string[][]) => rows.sort((a, b) => (a.join('|') < b.join('|') ? -1 : a.join('|') > b.join('|') ? 1 : 0));
/** pg's parsers off: every value as the server's text. */
const rawText = { getTypeParser: () => (v: string) => v };

interface Table {
  columns: string[];
  rows: string[][];
}

async function withClient<R>(config: pg.ClientConfig | string, f: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client(typeof config === 'string' ? { connectionString: config } : config);
  c.on('error', () => {});
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => {});
  }
}

async function table(c: pg.Client, sql: string): Promise<Table> {
  const r = await c.query({ text: sql, rowMode: 'array', types: rawText });
  return { columns: r.fields.map((f) => f.name), rows: sortRows((r.rows as unknown[][]).map((row) => row.map(norm))) };
}

const freshetSql = <R>(f: (c: pg.Client) => Promise<R>) => withClient(freshet!.url, f);
const upstreamSql = <R>(f: (c: pg.Client) => Promise<R>) => withClient(prodUrl, f);

// ---------------------------------------------------------------------------------------
// Inputs: Kafka events mirrored into PostgreSQL, transactions written to PostgreSQL.

interface Event {
  user_id: number | null;
  event_type: string | null;
  item_id: number | null;
  timestamp: string | null;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** Sends good events to Kafka (with raw messages between them) and records them upstream. */
async function sendEvents(events: Event[], raw: (string | Buffer)[] = []): Promise<void> {
  // Null fields are left out: a missing field must read as NULL (RisingWave's JSON parser).
  const good = events.map((e, i) => ({ value: JSON.stringify(e, (k, v) => (v === null ? undefined : v)), partition: i % 2 }));
  const bad = raw.map((value, i) => ({ value, partition: i % 2 }));
  // Interleaved, so the good messages around each bad one must be ingested.
  const messages = good.flatMap((m, i) => (bad[i] ? [m, bad[i]] : [m])).concat(bad.slice(good.length));
  await producer.send({ topic: TOPIC, messages });
  if (events.length === 0) return;
  await upstreamSql(async (c) => {
    const params = events.flatMap((e) => [e.user_id, e.event_type, e.item_id, e.timestamp]);
    const tuples = events.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`);
    await c.query(`INSERT INTO user_events VALUES ${tuples.join(', ')}`, params);
  });
}

let nextEvent = 0;
/** `n` events for users 1..12, recent enough to stay in the 30-minute window for the test. */
function events(n: number): Event[] {
  return Array.from({ length: n }, () => {
    const i = nextEvent++;
    return { user_id: (i % 12) + 1, event_type: ['click', 'view', 'cart'][i % 3], item_id: 100 + (i % 7), timestamp: minutesAgo(1 + (i % 20)) };
  });
}

let nextTxn = 1;
/** `n` transactions for users 1..10, some older than the 7-day window. */
async function insertTransactions(n: number): Promise<void> {
  await upstreamSql(async (c) => {
    for (let k = 0; k < n; k++) {
      const i = nextTxn++;
      await c.query('INSERT INTO transactions VALUES ($1, $2, $3, $4, $5)', [i, (i % 10) + 1, ((i * 37) % 1000) / 10 + 0.25, minutesAgo(i % 5 === 0 ? 8 * 1440 : (i % 60) * 60), i % 2]);
    }
  });
}

/** Updates (amounts, a move out of the 7-day window, a key change) and deletes upstream. */
async function changeTransactions(): Promise<void> {
  await upstreamSql(async (c) => {
    await c.query('UPDATE transactions SET amount = amount + 1.5 WHERE transaction_id % 7 = 1');
    await c.query(`UPDATE transactions SET created_at = now() - interval '9 days' WHERE transaction_id % 11 = 2`);
    await c.query('UPDATE transactions SET user_id = user_id % 3 + 1 WHERE transaction_id % 13 = 3');
    await c.query('DELETE FROM transactions WHERE transaction_id % 9 = 4');
    // Primary-key change: the old key must disappear downstream.
    await c.query('UPDATE transactions SET transaction_id = transaction_id + 100000 WHERE transaction_id % 17 = 5');
  });
}

// ---------------------------------------------------------------------------------------
// Outputs: the MVs, PostgreSQL's answer, Redis and the Parquet files.

async function allMvs(c: pg.Client): Promise<Record<string, Table>> {
  const out: Record<string, Table> = {};
  for (const mv of MVS) out[mv] = await table(c, `SELECT * FROM ${mv}`);
  return out;
}
const freshetMvs = () => freshetSql(allMvs);
const upstreamViews = () => upstreamSql(allMvs);

/** Redis values of keys matching `pattern`, as rows in `columns`' order. */
async function redisRows(pattern: string, columns: string[]): Promise<{ keys: string[]; rows: string[][] }> {
  const r = new Redis(redisServer.url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    const keys = (await r.keys(pattern)).sort();
    const values = keys.length > 0 ? await r.mget(keys) : [];
    return { keys, rows: sortRows(values.map((v) => columns.map((col) => norm((JSON.parse(v!) as Record<string, unknown>)[col])))) };
  } finally {
    r.disconnect();
  }
}

const s3Client = () => new S3Client(s3.clientConfig);

/**
 * The last version of each key in the Parquet files (files in epoch order, rows in file
 * order): an S3 sink appends, so the newest row of a key is its current value.
 */
async function parquetLatest(columns: string[], key: string): Promise<{ files: string[]; rows: Map<string, string[]> }> {
  const client = s3Client();
  const dir = mkdtempSync(join(tmpdir(), 'freshet-pipeline-parquet-'));
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'snapshots/' }));
    const names = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('.parquet'));
    const epoch = (k: string) => BigInt(/_(\d+)\.parquet$/.exec(k)![1]);
    names.sort((a, b) => (epoch(a) < epoch(b) ? -1 : epoch(a) > epoch(b) ? 1 : 0));
    const latest = new Map<string, string[]>();
    if (names.length === 0) return { files: names, rows: latest };
    const files: string[] = [];
    for (const [i, name] of names.entries()) {
      const body = await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: name }))).Body!.transformToByteArray();
      const file = join(dir, `${String(i).padStart(6, '0')}.parquet`);
      writeFileSync(file, body);
      files.push(file);
    }
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    const list = `[${files.map((f) => `'${f}'`).join(', ')}]`;
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list})`)).getRowObjectsJson();
    const typeOf = new Map(types.map((t) => [String(t.column_name), String(t.column_type)]));
    const select = columns.map((c) => (typeOf.get(c)?.startsWith('TIMESTAMP') ? `strftime(timezone('UTC', "${c}"), '%Y-%m-%d %H:%M:%S.%f')` : `"${c}"::varchar`) + ` AS "${c}"`);
    const r = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${list}, filename = true, file_row_number = true) ORDER BY filename, file_row_number`);
    for (const row of r.getRowObjectsJson()) latest.set(norm(row[key]), columns.map((c) => norm(row[c])));
    conn.closeSync();
    duck.closeSync();
    return { files: names, rows: latest };
  } finally {
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Checks every MV against PostgreSQL and both Redis sinks against the MVs, once. */
async function compare(): Promise<{ ok: boolean; got: unknown; want: unknown }> {
  const [mvs, views] = await Promise.all([freshetMvs(), upstreamViews()]);
  const vector = mvs.ml_feature_vector;
  const purchases = mvs.user_purchase_count_7d;
  const redisVector = await redisRows('{*', vector.columns);
  const redisPurchases = await redisRows('user_risk:*', purchases.columns);
  const got = { mvs, redisVector: redisVector.rows, vectorKeys: redisVector.keys, redisPurchases: redisPurchases.rows, purchaseKeys: redisPurchases.keys };
  const want = {
    mvs: views,
    redisVector: vector.rows,
    // RisingWave's JSON key layout: the primary key columns as an object
    vectorKeys: vector.rows.map((r) => JSON.stringify({ user_id: Number(r[0]) })).sort(),
    redisPurchases: purchases.rows,
    // seed 004's key format, 'user_risk:{user_id}'
    purchaseKeys: purchases.rows.map((r) => `user_risk:${r[0]}`).sort(),
  };
  return { ok: JSON.stringify(got) === JSON.stringify(want), got, want };
}

/** FLUSH, then polls until the MVs equal PostgreSQL's views and Redis equals the MVs. */
async function converge(what: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  await freshetSql((c) => c.query('FLUSH'));
  let last: Awaited<ReturnType<typeof compare>> | undefined;
  while (Date.now() - started < timeoutMs) {
    last = await compare().catch(() => undefined);
    if (last?.ok) {
      timings.push(`${what}: ${Date.now() - started} ms`);
      return;
    }
    await sleep(200);
  }
  last ??= await compare();
  expect(last.got, what).toEqual(last.want);
}

/** Polls until the Parquet files end, for every ml_feature_vector row, with that row. */
async function convergeParquet(what: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  let got: unknown;
  let want: unknown;
  while (Date.now() - started < timeoutMs) {
    const mv = (await freshetMvs()).ml_feature_vector;
    const parquet = await parquetLatest(mv.columns, 'user_id').catch(() => undefined);
    want = mv.rows;
    got = parquet ? sortRows(mv.rows.map((r) => parquet.rows.get(r[0]) ?? ['missing', r[0]])) : 'unreadable';
    if (JSON.stringify(got) === JSON.stringify(want)) {
      timings.push(`${what}: ${Date.now() - started} ms (${parquet!.files.length} files)`);
      // The seed's s3.path, 'snapshots/user_features_1h/date={snapshot_date}/', with the UTC date
      // the file was written (the test may straddle midnight), then `<sink>_<first epoch>.parquet`.
      const dates = new Set([testStart, new Date()].map((d) => d.toISOString().slice(0, 10)));
      for (const f of parquet!.files) {
        const m = /^snapshots\/user_features_1h\/date=(\d{4}-\d\d-\d\d)\/user_features_daily_snapshot_\d+\.parquet$/.exec(f);
        expect(m && dates.has(m[1]), f).toBe(true);
      }
      return;
    }
    await sleep(500);
  }
  process.stderr.write(`${what}: Freshet log (s3 sink):\n${freshet!.logs.toString().split('\n').filter((l) => /s3 sink/.test(l)).slice(-30).join('\n')}\n`);
  expect(got, what).toEqual(want);
}

const timings: string[] = [];
const testStart = new Date();

/** Waits until Freshet's log, past `from` characters, has a line matching `re` (proof an outage was hit). */
async function logShows(re: RegExp, from: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (freshet!.logs.toString().slice(from).split('\n').some((l) => re.test(l))) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}
const logLength = () => freshet!.logs.toString().length;

/** Redis goes down as one with persistence would: saving, so `restart()` brings its keys back. */
async function redisDown(): Promise<void> {
  const admin = new Redis(redisServer.url, { protocol: 2, maxRetriesPerRequest: 0 });
  admin.on('error', () => {});
  await admin.call('SHUTDOWN', 'SAVE').catch(() => {}); // the connection closes under the reply
  admin.disconnect();
  await redisServer.stop();
}

/** `pg_ctl <action>` on the upstream cluster (as the postgres OS user when root), without blocking the event loop. */
async function pgCtl(action: 'restart' | 'stop' | 'start'): Promise<void> {
  const pgCtlBin = join(postgresBinDir()!, 'pg_ctl');
  const args = ['-D', upstream.dataDir, '-m', 'fast', '-w', '-t', '60', '-l', join(upstream.dataDir, 'pipeline-test.log'), action];
  const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', pgCtlBin, ...args]] : [pgCtlBin, args];
  const p = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
  if (code !== 0) throw new Error(`pg_ctl ${action} failed: ${out}`);
}

// ---------------------------------------------------------------------------------------

describe.skipIf(!present)('seed 000 architecture: Kafka + CDC -> seed MVs -> Redis + S3 Parquet', () => {
  beforeAll(async () => {
    [broker, upstream, redisServer, s3] = await Promise.all([startKafkaBroker(), startPostgres(), startRedis(), startS3rver('ml-feature-store')]);
    broker.createTopic(TOPIC, 2);
    producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 500 } }).producer();
    await producer.connect();
    // Seed 000's CDC source reads database `prod`; the events' mirror and the reference views live there too.
    await withClient(upstream.url, (c) => c.query('CREATE DATABASE prod'));
    prodUrl = upstream.url.replace(/\/postgres$/, '/prod');
    await upstreamSql(async (c) => {
      await c.query('CREATE TABLE transactions (transaction_id BIGINT PRIMARY KEY, user_id BIGINT, amount NUMERIC(10, 2), created_at TIMESTAMPTZ, label INT)');
      await c.query(`CREATE TABLE user_events ${sourceColumns(seed000!, 'user_events')}`);
      for (const mv of MVS) await c.query(mvSql(seed000!, mv).replace('CREATE MATERIALIZED VIEW', 'CREATE VIEW'));
    });
    freshet = await startFreshet();
    dataDir = freshet.dataDir!;
  }, 120_000);

  afterAll(async () => {
    if (timings.length > 0) process.stderr.write(`seed-architecture timings:\n  ${timings.join('\n  ')}\n`);
    await freshet?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await producer?.disconnect();
    await Promise.all([broker?.close(), upstream?.stop(), redisServer?.close(), s3?.stop()]);
  });

  it('delivers the seed MVs to Redis and S3 Parquet, equal to PostgreSQL, through inserts, updates and deletes', async () => {
    // Before the pipeline exists: the CDC snapshot and the topic's beginning.
    await insertTransactions(40);
    await sendEvents(events(60));

    const kafkaSource = withOption(sourceSql(seed000!, 'user_events'), 'properties.bootstrap.server', broker.bootstrap);
    let cdcSource = sourceSql(seed000!, 'transactions');
    for (const [k, v] of [['hostname', upstream.host], ['port', String(upstream.port)], ['username', upstream.user]]) cdcSource = withOption(cdcSource, k, v);
    const redisSink = withOption(sinkSql(seed001!, 'user_features_to_redis'), 'redis.url', redisServer.url).replace(/FROM user_features_1h/, 'FROM ml_feature_vector');
    const templateSink = withOption(sinkSql(seed004!, 'user_risk_features_redis'), 'redis.url', redisServer.url).replace(/FROM user_risk_features/, 'FROM user_purchase_count_7d');
    const s3Sink = withOption(withOption(sinkSql(seed001!, 'user_features_daily_snapshot'), 's3.credentials.access', 'S3RVER'), 's3.credentials.secret', 'S3RVER')
      .replace(/FROM user_features_1h/, 'FROM ml_feature_vector')
      .replace(/connector = 's3',/, `connector = 's3',\n    s3.endpoint_url = '${s3.endpoint}',`);
    await freshetSql(async (c) => {
      await c.query(kafkaSource);
      await c.query(cdcSource);
      for (const mv of MVS) await c.query(mvSql(seed000!, mv));
      await c.query(redisSink);
      await c.query(templateSink);
      await c.query(s3Sink);
    });
    await converge('initial snapshot + topic');

    // Streaming: more events (one user's only event leaves the 30-minute window in ~6 s,
    // so its rows are deleted from the MVs and DEL'd in Redis), inserts, updates, deletes.
    const mvs = await freshetMvs();
    expect(mvs.ml_feature_vector.rows.length).toBe(12);
    expect(mvs.user_purchase_count_7d.rows.length).toBe(8); // users 1 and 6 have only 8-day-old purchases
    const leavesAt = Date.now() + 8000;
    await sendEvents([...events(40), { user_id: 99, event_type: 'click', item_id: 1, timestamp: new Date(leavesAt - 30 * 60_000).toISOString() }]);
    await insertTransactions(30);
    await changeTransactions();
    // User 99 reaches Redis before it leaves the window (polled: the check must not race the exit).
    const inRedis = async () => (await redisRows('{*', ['user_id'])).rows.some((r) => r[0] === '99');
    let seen = await inRedis();
    while (!seen && Date.now() < leavesAt) seen = await sleep(50).then(inRedis);
    expect(seen, 'user 99 in Redis before it leaves the window').toBe(true);
    await converge('inserts, updates and deletes');
    await sleep(Math.max(0, leavesAt + 1000 - Date.now()));
    await converge('a user aging out of the window');
    expect((await redisRows('{*', ['user_id'])).rows.map((r) => r[0])).not.toContain('99');
    await convergeParquet('parquet after changes');
  }, 90_000);

  it('skips, counts and reports malformed Kafka messages, ingesting the good ones around them', async () => {
    const at = minutesAgo(2);
    const bad: (string | Buffer)[] = [
      '{"user_id": 3, "event_type": "cli', // truncated JSON
      'not json at all',
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]), // not even UTF-8
      JSON.stringify({ user_id: 'abc', event_type: 'click', item_id: 1, timestamp: at }), // wrong type
      JSON.stringify({ user_id: 4, event_type: 'view', item_id: { nested: true }, timestamp: at }), // wrong type
      JSON.stringify({ user_id: 5, event_type: 'view', item_id: 2, timestamp: 'yesterday-ish' }), // wrong type
      `{"user_id": 6, "event_type": "${'x'.repeat(2 << 20)}`, // oversized (2 MiB) and malformed
    ];
    const good: Event[] = [
      ...events(10),
      { user_id: 7, event_type: 'click', item_id: null, timestamp: at }, // missing field -> NULL
      { user_id: 8, event_type: null, item_id: 5, timestamp: at },
      { user_id: null, event_type: 'view', item_id: 6, timestamp: null },
      { user_id: 9, event_type: 'y'.repeat(2 << 20), item_id: 7, timestamp: at }, // oversized (2 MiB) but valid
    ];
    await sendEvents(good, bad);
    await converge('bad input: good messages ingested');

    const counts = await freshetSql((c) => table(c, "SELECT error_count FROM rw_catalog.rw_source_error_counts WHERE source_name = 'user_events'"));
    expect(counts.rows).toEqual([[String(bad.length)]]);
    const errors = await freshetSql((c) => table(c, "SELECT partition, message_offset, reason FROM rw_catalog.rw_source_errors WHERE source_name = 'user_events'"));
    expect(errors.rows.length).toBe(bad.length);
    // Where each bad message is: its partition and offset in the broker's log.
    const located = errors.rows.map(([partition, offset]) => broker.records(TOPIC, Number(partition)).find((r) => r.offset === Number(offset))?.value?.toString('hex'));
    expect(located.sort()).toEqual(bad.map((b) => Buffer.from(b).toString('hex')).sort());
    const warnings = freshet!.logs.toString().split('\n').filter((l) => /WARN/.test(l) && /source user_events: skipped malformed message at partition \d+ offset \d+/.test(l));
    expect(warnings.length).toBe(bad.length);
  }, 60_000);

  it('stays exact, and the sinks converge, through outages of Kafka, Redis, PostgreSQL and S3 and a kill -9 of Freshet', async () => {
    // Kafka: the broker goes away mid-stream and comes back with everything it had.
    await sendEvents(events(30));
    await broker.stop();
    await insertTransactions(5);
    await sleep(1500);
    await broker.start();
    await sendEvents(events(30));
    await converge('Kafka broker outage');

    // Redis: down while changes flow, then back.
    let mark = logLength();
    await redisDown();
    await sendEvents(events(30));
    await insertTransactions(5);
    await changeTransactions();
    // The sinks tried to deliver while Redis was down (and held those epochs).
    expect(await logShows(/redis sink user_features_to_redis: epoch \d+ attempt \d+ failed/, mark, 10_000)).toBe(true);
    await redisServer.restart();
    await converge('Redis outage');
    expect(await logShows(/redis sink user_features_to_redis: epoch \d+ delivered after \d+ attempts/, mark, 1000)).toBe(true);

    // PostgreSQL: changes just before a `pg_ctl restart`, more right after.
    await insertTransactions(10);
    await sendEvents(events(20));
    await pgCtl('restart');
    await insertTransactions(10);
    await changeTransactions();
    await converge('PostgreSQL restart');

    // S3: the object store goes away while epochs are committed, then comes back.
    // Files roll over every 10 s (the seed sink's default), so the outage lasts until a write failed.
    mark = logLength();
    await s3.halt();
    await sendEvents(events(30));
    await insertTransactions(5);
    expect(await logShows(/s3 sink user_features_daily_snapshot: epoch \d+ attempt \d+ failed/, mark, 15_000)).toBe(true);
    await sendEvents(events(10));
    await s3.resume();
    await converge('S3 outage');
    expect(await logShows(/s3 sink user_features_daily_snapshot: epoch \d+ delivered after \d+ attempts/, mark, 10_000)).toBe(true);

    // kill -9 of Freshet mid-stream: inputs keep coming while it is down.
    await sendEvents(events(20));
    await insertTransactions(5);
    await freshet!.kill9();
    freshet = undefined;
    await sendEvents(events(30));
    await insertTransactions(10);
    await changeTransactions();
    const walAfterInputs = await upstreamSql(async (c) => (await c.query('SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string);
    freshet = await startFreshet({ dataDir, removeDataDir: false });
    await converge('kill -9 of Freshet');
    await convergeParquet('parquet after every outage');
    // The slot is confirmed past everything Freshet stored, so upstream WAL is not held.
    const confirmed = await upstreamSql(async (c) => (await c.query(`SELECT count(*)::int AS n FROM pg_replication_slots WHERE confirmed_flush_lsn >= $1::pg_lsn`, [walAfterInputs])).rows[0].n as number);
    expect(confirmed).toBe(1);
  }, 120_000);

  it('delivers a delete held back by a Redis outage even when Freshet is killed before Redis returns', async () => {
    await converge('before the held delete');
    const victim = (await freshetMvs()).user_purchase_count_7d.rows[0][0];
    expect((await redisRows(`user_risk:${victim}`, ['user_id'])).keys).toEqual([`user_risk:${victim}`]);
    const mark = logLength();
    await redisDown();
    // All the victim's purchases go: its user_purchase_count_7d row is deleted, a DEL for Redis.
    await upstreamSql((c) => c.query('DELETE FROM transactions WHERE user_id = $1', [victim]));
    expect(await logShows(/redis sink user_risk_features_redis: epoch \d+ attempt \d+ failed/, mark, 10_000)).toBe(true);
    await freshet!.kill9();
    await redisServer.restart();
    freshet = await startFreshet({ dataDir, removeDataDir: false });
    await converge('a held delete after kill -9');
    expect((await redisRows(`user_risk:${victim}`, ['user_id'])).keys).toEqual([]);
  }, 60_000);

  it('restarts after a kill -9 while the broker and PostgreSQL are both down, and catches up exactly', async () => {
    await sendEvents(events(20));
    await insertTransactions(5);
    await converge('before the double outage');
    await broker.stop();
    await pgCtl('stop');
    await freshet!.kill9();
    freshet = await startFreshet({ dataDir, removeDataDir: false });
    // Serving still works from stored state while both upstreams are away.
    expect((await freshetMvs()).ml_feature_vector.rows.length).toBeGreaterThan(0);
    await sleep(1000);
    await broker.start();
    await pgCtl('start');
    await sendEvents(events(20));
    await insertTransactions(5);
    await changeTransactions();
    await converge('after the double outage');
  }, 60_000);
});
