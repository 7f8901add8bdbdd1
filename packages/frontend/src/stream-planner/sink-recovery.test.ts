/**
 * Decoupled sinks across a crash of an in-process node (persistent data dir, closed without
 * a final checkpoint): the sink job is restored from the checkpoint with its log store, so
 * changes the target had not taken — a delete held back by a Redis outage, rows an S3 sink
 * buffered for its next file — are delivered after the restart, and a file cut again by
 * the replay overwrites the same object. (conformance/pipeline/sink-crash.test.ts does the
 * same with `kill -9` of a real server.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RedisServer, type S3TestServer, startRedis, startS3rver } from '@freshet/testkit';
import { openTestFrontend } from '../query/testing';

let redisServer: RedisServer;
let s3: S3TestServer;
let s3client: S3Client;

beforeAll(async () => {
  [redisServer, s3] = await Promise.all([startRedis(), startS3rver('sink-recovery')]);
  s3client = new S3Client(s3.clientConfig);
}, 60_000);
afterAll(async () => {
  s3client?.destroy();
  await Promise.all([redisServer?.close(), s3?.stop()]);
});

/** A node persisted under `dir`: statements, the streaming engine, and a crash (no final checkpoint). */
async function node(dir: string) {
  const opened = await openTestFrontend({ dataDir: dir });
  const session = await opened.frontend.connect({ user: 'root', database: 'dev', params: {} });
  const query = async (sql: string) => {
    const rows: unknown[][] = [];
    for (const portal of await session.simpleQuery(sql)) {
      rows.push(...(await portal.execute(0)).rows);
      portal.close();
    }
    return rows;
  };
  const engine = opened.frontend.streaming;
  return { query, engine, crash: () => opened.close() };
}


function withDir(f: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-sink-recovery-'));
    try {
      await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('decoupled sinks across a crash', () => {
  it('Redis: a delete held back by an outage is in the checkpointed log and reaches Redis after the restart', withDir(async (dir) => {
    const redis = new Redis(redisServer.url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    const snapshot = async () => {
      const keys = (await redis.keys('*')).sort();
      return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await redis.get(k)])));
    };
    await redis.connect();
    await redis.flushall();
    let n = await node(dir);
    await n.query('create table ev (user_id int, amount int)');
    await n.query('create materialized view f as select user_id, sum(amount) as total from ev group by user_id');
    await n.query(`create sink r from f with (connector = 'redis', redis.url = '${redisServer.url}', primary_key = 'user_id')`);
    await n.query('insert into ev values (1, 5), (2, 7), (1, 1)');
    await eventually(async () => expect(await snapshot()).toEqual({ '{"user_id":1}': '{"user_id":1,"total":6}', '{"user_id":2}': '{"user_id":2,"total":7}' }));
    // Redis goes away with its keys saved; meanwhile user 2 leaves the MV and user 3 arrives.
    await redis.call('SAVE');
    await redisServer.stop();
    await n.query('delete from ev where user_id = 2');
    await n.query('insert into ev values (3, 3)');
    await n.query('flush'); // returns: the sink is failing, the MV is fresh
    expect(await n.query('select user_id, total from f order by 1')).toEqual([[1, 6n], [3, 3n]]);
    await n.engine.checkpoint(); // the MV without user 2, and the sink's log with the DEL
    await n.crash();
    await redisServer.restart();
    // Stale until the log is replayed (polled: the test's client reconnects to the restarted Redis).
    await eventually(async () => expect(await redis.get('{"user_id":2}')).not.toBeNull());

    n = await node(dir);
    await eventually(async () => expect(await snapshot()).toEqual({ '{"user_id":1}': '{"user_id":1,"total":6}', '{"user_id":3}': '{"user_id":3,"total":3}' }));
    await n.query('insert into ev values (4, 4)');
    await eventually(async () => expect(await redis.get('{"user_id":4}')).toBe('{"user_id":4,"total":4}'));
    await n.crash();
    redis.disconnect();
  }), 60_000);

  it('S3: rows buffered for the next file survive a crash, and a file cut again after a crash overwrites the same object', withDir(async (dir) => {
    const objects = async () => {
      const listed = await s3client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'crash/' }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    };
    const ids = async () => {
      const out: number[] = [];
      for (const key of await objects()) {
        const body = await (await s3client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray();
        const rows = await parquetReadObjects({ file: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer });
        out.push(...rows.map((r) => Number(r.id)));
      }
      return out.sort((a, b) => a - b);
    };
    let n = await node(dir);
    // Checkpoints only when the test takes them.
    await n.query('alter system set checkpoint_frequency = 1000000');
    await n.query('create table ev (id int, note varchar) append only');
    await n.query(`create sink s from ev with (connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = '${s3.bucket}', s3.path = 'crash/',
      s3.endpoint_url = '${s3.endpoint}', s3.credentials.access = 'S3RVER', s3.credentials.secret = 'S3RVER',
      max_row_count = '4', rollover_seconds = '3600', type = 'append-only') format plain encode parquet`);
    const sinkId = (await n.query("select id from rw_catalog.rw_sinks where name = 's'"))[0][0] as number;
    await n.query("insert into ev values (1, 'a'), (2, 'b')");
    await n.query('flush');
    await n.engine.checkpoint();
    await n.engine.checkpoint(); // the sink handed the rows to the target, which buffers them
    expect(await objects()).toEqual([]);
    await n.crash(); // the target's buffer is gone; the log in the checkpoint has the rows

    n = await node(dir);
    await n.query("insert into ev values (3, 'c'), (4, 'd')");
    await n.query('flush');
    await n.engine.checkpoint();
    await eventually(async () => expect(await ids()).toEqual([1, 2, 3, 4]));
    expect(await objects()).toHaveLength(1);

    // A file is written, and the node dies before a checkpoint records that the log forgot its rows.
    await n.query("insert into ev values (5, 'e'), (6, 'f'), (7, 'g'), (8, 'h')");
    await n.query('flush');
    await n.engine.checkpoint();
    await eventually(async () => expect(await objects()).toHaveLength(2));
    await n.crash();

    n = await node(dir);
    // The restored log hands rows 5-8 over again at the recovered checkpoint: the same file,
    // cut again under the same name — nothing twice.
    await eventually(async () => expect(n.engine.sinkJob(sinkId)!.sink.pendingRows).toBe(0));
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await objects()).toHaveLength(2);
    await n.query("insert into ev values (9, 'i'), (10, 'j'), (11, 'k'), (12, 'l')");
    await n.query('flush');
    await eventually(async () => expect(await ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect(await objects()).toHaveLength(3);
    await n.crash();
  }), 60_000);
});
