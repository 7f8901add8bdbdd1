/**
 * `v op (SELECT … one value …)` (RisingWave's dynamic_filter.rs): the left input's rows
 * pass while their column compares TRUE against the right input's current single value.
 * The right side is a one-row stream (typically a simple agg); a change of its value takes
 * effect at the next barrier, where the rows whose outcome flips are emitted — Inserts for
 * rows that now pass, Deletes for rows that stopped passing — before the barrier.
 *
 * State: every left row with a non-NULL column, keyed by (column, stream key…), so the rows
 * affected by a bound change are one key range between the old and the new bound (the
 * whole table when either bound is NULL); and the right value.
 */
import { type DataType, type Datum, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, T, compareDatum } from '@freshet/common';
import type { Barrier, Watermark } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { BarrierAligner } from './align';
import { Executor, type Output, endEpoch } from './executor';

export type DynamicFilterOp = '>' | '>=' | '<' | '<=';

export interface DynamicFilterOptions {
  readonly leftTypes: readonly DataType[];
  /** The left column compared with the right value (same type as right column 0). */
  readonly column: number;
  readonly op: DynamicFilterOp;
  /** The left input's stream key. */
  readonly leftPk: readonly number[];
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
}

export class DynamicFilterExecutor extends Executor {
  readonly name = 'StreamDynamicFilter';
  readonly types: readonly DataType[];
  readonly left: Output;
  readonly right: Output;
  private readonly table: StateTable;
  /** Holds the right value as a one-row table (row [value]), for recovery. */
  private readonly rightTable: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly type: DataType;
  /** The value rows are currently filtered against. */
  private bound: Datum;
  /** The right value as of the latest right-side change, applied at the next barrier. */
  private pendingBound: Datum;
  private readonly pendingWatermarks: Watermark[] = [];

  constructor(private readonly options: DynamicFilterOptions) {
    super();
    this.types = options.leftTypes;
    this.type = options.leftTypes[options.column];
    this.table = options.tables.create(options.leftTypes, [options.column, ...options.leftPk]);
    this.rightTable = options.tables.create([T.Int32, this.type], [0]);
    this.builder = new StreamChunkBuilder(options.leftTypes, options.chunkSize);
    const stored = this.rightTable.get([0]);
    this.bound = stored === undefined ? null : stored[1];
    this.pendingBound = this.bound;
    const aligner = new BarrierAligner(2, {
      onInputChunk: (input, chunk) => (input === 0 ? this.onLeft(chunk) : this.onRight(chunk)),
      onInputWatermark: () => {},
      onAlignedBarrier: (b) => this.onBarrier(b),
    });
    this.left = aligner.inputs[0];
    this.right = aligner.inputs[1];
  }

  /** Whether `v` passes against `bound`; NULL on either side never passes. */
  private passes(v: Datum, bound: Datum): boolean {
    if (v === null || bound === null) return false;
    const c = compareDatum(this.type, v, bound);
    switch (this.options.op) {
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
    }
  }

  private onLeft(chunk: StreamChunk): void {
    if (this.stopped) return;
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const col = this.options.column;
    const b = this.builder;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      if (row[col] === null) continue;
      const insert = OP_SIGN[chunk.ops[i]] > 0;
      if (insert) this.table.insert(row);
      else this.table.delete(row);
      if (this.passes(row[col], this.bound)) this.emit(b.append(insert ? Op.Insert : Op.Delete, row));
    }
    this.emit(b.take());
  }

  /** The right side is one row: the latest inserted value wins; deleting it leaves NULL. */
  private onRight(chunk: StreamChunk): void {
    if (this.stopped) return;
    for (let i = 0; i < chunk.capacity; i++) {
      if (!chunk.isVisible(i)) continue;
      this.pendingBound = OP_SIGN[chunk.ops[i]] > 0 ? chunk.datum(0, i) : null;
    }
  }

  flush(): void {
    const next = this.pendingBound;
    const prev = this.bound;
    if (next === prev || (next !== null && prev !== null && compareDatum(this.type, next, prev) === 0)) return;
    this.bound = next;
    this.rightTable.insert([0, next]);
    // Only rows between the two bounds can change outcome; with a NULL bound, any row.
    let candidates: Iterable<Row>;
    if (next === null || prev === null) candidates = [...this.table.scan()];
    else {
      const [lo, hi] = compareDatum(this.type, prev, next) < 0 ? [prev, next] : [next, prev];
      candidates = [...this.table.range({ values: [lo], inclusive: true }, { values: [hi], inclusive: true })];
    }
    const col = this.options.column;
    const b = this.builder;
    for (const row of candidates) {
      const before = this.passes(row[col], prev);
      const after = this.passes(row[col], next);
      if (before !== after) this.emit(b.append(after ? Op.Insert : Op.Delete, row));
    }
    this.emit(b.take());
  }

  stateTables(): readonly StateTable[] {
    return [this.table, this.rightTable];
  }

  afterCommit(b: Barrier): void {
    if (b.isStop()) this.stopped = true;
  }

  private onBarrier(b: Barrier): void {
    if (this.stopped) return;
    endEpoch(this, b, this.pendingWatermarks, this.out);
  }
}
