/**
 * What the storage engine needs of one table's committed rows, whichever way they are
 * kept: all in memory (MemTable), or in LevelDB behind a bounded cache (DiskTable, under a
 * memory limit). This base holds the schema and encodes storage keys; the subclasses keep
 * the rows.
 *
 * The engine writes a commit group to LevelDB first and applies it here only once it is
 * durable (engine.ts), so what a table holds is never ahead of LevelDB.
 */
import { type DataType, type Row, encodeKeyString } from '@freshet/common';
import type { TableReader, TableSchema } from './api';
import type { ColdScan, ColdSnapshot } from './state-store/api';

export abstract class StoredTable implements TableReader {
  /** Unset for tables found on disk until the catalog attaches their schema. */
  private _schema: TableSchema | undefined;
  protected pkTypes: DataType[] = [];

  constructor(
    readonly tableId: number,
    schema?: TableSchema,
  ) {
    if (schema) this.setSchema(schema);
  }

  get schema(): TableSchema {
    if (!this._schema) throw new Error(`storage: table ${this.tableId} has no schema attached`);
    return this._schema;
  }

  get hasSchema(): boolean {
    return this._schema !== undefined;
  }

  setSchema(schema: TableSchema): void {
    this._schema = schema;
    this.pkTypes = schema.pk.map((i) => schema.types[i]);
  }

  /** The storage key of a full row. */
  keyOfRow(row: Row): string {
    const pk = this.schema.pk;
    const datums = new Array(pk.length);
    for (let i = 0; i < pk.length; i++) datums[i] = row[pk[i]] ?? null;
    return encodeKeyString(this.pkTypes, datums);
  }

  /** The storage key of primary-key datums (in pk column order). */
  keyOfPk(pk: readonly unknown[]): string {
    if (!this._schema) void this.schema; // throws the descriptive error
    return encodeKeyString(this.pkTypes, pk as Row);
  }

  abstract readonly size: number;
  abstract get(pk: readonly unknown[]): Row | undefined;
  abstract scan(): Iterable<Row>;
  abstract scanCold(): ColdScan | null;
  snapshotCold?(): ColdSnapshot | null;
  /** A load to await before `scan` can serve (null: it serves now, or never does: see `scanCold`). */
  abstract readonly loading: Promise<void> | null;
  /** The committed row under a storage key (what a commit's plan replaces). */
  abstract committedRow(key: string): Row | undefined;
  /**
   * Applies a committed write of `row` under `key`; `packed`: its packRow string when the
   * caller has it; `absent`: the key had no committed row.
   */
  abstract putKey(key: string, row: Row, packed?: string, absent?: boolean): void;
  /** Applies a committed delete of a key that had a row. */
  abstract deleteKey(key: string): void;
  /** The table was dropped (or, after a restart, its rows are all in memory). */
  abstract finishLoad(error?: Error): void;
  /** Every committed key, which a drop deletes from LevelDB. */
  abstract committedKeys(): Iterable<string> | AsyncIterable<string>;
}
