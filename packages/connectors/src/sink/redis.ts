/**
 * The Redis sink (`connector = 'redis'`), laid out as RisingWave's: one Redis string per
 * row, `SET key value`, keyed by the sink's primary key; a delete is `DEL key`.
 *
 * - `redis.url` (required): `redis://[user:pass@]host:port[/db]`.
 * - `primary_key` (RisingWave requires it; Freshet defaults to the upstream's key, e.g. an
 *   MV's GROUP BY columns, so `CREATE SINK … FROM mv WITH (connector='redis', redis.url=…)`
 *   as written in the seed articles works).
 * - `FORMAT PLAIN | UPSERT ENCODE JSON | TEMPLATE`. PLAIN writes inserts only (deletes are
 *   dropped, as RisingWave's append-only formatter does); UPSERT also deletes. Without a
 *   FORMAT clause: UPSERT for a query that retracts, PLAIN for an append-only one.
 *   JSON: key `{"pk":…}`, value every visible column as a JSON object.
 *   TEMPLATE: `key_format` / `value_format` (ENCODE options), e.g. `'user:{user_id}'`; the
 *   seeds' `redis.key.format` (WITH) spelling works too, with a JSON value when no value
 *   format is given.
 * - `redis_value_type`: only `string` (RisingWave's default) is supported.
 *
 * Writes of an epoch are buffered per key (the last change of a key wins) as RESP bytes
 * (redis-batch.ts), and sent when the epoch commits as multi-key DEL and MSET commands
 * (1,000 keys each) in one socket write: a key is either deleted or set in a batch, so their
 * order does not matter. SET and DEL are idempotent, so a retried or replayed epoch
 * converges to the same keys. The client is our own RESP2 code (resp-client.ts): with
 * ioredis, its per-argument command encoding and the epoch's Map of key and value strings
 * were most of the ~29% of the server's allocated bytes the sink took at 50k events/s from
 * Kafka. No offline queue and no background reconnection: a commit connects when it is not
 * connected, and a failure (unreachable, dropped connection, error reply) throws so the
 * commit retries with backoff.
 */
import { Op, type Datum, SqlError, SqlState, type StreamChunk, notSupported } from '@freshet/common';
import { OptionReader, invalidOption } from '../options';
import type { ExternalSinkSpec, PreparedSink, SinkCommitInfo, SinkConnector, SinkContext } from './api';
import { type RowEncoder, formatEncode, formatOption, jsonEncoder, sinkPrimaryKey, templateEncoder, visibleColumns } from './encode';
import { ByteWriter } from '../format/json-bytes';
import { type RedisPayload, RedisWriteBuffer } from './redis-batch';
import { RespClient } from './resp-client';
import { RetryingSinkTarget, type RetryPolicy } from './target-base';

export interface RedisSinkConfig {
  readonly url: string;
  readonly upsert: boolean;
  readonly key: RowEncoder;
  readonly value: RowEncoder;
  /** The columns `key` encodes (the sink's primary key). */
  readonly keyColumns: readonly number[];
}

