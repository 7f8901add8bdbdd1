/**
 * A temporal filter `ts > NOW() - INTERVAL '…'` (or `>=`): rows enter while they are
 * recent enough and leave, as Deletes, once the clock passes them — so downstream
 * aggregates retract them and a windowed feature ("purchases in the last 7 days") stays
 * right without new input. RisingWave plans this as a dynamic filter against `now()`.
 *
 * NOW() is the time of the latest barrier (`Barrier.time`), so all graphs expire rows at
 * the same epoch. State: the rows currently passing, keyed by (ts, stream key…) so that
 * expiring is one range scan from the oldest row up to the bound.
 *
 * An insert passes when its ts satisfies the current bound; a delete (or either half of an
 * update) is forwarded exactly when the row is currently in the state, because a row
 * that expired earlier was already retracted downstream.
 */
import { type DataType, type Datum, Op, OP_SIGN, type StreamChunk, StreamChunkBuilder, compareDatum } from '@freshet/common';
import type { Barrier } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface TemporalFilterOptions {
  readonly types: readonly DataType[];
  /** The time column compared with the bound. */
  readonly column: number;
  /** The lower bound as a function of NOW() (µs): e.g. `now - 7 days` in the column's type. */
  readonly lowerBound: (now: number) => Datum;
  /** true for `>=`, false for `>`. */
  readonly inclusive: boolean;
  /** The input's stream key. */
  readonly pk: readonly number[];
  readonly tables: StateTableAllocator;
  /** NOW() before the first barrier (µs); default: the wall clock at construction. */
  readonly initialNow?: number;
  readonly chunkSize?: number;
}

export class TemporalFilterExecutor extends StatefulExecutor {
  readonly name = 'StreamTemporalFilter';
  readonly types: readonly DataType[];
  private readonly table: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly type: DataType;
  private bound: Datum;

  constructor(private readonly options: TemporalFilterOptions) {
    super();
    this.types = options.types;
    this.type = options.types[options.column];
    this.table = options.tables.create(options.types, [options.column, ...options.pk]);
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
    this.bound = options.lowerBound(options.initialNow ?? Date.now() * 1000);
  }

  private passes(ts: Datum): boolean {
    if (ts === null || this.bound === null) return false;
    const c = compareDatum(this.type, ts, this.bound);
    return this.options.inclusive ? c >= 0 : c > 0;
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const b = this.builder;
    const col = this.options.column;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      const key = this.table.keyOfRow(row);
      if (OP_SIGN[chunk.ops[i]] > 0) {
        if (!this.passes(row[col])) continue;
        this.table.putByKey(key, row);
        this.emit(b.append(Op.Insert, row));
      } else {
        const stored = this.table.getByKey(key);
        if (stored === undefined) continue;
        this.table.deleteByKey(key);
        this.emit(b.append(Op.Delete, stored));
      }
    }
    this.emit(b.take());
  }

  /** Nothing buffered: changes are emitted per chunk. */
  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }

  /**
   * Advances NOW() to the barrier's time, before the epoch ends: the expirations are part of
   * the closing epoch, so the barrier that carries the new time also covers their effects.
   */
  protected override onBarrier(b: Barrier): void {
    const next = this.options.lowerBound(b.time);
    if (next !== null && (this.bound === null || compareDatum(this.type, next, this.bound) > 0)) {
      this.bound = next;
      const expired: string[] = [];
      const rows = [];
      // Keys order by ts first: everything up to the bound is one leading range.
      for (const row of this.table.range(undefined, { values: [next], inclusive: !this.options.inclusive })) {
        rows.push(row);
        expired.push(this.table.keyOfRow(row));
      }
      for (let i = 0; i < rows.length; i++) {
        this.table.deleteByKey(expired[i]);
        this.emit(this.builder.append(Op.Delete, rows[i]));
      }
      this.emit(this.builder.take());
    }
    super.onBarrier(b);
  }
}
