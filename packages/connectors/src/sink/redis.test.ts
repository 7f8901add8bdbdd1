import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { BufferPool, Decimal, Op, SqlError, T, bufferPool } from '@freshet/common';
import { startRedis, type RedisServer } from '@freshet/testkit';
import { prepareExternalSink } from './registry';
import { RedisSinkTarget, redisSinkConfig } from './redis';
import { chunkOf, sinkSpec, testContext } from './test-util';
import type { SinkColumn } from './api';

const cols: SinkColumn[] = [
  { name: 'user_id', type: T.Int64 },
  { name: 'cnt', type: T.Int32 },
  { name: 'amount', type: T.Decimal },
  { name: 'last_seen', type: T.Timestamptz },
  { name: 'day', type: T.Date },
  { name: 'ts', type: T.Timestamp },
];
const US = 1_700_000_000_123_456; // 2023-11-14 22:13:20.123456 UTC, µs
const row = (id: bigint, cnt: number) => [id, cnt, Decimal.tryParse('12.50')!, US, 19675, US];

let redis: RedisServer;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { protocol: 2 });
  client.on('error', () => {});
});
afterAll(async () => {
  client.disconnect();
  await redis.close();
});

const target = (options: Record<string, string>, over = {}) => {
  const spec = sinkSpec('redis', cols, { options: { 'redis.url': redis.url, ...options }, ...over });
  return new RedisSinkTarget(redisSinkConfig(spec), 's1', cols.length, testContext(), { initialMs: 20, maxMs: 200 });
};

