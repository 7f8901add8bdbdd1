/**
 * The Kafka sink writer: encodes a sink's changes as RisingWave's Kafka sink does and
 * produces them when the sink commits (on a checkpoint).
 *
 * - FORMAT PLAIN ENCODE JSON: inserts (and the new side of updates) as JSON objects; deletes
 *   are dropped, which is what RisingWave's `force_append_only = 'true'` does (a PLAIN sink
 *   from a query that retracts must say so). The key is the primary key as JSON, or null.
 * - FORMAT UPSERT ENCODE JSON: key = primary key as JSON; an insert/update is the row, a
 *   delete a tombstone (null value).
 * - FORMAT DEBEZIUM ENCODE JSON: Debezium envelopes `{schema, payload: {before, after, op,
 *   ts_ms, source}}` with c / u (an update's delete and insert halves paired) / d, each
 *   delete followed by a tombstone, as Debezium does for log compaction.
 *
 * Writes are buffered by `write` (synchronous, no promise per row) and sent by `flush`,
 * which retries with backoff until the broker takes them: an outage back-pressures the
 * sink instead of losing data. The producer is idempotent, so the client's own retries never
 * duplicate a batch; a resend after a lost connection may, which upsert and Debezium
 * consumers absorb (same key, same value) and PLAIN consumers see as a repeat
 * (at-least-once).
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { kafkajs } from '../libraries';
import { type Row, SqlError, SqlState } from '@freshet/common';
import { encodeJsonObject, type JsonColumn } from '../format/json-encode';
import { kafkaClientConfig, type KafkaClientConfig } from './config';

export type SinkOp = 'insert' | 'delete' | 'update_delete' | 'update_insert';

export interface KafkaSinkSpec {
  /** The sink's name (Debezium `source.table`, log lines). */
  readonly name: string;
  /** WITH options: `topic`, `properties.*`, `primary_key`, `force_append_only`. */
  readonly options: Readonly<Record<string, string>>;
  /** `plain` | `upsert` | `debezium`. */
  readonly format: string;
  /** `json`. */
  readonly encode: string;
  readonly columns: readonly JsonColumn[];
  /** Key column indices; when absent, from the `primary_key` option (comma-separated names). */
  readonly primaryKey?: readonly number[];
  /** Debezium `source.db` (default `dev`). */
  readonly database?: string;
}

export interface KafkaSinkOptions {
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  /** Messages per produce request (default 5,000). */
  readonly batchSize?: number;
}

type Format = 'plain' | 'upsert' | 'debezium';

