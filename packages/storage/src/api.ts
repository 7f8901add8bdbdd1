/**
 * The storage contract the engine codes against. For now (foundation issue) a table's
 * rows live in memory, keyed by the encoded primary key, and every committed write
 * batch is persisted to LevelDB under the data dir before the statement is acknowledged.
 * The streaming/durability issues replace the internals (epochs, caches over LevelDB,
 * checkpoints) behind the same shapes.
 */
import type { DataType, Row } from '@freshet/common';
import type { ColdScan, ColdSnapshot, TrackingStateStore } from './state-store/api';
import type { DurableStateStore } from './state-store/durable-store';
import type { UploadStatus } from './object-store/uploader';

export interface TableSchema {
  /** Physical column types, hidden columns included, in catalog order. */
  types: DataType[];
  /** Primary key column indices. */
  pk: number[];
}

/** Read side of one table. Rows are shared: callers must not mutate a returned row. */
export interface TableReader {
  readonly tableId: number;
  readonly schema: TableSchema;
  /** Number of rows. */
  readonly size: number;
  /** Point lookup by primary-key datums (in pk column order). */
  get(pk: readonly unknown[]): Row | undefined;
  /** Every row, in primary-key order. */
  scan(): Iterable<Row>;
  /**
   * Every row, in primary-key order, when some must be read from disk (a materialized view
   * partly in memory under a memory limit): batches to await between (ColdScan). Absent or
   * null: `scan` serves.
   */
  scanCold?(): ColdScan | null;
  /**
   * Every row, for a backfill, when some must be read from disk (a table under a memory
   * limit): taken now, read in batches to await (ColdSnapshot). Absent or null: `scan` serves.
   */
  snapshotCold?(): ColdSnapshot | null;
  /**
   * Starts recording the relation's committed row changes, for structures kept in step with
   * it (secondary indexes) instead of rebuilt. Absent: not supported (tables are followed
   * through `StorageEngine.watchTable` instead).
   */
  openChangeCursor?(): ChangeCursor;
}

/** Committed row changes of one relation, oldest first (TableReader.openChangeCursor). */
export interface ChangeCursor {
  /**
   * The changes committed since the cursor opened or was last read, in order; null when
   * some were dropped (the cursor went unread too long): rebuild from a scan, with a new
   * cursor.
   */
  take(): readonly RowChange[] | null;
  /** Stops recording. */
  close(): void;
}

/** A statement's writes, applied atomically by `StorageEngine.commit`. */
export interface WriteBatch {
  /** Insert or overwrite by primary key. */
  put(tableId: number, row: Row): void;
  /**
   * Insert of a row keyed by a `_row_id` just taken from `nextRowId`: no row can have that
   * key yet, so the commit does not look one up (a lookup into a table of millions of
   * rows per inserted row, for nothing).
   */
  insertGenerated(tableId: number, row: Row): void;
  /** Delete by primary key datums. */
  delete(tableId: number, pk: readonly unknown[]): void;
  /** Catalog/metadata records (JSON-serialisable values); `undefined` deletes. */
  putMeta(key: string, value: unknown | undefined): void;
  /**
   * Drops a table and all its rows as part of this batch (atomically with the catalog
   * record that goes in the same batch). Operations on the table queued earlier in the
   * batch are discarded with it.
   */
  dropTable(tableId: number): void;
  /**
   * Replaces every row of the table with `map(row)` (ALTER TABLE ADD/DROP COLUMN), in commit
   * order: the writes committed before this batch are rewritten, those after it see the new
   * rows, so DML running beside the ALTER is neither lost nor left in the old layout. `map`
   * must not throw and must keep the primary key. Watchers are not told (the rows' values
   * stay; only their layout changes), and the change log does not record it.
   */
  rewriteTable(tableId: number, map: (row: Row) => Row): void;
  readonly isEmpty: boolean;
}

/**
 * One row change of a committed batch as applied to a table: `old` is the row the key had
 * before (undefined: none), `row` the row after (undefined: deleted). Streaming reads these
 * to feed DML into the materialized views over the table (see `watchTable`).
 */
