/**
 * A statement's pending writes. Keys are encoded when an operation is added, so a bad row
 * (wrong width, wrong pk datum type) fails the statement before anything is committed and
 * the commit itself only moves prepared data around.
 */
import type { Row } from '@freshet/common';
import type { WriteBatch } from './api';
import type { StoredTable } from './stored-table';

export type BatchOp =
  /** `generated`: the key is a fresh `_row_id` (`insertGenerated`), so no row has it. */
  | { kind: 'put'; tableId: number; key: string; row: Row; generated?: true }
  | { kind: 'delete'; tableId: number; key: string }
  | { kind: 'drop'; tableId: number }
  | { kind: 'rewrite'; tableId: number; map: (row: Row) => Row };

export class Batch implements WriteBatch {
  readonly ops: BatchOp[] = [];
  /** Meta records in insertion order; `undefined` deletes. */
  readonly meta = new Map<string, unknown>();
  /** Whether an op is a `rewrite` (the commit then lists the table's keys first). */
  rewrites = false;

  constructor(private readonly lookup: (tableId: number) => StoredTable) {}

  put(tableId: number, row: Row): void {
    this.ops.push({ kind: 'put', tableId, key: this.keyOf(tableId, row), row });
  }

  insertGenerated(tableId: number, row: Row): void {
    this.ops.push({ kind: 'put', tableId, key: this.keyOf(tableId, row), row, generated: true });
  }

  private keyOf(tableId: number, row: Row): string {
    const t = this.lookup(tableId);
    if (row.length !== t.schema.types.length) {
      throw new Error(`storage: row of width ${row.length} put into table ${tableId} of width ${t.schema.types.length}`);
    }
    return t.keyOfRow(row);
  }

  delete(tableId: number, pk: readonly unknown[]): void {
    this.ops.push({ kind: 'delete', tableId, key: this.lookup(tableId).keyOfPk(pk) });
  }

  putMeta(key: string, value: unknown | undefined): void {
    this.meta.delete(key); // keep the last write last
    this.meta.set(key, value);
  }

  dropTable(tableId: number): void {
    this.ops.push({ kind: 'drop', tableId });
  }

  rewriteTable(tableId: number, map: (row: Row) => Row): void {
    this.ops.push({ kind: 'rewrite', tableId, map });
    this.rewrites = true;
  }

  get isEmpty(): boolean {
    return this.ops.length === 0 && this.meta.size === 0;
  }
}
