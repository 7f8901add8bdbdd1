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
 * Writes of an epoch are buffered per key (the last change of a key wins), and sent when the
 * epoch commits as multi-key DEL and MSET commands (1,000 keys each), back to back on one
 * connection: a key is either deleted or set in a batch, so their order does not matter. SET and DEL are idempotent, so a retried or
 * replayed epoch converges to the same keys. The client speaks RESP2 (`protocol: 2`) and
 * fails commands at once while disconnected (no offline queue): the commit retries with
 * backoff while ioredis reconnects in the background.
 */
import type { Redis } from 'ioredis';
import { Op, type Datum, SqlError, SqlState, type StreamChunk, notSupported } from '@freshet/common';
import { ioredis } from '../libraries';
import { OptionReader, invalidOption } from '../options';
import type { ExternalSinkSpec, PreparedSink, SinkCommitInfo, SinkConnector, SinkContext } from './api';
import { type RowEncoder, formatEncode, formatOption, jsonEncoder, sinkPrimaryKey, templateEncoder, visibleColumns } from './encode';
import { RetryingSinkTarget, type RetryPolicy } from './target-base';

/** Keys per MSET / DEL command. */
const KEYS_PER_COMMAND = 1_000;

export interface RedisSinkConfig {
  readonly url: string;
  readonly upsert: boolean;
  readonly key: RowEncoder;
  readonly value: RowEncoder;
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
  return { url, upsert: format === 'upsert' && !spec.appendOnly, key, value };
}

export function connectRedis(url: string): Redis {
  return new (ioredis().Redis)(url, {
    protocol: 2,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    // ioredis reconnects in the background; the sink's commit retries meanwhile.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 2_000),
  });
}

/** One epoch's changes: key → value, or null for DEL. */
type RedisBatch = Map<string, string | null>;

export class RedisSinkTarget extends RetryingSinkTarget<RedisBatch> {
  /**
   * Fed as soon as each epoch commits, not at checkpoints: SET/DEL by key are idempotent
   * and a replay after a crash overwrites, so waiting for a checkpoint (every
   * checkpoint_frequency barriers) would only add that interval to every key's freshness.
   */
  readonly commitOn = 'epoch' as const;
  private pending: RedisBatch = new Map();
  private readonly client: Redis;
  private readonly scratch: Datum[];

  constructor(
    private readonly config: RedisSinkConfig,
    name: string,
    width: number,
    ctx: SinkContext,
    retry?: RetryPolicy,
  ) {
    super(`redis sink ${name}`, ctx, retry);
    this.client = connectRedis(config.url);
    this.client.on('error', () => {}); // failures surface through commands (and are logged there)
    this.scratch = new Array(width);
  }

  write(chunk: StreamChunk): void {
    const { key, value, upsert } = this.config;
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const row = this.scratch;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = chunk.ops[i];
      const insert = op === Op.Insert || op === Op.UpdateInsert;
      if (!insert && !upsert) continue;
      chunk.rowInto(i, row);
      this.pending.set(key.encode(row), insert ? value.encode(row) : null);
      this.stats.rowsWritten++;
    }
  }

  protected takeBatch(_epoch: number, _info: SinkCommitInfo): RedisBatch | null {
    if (this.pending.size === 0) return null;
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  protected async deliver(batch: RedisBatch): Promise<void> {
    const c = this.client;
    if (c.status === 'wait' || c.status === 'end') await c.connect();
    else if (c.status !== 'ready') throw new Error(`not connected to ${this.config.url} (${c.status})`);
    // Multi-key MSET / DEL commands: the same keys and values as one SET or DEL per key
    // (RisingWave's layout) at a fraction of the per-command cost. Sent back to back on the
    // one connection (Redis answers in order) and awaited together: no ioredis Pipeline
    // object, and a few promises per batch rather than one per key. A batch is usually one
    // epoch's keys, so a single MSET (plus a DEL when something was deleted).
    const sent: Promise<unknown>[] = [];
    let sets: string[] = [];
    let dels: string[] = [];
    for (const [k, v] of batch) {
      if (v === null) {
        dels.push(k);
        if (dels.length === KEYS_PER_COMMAND) {
          sent.push(c.del(dels));
          dels = [];
        }
      } else {
        sets.push(k, v);
        if (sets.length === 2 * KEYS_PER_COMMAND) {
          sent.push(c.mset(sets));
          sets = [];
        }
      }
    }
    if (dels.length > 0) sent.push(c.del(dels));
    if (sets.length > 0) sent.push(c.mset(sets));
    // allSettled: every reply is read before a failure is reported (and the batch retried).
    const results = await Promise.allSettled(sent);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  protected release(): void {
    this.client.disconnect();
  }
}

export const redisSinkConnector: SinkConnector = {
  name: 'redis',
  prepare(spec: ExternalSinkSpec): PreparedSink {
    const config = redisSinkConfig(spec);
    return {
      resendOnRestart: config.upsert,
      async check() {
        const c = connectRedis(config.url);
        c.on('error', () => {});
        try {
          await c.connect();
          await c.ping();
        } catch (e) {
          throw new SqlError(SqlState.InternalError, `Sink error: Redis error: cannot reach ${config.url}: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          c.disconnect();
        }
      },
      open: (ctx) => new RedisSinkTarget(config, spec.name, spec.columns.length, ctx),
    };
  },
};