export interface RowChange {
  readonly old: Row | undefined;
  readonly row: Row | undefined;
}

export interface StorageEngine {
  /** Opens persisted state (no-op in memory mode). Returns all metadata records. */
  open(): Promise<Map<string, unknown>>;
  /**
   * Registers a table (or attaches the schema to one whose rows `open()` found, or replaces
   * the schema after ALTER TABLE). Immediate; an empty table needs no persisted state because
   * its schema lives in the catalog's meta records.
   */
  createTable(tableId: number, schema: TableSchema): void;
  hasTable(tableId: number): boolean;
  /**
   * Restart: a table's rows are loaded into memory in the background once the node serves
   * (docs/durability.md). Until then its reader serves `get` (from LevelDB for keys not in
   * memory yet), DML works (conflicts are checked the same way), `scanCold` waits for the
   * load, `size` is a lower bound and `scan` throws. Returns the table's load to await
   * before a full scan that cannot wait between rows (null: every row is in memory, or, under
   * a memory limit, the rows stay in LevelDB and only `scanCold`/`snapshotCold` read them all:
   * `readAllRows`).
   */
  tableLoading(tableId: number): Promise<void> | null;
  /** The background load of every table after a restart (null: none, or done). */
  readonly tablesLoading: Promise<void> | null;
  /** Drops a table in a batch of its own; prefer `WriteBatch.dropTable` next to the catalog change. */
  dropTable(tableId: number): void;
  table(tableId: number): TableReader;
  newBatch(): WriteBatch;
  /**
   * Applies a batch: visible to readers synchronously on return of the promise's
   * resolution, and durable (fsynced) before it resolves unless in memory mode.
   */
  commit(batch: WriteBatch): Promise<void>;
  /**
   * A meta record as last committed (`WriteBatch.putMeta`; loaded by `open()` in persistent
   * mode). Lets state written atomically with rows (a connector table's reader offsets) be
   * read back after a restart.
   */
  getMeta(key: string): unknown | undefined;
  /** Next value of a per-table monotonically increasing counter (`_row_id`). Persisted with commits. */
  nextRowId(tableId: number): bigint;
  /**
   * Streaming hook: calls `listener` with a table's changes each time a committed batch is
   * applied to it (after it is durable, before `commit` resolves, in commit order, and
   * synchronously with the rows becoming visible, so a scan followed by watching misses and
   * repeats nothing). Only changes that alter the table are reported. Returns the unwatch function.
   */
  watchTable(tableId: number, listener: (changes: RowChange[]) => void): () => void;
  /**
   * Serves reads of a relation whose rows live outside this engine (a materialized view's
   * committed state): `table(id)` returns `reader` until `detachReader(id)`.
   */
  attachReader(reader: TableReader): void;
  detachReader(tableId: number): void;
  /**
   * Durability of stream state (persistent mode; null in memory mode): a state store that
   * keeps `inner` (an empty in-memory store) as its working set, loaded with the last
   * checkpoint, and writes checkpoints into the same LevelDB. Call once, after `open()`.
   */
  openStateStore(inner: TrackingStateStore): DurableStateStore | null;
  /** Change-log seq of the last applied commit group (0 in memory mode). */
  readonly appliedSeq: number;
  /**
   * Recovery: the table changes committed after change-log seq `seq` (the last checkpoint's),
   * one map (tableId → changes in order) per commit group, in commit order.
   */
  changesAfter(seq: number): IterableIterator<Map<number, RowChange[]>>;
  /** Frees what `open()` kept for recovery. */
  releaseRecovery(): void;
  /** Checkpoint uploads to the object store (null: none configured, or memory mode). */
  objectStoreStatus(): UploadStatus | null;
  /** Uploads what was written since the last upload now, and waits for it. */
  uploadCheckpoint(): Promise<void>;
  /** Waits for queued commits, then releases the data dir. */
  close(): Promise<void>;
  /** True when commits are made durable on disk (false in memory / playground mode). */
  readonly persistent: boolean;
}
