/**
 * Aggregates whose result depends on which values are in the group, not just on a running
 * total: the group's inputs are kept as a counted multiset.
 *
 * - `ExtremeCall` (min/max): the values in order, in pages read by key (state/paged-multiset.ts),
 *   NULLs never stored, so the result is the multiset's first or last value, and deleting
 *   the current extreme simply exposes the next one.
 * - `RecomputeCall` (string_agg, array_agg and any other @freshet/expr aggregate): a state
 *   row per (group key, the call's ORDER BY columns, then the arguments) holding its count;
 *   the result is recomputed from the group's rows in that order with a fresh AggState,
 *   once per dirty group per epoch.
 */
import { type DataType, type Datum, type KeyOrder, type Row, type StreamChunk, T, decodeKey, encodeKeyString, encodeKeyStringAfter, packRow, unpackRow } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import type { AggCallRunner, AggOrderItem } from './call';
import type { AggGroup } from './group';
import { NODE_ID_TYPE, PagedMultiset } from '../state/paged-multiset';

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
 * 1.00 share a key but print differently) nor floats (-0 and 0, NaNs), whose multisets
 * keep the value beside its key.
 */
const LOSSLESS_KEY_TYPES: ReadonlySet<string> = new Set(['boolean', 'int16', 'int32', 'int64', 'serial', 'date', 'time', 'timestamp', 'timestamptz', 'varchar']);

export class ExtremeCall implements AggCallRunner {
  /**
   * Two slots cache the group's current extreme: its value-key encoding (null = unknown)
   * and the value. An insert that beats it replaces it and a delete that removes its last
   * copy forgets it; `result` reads the multiset only while it is unknown. Without the
   * cache every dirty group cost a read per flush. Comparing encodings (not datums) keeps
   * the cache in exactly the multiset's order.
   */
  readonly slots = 2;
  /**
   * The group's values and their multiplicities, in pages read by key (state/paged-multiset.ts),
   * so that under a memory limit they are a cache like the groups themselves. (A MAX of a
   * temporal filter's own column, or over an input that never retracts, keeps no multiset
   * at all: agg/value-calls.ts.)
   */
  private readonly multiset: PagedMultiset;
  /** The value's key encoding gives it back exactly (LOSSLESS_KEY_TYPES): the multiset keeps keys only. */
  private readonly lossless: boolean;
  private readonly valueTypes: DataType[];
  private readonly scratch: Datum[] = [null];
  /**
   * Calls over the same values kept by this call's multiset (`ExtremeCall.sharingKey`): the
   * MIN beside a MAX of one column, which reads the other end of it. This call writes the
   * multiset and keeps their cached extremes too; their own `apply` does nothing.
   */
  private readonly followers: ExtremeCall[] = [];
  private readonly table: StateTable | null;

  /**
   * `owner`: an ExtremeCall of the same aggregate over the same column and FILTER whose
   * multiset this one reads (`sharingKey`), instead of keeping its own.
   */
  constructor(
    readonly returnType: DataType,
    private readonly offset: number,
    private readonly column: number,
    argType: DataType,
    private readonly isMax: boolean,
    groupTypes: readonly DataType[],
    tables: StateTableAllocator,
    private readonly owner: ExtremeCall | null = null,
  ) {
    this.lossless = LOSSLESS_KEY_TYPES.has(argType.kind);
    this.valueTypes = [argType];
    if (owner !== null) {
      this.multiset = owner.multiset;
      this.table = null;
      owner.followers.push(this);
      return;
    }
    // pk = (group key, node id); rows are a node each (PagedMultiset), read by key only.
    this.table = tables.create([...groupTypes, NODE_ID_TYPE, T.Varchar], [...groupTypes.keys(), groupTypes.length]).declarePointReads();
    this.multiset = new PagedMultiset(this.table, { payloads: !this.lossless });
  }

  /**
   * Whether two calls can keep one multiset: MIN and MAX (or twice either) of one column
   * see the same values when they count the same rows, i.e. under the same FILTER (DISTINCT
   * changes neither). The seed's wide feature row takes MIN and MAX of three columns: three
   * multisets fewer, and one write per event for each pair instead of two.
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
      const vk = encodeKeyString(this.valueTypes, this.scratch);
      const count = this.multiset.add(g.key, vk, s, s > 0 && !this.lossless ? packRow(this.scratch) : null);
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
      // Value keys are ascending: a larger one is a better MAX, a smaller one a better MIN.
      if (this.isMax ? vk > cur : vk < cur) {
        acc[off] = vk;
        acc[off + 1] = v;
      }
    } else if (vk === cur && count <= 0) acc[off] = null;
  }

  result(g: AggGroup): Datum {
    const off = this.offset;
    if (g.acc[off] !== null) return g.acc[off + 1] as Datum;
    const end = this.isMax ? this.multiset.last(g.key) : this.multiset.first(g.key);
    if (end === undefined) return null;
    const [vk, kept] = end;
    const v = this.lossless ? decodeKey(this.valueTypes, Buffer.from(vk, 'latin1'))[0] : unpackRow(kept!)[0];
    g.acc[off] = vk;
    g.acc[off + 1] = v;
    return v;
  }

  stateTables(): StateTable[] {
    return this.table === null ? [] : [this.table];
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
