/**
 * Decoupled sinks on a real `freshet start` child (issue 5: "Sinks commit on checkpoints,
 * retry a target that is down with backoff, and converge after a crash"):
 *
 * - `kill -9` while writers insert and delete: after each restart Redis and PostgreSQL hold
 *   exactly the MV (no stale key, nothing missing) and the S3 Parquet files hold exactly the
 *   append-only table the S3 sink reads (every row once: no duplicate from a replayed
 *   file, none lost from a rollover buffer);
 * - a stopped Redis and a halted s3rver hold no other job: another MV stays fresh
 *   (`rw_mv_freshness.lag_ms` small, FLUSH returns) and the sinks converge once the
 *   targets are back.
 */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FreshetServer,
  type PostgresServer,
  type RedisServer,
  type S3TestServer,
  sleep,
  startFreshet,
  startPostgres,
  startRedis,
  startS3rver,
} from '@freshet/testkit';

let redisServer: RedisServer;
let pgServer: PostgresServer;
let s3: S3TestServer;
let freshet: FreshetServer | undefined;

beforeAll(async () => {
  [redisServer, pgServer, s3] = await Promise.all([startRedis(), startPostgres(), startS3rver('sink-crash')]);
  await withPg(pgServer.url, (c) => c.query('CREATE TABLE features (user_id int PRIMARY KEY, n bigint, total bigint)'));
}, 120_000);
afterAll(async () => {
  await freshet?.stop();
  await Promise.all([redisServer?.close(), pgServer?.stop(), s3?.stop()]);
});

async function withPg<R>(url: string, f: (c: pg.Client) => Promise<R>): Promise<R> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => {});
  }
}
const sql = <R>(f: (c: pg.Client) => Promise<R>) => withPg(freshet!.url, f);

const USERS = 24;

