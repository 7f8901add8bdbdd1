/**
 * One table's rows in memory: a Map from the memcomparable primary key (as a latin1
 * string, whose JS order is byte order) to the row, plus a lazily maintained sorted key
 * list for `scan()`.
 *
 * Why lazy: point writes are the hot path (INSERT/UPDATE/DELETE), scans are comparatively
 * rare. New keys are appended to `pending`; the next scan sorts only the pending keys and
 * merges them into `sorted` (O(n + k log k)), dropping keys deleted since. A scan iterates
 * a snapshot of the key array, so writes committed during a scan never disturb its order.
 */
import { type DataType, type Row, encodeKeyString } from '@freshet/common';
import type { TableReader, TableSchema } from './api';

export class MemTable implements TableReader {
  readonly rows = new Map<string, Row>();
  private sorted: string[] = [];
  private pending: string[] = [];
  private deletedSinceSort = 0;
  /** Unset for tables loaded from disk until the catalog attaches their schema. */
  private _schema: TableSchema | undefined;
  private pkTypes: DataType[] = [];

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

  get size(): number {
    return this.rows.size;
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

  get(pk: readonly unknown[]): Row | undefined {
    if (this.rows.size === 0) return undefined;
    return this.rows.get(encodeKeyString(this.pkTypes, pk as Row));
  }

  scan(): Iterable<Row> {
    return scanKeys(this.rows, this.sortedKeys());
  }

  /** Keys in order; valid until the next write. */
  sortedKeys(): readonly string[] {
    if (this.pending.length > 0 || this.deletedSinceSort > 0) this.resort();
    return this.sorted;
  }

  putKey(key: string, row: Row): void {
    if (!this.rows.has(key)) this.pending.push(key);
    this.rows.set(key, row);
  }

  deleteKey(key: string): void {
    if (this.rows.delete(key)) this.deletedSinceSort++;
  }

  clear(): void {
    this.rows.clear();
    this.sorted = [];
    this.pending = [];
    this.deletedSinceSort = 0;
  }

  private resort(): void {
    const rows = this.rows;
    const pending = this.pending.sort();
    const old = this.sorted;
    // A fresh array each time: running scans keep iterating their own snapshot.
    const out: string[] = new Array(rows.size);
    let n = 0;
    let i = 0;
    let j = 0;
    let last: string | undefined;
    while (i < old.length || j < pending.length) {
      let k: string;
      if (j >= pending.length || (i < old.length && old[i] <= pending[j])) k = old[i++];
      else k = pending[j++];
      // A key deleted and re-inserted since the last sort sits in both lists (and pending
      // may hold it twice); emit it once, and only if it is still present.
      if (k === last || !rows.has(k)) continue;
      out[n++] = k;
      last = k;
    }
    out.length = n;
    this.sorted = out;
    this.pending = [];
    this.deletedSinceSort = 0;
  }
}

function* scanKeys(rows: Map<string, Row>, keys: readonly string[]): Generator<Row> {
  for (let i = 0; i < keys.length; i++) {
    const row = rows.get(keys[i]);
    if (row !== undefined) yield row;
  }
}
