/**
 * Aggregates whose result depends on which values are in the group, not just on a running
 * total: the group's inputs are kept as a counted multiset in a state table whose pk is
 * (group key, ordering columns…). Rows are [group key…, ordering/argument values…, count].
 *
 * - `ExtremeCall` (min/max): ordered by the value (ASC for min, DESC for max), NULLs never
 *   stored, so the result is the first entry of the group's key range — one seek per dirty
 *   group, and deleting the current extreme simply exposes the next one.
 * - `RecomputeCall` (string_agg, array_agg and any other @freshet/expr aggregate): ordered
 *   by (the call's ORDER BY columns, then the arguments); the result is recomputed from the
 *   group's entries in that order with a fresh AggState, once per dirty group per epoch.
 */
import { type DataType, type Datum, type KeyOrder, type Row, type StreamChunk, T, concatKeys, decodeKey, encodeKeyString, encodeKeyStringAfter } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import type { AggCallRunner, AggOrderItem } from './call';
import { addToCount } from './count-row';
import type { AggGroup } from './group';

/** Adds `s` to the multiplicity of `key` (row = [...groupKey, ...values, count]); returns the new count. */
function bumpCount(table: StateTable, key: string, g: AggGroup, values: readonly Datum[], s: number): number {
  const prev = table.getByKey(key);
  const count = (prev === undefined ? 0 : (prev[prev.length - 1] as number)) + s;
  if (count <= 0) {
    if (prev !== undefined) table.deleteByKey(key);
    return count;
  }
  const nk = g.keyDatums.length;
  const row: Row = new Array(nk + values.length + 1);
  for (let j = 0; j < nk; j++) row[j] = g.keyDatums[j];
  for (let j = 0; j < values.length; j++) row[nk + j] = values[j];
  row[nk + values.length] = count;
  table.putByKey(key, row);
  return count;
}

/**
 * Types whose memcomparable key decodes to the very datum encoded. Not decimals (1.0 and
 * 1.00 share a key but print differently) nor floats (-0 and 0, NaNs), whose rows keep the value.
 */
const LOSSLESS_KEY_TYPES: ReadonlySet<string> = new Set(['boolean', 'int16', 'int32', 'int64', 'serial', 'date', 'time', 'timestamp', 'timestamptz', 'varchar']);

export class ExtremeCall implements AggCallRunner {
  /**
   * Two slots cache the group's current extreme: its value-key encoding (null = unknown)
   * and the value. An insert that beats it replaces it and a delete that removes its last
   * copy forgets it; `result` seeks the state table only while it is unknown. Without the
   * cache every dirty group cost a seek per flush. Comparing encodings (not datums) keeps
   * the cache in exactly the table's order.
   */
  readonly slots = 2;
  private readonly table: StateTable;
  /**
   * The value's key encoding gives it back exactly (LOSSLESS_KEY_TYPES): rows are only
   * [count] and `result` decodes the value from the key. An entry per distinct value of a
   * group (MIN/MAX over an input that retracts keeps them all) then costs no row array and
   * no boxed value. Rows of the full layout, stored before, still read (`result`). (A MAX
   * of a temporal filter's own column keeps no multiset at all: agg/value-calls.ts.)
   */
  private readonly compact: boolean;
  private readonly valueTypes: DataType[];
  /** The table's order of values (its owner's direction). */
  private readonly orders: KeyOrder[];
  private readonly scratch: Datum[] = [null];
  private readonly nk: number;
  /**
   * Calls over the same values kept by this call's table (`ExtremeCall.sharingKey`): the
   * MIN beside a MAX of one column, which reads the other end of the same multiset. This
   * call writes the table and keeps their cached extremes too; their own `apply` does nothing.
   */
  private readonly followers: ExtremeCall[] = [];
  /** Reads the last value of each group rather than the first (a follower of the other direction). */
  private readonly fromEnd: boolean;

  /**
   * `owner`: an ExtremeCall of the same aggregate over the same column and FILTER whose
   * multiset this one reads (`sharingKey`), instead of keeping its own.
   */
  constructor(
    readonly returnType: DataType,
    private readonly offset: number,
    private readonly column: number,
    argType: DataType,
    isMax: boolean,
    groupTypes: readonly DataType[],
    tables: StateTableAllocator,
    private readonly owner: ExtremeCall | null = null,
  ) {
    this.nk = groupTypes.length;
    this.compact = LOSSLESS_KEY_TYPES.has(argType.kind);
    this.valueTypes = [argType];
    if (owner !== null) {
      this.table = owner.table;
      this.orders = owner.orders;
      this.fromEnd = owner.orders[0].desc !== isMax;
      owner.followers.push(this);
      return;
    }
    this.orders = [{ desc: isMax }];
    this.fromEnd = false;
    const pk = [...groupTypes.keys(), groupTypes.length];
    // Read a group at a time (the first key of its range): StateTable.declarePrefixReads.
    // Segmented (storage's segments.ts): over a table fed by INSERTs most (group, value)
    // keys are new, and written a LevelDB key each they were most of what a checkpoint
    // cost (docs/performance.md, "Session 23": in process, the seed pipeline's checkpoints
    // cost +25–41% CPU per event, and +14–17% segmented). A value seen again rewrites its
    // count and leaves a dead entry for cleaning; with one timestamp for every event, where
    // every event does that, the segmented table cost no more (13.2–13.3 against 13.3–14.0
    // µs per event).
    this.table = tables
      .create([...groupTypes, argType, T.Int64], pk, [...groupTypes.map(() => ({})), { desc: isMax }], { segmented: true })
      .declarePrefixReads(groupTypes.length);
  }