/** Inserts (and every few rows deletes a whole user) until `stop()` or the server dies. */
function writer(from: number) {
  let stopped = false;
  let next = from;
  const done = (async () => {
    const c = new pg.Client({ connectionString: freshet!.url });
    c.on('error', () => {});
    try {
      await c.connect();
      while (!stopped) {
        // 8 rows per statement; every third round a whole user leaves the MV (a DEL downstream).
        const first = next;
        next += 8;
        const rows = Array.from({ length: 8 }, (_, k) => first + k).map((i) => `(${i}, ${(i * 7) % USERS}, ${i % 13})`).join(', ');
        await c.query(`INSERT INTO ev_log VALUES ${rows}`);
        await c.query(`INSERT INTO ev VALUES ${rows}`);
        if ((first / 8) % 3 === 0) await c.query(`DELETE FROM ev WHERE user_id = ${(first * 3) % USERS}`);
      }
    } catch {
      // the server was killed under the writer
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return {
    get next() {
      return next;
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const sortRows = (rows: string[]) => rows.sort();

async function mvRows(): Promise<string[]> {
  return sql(async (c) => sortRows((await c.query('SELECT user_id, n, total FROM f')).rows.map((r) => `${r.user_id} ${r.n} ${r.total}`)));
}

async function redisRows(): Promise<string[]> {
  const r = new Redis(redisServer.url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    const keys = await r.keys('{"user_id":*');
    const values = keys.length > 0 ? await r.mget(keys) : [];
    return sortRows(
      values.map((v, i) => {
        const o = JSON.parse(v!) as { user_id: number; n: number; total: number };
        expect(keys[i]).toBe(JSON.stringify({ user_id: o.user_id }));
        return `${o.user_id} ${o.n} ${o.total}`;
      }),
    );
  } finally {
    r.disconnect();
  }
}

async function pgRows(): Promise<string[]> {
  return withPg(pgServer.url, async (c) => sortRows((await c.query('SELECT user_id, n, total FROM features')).rows.map((r) => `${r.user_id} ${r.n} ${r.total}`)));
}

const s3client = () => new S3Client(s3.clientConfig);

/** Every row of every Parquet file under `prefix`, as `id user amount`, duplicates kept. */
async function parquetRows(prefix: string): Promise<{ files: number; rows: string[] }> {
  const client = s3client();
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    const rows: string[] = [];
    for (const o of listed.Contents ?? []) {
      const body = await (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: o.Key }))).Body!.transformToByteArray();
      const objects = await parquetReadObjects({ file: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer });
      rows.push(...objects.map((r) => `${r.id} ${r.user_id} ${r.amount}`));
    }
    return { files: listed.Contents?.length ?? 0, rows: rows.sort() };
  } finally {
    client.destroy();
  }
}

async function logRows(): Promise<string[]> {
  return sql(async (c) => sortRows((await c.query('SELECT id, user_id, amount FROM ev_log')).rows.map((r) => `${r.id} ${r.user_id} ${r.amount}`)));
}

/** Polls until Redis and PostgreSQL equal the MV and the Parquet files equal ev_log, exactly. */
async function converge(what: string, timeoutMs = 40_000): Promise<void> {
  const started = Date.now();
  await sql((c) => c.query('FLUSH'));
  let last: { got: unknown; want: unknown } | undefined;
  while (Date.now() - started < timeoutMs) {
    try {
      const [mv, log] = await Promise.all([mvRows(), logRows()]);
      const got = { redis: await redisRows(), pg: await pgRows(), parquet: (await parquetRows('crash/')).rows };
      const want = { redis: mv, pg: mv, parquet: log };
      if (JSON.stringify(got) === JSON.stringify(want)) {
        process.stderr.write(`sink-crash: ${what}: converged in ${Date.now() - started} ms (${mv.length} MV rows, ${log.length} log rows)\n`);
        return;
      }
      last = { got, want };
    } catch (e) {
      last = { got: String(e), want: null };
    }
    await sleep(250);
  }
  expect(last?.got, what).toEqual(last?.want);
}

describe('decoupled sinks on a real server', () => {
  it('kill -9 while rows are inserted and deleted: Redis and PostgreSQL equal the MV, the Parquet files hold every row once', async () => {
    freshet = await startFreshet({ removeDataDir: false });
    const dataDir = freshet.dataDir!;
    await sql(async (c) => {
      await c.query('CREATE TABLE ev (id int PRIMARY KEY, user_id int, amount int)');
      await c.query('CREATE TABLE ev_log (id int, user_id int, amount int) APPEND ONLY');
      await c.query('CREATE MATERIALIZED VIEW f AS SELECT user_id, count(*) AS n, sum(amount) AS total FROM ev GROUP BY user_id');
      await c.query(`CREATE SINK to_redis FROM f WITH (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id')`);
      await c.query(`CREATE SINK to_pg FROM f WITH (connector = 'postgres', host = '${pgServer.host}', port = '${pgServer.port}', user = '${pgServer.user}',
        database = 'postgres', table = 'features', type = 'upsert', primary_key = 'user_id')`);
      // Small files, cut often: kills land with rows waiting for the rollover and files being written.
      await c.query(`CREATE SINK to_s3 FROM ev_log WITH (connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = '${s3.bucket}', s3.path = 'crash/',
        s3.endpoint_url = '${s3.endpoint}', s3.credentials.access = 'S3RVER', s3.credentials.secret = 'S3RVER',
        max_row_count = '40', rollover_seconds = '1', type = 'append-only') FORMAT PLAIN ENCODE PARQUET`);
    });
    let from = 0;
    for (const [round, runMs] of [[1, 1500], [2, 700], [3, 2500]] as const) {
      const w = writer(from);
      await sleep(runMs);
      await freshet!.kill9();
      await w.stop();
      from = w.next + 8;
      freshet = await startFreshet({ dataDir, removeDataDir: false });
      // Writes and deletes go on after the restart, then everything must match exactly.
      const after = writer(from);
      await sleep(300);
      await after.stop();
      from = after.next + 8;
      await converge(`after kill -9 #${round}`);
    }
    expect((await parquetRows('crash/')).files).toBeGreaterThan(3);
  }, 240_000);

  it('a stopped Redis and a halted s3rver hold no other MV: it stays fresh, and the sinks converge when they return', async () => {
    await sql((c) => c.query('CREATE TABLE other (k int PRIMARY KEY, v int)'));
    await sql((c) => c.query('CREATE MATERIALIZED VIEW other_mv AS SELECT count(*) AS n, sum(v) AS s FROM other'));
    const mark = freshet!.logs.toString().length;
    // Redis goes down as one with persistence would: saved, so `restart()` brings its keys back.
    const admin = new Redis(redisServer.url, { protocol: 2, maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
    await admin.call('SAVE');
    admin.disconnect();
    await redisServer.stop();
    await s3.halt();
    try {
      const w = writer(1_000_000);
      // Meanwhile the other MV takes writes: FLUSH returns and its lag stays small.
      const lags: number[] = [];
      for (let i = 1; i <= 20; i++) {
        const started = Date.now();
        await sql(async (c) => {
          await c.query(`INSERT INTO other VALUES (${i}, ${i})`);
          await c.query('FLUSH');
          expect((await c.query('SELECT n FROM other_mv')).rows[0].n).toBe(String(i));
        });
        expect(Date.now() - started, 'FLUSH with a dead sink').toBeLessThan(5_000);
        await sleep(100);
        lags.push(Number((await sql((c) => c.query("SELECT lag_ms FROM rw_catalog.rw_mv_freshness WHERE name = 'other_mv'"))).rows[0].lag_ms));
      }
      await w.stop();
      process.stderr.write(`sink-crash: other_mv lag_ms during the outage: max ${Math.max(...lags)}, ${lags.join(' ')}\n`);
      expect(Math.max(...lags)).toBeLessThan(2_000);
      // The outage was hit: both sinks are retrying.
      const log = freshet!.logs.toString().slice(mark);
      expect(log).toMatch(/redis sink to_redis: epoch \d+ attempt \d+ failed/);
      expect(log).toMatch(/s3 sink to_s3: epoch \d+ attempt \d+ failed/);
    } finally {
      await redisServer.restart();
      await s3.resume();
    }
    // Everything written meanwhile (deletes too) arrives from the sinks' logs.
    await converge('after the outages', 60_000);
  }, 120_000);
});
