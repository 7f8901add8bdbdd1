/**
 * One table's rows in memory: a Map from the memcomparable primary key (as a latin1
 * string, whose JS order is byte order) to the row, plus a lazily maintained sorted key
 * list for `scan()`.
 *
 * Why lazy: point writes are the hot path (INSERT/UPDATE/DELETE), scans are comparatively
 * rare. New keys are appended to `pending`; the next scan sorts only the pending keys and
 * merges them into `sorted` (O(n + k log k)), dropping keys deleted since. A scan iterates
 * a snapshot of the key array, so writes committed during a scan never disturb its order.
 *
 * After a restart a table's rows are loaded in the background (engine.ts, `startLoad`):
 * until then `rows` holds what was loaded so far and the keys written since the restart,
 * and `removed` the keys deleted since (so the load, which reads the rows as stored at the
 * restart, neither overwrites nor resurrects them). Point reads of a key not in memory go
 * to LevelDB (`readStored`, synchronous), so lookups and DML (primary-key conflicts) need
 * no wait; a full scan does: `scanCold` hands the load's promise to await first, and
 * `scan` throws until the load is done (callers that cannot await use
 * `StorageEngine.tableLoading`).
 */
import { KeyMap, type Row, SqlError, SqlState, encodeKeyString, packRow, unpackRow } from '@freshet/common';
import type { ColdScan } from './state-store/api';
import { StoredTable } from './stored-table';

/** Rows a cold scan hands out at once after the load (the batch executors' chunk size). */
const SCAN_BATCH = 1024;

/** A table's background load in progress. */
interface Load {
  /** Resolves when every stored row is in memory (or the table is dropped); rejects if the load failed. */
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  /** The row stored under a key now (a key no write since the restart touched: as of the restart). */
  readonly readStored: (key: string) => Row | undefined;
  /** Keys deleted since the restart: the load must not bring them back. */
  readonly removed: Set<string>;
  /** Set when the load failed: the table's rows cannot all be read. */
  failed: Error | null;
}

export class MemTable extends StoredTable {
  /**
   * Key → the row packed (common's packRow: its value encoding as a one-byte string, the
   * bytes LevelDB stores). A table holds every row it ever got (the seed's events: 10
   * million); as arrays each row was ~6 heap objects (the array, a box per BigInt and float,
   * its strings) that V8's major GC marks again and again. A packed row is one object with
   * no pointers (full-scale ingest 6,281 → 8,371 events/s: docs/performance.md, session 12).
   * Reads unpack (a new row each time: callers never see a stored row to change). A KeyMap
   * (a BigMap that stores small BIGINT keys as numbers: cheaper lookups) because a table
   * can hold more rows than a V8 Map (2^24).
   */
  private readonly rows = new KeyMap<string>();
  private sorted: string[] = [];
  private pending: string[] = [];
  private deletedSinceSort = 0;
  /** The background load after a restart (null: every row is in memory). */
  private load: Load | null = null;

  /** While loading: the rows in memory so far (a lower bound). */
  get size(): number {
    return this.rows.size;
  }

  /** The background load after a restart (null: every row is in memory). */
  get loading(): Promise<void> | null {
    return this.load?.promise ?? null;
  }

  /**
   * Marks the table as not loaded yet: its rows are stored in LevelDB, `readStored` reads
   * one by key, and `fillLoaded` / `finishLoad` bring them into memory.
   */
  startLoad(readStored: (key: string) => Row | undefined): void {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Waiters may come and go; an unobserved failure is reported by the engine, not as an unhandled rejection.
    promise.catch(() => {});
    this.load = { promise, resolve, reject, readStored, removed: new Set(), failed: null };
  }

  /**
   * Stored rows read by the load, in key order: kept unless a write since the restart
   * already decided the key. Keys come in order and `sorted` holds only loaded keys while
   * loading (no scan can sort before the load ends), so they are appended in place.
   */
  fillLoaded(batch: readonly (readonly [string, string])[]): void {
    const removed = this.load!.removed;
    const rows = this.rows;
    const sorted = this.sorted;
    for (let i = 0; i < batch.length; i++) {
      const [key, row] = batch[i];
      if (rows.has(key) || removed.has(key)) continue;
      rows.set(key, row);
      sorted.push(key);
    }
  }

