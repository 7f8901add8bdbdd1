/**
 * Writes its input into the MV's state table, keyed by the MV's pk, and passes the
 * changes on (downstream MVs and sinks consume them). When the barrier of epoch N has
 * been committed to the table, it reports N to the barrier manager; once every
 * materialize (and sink) has reported N, the manager publishes N to readers.
 *
 * Conflict handling, as RisingWave's ConflictBehavior:
 * - `none` (an MV over a correct plan): the input's ops are trusted; each row is applied
 *   in order (so an update whose pk changes is a delete of the old key and an insert of
 *   the new one) and the chunk is forwarded unchanged;
 * - `overwrite` (a table with a user pk fed by DML, upsert sources): an insert on an
 *   existing key replaces the row and goes downstream as a U-/U+ pair of old and new row;
 *   a delete goes downstream with the stored row; a delete of an absent key is dropped.
 */
import { type DataType, type KeyOrder, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import type { Barrier } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { ChangeCapture } from './change-capture';
import { StatefulExecutor } from './executor';

/** Receives "this executor has committed epoch N". */
export interface EpochCollector {
  collect(epoch: number): void;
}

export type ConflictBehavior = 'none' | 'overwrite';

export interface MaterializeOptions {
  readonly types: readonly DataType[];
  /** The MV's primary key (column indices). */
  readonly pk: readonly number[];
  readonly orders?: readonly KeyOrder[];
  readonly tables: StateTableAllocator;
  readonly conflict?: ConflictBehavior;
  readonly collector?: EpochCollector | null;
  readonly chunkSize?: number;
}

export class MaterializeExecutor extends StatefulExecutor {
  readonly name = 'StreamMaterialize';
  readonly types: readonly DataType[];
  /** The MV's rows: batch reads use its committed view. */
  readonly table: StateTable;
  private readonly conflict: ConflictBehavior;
  private readonly builder: StreamChunkBuilder;
  collector: EpochCollector | null;
  /** The row changes applied, for readers that follow the MV (secondary indexes). */
  readonly changes = new ChangeCapture();

  constructor(options: MaterializeOptions) {
    super();
    this.types = options.types;
    // Read by key here and by serving point lookups: under a memory limit the MV's rows may
    // be partly in memory (full scans of it then need every row back: see mem-store.ts).
    // Packed once large: a row is rewritten on every change of its key and read only by
    // lookups and scans (StateTableDesc.packed).
    this.table = options.tables.create(options.types, options.pk, options.orders, { packed: 'large' }).declarePointReads();
    this.conflict = options.conflict ?? 'none';
    this.collector = options.collector ?? null;
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
  }

  protected onChunk(chunk: StreamChunk): void {
    if (this.conflict === 'none') {
      applyToTable(this.table, chunk);
      if (this.changes.active) this.changes.recordChunk(this.table.epoch, chunk);
      this.emit(chunk);
      return;
    }
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const b = this.builder;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      const key = this.table.keyOfRow(row);
      const old = this.table.getByKey(key);
      if (OP_SIGN[chunk.ops[i]] > 0) {
        this.table.putByKey(key, row);
        if (this.changes.active) this.recordOverwrite(old, row);
        this.emit(old === undefined ? b.append(Op.Insert, row) : b.appendUpdate(old, row));
      } else if (old !== undefined) {
        this.table.deleteByKey(key);
        if (this.changes.active) this.changes.record(this.table.epoch, old, -1);
        this.emit(b.append(Op.Delete, old));
      }
    }
    this.emit(b.take());
  }

  private recordOverwrite(old: Row | undefined, row: Row): void {
    const epoch = this.table.epoch;
    if (old !== undefined) this.changes.record(epoch, old, -1);
    this.changes.record(epoch, row, 1);
  }

  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }

  override afterCommit(b: Barrier): void {
    this.collector?.collect(b.epoch);
    super.afterCommit(b);
  }
}

/**
 * The pure core of `none` mode: applies every visible row of `chunk` to `table` in order.
 * An update pair that keeps its pk becomes one overwrite (no delete + re-insert of the key).
 */
export function applyToTable(table: StateTable, chunk: StreamChunk): void {
  const n = chunk.capacity;
  const vis = chunk.visibility;
  const ops = chunk.ops;
  const cols = chunk.columns;
  for (let i = 0; i < n; i++) {
    if (vis !== null && vis[i] === 0) continue;
    const op = ops[i];
    if (op === Op.UpdateDelete) {
      let j = i + 1;
      while (vis !== null && j < n && vis[j] === 0) j++;
      if (j < n && ops[j] === Op.UpdateInsert && table.sameKeyInChunk(cols, i, j)) {
        table.putByKey(table.keyOfChunkRow(cols, j), chunk.row(j));
        i = j;
        continue;
      }
    }
    if (OP_SIGN[op] > 0) table.insert(chunk.row(i));
    else table.deleteByKey(table.keyOfChunkRow(cols, i));
  }
}