/** Checks a Kafka sink definition (CREATE SINK time); returns the key column indices. */
export function validateKafkaSink(spec: KafkaSinkSpec): number[] {
  kafkaClientConfig(spec.options);
  const format = spec.format.toLowerCase();
  if (!['plain', 'upsert', 'debezium'].includes(format) || spec.encode.toLowerCase() !== 'json') {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: Kafka sink FORMAT ${spec.format.toUpperCase()} ENCODE ${spec.encode.toUpperCase()}`);
  }
  let key = spec.primaryKey ? [...spec.primaryKey] : undefined;
  const named = spec.options.primary_key;
  if (!key && named !== undefined) {
    key = named.split(',').map((n) => {
      const name = n.trim();
      const i = spec.columns.findIndex((c) => c.name === name);
      if (i < 0) throw new SqlError(SqlState.InvalidParameterValue, `primary_key column ${name} is not a column of sink ${spec.name}`);
      return i;
    });
  }
  if ((format === 'upsert' || format === 'debezium') && (!key || key.length === 0)) {
    throw new SqlError(SqlState.InvalidParameterValue, `primary_key must be set for a Kafka sink with FORMAT ${format.toUpperCase()}`);
  }
  return key ?? [];
}

export class KafkaSinkWriter {
  private readonly config: KafkaClientConfig;
  private readonly kafka: Kafka;
  private readonly format: Format;
  private readonly key: number[];
  private readonly keyColumns: JsonColumn[];
  private pendingBefore: Row | null = null;
  private buffer: Message[] = [];
  private producer: Producer | undefined;
  private closed = false;
  /** Messages acknowledged by the broker since this writer started. */
  sent = 0;

  constructor(
    private readonly spec: KafkaSinkSpec,
    private readonly opts: KafkaSinkOptions = {},
  ) {
    this.key = validateKafkaSink(spec);
    this.config = kafkaClientConfig(spec.options);
    this.format = spec.format.toLowerCase() as Format;
    this.keyColumns = this.key.map((i) => spec.columns[i]);
    const { Kafka, logLevel } = kafkajs();
    this.kafka = new Kafka({ ...this.config.client, brokers: this.config.brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
  }

  /** Messages encoded but not yet acknowledged. */
  get pending(): number {
    return this.buffer.length;
  }

  write(op: SinkOp, row: Row): void {
    switch (this.format) {
      case 'plain':
        if (op === 'insert' || op === 'update_insert') this.buffer.push({ key: this.keyText(row), value: encodeJsonObject(this.spec.columns, row) });
        return;
      case 'upsert':
        if (op === 'update_delete') return;
        this.buffer.push({ key: this.keyText(row), value: op === 'delete' ? null : encodeJsonObject(this.spec.columns, row) });
        return;
      case 'debezium':
        this.writeDebezium(op, row);
    }
  }

  private keyText(row: Row): string | null {
    return this.key.length ? encodeJsonObject(this.spec.columns, row, this.key) : null;
  }

  private writeDebezium(op: SinkOp, row: Row): void {
    if (op === 'update_delete') {
      this.pendingBefore = row;
      return;
    }
    const before = op === 'update_insert' ? this.pendingBefore : op === 'delete' ? row : null;
    const after = op === 'delete' ? null : row;
    this.pendingBefore = null;
    const code = op === 'insert' ? 'c' : op === 'delete' ? 'd' : 'u';
    const now = this.opts.now?.() ?? Date.now();
    const image = (r: Row | null) => (r === null ? 'null' : encodeJsonObject(this.spec.columns, r));
    const payload = `{"before":${image(before)},"after":${image(after)},"op":"${code}","ts_ms":${now},"source":{"db":${JSON.stringify(this.spec.database ?? 'dev')},"table":${JSON.stringify(this.spec.name)},"ts_ms":${now}}}`;
    const key = `{"schema":${this.schema(this.keyColumns, `${this.spec.name}.Key`)},"payload":${encodeJsonObject(this.spec.columns, row, this.key)}}`;
    this.buffer.push({ key, value: `{"schema":${this.envelopeSchema()},"payload":${payload}}` });
    if (op === 'delete') this.buffer.push({ key, value: null });
  }

  private envelopeSchemaText: string | undefined;
  private envelopeSchema(): string {
    if (this.envelopeSchemaText) return this.envelopeSchemaText;
    const row = this.schema(this.spec.columns, `${this.spec.name}.Value`);
    const withField = (s: string, field: string) => `${s.slice(0, -1)},"field":"${field}"}`;
    this.envelopeSchemaText = `{"type":"struct","fields":[${withField(row, 'before')},${withField(row, 'after')},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"RisingWave.Source","field":"source"}],"optional":false,"name":"RisingWave.Envelope"}`;
    return this.envelopeSchemaText;
  }

  /** Kafka Connect JSON schema of `columns` (as RisingWave's Debezium sink writes it). */
  private schema(columns: readonly JsonColumn[], name: string): string {
    return `{"type":"struct","fields":[${columns.map((c) => `{"type":"${connectType(c.type.kind)}","optional":true,"field":${JSON.stringify(c.name)}}`).join(',')}],"optional":true,"name":${JSON.stringify(name)}}`;
  }

  /** Sends everything written so far; resolves once the broker acknowledged it all. */
  flush(): Promise<void> {
    // One send loop at a time: a second flush waits for the first, then sends what is left.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.sendAll());
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.flushing = settled;
    void settled.then(() => {
      if (this.flushing === settled) this.flushing = undefined;
    });
    return run;
  }

  private flushing: Promise<void> | undefined;

  private async sendAll(): Promise<void> {
    const initial = this.opts.retry?.initialMs ?? 200;
    const max = this.opts.retry?.maxMs ?? 5000;
    const batchSize = this.opts.batchSize ?? 5000;
    let delay = initial;
    while (this.buffer.length > 0) {
      if (this.closed) throw new Error(`Kafka sink ${this.spec.name} closed with ${this.buffer.length} unsent messages`);
      const batch = this.buffer.slice(0, batchSize);
      try {
        const producer = await this.connected();
        await producer.send({ topic: this.config.topic, messages: batch, acks: -1 });
        this.buffer = this.buffer.slice(batch.length);
        this.sent += batch.length;
        delay = initial;
      } catch (e) {
        this.opts.log?.(`kafka sink ${this.spec.name}: ${(e as Error).message}; retrying in ${delay} ms`);
        const p = this.producer;
        this.producer = undefined;
        await p?.disconnect().catch(() => {});
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, max);
      }
    }
  }

  private async connected(): Promise<Producer> {
    if (this.producer) return this.producer;
    const p = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await p.connect();
    this.producer = p;
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect().catch(() => {});
  }
}

function connectType(kind: string): string {
  switch (kind) {
    case 'boolean':
      return 'boolean';
    case 'int16':
      return 'int16';
    case 'int32':
    case 'date':
      return 'int32';
    case 'int64':
    case 'serial':
    case 'time':
    case 'timestamp':
      return 'int64';
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'bytea':
      return 'bytes';
    case 'list':
      return 'array';
    case 'struct':
      return 'struct';
    default:
      return 'string';
  }
}
