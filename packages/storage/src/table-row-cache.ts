/**
 * The memory budget of the engine's DiskTables' cached rows (disk-table.ts): one estimate
 * of their bytes against one limit. Over the limit, the table that grew gives way first,
 * its oldest rows, then the others: a table being written is the one whose rows keep
 * coming, and the rows a lookup-heavy table cached stay until then.
 */
import type { DiskTable } from './disk-table';

export class TableRowCache {
  private _bytes = 0;
  private readonly tables = new Set<DiskTable>();

  constructor(readonly limit: number) {}

  /** Estimated bytes cached now. */
  get bytes(): number {
    return this._bytes;
  }

  /** `table` cached `delta` more bytes (negative: fewer); evicts if that goes over the limit. */
  charge(table: DiskTable, delta: number): void {
    this._bytes += delta;
    this.tables.add(table);
    if (this._bytes <= this.limit) return;
    this._bytes -= table.evict(this._bytes - this.limit);
    for (const t of this.tables) {
      if (this._bytes <= this.limit) break;
      if (t !== table) this._bytes -= t.evict(this._bytes - this.limit);
    }
  }

  /** `table` dropped `bytes` of cached rows. */
  release(table: DiskTable, bytes: number): void {
    this._bytes -= bytes;
    if (table.isEmptyCache) this.tables.delete(table);
  }
}
