/**
 * EMIT ON WINDOW CLOSE (RisingWave's eowc sort / the emitting half of an EOWC hash agg):
 * holds rows back until the watermark of `sortColumn` passes them, then emits each row
 * once, as an Insert, in `sortColumn` order. The output is append-only and final.
 *
 * Input changes are applied to the buffer by stream key, so the input may be a changelog
 * (a hash agg's U-/U+ per epoch): only the row's last version is emitted. A row is
 * released at the first barrier after a watermark `w` with `row[sortColumn] < w` — at
 * the barrier, not at the watermark, so every change the upstream flushed in that epoch
 * is in the buffer first. Rows below the watermark that arrive after it are late and
 * dropped; so are rows with a NULL sort value once a watermark exists (no watermark
 * ever passes NULL).
 *
 * State: one table keyed by (sortColumn, stream key…) holding the buffered rows, so the
 * rows to release are one ordered range scan.
 */
import { type DataType, type Datum, OP_SIGN, Op, type StreamChunk, StreamChunkBuilder, compareDatum } from '@freshet/common';
import type { Watermark } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface EowcSortOptions {
  readonly types: readonly DataType[];
  /** The column whose watermark closes rows. */
  readonly sortColumn: number;
  /** The input's stream key (identifies a row across its changes). */
  readonly pk: readonly number[];
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
}

export class EowcSortExecutor extends StatefulExecutor {
  readonly name = 'StreamEowcSort';
  readonly types: readonly DataType[];
  private readonly buffer: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly sortType: DataType;
  /** Latest watermark of the sort column (null: none yet). */
  private watermark: Datum = null;
  /** Whether `watermark` advanced since the last release. */
  private advanced = false;

  constructor(private readonly options: EowcSortOptions) {
    super();
    this.types = options.types;
    this.sortType = options.types[options.sortColumn];
    const key = [options.sortColumn, ...options.pk.filter((k) => k !== options.sortColumn)];
    this.buffer = options.tables.create(options.types, key);
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
  }

  /** Rows held back (tests, metrics). */
  get buffered(): number {
    return this.buffer.size;
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const col = this.options.sortColumn;
    const wm = this.watermark;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const v = chunk.datum(col, i);
      if (wm !== null && (v === null || compareDatum(this.sortType, v, wm) < 0)) continue; // late
      const row = chunk.row(i);
      const key = this.buffer.keyOfRow(row);
      if (OP_SIGN[chunk.ops[i]] > 0) this.buffer.putByKey(key, row);
      else this.buffer.deleteByKey(key);
    }
  }

  /** Releases the rows the watermark has passed, in sort order. */
  flush(): void {
    if (!this.advanced) return;
    this.advanced = false;
    const released = [...this.buffer.range(undefined, { values: [this.watermark], inclusive: false })];
    const b = this.builder;
    for (const row of released) {
      this.buffer.delete(row);
      this.emit(b.append(Op.Insert, row as Datum[]));
    }
    this.emit(b.take());
  }

  stateTables(): readonly StateTable[] {
    return [this.buffer];
  }

  /**
   * The sort column's watermark is kept and passed on after the release (rows below it
   * are out by then). Other columns' watermarks are dropped: rows held back may carry
   * smaller values in those columns when they are released.
   */
  protected override onWatermark(w: Watermark): void {
    if (w.column !== this.options.sortColumn || w.value === null) return;
    if (this.watermark !== null && compareDatum(this.sortType, w.value, this.watermark) <= 0) return;
    this.watermark = w.value;
    this.advanced = true;
    this.pendingWatermarks.push(w);
  }
}
