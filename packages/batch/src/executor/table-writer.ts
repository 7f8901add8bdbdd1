/**
 * The write side shared by INSERT, UPDATE and DELETE: NOT NULL checks, `_row_id`
 * assignment, ON CONFLICT handling against both the committed table and this
 * statement's own earlier writes, and buffering into the statement's WriteBatch.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, compareDatum } from '@freshet/common';
import type { StorageEngine, TableReader, WriteBatch } from '@freshet/storage';
import { type HashKey, compositeKey } from '../keys';

export type ConflictBehavior = 'overwrite' | 'ignore' | 'do_update_if_not_null';

export interface WriteTarget {
  tableId: number;
  tableName: string;
  reader: TableReader;
  types: readonly DataType[];
  columnNames: readonly string[];
  pk: readonly number[];
  notNull: readonly number[];
  /** Index of the hidden `_row_id` column filled from `storage.nextRowId`, or -1. */
  rowIdColumn: number;
  onConflict: ConflictBehavior;
  /**
   * `ON CONFLICT … WITH VERSION COLUMN (a, b)`: a conflicting insert applies only when its
   * version (compared column by column, NULL lowest) is not lower than the stored row's.
   */
  versionColumns?: readonly number[];
  /**
   * A watermarked table's late-row test (RisingWave drops rows below the table's watermark
   * before storing them): a late row is reported as inserted but not stored.
   */
  late?: (row: Row) => boolean;
}

export class TableWriter {
  /**
   * Rows written by this statement, by pk: conflicts must see them too. Null when no
   * insert can look for a conflict (a `_row_id` table, or ON CONFLICT overwrite without
   * version columns): then nothing reads it, and a batched INSERT would pay a key and a
   * Map entry per row for nothing.
   */
  private readonly pending: Map<HashKey, Row | null> | null;
  private readonly pkTypes: DataType[];
  /** Whether `insert` checks for an existing row (ON CONFLICT other than overwrite, or versioned). */
  private readonly checksConflicts: boolean;

  constructor(
    readonly target: WriteTarget,
    private readonly storage: StorageEngine,
    private readonly batch: WriteBatch,
  ) {
    this.pkTypes = target.pk.map((i) => target.types[i]);
    const versioned = target.versionColumns !== undefined && target.versionColumns.length > 0;
    this.checksConflicts = target.rowIdColumn < 0 && (target.onConflict !== 'overwrite' || versioned);
    this.pending = this.checksConflicts ? new Map() : null;
  }

  pkOf(row: Row): Datum[] {
    const pk = this.target.pk;
    const out = new Array<Datum>(pk.length);
    for (let i = 0; i < pk.length; i++) out[i] = row[pk[i]];
    return out;
  }

  private current(pk: Datum[]): Row | undefined {
    const k = compositeKey(this.pkTypes, pk);
    const pending = this.pending!;
    if (pending.has(k)) return pending.get(k) ?? undefined;
    return this.target.reader.get(pk);
  }

  private checkNotNull(row: Row): void {
    for (const i of this.target.notNull) {
      if (row[i] === null) {
        throw new SqlError(SqlState.NotNullViolation, `null value in column "${this.target.columnNames[i]}" violates not-null constraint`);
      }
    }
  }

  /**
   * Inserts a new row; returns the row actually stored, or null when ON CONFLICT skipped it.
   * A late row of a watermarked table is returned (it counts, as in RisingWave) but not stored.
   */
  insert(row: Row): Row | null {
    const t = this.target;
    if (t.late !== undefined && t.late(row)) return row;
    if (t.rowIdColumn >= 0) row[t.rowIdColumn] = this.storage.nextRowId(t.tableId);
    this.checkNotNull(row);
    const pkCols = t.pk;
    for (let i = 0; i < pkCols.length; i++) {
      if (row[pkCols[i]] === null) throw new SqlError(SqlState.NotNullViolation, `null value in column "${t.columnNames[pkCols[i]]}" violates not-null constraint`);
    }
    let stored = row;
    if (this.checksConflicts) {
      const old = this.current(this.pkOf(row));
      if (old) {
        if (t.onConflict === 'ignore') return null;
        if (t.versionColumns !== undefined && t.versionColumns.length > 0 && this.olderVersion(row, old)) return null;
        if (t.onConflict === 'do_update_if_not_null') stored = row.map((v, i) => (v === null ? old[i] : v));
      }
    }
    if (t.rowIdColumn >= 0) this.putGenerated(stored);
    else this.put(stored);
    return stored;
  }

  /** Whether `row`'s version columns compare lower than `old`'s (NULL is the lowest version). */
  private olderVersion(row: Row, old: Row): boolean {
    for (const c of this.target.versionColumns!) {
      const a = row[c];
      const b = old[c];
      if (a === null && b === null) continue;
      if (a === null) return true;
      if (b === null) return false;
      const cmp = compareDatum(this.target.types[c], a, b);
      if (cmp !== 0) return cmp < 0;
    }
    return false;
  }

  /** Replaces a row in place (same pk). */
  update(row: Row): void {
    this.checkNotNull(row);
    this.put(row);
  }

  delete(row: Row): void {
    const pk = this.pkOf(row);
    this.pending?.set(compositeKey(this.pkTypes, pk), null);
    this.batch.delete(this.target.tableId, pk);
  }

  private put(row: Row): void {
    if (this.pending !== null) this.pending.set(compositeKey(this.pkTypes, this.pkOf(row)), row);
    this.batch.put(this.target.tableId, row);
  }

  /** Inserts a row keyed by a `_row_id` it was just given. */
  private putGenerated(row: Row): void {
    this.batch.insertGenerated(this.target.tableId, row);
  }
}