describe('redis sink', () => {
  it('writes RisingWave JSON keys and values, and DEL for deletes (UPSERT JSON)', async () => {
    await client.flushall();
    const t = target({ primary_key: 'user_id' });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 1)], [Op.Insert, row(2n, 1)]]));
    await t.commit(1);
    expect(await client.get('{"user_id":1}')).toBe('{"user_id":1,"cnt":1,"amount":"12.50","last_seen":"2023-11-14T22:13:20.123456Z","day":738838,"ts":1700000000123}');
    t.write(chunkOf(cols, [[Op.UpdateDelete, row(1n, 1)], [Op.UpdateInsert, row(1n, 2)], [Op.Delete, row(2n, 1)]]));
    await t.commit(2);
    expect(JSON.parse((await client.get('{"user_id":1}'))!).cnt).toBe(2);
    expect(await client.exists('{"user_id":2}')).toBe(0);
    expect(t.stats).toMatchObject({ rowsWritten: 5, epochsCommitted: 2, errors: 0 });
    t.close();
  });

  it('ENCODE TEMPLATE key_format / value_format, and the seeds redis.key.format with a JSON value', async () => {
    await client.flushall();
    const t = target({}, { format: 'upsert', encode: 'template', encodeOptions: { key_format: 'user:{user_id}', value_format: 'cnt={cnt} at {last_seen}' } });
    t.write(chunkOf(cols, [[Op.Insert, row(7n, 3)]]));
    await t.commit(1);
    expect(await client.get('user:7')).toBe('cnt=3 at 2023-11-14 22:13:20.123456+00:00');
    t.close();

    const seed = target({ 'redis.key.format': 'user_risk:{user_id}' });
    seed.write(chunkOf(cols, [[Op.Insert, row(8n, 4)]]));
    await seed.commit(1);
    expect(JSON.parse((await client.get('user_risk:8'))!)).toMatchObject({ user_id: 8, cnt: 4 });
    seed.close();
  });

  it('an update that changes the key deletes the old key (within a chunk, across chunks, equal decimals printed differently)', async () => {
    await client.flushall();
    const t = target({ primary_key: 'user_id' });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 1)], [Op.Insert, row(2n, 1)], [Op.Insert, row(3n, 1)]]));
    await t.commit(1);
    // 1 → 10 in one chunk; 2 → 20 with the UpdateDelete ending a chunk; 3 updated in place.
    t.write(chunkOf(cols, [[Op.UpdateDelete, row(1n, 1)], [Op.UpdateInsert, row(10n, 1)], [Op.UpdateDelete, row(2n, 1)]]));
    t.write(chunkOf(cols, [[Op.UpdateInsert, row(20n, 1)], [Op.UpdateDelete, row(3n, 1)], [Op.UpdateInsert, row(3n, 2)]]));
    await t.commit(2);
    expect((await client.keys('*')).sort()).toEqual(['{"user_id":10}', '{"user_id":20}', '{"user_id":3}']);
    expect(JSON.parse((await client.get('{"user_id":3}'))!).cnt).toBe(2);
    t.close();

    // A decimal key: 12.5 and 12.50 are equal datums but different JSON keys.
    const d = target({ primary_key: 'amount' });
    const withAmount = (a: string) => [1n, 1, Decimal.tryParse(a)!, US, 19675, US];
    d.write(chunkOf(cols, [[Op.Insert, withAmount('12.5')]]));
    await d.commit(1);
    d.write(chunkOf(cols, [[Op.UpdateDelete, withAmount('12.5')], [Op.UpdateInsert, withAmount('12.50')]]));
    await d.commit(2);
    expect(await client.keys('{"amount":*')).toEqual(['{"amount":"12.50"}']);
    d.close();
  });

  it('PLAIN writes inserts only', async () => {
    await client.flushall();
    const t = target({ primary_key: 'user_id' }, { format: 'plain', encode: 'json', inputAppendOnly: true });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 1)], [Op.Delete, row(1n, 1)]]));
    await t.commit(1);
    expect(await client.exists('{"user_id":1}')).toBe(1);
    t.close();
  });

  it('seal() ends an epoch at its barrier: later writes wait for the next commit', async () => {
    await client.flushall();
    const t = target({ primary_key: 'user_id' });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 1)]]));
    t.seal(1);
    t.write(chunkOf(cols, [[Op.Insert, row(2n, 1)]]));
    await t.commit(1);
    expect(await client.exists('{"user_id":1}', '{"user_id":2}')).toBe(1);
    await t.commit(2);
    expect(await client.exists('{"user_id":1}', '{"user_id":2}')).toBe(2);
    t.close();
  });

  it('validates options, naming them', () => {
    const prep = (options: Record<string, string>, over = {}) => () => prepareExternalSink(sinkSpec('redis', cols, { options, ...over }));
    expect(prep({})).toThrow(/missing field `redis.url`/);
    expect(prep({ 'redis.url': 'localhost:1' })).toThrow(/option redis.url/);
    expect(prep({ 'redis.url': redis.url, primary_key: 'nope' })).toThrow(/primary key column not found: nope/);
    expect(prep({ 'redis.url': redis.url }, { streamKey: [] })).toThrow(/missing field `primary_key`/);
    expect(prep({ 'redis.url': redis.url }, { encode: 'template', encodeOptions: { key_format: 'u:{cnt}', value_format: '{cnt}' } })).toThrow(/Can't find field\("cnt"\) in key_format/);
    expect(prep({ 'redis.url': redis.url }, { encode: 'template', encodeOptions: { key_format: 'u:{user_id}' } })).toThrow(/value_format/);
    expect(prep({ 'redis.url': redis.url }, { format: 'plain', encode: 'json' })).toThrow(/force_append_only/);
    expect(prep({ 'redis.url': redis.url }, { encode: 'avro' })).toThrow(SqlError);
  });

  it('retries while Redis is down: the commit waits, then delivers everything', async () => {
    await client.flushall();
    const t = target({ primary_key: 'user_id' });
    t.write(chunkOf(cols, [[Op.Insert, row(1n, 1)]]));
    await t.commit(1);
    await redis.stop();
    t.write(chunkOf(cols, [[Op.Insert, row(2n, 1)], [Op.Insert, row(3n, 1)]]));
    let done = false;
    const committing = t.commit(2).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    expect(t.stats.errors).toBeGreaterThan(0);
    await redis.restart();
    await committing;
    const fresh = new Redis(redis.url, { protocol: 2 });
    fresh.on('error', () => {});
    expect(await fresh.get('{"user_id":3}')).not.toBeNull();
    expect(await fresh.get('{"user_id":2}')).not.toBeNull();
    fresh.disconnect();
    t.close();
  });

  it("gives a delivered epoch's command buffer back to its pool; the next epoch reuses it and writes its own values", async () => {
    await client.flushall();
    const take = vi.spyOn(BufferPool.prototype, 'take');
    const give = vi.spyOn(BufferPool.prototype, 'give');
    const t = target({ primary_key: 'user_id' });
    try {
      const epoch = (cnt: number) => chunkOf(cols, Array.from({ length: 500 }, (_, i) => [Op.Insert, row(BigInt(i + 1), cnt)] as [Op, ReturnType<typeof row>]));
      t.write(epoch(1));
      await t.commit(1);
      const first = take.mock.results.at(-1)!.value as Buffer;
      // The sink's own pool, not the shared one, whose checkpoint buffers pushed these out.
      const pool = take.mock.contexts.at(-1);
      expect(pool).not.toBe(bufferPool);
      expect(give).toHaveBeenCalledWith(first);
      expect(give.mock.contexts.at(-1)).toBe(pool);
      t.write(epoch(7));
      await t.commit(2);
      expect(take.mock.results.at(-1)!.value).toBe(first);
      const values = await client.mget(['{"user_id":1}', '{"user_id":250}', '{"user_id":500}']);
      for (const v of values) expect(JSON.parse(v!).cnt).toBe(7);
    } finally {
      t.close();
      take.mockRestore();
      give.mockRestore();
    }
  });

  it('check() reports an unreachable server as XX000', async () => {
    const spec = sinkSpec('redis', cols, { options: { 'redis.url': 'redis://127.0.0.1:1', primary_key: 'user_id' } });
    await expect(prepareExternalSink(spec).check!()).rejects.toMatchObject({ code: 'XX000' });
  });
});
