/**
 * Sink targets of the server itself (external ones — Redis, S3, Kafka, PostgreSQL — plug
 * into the same `SinkTarget` contract from @freshet/connectors):
 *
 * - `TableSinkTarget` (`CREATE SINK … INTO t`): the sink's rows, already shaped as `t`'s
 *   physical rows by the sink plan, are written through the storage engine exactly as DML
 *   writes them (TableWriter: NOT NULL checks, `_row_id`, the table's ON CONFLICT), one
 *   write batch per epoch committed when the epoch ends. The table's own DML stream then
 *   carries them to every MV (and sink) reading `t`, in a later epoch. Deletes go by
 *   primary key; a table without one only receives inserts (append-only sinks). Into a
 *   watermarked table still loading after a restart, the writes wait for the load (the
 *   late-row filter is rebuilt from its rows), as DML does; each epoch is judged against
 *   the watermark as it was before the epoch.
 * - `BlackholeTarget` (`connector = 'blackhole'`): discards everything (RisingWave's test
 *   and benchmark sink).
 */
import { OP_SIGN, type Row, type StreamChunk } from '@freshet/common';
import { TableWriter, type WriteTarget } from '@freshet/batch';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import type { SinkTarget } from '@freshet/stream';

export class TableSinkTarget implements SinkTarget {
  private batch: WriteBatch | null = null;
  private writer: TableWriter | null = null;
  /** Whether deletes can be applied (by primary key); known once the first epoch is written. */
  private keyed: boolean | null = null;
  /**
   * While the table's rows still load after a restart (`loading` non-null at the start),
   * the sink's changes are held here and written at the epoch's commit once the rows are
   * in: a watermarked table's late-row filter is rebuilt from all of them, as for DML.
   */
  private held: [insert: boolean, row: Row][] | null;
  /** Rows written to the table so far (tests, progress). */
  written = 0;

  constructor(
    private readonly storage: StorageEngine,
    /** How the table is written; asked once per epoch, so each epoch is judged against the watermark as it was before it (one statement per epoch). */
    private readonly target: () => WriteTarget,
    /** A row the table refuses (NOT NULL, …) is reported and skipped; the sink goes on. */
    private readonly onError: (e: unknown) => void,
    /** The load the writes must wait for (watermarked table after a restart), or null. */
    private readonly loading: () => Promise<void> | null = () => null,
  ) {
    this.held = loading() !== null ? [] : null;
  }

  /** Whether the sink's writes wait for the table's rows still loading after a restart. */
  get waitingForLoad(): boolean {
    return this.held !== null;
  }

  write(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const insert = OP_SIGN[chunk.ops[i]] > 0;
      if (this.held !== null) this.held.push([insert, chunk.row(i)]);
      else this.apply(insert, chunk.row(i));
    }
  }

  private apply(insert: boolean, row: Row): void {
    if (this.writer === null) {
      const target = this.target();
      this.keyed = target.rowIdColumn < 0;
      this.writer = new TableWriter(target, this.storage, (this.batch = this.storage.newBatch()));
    }
    if (!insert && !this.keyed) return;
    try {
      if (insert) this.writer.insert(row);
      else this.writer.delete(row);
      this.written++;
    } catch (e) {
      this.onError(e);
    }
  }

  async commit(): Promise<void> {
    if (this.held !== null) {
      // Commits run one after another in epoch order: rows held for this epoch (and any
      // written since) go in once the load is done; later epochs then write directly.
      let load = this.loading();
      while (load !== null && this.held.length > 0) {
        await load;
        load = this.loading();
      }
      const rows = this.held;
      if (load === null) this.held = null;
      else this.held = [];
      for (const [insert, row] of rows) this.apply(insert, row);
    }
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