  /**
   * Whether two calls can keep one multiset: MIN and MAX (or twice either) of one column
   * see the same values when they count the same rows, i.e. under the same FILTER (DISTINCT
   * changes neither). The seed's wide feature row takes MIN and MAX of three columns: three
   * tables of a value per event fewer, and one write per event for each pair instead of two.
   */
  static sharingKey(column: number, filter: number): string {
    return `${column}|${filter}`;
  }

  initSlots(acc: unknown[]): void {
    acc[this.offset] = null;
    acc[this.offset + 1] = null;
  }

  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    if (this.owner !== null) return;
    const col = chunk.columns[this.column];
    const followers = this.followers;
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      const v = col.get(i);
      if (v === null) continue;
      const g = groups[i]!;
      this.scratch[0] = v;
      const vk = encodeKeyString(this.valueTypes, this.scratch, this.orders);
      const key = concatKeys(g.key, vk);
      const count = this.compact ? addToCount(this.table, key, s) : bumpCount(this.table, key, g, this.scratch, s);
      this.track(g.acc, vk, v, s, count);
      for (let f = 0; f < followers.length; f++) followers[f].track(g.acc, vk, v, s, count);
    }
  }

  /** Keeps this call's cached extreme in step with one change of `vk`'s count (now `count`). */
  private track(acc: unknown[], vk: string, v: Datum, s: number, count: number): void {
    const off = this.offset;
    const cur = acc[off] as string | null;
    if (cur === null) return;
    if (s > 0) {
      // The table orders its owner's extreme first: there a smaller encoding is a better
      // value, at the other end a larger one.
      if (this.fromEnd ? vk > cur : vk < cur) {
        acc[off] = vk;
        acc[off + 1] = v;
      }
    } else if (vk === cur && count <= 0) acc[off] = null;
  }

  result(g: AggGroup): Datum {
    const off = this.offset;
    if (g.acc[off] !== null) return g.acc[off + 1] as Datum;
    const key = this.fromEnd ? this.table.lastKeyWithPrefix(g.key) : this.table.firstKeyWithPrefix(g.key);
    if (key === undefined) return null;
    const first = this.table.getByKey(key)!;
    const vk = key.slice(g.key.length);
    // [count] (compact) or [group key…, value, count]; pk = (group key, value), so the rest of the key is the value's.
    const v = first.length === 1 ? decodeKey(this.valueTypes, Buffer.from(vk, 'latin1'), this.orders)[0] : first[this.nk];
    g.acc[off] = vk;
    g.acc[off + 1] = v;
    return v;
  }

  stateTables(): StateTable[] {
    return this.owner === null ? [this.table] : [];
  }
}

export class RecomputeCall implements AggCallRunner {
  readonly slots = 0;
  readonly returnType: DataType;
  private readonly table: StateTable;
  /** Input columns stored per entry: ORDER BY columns, then arguments. */
  private readonly columns: number[];
  private readonly valueTypes: DataType[];
  private readonly orders: KeyOrder[];
  private readonly nk: number;
  private readonly nOrder: number;

  constructor(
    private readonly impl: AggImpl,
    args: readonly number[],
    orderBy: readonly AggOrderItem[],
    inputTypes: readonly DataType[],
    groupTypes: readonly DataType[],
    tables: StateTableAllocator,
  ) {
    this.returnType = impl.returnType;
    this.nk = groupTypes.length;
    this.nOrder = orderBy.length;
    this.columns = [...orderBy.map((o) => o.column), ...args];
    this.valueTypes = this.columns.map((c) => inputTypes[c]);
    this.orders = [...orderBy.map((o) => ({ desc: o.desc, nullsFirst: o.nullsFirst })), ...args.map(() => ({}))];
    const width = groupTypes.length + this.columns.length;
    this.table = tables.create(
      [...groupTypes, ...this.valueTypes, T.Int64],
      [...Array(width).keys()],
      [...groupTypes.map(() => ({})), ...this.orders],
    ).declarePrefixReads(groupTypes.length);
  }

  initSlots(): void {}

  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const cols = this.columns.map((c) => chunk.columns[c]);
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      const values = new Array<Datum>(cols.length);
      for (let j = 0; j < cols.length; j++) values[j] = cols[j].get(i);
      const g = groups[i]!;
      bumpCount(this.table, encodeKeyStringAfter(g.key, this.valueTypes, values, this.orders), g, values, s);
    }
  }

  result(g: AggGroup): Datum {
    const state = this.impl.create();
    const start = this.nk + this.nOrder;
    const end = this.nk + this.columns.length;
    for (const [, row] of this.table.iterKeyPrefix(g.key)) {
      const args = row.slice(start, end);
      const count = row[row.length - 1] as number;
      for (let m = 0; m < count; m++) state.add(args);
    }
    return state.result();
  }

  stateTables(): StateTable[] {
    return [this.table];
  }
}
