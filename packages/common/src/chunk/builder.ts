/**
 * Accumulates output rows into StreamChunks of at most `capacity` rows. Appends copy
 * datums into typed column builders (no per-row allocation); when a chunk fills up the
 * append returns it, so an operator emits full chunks as it goes and calls `take()` for
 * the remainder at the end of its input chunk or on a barrier.
 *
 * An UpdateDelete/UpdateInsert pair is never split across two chunks: `appendUpdate`
 * reserves room for both halves.
 */
import type { Datum, Row } from '../datum';
import type { DataType } from '../types';
import { type Column, ColumnBuilder } from './column';
import { Op } from './op';
import { StreamChunk } from './stream-chunk';

export const DEFAULT_CHUNK_SIZE = 1024;
/** A column builder's first capacity (see the constructor). */
const INITIAL_COLUMN_CAPACITY = 16;

export class StreamChunkBuilder {
  private readonly cols: ColumnBuilder[];
  private ops: Uint8Array;
  private n = 0;

  constructor(
    readonly types: readonly DataType[],
    readonly capacity = DEFAULT_CHUNK_SIZE,
  ) {
    if (capacity < 3) throw new Error('StreamChunkBuilder capacity must be at least 3 (an update pair after a partial chunk)');
    // Columns start small and grow by doubling to the most rows a chunk has held (at most
    // `capacity`), once: `take` keeps them. Many operators only ever emit a few rows. The
    // cost is that size kept for the operator's life: 8 KiB per column at 1,024 rows.
    this.cols = types.map((t) => new ColumnBuilder(t, Math.min(capacity, INITIAL_COLUMN_CAPACITY)));
    this.ops = new Uint8Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  /** Appends a row; returns a full chunk when this append filled one, else null. */
  append(op: Op, row: readonly Datum[]): StreamChunk | null {
    const cols = this.cols;
    for (let j = 0; j < cols.length; j++) cols[j].push(row[j] ?? null);
    this.ops[this.n++] = op;
    return this.n === this.capacity ? this.take() : null;
  }

  /**
   * Appends the concatenation `left ++ right` (a join output row); a null side appends
   * NULLs for its `width` columns.
   */
  appendConcat(op: Op, left: readonly Datum[] | null, leftWidth: number, right: readonly Datum[] | null): StreamChunk | null {
    const cols = this.cols;
    for (let j = 0; j < leftWidth; j++) cols[j].push(left === null ? null : left[j]);
    for (let j = leftWidth; j < cols.length; j++) cols[j].push(right === null ? null : right[j - leftWidth]);
    this.ops[this.n++] = op;
    return this.n === this.capacity ? this.take() : null;
  }

  /** Appends row `i` of `columns` (same types) without boxing. */
  appendFrom(op: Op, columns: readonly Column[], i: number): StreamChunk | null {
    const cols = this.cols;
    for (let j = 0; j < cols.length; j++) cols[j].pushFrom(columns[j], i);
    this.ops[this.n++] = op;
    return this.n === this.capacity ? this.take() : null;
  }

  /**
   * Appends an update pair. If only one slot is left, the pending rows are flushed first
   * and returned, so the pair lands in one chunk.
   */
  appendUpdate(oldRow: readonly Datum[], newRow: readonly Datum[]): StreamChunk | null {
    const flushed = this.n === this.capacity - 1 ? this.take() : null;
    this.append(Op.UpdateDelete, oldRow);
    const full = this.append(Op.UpdateInsert, newRow);
    // At most one of the two is non-null: after a flush the pair cannot fill capacity ≥ 3.
    return flushed ?? full;
  }

  /** `appendUpdate` of two concatenated rows (see `appendConcat`). */
  appendConcatUpdate(
    oldLeft: readonly Datum[] | null,
    oldRight: readonly Datum[] | null,
    newLeft: readonly Datum[] | null,
    newRight: readonly Datum[] | null,
    leftWidth: number,
  ): StreamChunk | null {
    const flushed = this.n === this.capacity - 1 ? this.take() : null;
    this.appendConcat(Op.UpdateDelete, oldLeft, leftWidth, oldRight);
    const full = this.appendConcat(Op.UpdateInsert, newLeft, leftWidth, newRight);
    return flushed ?? full;
  }

  /**
   * The pending rows as a chunk (null if none), copied out at their exact length; the
   * builder keeps its column arrays for the next chunk. So an operator's chunks cost
   * their rows' bytes, whether it emits a few rows per barrier or full chunks.
   */
  take(): StreamChunk | null {
    if (this.n === 0) return null;
    const n = this.n;
    const cols = this.cols;
    const columns = new Array<Column>(cols.length);
    for (let j = 0; j < cols.length; j++) columns[j] = cols[j].take();
    this.n = 0;
    return new StreamChunk(this.ops.slice(0, n), columns);
  }
}

/** Appends rows to plain columns; the DataChunk counterpart of StreamChunkBuilder. */
export function buildColumns(types: readonly DataType[], rows: readonly Row[]): Column[] {
  return types.map((t, j) => {
    const b = new ColumnBuilder(t, rows.length);
    for (const r of rows) b.push(r[j] ?? null);
    return b.finish();
  });
}