  /** Every stored row is in memory (or the table was dropped: `error` unset too). */
  finishLoad(error?: Error): void {
    const load = this.load;
    if (!load) return;
    if (error) {
      // Reads by key still work from LevelDB; full scans report the failure.
      load.failed = error;
      load.reject(error);
      return;
    }
    this.load = null;
    load.resolve();
  }

  /**
   * The committed row of a storage key. While loading, a key not in memory is read from
   * LevelDB and kept (a write is being planned on it: from now on memory decides the key).
   */
  committedRow(key: string): Row | undefined {
    const packed = this.rows.get(key);
    if (packed !== undefined) return unpackRow(packed);
    const load = this.load;
    if (load === null || load.removed.has(key)) return undefined;
    const stored = load.readStored(key);
    if (stored !== undefined) this.putKey(key, stored);
    else load.removed.add(key);
    return stored;
  }

  get(pk: readonly unknown[]): Row | undefined {
    const load = this.load;
    if (load === null && this.rows.size === 0) return undefined;
    const key = encodeKeyString(this.pkTypes, pk as Row);
    const packed = this.rows.get(key);
    if (packed !== undefined) return unpackRow(packed);
    if (load === null || load.removed.has(key)) return undefined;
    return load.readStored(key);
  }

  scan(): Iterable<Row> {
    return scanKeys(this.rows, this.sortedKeys());
  }

  /**
   * While loading: a scan that first waits for the load (its promise), then reads memory.
   * Null once loaded (`scan` serves).
   */
  scanCold(): ColdScan | null {
    if (this.load === null) return null;
    let it: Iterator<Row> | null = null;
    let done = false;
    return {
      next: () => {
        if (done) return null;
        const load = this.load;
        if (load !== null) return load.failed ? Promise.reject(load.failed) : load.promise;
        it ??= this.scan()[Symbol.iterator]();
        const out: Row[] = [];
        for (let r = it.next(); !r.done; r = it.next()) {
          out.push(r.value);
          if (out.length >= SCAN_BATCH) return out;
        }
        done = true;
        return out.length > 0 ? out : null;
      },
      close: () => {
        done = true;
      },
    };
  }

  /** Keys in order; valid until the next write. */
  sortedKeys(): readonly string[] {
    if (this.load !== null) {
      throw new SqlError(SqlState.InternalError, `storage: table ${this.tableId} is still being loaded after the restart (await StorageEngine.tableLoading before a full scan)`);
    }
    if (this.pending.length > 0 || this.deletedSinceSort > 0) this.resort();
    return this.sorted;
  }

  /** The keys in memory, in no order. */
  keys(): IterableIterator<string> {
    return this.rows.keys();
  }

  /** Every committed key (the keys in memory: a drop first waits for the load). */
  committedKeys(): Iterable<string> {
    return this.rows.keys();
  }

  /**
   * Stores `row` under `key`; `packed`: its packRow string when the caller has it; `absent`:
   * the caller knows the key is not in memory (one lookup fewer; if a background load
   * stored it meanwhile, the key is queued for sorting twice, which the sort tolerates).
   */
  putKey(key: string, row: Row, packed: string = packRow(row), absent = !this.rows.has(key)): void {
    if (absent) this.pending.push(key);
    this.rows.set(key, packed);
  }

  deleteKey(key: string): void {
    // While loading, the key may still be stored and not read yet: the load must skip it.
    this.load?.removed.add(key);
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

function* scanKeys(rows: KeyMap<string>, keys: readonly string[]): Generator<Row> {
  for (let i = 0; i < keys.length; i++) {
    const packed = rows.get(keys[i]);
    if (packed !== undefined) yield unpackRow(packed);
  }
}
