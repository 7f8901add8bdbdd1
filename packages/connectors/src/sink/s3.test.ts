import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { Decimal, Jsonb, Op, T, listOf } from '@freshet/common';
import S3rver from 's3rver';
import { freePort, startS3rver, type S3TestServer } from '@freshet/testkit';
import type { SinkColumn } from './api';
import { prepareExternalSink } from './registry';
import { encodeParquet } from './parquet';
import { S3SinkTarget, s3Client, s3ObjectName, s3SinkConfig } from './s3';
import { chunkOf, sinkSpec, testContext } from './test-util';

const cols: SinkColumn[] = [
  { name: 'id', type: T.Int64 },
  { name: 'name', type: T.Varchar },
  { name: 'amount', type: T.Decimal },
  { name: 'at', type: T.Timestamptz },
  { name: 'day', type: T.Date },
  { name: 'ok', type: T.Boolean },
  { name: 'score', type: T.Float64 },
  { name: 'small', type: T.Int16 },
  { name: 'tags', type: listOf(T.Int32) },
  { name: 'doc', type: T.Jsonb },
  { name: '_hidden', type: T.Int64, hidden: true },
];
const US = 1_700_000_000_123_456;
const row = (id: bigint, name: string | null) => [id, name, Decimal.tryParse('-3.25')!, US, 19675, true, 0.5, 7, [1, 2], new Jsonb({ a: 1 }), 99n];

let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3rver('sink-bucket');
});
afterAll(async () => {
  await s3.stop();
});

const options = (extra: Record<string, string> = {}) => ({
  's3.bucket_name': s3.bucket,
  's3.path': 'out/features',
  's3.region_name': 'us-east-1',
  's3.endpoint_url': s3.endpoint,
  's3.credentials.access': 'S3RVER',
  's3.credentials.secret': 'S3RVER',
  rollover_seconds: '0',
  ...extra,
});

async function getObject(key: string): Promise<Uint8Array> {
  const c = s3Client(s3SinkConfig(sinkSpec('s3', cols, { options: options() })));
  const r = await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  const body = await r.Body!.transformToByteArray();
  c.destroy();
  return body;
}

