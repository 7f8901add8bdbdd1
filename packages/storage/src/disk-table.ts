/**
 * One table's rows under a memory limit: LevelDB holds them (it always does: the engine
 * writes a commit group there before applying it), and memory holds a bounded cache of
 * recently written or read rows (TableRowCache, shared by the engine's tables).
 *
 * Why: a MemTable keeps every row a table ever got in the heap — the serving load's event
 * tables at full scale are 26.3M rows, ~3 GB against V8's 4 GiB heap — and a memory limit
 * bounded only the stream state. Here nothing in memory is needed for durability, so any
 * cached row can be dropped at any time.
 *
 * Reads: a key not cached is read from LevelDB synchronously (`getSync`: ~6 µs for a stored
 * row, ~1.3–1.6 µs for a key with none, in a 1M-row table: bench/tools/disk-table-reads.ts), unless
 * the commit group being written changes it: LevelDB may already hold that group, which is
 * not applied yet, so the key reads as the group found it (`inFlight`). Full reads go to
 * LevelDB through an iterator (disk-table-scan.ts): `scanCold` for batch queries,
 * `snapshotCold` for a backfill; the synchronous `scan` throws.
 *
 * The row count is kept from the commits' old rows; after a restart the stored rows are
 * counted in the background (`addCounted`), and `size` is a lower bound until then.
 */
import { type Row, SqlError, SqlState, packRow, unpackRow } from '@freshet/common';
import { DiskRowsReader, DiskRowsScan, diskSnapshot } from './disk-table-scan';
import type { TableSchema } from './api';
import type { TableRowReader } from './level-log';
import type { ColdScan, ColdSnapshot } from './state-store/api';
import { StoredTable } from './stored-table';
import type { TableRowCache } from './table-row-cache';

/** What a DiskTable reads its rows through (the engine's LevelDB and its commit in flight). */
export interface DiskRows {
  /** The row stored under `key` now, packed (undefined: none), read synchronously. */
  readSync(tableId: number, key: string): string | undefined;
  /** A reader of the rows stored now (an iterator created by the call). */
  reader(tableId: number, opts?: { values?: boolean }): TableRowReader;
  /**
   * The keys of the table that the commit group being written changes, each with its row
   * before the group (undefined: none); null when no group is in flight.
   */
  inFlight(tableId: number): ReadonlyMap<string, Row | undefined> | null;
}

/** Keys per LevelDB read of a drop's key listing. */
const KEYS_READ = 4096;

export class DiskTable extends StoredTable {
  /** Key → the row packed, in the order the keys came in (the cache evicts from the front). */
  private readonly cached = new Map<string, string>();
  /** Where eviction goes on: a Map iterator survives deletes and sees later insertions. */
  private hand: Iterator<[string, string]> | null = null;
  private count = 0;

  constructor(
    tableId: number,
    private readonly rows: DiskRows,
    private readonly cache: TableRowCache,
    schema?: TableSchema,
  ) {
    super(tableId, schema);
  }

  get size(): number {
    return this.count;
  }

  /** Every row is readable now, by key or by iterator: there is no load to wait for. */
  get loading(): null {
    return null;
  }

  get isEmptyCache(): boolean {
    return this.cached.size === 0;
  }

  /** Rows counted by the background count after a restart. */
  addCounted(n: number): void {
    this.count += n;
  }

  get(pk: readonly unknown[]): Row | undefined {
    return this.committedRow(this.keyOfPk(pk));
  }

  committedRow(key: string): Row | undefined {
    const packed = this.cached.get(key);
    if (packed !== undefined) return unpackRow(packed);
    const flying = this.rows.inFlight(this.tableId);
    if (flying !== null && flying.has(key)) return flying.get(key);
    const stored = this.rows.readSync(this.tableId, key);
    if (stored === undefined) return undefined;
    this.remember(key, stored);
    return unpackRow(stored);
  }

  putKey(key: string, row: Row, packed: string = packRow(row), absent = false): void {
    if (absent) this.count++;
    this.remember(key, packed);
  }

  deleteKey(key: string): void {
    this.count--;
    this.forget(key);
  }

  finishLoad(): void {
    // Dropped: the cache goes with it.
    this.cache.release(this, this.evict(Infinity));
  }

  scan(): Iterable<Row> {
    throw new SqlError(SqlState.InternalError, `storage: table ${this.tableId}'s rows are read from disk (memory limit): read them with scanCold`);
  }

  scanCold(): ColdScan {
    return new DiskRowsScan(this.diskReader());
  }

  override snapshotCold(): ColdSnapshot {
    return diskSnapshot(this.diskReader(), this.count);
  }

  async *committedKeys(): AsyncGenerator<string> {
    const keys = this.rows.reader(this.tableId, { values: false });
    try {
      for (;;) {
        const entries = await keys.nextv(KEYS_READ);
        if (entries.length === 0) return;
        for (const [k] of entries) yield k;
      }
    } finally {
      await keys.close();
    }
  }

  /** Drops cached rows from the front until `bytes` are freed (or none are left); returns the bytes freed. */
  evict(bytes: number): number {
    let freed = 0;
    while (freed < bytes && this.cached.size > 0) {
      let r = this.hand?.next();
      if (r === undefined || r.done) {
        this.hand = this.cached.entries();
        r = this.hand.next();
        if (r.done) break;
      }
      const [k, v] = r.value;
      this.cached.delete(k);
      freed += entryBytes(k, v);
    }
    return freed;
  }

  /** The reader of a full read, created now, with the in-flight group's keys as they were. */
  private diskReader(): DiskRowsReader {
    const flying = this.rows.inFlight(this.tableId);
    const overrides = flying === null ? [] : [...flying].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new DiskRowsReader(this.rows.reader(this.tableId), overrides);
  }

  private remember(key: string, packed: string): void {
    const prev = this.cached.get(key);
    this.cached.set(key, packed);
    const delta = entryBytes(key, packed) - (prev === undefined ? 0 : entryBytes(key, prev));
    this.cache.charge(this, delta);
  }

  private forget(key: string): void {
    const prev = this.cached.get(key);
    if (prev === undefined) return;
    this.cached.delete(key);
    this.cache.release(this, entryBytes(key, prev));
  }
}

/**
 * Estimated heap bytes of one cached row: its two strings (a header and one byte per
 * character) and the Map's entry.
 */
function entryBytes(key: string, packed: string): number {
  return key.length + packed.length + 64;
}
