/**
 * Sink targets of the server itself (external ones — Redis, S3, Kafka, PostgreSQL — plug
 * into the same `SinkTarget` contract from @freshet/connectors):
 *
 * - `TableSinkTarget` (`CREATE SINK … INTO t`): the sink's rows, already shaped as `t`'s
 *   physical rows by the sink plan, are written through the storage engine exactly as DML
 *   writes them (TableWriter: NOT NULL checks, `_row_id`, the table's ON CONFLICT), one
 *   write batch per epoch committed when the epoch ends. The table's own DML stream then
 *   carries them to every MV (and sink) reading `t`, in a later epoch. Deletes go by
 *   primary key; a table without one only receives inserts (append-only sinks).
 * - `BlackholeTarget` (`connector = 'blackhole'`): discards everything (RisingWave's test
 *   and benchmark sink).
 */
import { OP_SIGN, type StreamChunk } from '@freshet/common';
import { TableWriter, type WriteTarget } from '@freshet/batch';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import type { SinkTarget } from '@freshet/stream';

export class TableSinkTarget implements SinkTarget {
  private batch: WriteBatch | null = null;
  private writer: TableWriter | null = null;
  /** Rows written to the table so far (tests, progress). */
  written = 0;

  constructor(
    private readonly storage: StorageEngine,
    private readonly target: WriteTarget,
    /** A row the table refuses (NOT NULL, …) is reported and skipped; the sink goes on. */
    private readonly onError: (e: unknown) => void,
  ) {}

  write(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const keyed = this.target.rowIdColumn < 0;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const insert = OP_SIGN[chunk.ops[i]] > 0;
      if (!insert && !keyed) continue;
      this.writer ??= new TableWriter(this.target, this.storage, (this.batch = this.storage.newBatch()));
      try {
        if (insert) this.writer.insert(chunk.row(i));
        else this.writer.delete(chunk.row(i));
        this.written++;
      } catch (e) {
        this.onError(e);
      }
    }
  }

  async commit(): Promise<void> {
    const batch = this.batch;
    if (batch === null) return;
    this.batch = null;
    this.writer = null;
    await this.storage.commit(batch);
  }
}

export class BlackholeTarget implements SinkTarget {
  write(): void {}
  commit(): void {}
}
