/**
 * Per group, the rows ranked offset+1 … offset+limit by an ORDER BY (RisingWave's
 * group_top_n.rs; `row_number() OVER (PARTITION BY g ORDER BY o) <= N`). Ties are broken
 * by the input's stream key, as RisingWave does, so the top set is always deterministic.
 *
 * State: every input row in a table with pk (group key…, order columns…, stream key…), so
 * a group's rows lie in one key range already sorted by rank. For each chunk, the first
 * time a group is touched its current top set is snapshotted; after the whole chunk is
 * applied the new top set is read and the difference emitted — all Deletes first, then
 * all Inserts, so downstream never sees more than N rows of a group at once, and a row
 * that moved between groups leaves before it re-enters under the same stream key. Cost per touched
 * group is O(offset + limit), independent of the group's size.
 *
 * With `withTies` (`rank() OVER … <= N`) a row's rank is 1 + the number of rows ordered
 * strictly before it, so rows tied at the boundary are all kept. With `rankColumn` the
 * output carries the rank (row_number or rank) as a last int64 column; a row whose rank
 * changes is then emitted as a Delete of the old and an Insert of the new output row.
 *
 * With `appendOnly` (the planner proved the input never retracts: RisingWave's
 * AppendOnlyGroupTopN) a row ranked past offset+limit can never rise again, since inserts
 * only push ranks down: such rows are dropped from the state as soon as they fall out, so
 * a group keeps at most offset+limit rows (plus ties) instead of every row it ever had.
 * Nexmark q9 (top bid per auction over an inner join) keeps one row per auction this way.
 */
import { type DataType, type KeyOrder, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, T, datumEquals, encodeKeyString } from '@freshet/common';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface TopNOrderItem {
  readonly column: number;
  readonly desc?: boolean;
  readonly nullsFirst?: boolean;
}

export interface GroupTopNOptions {
  readonly types: readonly DataType[];
  /** Partition columns (empty: one global top-N). */
  readonly groupKey: readonly number[];
  readonly orderBy: readonly TopNOrderItem[];
  /** The input's stream key (unique row identity). */
  readonly pk: readonly number[];
  readonly limit: number;
  readonly offset?: number;
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
  /** rank() semantics: rows tied on the ORDER BY share a rank (default: row_number()). */
  readonly withTies?: boolean;
  /** Append the rank as a last int64 output column. */
  readonly rankColumn?: boolean;
  /** The input never retracts: rows that fall out of the top are dropped from the state. */
  readonly appendOnly?: boolean;
}

export class GroupTopNExecutor extends StatefulExecutor {
  readonly name: string = 'StreamGroupTopN';
  readonly types: readonly DataType[];
  private readonly table: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly groupTypes: DataType[];
  private readonly groupKey: readonly number[];
  private readonly limit: number;
  private readonly offset: number;
  private readonly orderBy: readonly TopNOrderItem[];
  private readonly withTies: boolean;
  private readonly rankColumn: boolean;
  /** Storage keys of rows ranked past the top, to drop (append-only input only). */
  private readonly fallen: string[] | null;

  constructor(options: GroupTopNOptions) {
    super();
    const { types, groupKey, orderBy, pk } = options;
    this.types = options.rankColumn ? [...types, T.Int64] : types;
    this.orderBy = orderBy;
    this.withTies = !!options.withTies;
    this.rankColumn = !!options.rankColumn;
    this.fallen = options.appendOnly ? [] : null;
    this.groupKey = groupKey;
    this.groupTypes = groupKey.map((c) => types[c]);
    this.limit = options.limit;
    this.offset = options.offset ?? 0;
    const tablePk = [...groupKey, ...orderBy.map((o) => o.column), ...pk];
    const orders: KeyOrder[] = [...groupKey.map(() => ({})), ...orderBy.map((o) => ({ desc: o.desc, nullsFirst: o.nullsFirst })), ...pk.map(() => ({}))];
    this.table = options.tables.create(types, tablePk, orders);
    this.builder = new StreamChunkBuilder(this.types, options.chunkSize);
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    /** Group prefix key → its top set (storage key → row) before this chunk. */
    const before = new Map<string, Map<string, Row>>();
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      const prefix = this.groupPrefix(row);
      if (!before.has(prefix)) before.set(prefix, this.topOf(prefix));
      if (OP_SIGN[chunk.ops[i]] > 0) this.table.insert(row);
      else if (this.fallen !== null) throw new Error(`${this.name}: a retraction reached an append-only top-N`);
      else this.table.delete(row);
    }
    // All Deletes before all Inserts, across groups: a row that moved to another group
    // must leave before it re-enters under the same stream key.
    const b = this.builder;
    const after: Map<string, Row>[] = [];
    for (const [prefix, old] of before) {
      const now = this.topOf(prefix, this.fallen);
      after.push(now);
      for (const [k, row] of old) {
        const n2 = now.get(k);
        if (n2 === undefined || !this.sameOutput(n2, row)) this.emit(b.append(Op.Delete, row));
      }
    }
    let g = 0;
    for (const old of before.values()) {
      for (const [k, row] of after[g++]) if (!this.sameOutput(old.get(k), row)) this.emit(b.append(Op.Insert, row));
    }
    this.emit(b.take());
    if (this.fallen !== null) {
      for (const k of this.fallen) this.table.deleteByKey(k);
      this.fallen.length = 0;
    }
  }

  private groupPrefix(row: Row): string {
    if (this.groupKey.length === 0) return '';
    return encodeKeyString(
      this.groupTypes,
      this.groupKey.map((c) => row[c]),
    );
  }

  /**
   * The group's rows ranked offset+1 … offset+limit, by storage key (the output row; with
   * `rankColumn` a new array per call, compared by value in `sameOutput`). With `fallen`,
   * the storage keys of the group's rows ranked past the top are pushed onto it.
   */
  private topOf(prefix: string, fallen: string[] | null = null): Map<string, Row> {
    const out = new Map<string, Row>();
    const end = this.offset + this.limit;
    let position = 0;
    let rank = 0;
    let prev: Row | null = null;
    for (const [k, row] of this.table.iterKeyPrefix(prefix)) {
      position++;
      rank = this.withTies && prev !== null && this.tied(prev, row) ? rank : position;
      if (rank > end) {
        if (fallen === null) break;
        fallen.push(k);
        continue;
      }
      if (rank > this.offset) out.set(k, this.rankColumn ? [...row.slice(0, this.types.length - 1), BigInt(rank)] : row);
      prev = row;
    }
    return out;
  }

  private tied(a: Row, b: Row): boolean {
    for (const o of this.orderBy) {
      const t = this.types[o.column];
      const x = a[o.column];
      const y = b[o.column];
      if (x === null || y === null ? x !== y : !datumEquals(t, x, y)) return false;
    }
    return true;
  }

  private sameOutput(a: Row | undefined, b: Row): boolean {
    if (a === b) return true;
    if (!this.rankColumn || a === undefined) return false;
    // The stored row objects are shared, so equal rows have identical datums; ranks are bigints.
    return rowsIdentical(a, b, this.types.length);
  }

  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }
}

/** Whether the first `n` datums of two rows are the same values (rows read from one state table). */
function rowsIdentical(a: Row, b: Row, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