export function redisSinkConfig(spec: ExternalSinkSpec): RedisSinkConfig {
  const r = new OptionReader(spec.options, 'redis');
  const url = r.required('redis.url').trim();
  if (url.startsWith('[')) throw notSupported('Redis cluster addresses in redis.url', 'Give one redis://host:port address.');
  if (!/^rediss?:\/\//i.test(url)) throw invalidOption('redis.url', url, 'a redis://host:port address');
  const valueType = formatOption(spec, 'redis_value_type');
  if (valueType !== undefined && valueType.toLowerCase() !== 'string') throw notSupported(`redis_value_type '${valueType}'`, "Only 'string' values are written.");

  const keyFormat = formatOption(spec, 'key_format', 'redis.key.format', 'redis.key_format', 'redis_key_format');
  const valueFormat = formatOption(spec, 'value_format', 'redis.value.format', 'redis.value_format', 'redis_value_format');
  const defaultEncode = keyFormat !== undefined ? 'template' : 'json';
  const defaultFormat = spec.inputAppendOnly || spec.appendOnly ? 'plain' : 'upsert';
  const { format, encode } = formatEncode(spec, ['plain', 'upsert'], ['json', 'template'], { format: defaultFormat, encode: defaultEncode });
  if (format === 'plain' && !spec.inputAppendOnly && !spec.appendOnly) {
    throw new SqlError(
      SqlState.InvalidParameterValue,
      "The sink cannot be append-only. Please add \"force_append_only='true'\" in options to force the sink to be append-only. Notice that this will cause the sink executor to drop DELETE messages and convert UPDATE messages to INSERT.",
    );
  }

  const pk = sinkPrimaryKey(spec, true);
  const visible = visibleColumns(spec);
  let key: RowEncoder;
  let value: RowEncoder;
  if (encode === 'template') {
    if (keyFormat === undefined) throw new SqlError(SqlState.SyntaxError, "Cannot find 'key_format', please set it or use JSON");
    key = templateEncoder('key_format', keyFormat, spec.columns, pk, spec.timeZone);
    if (valueFormat === undefined && spec.encode === 'template') throw new SqlError(SqlState.SyntaxError, "Cannot find 'value_format', please set it or use JSON");
    value = valueFormat !== undefined ? templateEncoder('value_format', valueFormat, spec.columns, visible, spec.timeZone) : jsonEncoder(spec.columns, visible);
  } else {
    key = jsonEncoder(spec.columns, pk);
    value = jsonEncoder(spec.columns, visible);
  }
  return { url, upsert: format === 'upsert' && !spec.appendOnly, key, value, keyColumns: pk };
}

/** A client for the sink's URL; the 5 s connect timeout is ioredis's default, kept. */
export const redisClient = (url: string): RespClient => new RespClient(url, { connectTimeoutMs: 5_000 });

export class RedisSinkTarget extends RetryingSinkTarget<RedisPayload> {
  /**
   * Fed as soon as each epoch commits, not at checkpoints: SET/DEL by key are idempotent
   * and a replay after a crash overwrites, so waiting for a checkpoint (every
   * checkpoint_frequency barriers) would only add that interval to every key's freshness.
   */
  readonly commitOn = 'epoch' as const;
  private readonly pending = new RedisWriteBuffer();
  private readonly client: RespClient;
  private readonly scratch: Datum[];
  /** Where each value is encoded before it is copied into the epoch's RESP arena. */
  private readonly valueBytes = new ByteWriter();

  constructor(
    private readonly config: RedisSinkConfig,
    name: string,
    width: number,
    ctx: SinkContext,
    retry?: RetryPolicy,
  ) {
    super(`redis sink ${name}`, ctx, retry);
    this.client = redisClient(config.url);
    this.scratch = new Array(width);
  }

  write(chunk: StreamChunk): void {
    const { key, value, upsert } = this.config;
    const pending = this.pending;
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const ops = chunk.ops;
    const row = this.scratch;
    // An update's UpdateDelete is overwritten by its UpdateInsert when the key did not change
    // (the last change of a key wins): skipped without encoding when the next row is that
    // UpdateInsert with the same key datums, else its key is held and deleted only when the
    // next row turns out to be a change of another key.
    let held: string | null = null;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = ops[i];
      const insert = op === Op.Insert || op === Op.UpdateInsert;
      if (!insert && !upsert) continue;
      this.stats.rowsWritten++;
      if (op === Op.UpdateDelete && i + 1 < n && ops[i + 1] === Op.UpdateInsert && (vis === null || vis[i + 1] !== 0) && this.sameKey(chunk, i)) continue;
      chunk.rowInto(i, row);
      const k = key.encode(row);
      if (held !== null && held !== k) pending.del(held);
      held = null;
      if (insert) {
        const v = this.valueBytes;
        v.reset();
        value.encodeInto(row, v);
        pending.setEncoded(k, v.bytes, v.at);
      }
      else if (op === Op.UpdateDelete) held = k;
      else pending.del(k);
    }
    if (held !== null) pending.del(held);
  }

  /**
   * Rows `i` and `i + 1` have identical key datums. Only primitives compare equal here: two
   * equal decimals may print differently (1.0, 1.00) and so be different Redis keys.
   */
  private sameKey(chunk: StreamChunk, i: number): boolean {
    for (const c of this.config.keyColumns) if (chunk.datum(c, i) !== chunk.datum(c, i + 1)) return false;
    return true;
  }

  protected takeBatch(_epoch: number, _info: SinkCommitInfo): RedisPayload | null {
    return this.pending.take();
  }

  protected async deliver(batch: RedisPayload): Promise<void> {
    // Connects when not connected (no background reconnection: a failure throws and the
    // commit retries with backoff). The batch's DEL and MSET commands go out in one write;
    // every reply is read before an error reply fails the batch (and it is retried).
    await this.client.connect();
    await this.client.send(batch.bytes, batch.commands);
  }

  protected override delivered(batch: RedisPayload): void {
    this.pending.recycle(batch);
  }

  protected release(): void {
    this.client.close();
  }
}

export const redisSinkConnector: SinkConnector = {
  name: 'redis',
  prepare(spec: ExternalSinkSpec): PreparedSink {
    const config = redisSinkConfig(spec);
    return {
      resendOnRestart: config.upsert,
      async check() {
        const c = redisClient(config.url);
        try {
          await c.connect();
          await c.call('PING');
        } catch (e) {
          throw new SqlError(SqlState.InternalError, `Sink error: Redis error: cannot reach ${config.url}: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          c.close();
        }
      },
      open: (ctx) => new RedisSinkTarget(config, spec.name, spec.columns.length, ctx),
    };
  },
};
