/**
 * DISTINCT in front of an aggregate call: a state table counts each (group, arguments)
 * tuple, and only the transitions 0 → 1 and 1 → 0 reach the call. The key is the tuple;
 * the stored row is just [count] (the tuple is in the key and nothing reads it back): a
 * tuple per event is common (distinct items per user), so each one costs one small row
 * instead of a copy of its datums. Rows written as [group key…, arguments…, count] (before
 * this was so) read the same: the count is always the last column.
 */
import { type DataType, type Datum, type StreamChunk, T, encodeKeyStringAfter } from '@freshet/common';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { addToCount } from './count-row';
import type { AggGroup } from './group';

export class DistinctDedup {
  private readonly table: StateTable;
  private readonly argTypes: DataType[];

  constructor(
    private readonly args: readonly number[],
    inputTypes: readonly DataType[],
    groupTypes: readonly DataType[],
    tables: StateTableAllocator,
  ) {
    this.argTypes = args.map((c) => inputTypes[c]);
    const width = groupTypes.length + args.length;
    // Not segmented (storage's segments.ts): a value seen again rewrites its count, and the
    // dead entries that leaves in segments cost the engine thread cleaning, while LevelDB's
    // compaction drops old versions on its own thread. Read only by key (`addToCount`), so
    // under a memory limit it is a cache like the aggregate's own groups: a tuple per event
    // (distinct merchants per user) is one of the largest state tables of the seed's
    // features (docs/performance.md, "Session 34").
    this.table = tables.create([...groupTypes, ...this.argTypes, T.Int64], [...Array(width).keys()]).declarePointReads();
  }

  /** Rewrites `signs` in place to the multiset transitions of each row's argument tuple. */
  filter(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const cols = this.args.map((c) => chunk.columns[c]);
    const values = new Array<Datum>(cols.length);
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      for (let j = 0; j < cols.length; j++) values[j] = cols[j].get(i);
      const g = groups[i]!;
      const key = encodeKeyStringAfter(g.key, this.argTypes, values);
      const after = addToCount(this.table, key, s);
      const before = after - s;
      signs[i] = before === 0 && after > 0 ? 1 : before > 0 && after <= 0 ? -1 : 0;
    }
  }

  stateTable(): StateTable {
    return this.table;
  }
}