async function listKeys(prefix: string): Promise<string[]> {
  const c = s3Client(s3SinkConfig(sinkSpec('s3', cols, { options: options() })));
  const r = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  c.destroy();
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

const target = (extra: Record<string, string> = {}, over = {}) =>
  new S3SinkTarget(s3SinkConfig(sinkSpec('s3', cols, { options: options(extra), ...over })), 's1', cols, testContext(), { initialMs: 20, maxMs: 200 });

describe('s3 sink', () => {
  it('writes one Parquet file per commit, appending inserts and new update rows', async () => {
    const t = target();
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')], [Op.Insert, row(2n, null)], [Op.Delete, row(3n, 'x')]]));
    await t.commit(5);
    t.write(chunkOf(cols, [[Op.UpdateDelete, row(1n, 'a')], [Op.UpdateInsert, row(1n, 'b')]]));
    await t.commit(6);
    await t.commit(7); // nothing written: no file
    expect(t.files).toEqual(['out/features/s1_5.parquet', 'out/features/s1_6.parquet']);
    const buf = await getObject('out/features/s1_5.parquet');
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(file);
    expect(meta.schema.map((s) => s.name)).toEqual(['arrow_schema', 'id', 'name', 'amount', 'at', 'day', 'ok', 'score', 'small', 'tags', 'doc']);
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: 1n, name: 'a', amount: -3.25, day: new Date('2023-11-14T00:00:00Z'), ok: true, score: 0.5, small: 7, tags: '[1,2]', doc: '{"a": 1}' });
    expect((rows[0].at as Date).toISOString()).toBe('2023-11-14T22:13:20.123Z');
    expect(rows[1].name).toBeNull();
    t.close();
  });

  it('ENCODE JSON writes newline-delimited RisingWave JSON', async () => {
    const t = target({ 's3.path': 'json/' }, { encode: 'json' });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    await t.commit(9);
    const text = Buffer.from(await getObject('json/s1_9.json')).toString();
    expect(text).toBe('{"id":1,"name":"a","amount":"-3.25","at":"2023-11-14T22:13:20.123456Z","day":738838,"ok":true,"score":0.5,"small":7,"tags":[1,2],"doc":"{\\"a\\":1}"}\n');
    t.close();
  });

  it('a replayed epoch overwrites its file instead of adding one', async () => {
    const first = target({ 's3.path': 'replay' });
    first.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    await first.commit(3);
    first.close();
    const again = target({ 's3.path': 'replay' });
    again.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    await again.commit(3);
    again.close();
    expect(await listKeys('replay/')).toEqual(['replay/s1_3.parquet']);
  });

  it('rolls over by row count and time, and partitions by date', async () => {
    let now = Date.parse('2026-11-21T10:00:00Z');
    const config = s3SinkConfig(sinkSpec('s3', cols, { options: options({ 's3.path': 'snap/date={snapshot_date}/', rollover_seconds: '60', max_row_count: '3' }) }));
    const t = new S3SinkTarget(config, 's1', cols, testContext(), undefined, () => now);
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    await t.commit(1); // 1 row, 0 s: keep buffering
    t.write(chunkOf(cols, [[Op.Insert, row(2n, 'a')]]));
    await t.commit(2);
    expect(t.files).toEqual([]);
    now += 61_000;
    await t.commit(3); // old enough
    expect(t.files).toEqual(['snap/date=2026-11-21/s1_1.parquet']);
    t.write(chunkOf(cols, [[Op.Insert, row(3n, 'a')], [Op.Insert, row(4n, 'a')], [Op.Insert, row(5n, 'a')]]));
    await t.commit(4); // full
    expect(t.files[1]).toBe('snap/date=2026-11-21/s1_4.parquet');
    // Rows still buffered at close (DROP SINK, shutdown) are written then.
    t.write(chunkOf(cols, [[Op.Insert, row(6n, 'a')]]));
    await t.commit(5);
    t.close();
    await t.finalWrite;
    expect(t.files[2]).toBe('snap/date=2026-11-21/s1_5.parquet');
    const day = s3SinkConfig(sinkSpec('s3', cols, { options: options({ path_partition_prefix: 'hour' }) }));
    expect(s3ObjectName(day, 'k', 7, Date.parse('2026-11-21T10:20:00Z'))).toBe('out/features/2026-11-21 10:00/k_7.parquet');
  });

  it('an abandoned target (a crash) writes nothing more: buffered rows stay for the replay', async () => {
    const config = s3SinkConfig(sinkSpec('s3', cols, { options: options({ 's3.path': 'abandon/', rollover_seconds: '3600', max_row_count: '100' }) }));
    const t = new S3SinkTarget(config, 's1', cols, testContext());
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    await t.commit(1); // buffered for the rollover
    t.abandon();
    await t.finalWrite;
    expect(t.files).toEqual([]);
    expect(await listKeys('abandon/')).toEqual([]);
  });

  it('validates options and checks the bucket', async () => {
    const prep = (o: Record<string, string>, over = {}) => () => prepareExternalSink(sinkSpec('s3', cols, { options: o, ...over }));
    expect(prep({ 's3.region_name': 'x' })).toThrow(/missing field `s3.bucket_name`/);
    expect(prep({ 's3.bucket_name': 'b' })).toThrow(/missing field `s3.region_name`/);
    expect(prep({ 's3.bucket_name': 'b', 's3.region': 'us-east-1', 's3.credentials.access': 'a' })).toThrow(/s3.credentials.secret/);
    expect(prep(options({ path_partition_prefix: 'week' }))).toThrow(/path_partition_prefix/);
    expect(prep(options({ max_row_count: '-1' }))).toThrow(/max_row_count/);
    expect(prep(options(), { encode: 'avro' })).toThrow(/ENCODE AVRO/);
    await expect(prepareExternalSink(sinkSpec('s3', cols, { options: options({ 's3.bucket_name': 'nope' }) })).check!()).rejects.toThrow(/no such bucket/);
    await prepareExternalSink(sinkSpec('s3', cols, { options: options() })).check!();
  });
});

