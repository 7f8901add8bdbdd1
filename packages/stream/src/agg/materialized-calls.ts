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
import { type DataType, type Datum, type KeyOrder, type Row, type StreamChunk, T, encodeKeyString } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import type { AggCallRunner, AggOrderItem } from './call';
import type { AggGroup } from './group';

/** Adds `s` to the multiplicity of `key` (row = [...groupKey, ...values, count]). */
function bumpCount(table: StateTable, key: string, g: AggGroup, values: readonly Datum[], s: number): void {
  const prev = table.getByKey(key);
  const count = (prev === undefined ? 0 : (prev[prev.length - 1] as number)) + s;
  if (count <= 0) {
    if (prev !== undefined) table.deleteByKey(key);
    return;
  }
  const row: Row = new Array(g.keyDatums.length + values.length + 1);
  let k = 0;
  for (const d of g.keyDatums) row[k++] = d;
  for (const d of values) row[k++] = d;
  row[k] = count;
  table.putByKey(key, row);
}

export class ExtremeCall implements AggCallRunner {
  readonly slots = 0;
  private readonly table: StateTable;
  private readonly valueTypes: DataType[];
  private readonly orders: KeyOrder[];
  private readonly scratch: Datum[] = [null];
  private readonly nk: number;

  constructor(
    readonly returnType: DataType,
    private readonly column: number,
    argType: DataType,
    isMax: boolean,
    groupTypes: readonly DataType[],
    tables: StateTableAllocator,
  ) {
    this.nk = groupTypes.length;
    this.valueTypes = [argType];
    this.orders = [{ desc: isMax }];
    const pk = [...groupTypes.keys(), groupTypes.length];
    this.table = tables.create([...groupTypes, argType, T.Int64], pk, [...groupTypes.map(() => ({})), { desc: isMax }]);
  }

  initSlots(): void {}

  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const col = chunk.columns[this.column];
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      const v = col.get(i);
      if (v === null) continue;
      const g = groups[i]!;
      this.scratch[0] = v;
      bumpCount(this.table, g.key + encodeKeyString(this.valueTypes, this.scratch, this.orders), g, [v], s);
    }
  }

  result(g: AggGroup): Datum {
    const first = this.table.firstWithKeyPrefix(g.key);
    return first === undefined ? null : first[this.nk];
  }

  stateTables(): StateTable[] {
    return [this.table];
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
    );
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
      bumpCount(this.table, g.key + encodeKeyString(this.valueTypes, values, this.orders), g, values, s);
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
