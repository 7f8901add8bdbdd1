/**
 * SELECT DISTINCT (and UNION without ALL) over retractable input: a state table counts
 * each distinct row; the row goes downstream as an Insert when its count rises from 0 and
 * as a Delete when it falls back to 0. Output rows are exactly the input rows, and the
 * output's stream key is the dedup key (all the dedup columns).
 *
 * `dedupColumns` may name a subset of the columns only when the others are functionally
 * determined by them (e.g. appended constants); DISTINCT ON, where the representative row
 * matters, is group top-N with limit 1.
 */
import { type DataType, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, T } from '@freshet/common';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface DedupOptions {
  readonly types: readonly DataType[];
  /** Columns that identify a distinct row (default: all). */
  readonly dedupColumns?: readonly number[];
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
}

export class DedupExecutor extends StatefulExecutor {
  readonly name = 'StreamDedup';
  readonly types: readonly DataType[];
  /** Rows [input row…, count], pk = the dedup columns. */
  private readonly table: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly width: number;

  constructor(options: DedupOptions) {
    super();
    this.types = options.types;
    this.width = options.types.length;
    const cols = options.dedupColumns ?? [...options.types.keys()];
    this.table = options.tables.create([...options.types, T.Int64], cols).declarePointReads();
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const b = this.builder;
    const w = this.width;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row: Row = chunk.row(i);
      const key = this.table.keyOfRow(row);
      const prev = this.table.getByKey(key);
      const before = prev === undefined ? 0 : (prev[w] as number);
      const after = before + OP_SIGN[chunk.ops[i]];
      if (after <= 0) {
        if (prev === undefined) continue;
        this.table.deleteByKey(key);
        this.emit(b.append(Op.Delete, prev));
      } else {
        row.push(after);
        this.table.putByKey(key, row);
        if (before === 0) this.emit(b.append(Op.Insert, row));
      }
    }
    this.emit(b.take());
  }

  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }
}
