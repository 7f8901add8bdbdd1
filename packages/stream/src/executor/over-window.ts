/**
 * General window functions in a streaming job (RisingWave's over_window: `lag`, `lead`,
 * `sum(…) OVER (…)`, frames …) by partition recomputation: input rows are kept per
 * partition; at the end of an epoch each partition that changed is recomputed as a whole
 * by `compute` (the planner passes the batch engine's window evaluation) and its output
 * is diffed against what was emitted before: new rows are inserted, vanished rows
 * deleted, changed rows updated (U-/U+). Every output row is its input row followed by
 * the calls' values, keyed by the input's stream key.
 *
 * Cost: O(partition size) per changed partition per epoch — right for the usual
 * per-entity partitions (`PARTITION BY user_id`), heavy for one huge partition. Rank
 * filters (`row_number() <= N`) take the group top-N path instead.
 */
import {
  type DataType,
  type Datum,
  Op,
  OP_SIGN,
  type Row,
  type StreamChunk,
  StreamChunkBuilder,
  datumEquals,
} from '@freshet/common';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface OverWindowOptions {
  readonly types: readonly DataType[];
  /** Types of the call columns appended to each input row. */
  readonly callTypes: readonly DataType[];
  /** Input columns holding the partition key. */
  readonly partitionKey: readonly number[];
  /** The input's stream key. */
  readonly pk: readonly number[];
  /** One partition's rows (any order) → each row with the call values appended (any order). */
  readonly compute: (rows: Row[]) => Row[];
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
}

export class OverWindowExecutor extends StatefulExecutor {
  readonly name = 'StreamOverWindow';
  readonly types: readonly DataType[];
  private readonly input: StateTable;
  private readonly output: StateTable;
  private readonly builder: StreamChunkBuilder;
  /** Partitions changed this epoch: encoded partition key → its key datums. */
  private readonly dirty = new Map<string, Datum[]>();

  constructor(readonly options: OverWindowOptions) {
    super();
    const o = options;
    this.types = [...o.types, ...o.callTypes];
    const key = [...o.partitionKey, ...o.pk];
    this.input = o.tables.create(o.types, key);
    this.output = o.tables.create(this.types, key);
    this.builder = new StreamChunkBuilder(this.types, o.chunkSize);
  }

  stateTables(): readonly StateTable[] {
    return [this.input, this.output];
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const pkey = this.options.partitionKey;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      if (OP_SIGN[chunk.ops[i]] > 0) this.input.insert(row);
      else this.input.delete(row);
      const part = pkey.map((c) => row[c]);
      const k = this.input.keyOfPk(part);
      if (!this.dirty.has(k)) this.dirty.set(k, part);
    }
  }

  /**
   * Recomputes every changed partition and emits the difference: all deletes first, so a
   * row that moved between partitions (same key, delete in one, insert in the other)
   * arrives downstream as delete-then-insert whatever order the partitions come in.
   */
  flush(): void {
    const inserts: Row[] = [];
    for (const part of this.dirty.values()) this.refresh(part, inserts);
    this.dirty.clear();
    const b = this.builder;
    for (const row of inserts) this.emit(b.append(Op.Insert, row));
    this.emit(b.take());
  }

  private refresh(part: Datum[], inserts: Row[]): void {
    const rows: Row[] = [];
    for (const [, r] of this.input.iterKeyPrefix(this.input.keyOfPk(part))) rows.push(r);
    const before = new Map<string, Row>();
    for (const [k, r] of this.output.iterKeyPrefix(this.output.keyOfPk(part))) before.set(k, r);
    const after = rows.length === 0 ? [] : this.options.compute(rows);
    const b = this.builder;
    for (const row of after) {
      const k = this.output.keyOfRow(row);
      const old = before.get(k);
      if (old === undefined) {
        inserts.push(row);
        this.output.putByKey(k, row);
        continue;
      }
      before.delete(k);
      if (this.sameRow(old, row)) continue;
      this.emit(b.appendUpdate(old, row));
      this.output.putByKey(k, row);
    }
    for (const [k, old] of before) {
      this.emit(b.append(Op.Delete, old));
      this.output.deleteByKey(k);
    }
  }

  private sameRow(a: Row, b: Row): boolean {
    const types = this.types;
    for (let i = 0; i < types.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x === null || y === null ? x !== y : !datumEquals(types[i], x, y)) return false;
    }
    return true;
  }
}