describe('s3 outage', () => {
  it('retries while the server is down and writes the file once it is back', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'freshet-s3-outage-'));
    const port = await freePort();
    const start = async () => {
      const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: 'b', configs: [] }] });
      await server.run();
      return server;
    };
    let server = await start();
    const config = s3SinkConfig(sinkSpec('s3', cols, { options: { ...options(), 's3.bucket_name': 'b', 's3.endpoint_url': `http://127.0.0.1:${port}` } }));
    const t = new S3SinkTarget(config, 's1', cols, testContext(), { initialMs: 20, maxMs: 100 });
    try {
      await server.close();
      t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
      let done = false;
      const committing = t.commit(1).then(() => (done = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      expect(t.stats.errors).toBeGreaterThan(0);
      server = await start();
      await committing;
      expect(t.files).toEqual(['out/features/s1_1.parquet']);
    } finally {
      t.close();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('parquet encoding', () => {
  it('DuckDB reads the files with the mapped types and values', async () => {
    const rows = [row(1n, 'a'), [2n, null, Decimal.tryParse('123456789012345678.0123456789')!, null, null, null, null, null, null, null, 0n], [3n, 'c', Decimal.NAN, -1, -1, false, -0.25, -7, [], new Jsonb(null), 0n]];
    const visible = cols.flatMap((c, i) => (c.hidden ? [] : [i]));
    const bytes = encodeParquet(cols, visible, rows.length, (c, r) => rows[r][c] as never);
    const dir = mkdtempSync(join(tmpdir(), 'freshet-parquet-'));
    try {
      const file = join(dir, 'f.parquet');
      writeFileSync(file, bytes);
      const duck = await DuckDBInstance.create(':memory:');
      const conn = await duck.connect();
      const types = await conn.runAndReadAll(`select column_name, column_type from (describe select * from read_parquet('${file}'))`);
      expect(types.getRowObjectsJson().map((r) => `${r.column_name} ${r.column_type}`)).toEqual([
        'id BIGINT', 'name VARCHAR', 'amount DECIMAL(28,10)', 'at TIMESTAMP WITH TIME ZONE', 'day DATE', 'ok BOOLEAN', 'score DOUBLE', 'small SMALLINT', 'tags VARCHAR', 'doc VARCHAR',
      ]);
      const got = await conn.runAndReadAll(`select id, name, amount::varchar as amount, strftime(timezone('UTC', "at"), '%Y-%m-%d %H:%M:%S.%f') as "at", day::varchar as day, ok, score, small, tags, doc from read_parquet('${file}') order by id`);
      expect(got.getRowObjectsJson()).toEqual([
        { id: '1', name: 'a', amount: '-3.2500000000', at: '2023-11-14 22:13:20.123456', day: '2023-11-14', ok: true, score: 0.5, small: 7, tags: '[1,2]', doc: '{"a": 1}' },
        { id: '2', name: null, amount: '123456789012345678.0123456789', at: null, day: null, ok: null, score: null, small: null, tags: null, doc: null },
        { id: '3', name: 'c', amount: null, at: '1969-12-31 23:59:59.999999', day: '1969-12-31', ok: false, score: -0.25, small: -7, tags: '[]', doc: 'null' },
      ]);
      conn.closeSync();
      duck.closeSync();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('s3 sink fed from a log store', () => {
  it('names a file by its first epoch with rows and dates it by that epoch, reports what is flushed, and a replay overwrites the same object', async () => {
    const day = Date.UTC(2026, 0, 2, 23, 59);
    const t = target({ max_row_count: '3', rollover_seconds: '3600', 's3.path': 'log/date={snapshot_date}/' });
    expect(t.commitOn).toBe('checkpoint');
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    t.seal(10, { checkpoint: false, time: day });
    t.write(chunkOf(cols, [[Op.Insert, row(2n, 'b')]]));
    await t.commit(12, { checkpoint: true, time: day + 120_000 });
    // Under max_row_count, and rolled over only by count: buffered, nothing flushed past the rows.
    expect(t.files).toEqual([]);
    expect(t.flushedEpoch).toBe(0);
    t.write(chunkOf(cols, [[Op.Insert, row(3n, 'c')]]));
    await t.commit(14, { checkpoint: true, time: day + 240_000 });
    expect(t.files).toEqual(['log/date=2026-01-02/s1_10.parquet']);
    expect(t.flushedEpoch).toBe(14);
    await t.commit(16, { checkpoint: true });
    expect(t.flushedEpoch).toBe(16); // nothing buffered

    // A crash before the log forgot epochs 10..14: a new target gets them again (and more).
    const replay = target({ max_row_count: '3', rollover_seconds: '3600', 's3.path': 'log/date={snapshot_date}/' });
    replay.write(chunkOf(cols, [[Op.Insert, row(1n, 'a')]]));
    replay.seal(10, { checkpoint: false, time: day });
    replay.write(chunkOf(cols, [[Op.Insert, row(2n, 'b')], [Op.Insert, row(3n, 'c')], [Op.Insert, row(4n, 'd')]]));
    await replay.commit(18, { checkpoint: true, time: Date.UTC(2026, 0, 3) });
    expect(await listKeys('log/')).toEqual(['log/date=2026-01-02/s1_10.parquet']);
    const buf = await getObject('log/date=2026-01-02/s1_10.parquet');
    const rows = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer });
    expect(rows.map((r) => r.id)).toEqual([1n, 2n, 3n, 4n]);
    await Promise.all([t.close(), replay.close()]);
  });
});
