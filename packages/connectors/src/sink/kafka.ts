/**
 * The Kafka sink (`connector = 'kafka'`) as a sink target: the Kafka helper's
 * `KafkaSinkWriter` (kafka/sink-writer.ts: RisingWave's PLAIN / UPSERT / DEBEZIUM JSON
 * layouts, idempotent producer) fed from the sink's chunks, flushed at each commit. The
 * writer retries an unreachable broker itself until the batch is acknowledged, so the
 * commit holds the epoch meanwhile (back-pressure, nothing lost).
 *
 * Without a FORMAT clause: UPSERT for a query that retracts (keyed by `primary_key` or the
 * upstream's key), PLAIN for an append-only one.
 */
import { kafkajs } from '../libraries';
import { Op, SqlError, SqlState, type StreamChunk } from '@freshet/common';
import { kafkaClientConfig } from '../kafka/config';
import { KafkaSinkWriter, type SinkOp, validateKafkaSink, type KafkaSinkSpec } from '../kafka/sink-writer';
import type { ExternalSinkSpec, ExternalSinkTarget, PreparedSink, SinkConnector, SinkContext, SinkStats } from './api';
import { sinkPrimaryKey } from './encode';

const OPS: Record<number, SinkOp> = { [Op.Insert]: 'insert', [Op.Delete]: 'delete', [Op.UpdateDelete]: 'update_delete', [Op.UpdateInsert]: 'update_insert' };

export class KafkaSinkTarget implements ExternalSinkTarget {
  readonly stats: SinkStats = { rowsWritten: 0, epochsCommitted: 0, errors: 0, rowsRejected: 0, lastError: null };
  private readonly writer: KafkaSinkWriter;
  private closed = false;
  /** The writer reported a failure since the last flush that went through (FLUSH does not wait then). */
  failing = false;

  constructor(spec: KafkaSinkSpec, ctx: SinkContext) {
    this.writer = new KafkaSinkWriter(spec, {
      log: (line) => {
        this.failing = true;
        this.stats.errors++;
        this.stats.lastError = line;
        ctx.log(line);
      },
    });
  }

  write(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      this.writer.write(OPS[chunk.ops[i]], chunk.row(i));
      this.stats.rowsWritten++;
    }
  }

  async commit(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writer.flush();
      this.failing = false;
      this.stats.epochsCommitted++;
    } catch (e) {
      if (!this.closed) throw e; // flush only fails once the writer is closed
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writer.close();
  }
}

export const kafkaSinkConnector: SinkConnector = {
  name: 'kafka',
  prepare(spec: ExternalSinkSpec): PreparedSink {
    const format = spec.format ?? (spec.inputAppendOnly || spec.appendOnly ? 'plain' : 'upsert');
    const key = sinkPrimaryKey(spec, false);
    const writerSpec: KafkaSinkSpec = {
      name: spec.name,
      options: spec.options,
      format,
      encode: spec.encode ?? 'json',
      // Rows carry hidden stream-key columns after the visible ones: the writer encodes the first ones only.
      columns: spec.columns.filter((c) => !c.hidden),
      primaryKey: key.length > 0 ? key : undefined,
    };
    validateKafkaSink(writerSpec);
    const config = kafkaClientConfig(spec.options);
    return {
      async check() {
        const { Kafka, logLevel } = kafkajs();
        const admin = new Kafka({ ...config.client, brokers: config.brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
        try {
          await admin.connect();
        } catch (e) {
          throw new SqlError(SqlState.InternalError, `Sink error: Kafka error: cannot reach ${config.brokers.join(',')}: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          await admin.disconnect().catch(() => {});
        }
      },
      open: (ctx) => new KafkaSinkTarget(writerSpec, ctx),
    };
  },
};
