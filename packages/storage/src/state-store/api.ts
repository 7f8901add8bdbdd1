/**
 * The backing store under stream state tables. Defined here, next to its durable
 * implementation, because storage must not depend on the stream engine; `@freshet/stream`
 * re-exports these types (packages/stream/src/state/store.ts) and implements them in memory.
 *
 * Keys are latin1 strings of memcomparable bytes (`encodeKeyString`: JS string order is
 * byte order); values are rows of datums. The store owns serialisation: the in-memory
 * store keeps rows as they are, and the durable store (durable-store.ts) encodes them with
 * the row value codec when it writes a checkpoint.
 *
 * Two views, because two kinds of reader exist:
 *
 * - the *working* view (`get`, `iter`) is what operators read and write. It always
 *   includes every write made so far, in any epoch, so an operator reads its own writes;
 * - the *committed* view (`getCommitted`, `iterCommitted`) is what serving reads (batch
 *   queries over MVs) see: the state as of `committedEpoch`, the same epoch for every
 *   table, so two MVs never disagree within one read.
 *
 * Every write names the epoch it belongs to. `commitEpoch(N)` makes all writes of epochs
 * ≤ N visible to the committed view at once (the barrier manager calls it when every
 * materialize/sink has seen barrier N) and resolves when they are durable. The durable
 * store writes, on a checkpoint epoch, every key written in epochs ≤ N with its value as of
 * the end of epoch N, in one atomic batch together with the epoch and the source positions
 * — so persistence is a backing store behind this interface, not a rewrite of operators.
 *
 * All reads are synchronous: operators never await. Under a memory limit (cold mode,
 * docs/durability.md) a table whose owner declared it is read only by key
 * (`declarePointReads`) may be partly in memory: a point read of a key not in memory reads
 * LevelDB synchronously (`ColdStateReader`). Every other table is kept whole in memory,
 * and a range read of a table that is partly in memory throws rather than answer wrongly.
 */
import type { Row } from '@freshet/common';

export interface StoreTable {
  readonly tableId: number;
  /** Working view: the latest value of `key`. */
  get(key: string): Row | undefined;
  /** Working view: entries with lo ≤ key < hi (undefined = unbounded), in key order. */
  iter(lo: string | undefined, hi: string | undefined, reverse?: boolean): IterableIterator<[string, Row]>;
  /** Working view: the keys in [lo, hi), ascending, as an array (cheaper than `iter` for short ranges). */
  keys(lo: string | undefined, hi: string | undefined): string[];
  /** Working view: the first key in [lo, hi), or undefined (a cheap seek). */
  firstKey(lo: string | undefined, hi: string | undefined): string | undefined;
  /** Writes `row` (null = delete) as part of `epoch`, which must be > committedEpoch. */
  write(epoch: number, key: string, row: Row | null): void;
  /** Committed view: the value of `key` as of the store's committed epoch. */
  getCommitted(key: string): Row | undefined;
  /** Committed view: entries with lo ≤ key < hi as of the committed epoch, in key order. */
  iterCommitted(lo?: string, hi?: string): IterableIterator<[string, Row]>;
  /**
   * Committed view of a table partly in memory (memory limit), merging LevelDB with memory;
   * null when the whole table is in memory (use `iterCommitted`). Entries are not evicted
   * from the table while a scan is open: close it.
   */
  scanCold(lo?: string, hi?: string): ColdScan | null;
  /**
   * Working view of a table partly in memory (memory limit), as of this call, for a
   * backfill that reads it while writes go on: null when the whole table is in memory
   * (use `iter`).
   */
  snapshotCold(): ColdSnapshot | null;
  /** Number of keys in the working view (approximate once the table is partly in memory). */
  readonly size: number;
  /**
   * The owner reads this table only by key (`get`, `getCommitted`) and writes: under a
   * memory limit its entries may be evicted once durable and read back from LevelDB.
   * Range reads (`iter`, `keys`, `firstKey`, `iterCommitted`) keep working while every
   * key is in memory and throw once some are not.
   */
  declarePointReads(): void;
  /**
   * The owner's range reads each cover one group: [p, prefixEnd(p)) for a group prefix `p`,
   * where `prefixLength(key)` gives the length of any key's group prefix (a join side reads
   * the rows of one join key). The table may then keep its order group by group, which
   * makes writes cheaper. Other range reads still answer, at the cost of sorting the table.
   */
  declarePrefixReads(prefixLength: (key: string) => number): void;
  /** Whether entries of this table may leave memory (cold mode and declared point reads). */
  readonly bounded: boolean;
  /**
   * Replaces the rows this table holds in memory (working values and the images of
   * uncommitted epochs) by `pack(row)`, which must stand for the same row: a packed table's
   * `packRow`, for the rows it stored as arrays while it was small. Returns how many rows
   * were replaced. Values already packed (strings) are left alone.
   */
  repackRows(pack: (row: Row) => Row): number;
  /**
   * Checkpoint this table as segments, one LevelDB value per checkpoint (segments.ts), not
   * a LevelDB key per row: for state kept whole in memory whose rows are written once and
   * leave in key order. Not for tables declared point-read.
   */
  declareSegmented(): void;
  /**
   * Every key below `key` has been deleted, as of `epoch`, and will never be written again
   * (a temporal filter's grown lower bound): a segmented table drops them from storage a
   * segment at a time, without a tombstone per key. Only grows.
   */
  expireBelow(epoch: number, key: string): void;
}

/** Where a memory-limited store reads keys that are not in memory (the last checkpoint's values). */
export interface ColdStateReader {
  read(tableId: number, key: string): Row | undefined;
  /** The table's rows in LevelDB with lo ≤ key < hi, in key order, a batch at a time. */
  scan(tableId: number, lo: string | undefined, hi: string | undefined): ColdRangeReader;
}

export interface ColdRangeReader {
  /** Up to `n` more entries; an empty array at the end. */
  nextv(n: number): Promise<[string, Row][]>;
  close(): void;
}

/**
 * A table's working view at one instant, for a backfill (StoreTable.snapshotCold): the
 * rows in memory then, and the rows of the other keys as LevelDB held them then (read
 * later, a batch at a time, from a LevelDB snapshot). Rows come in no particular order.
 */
export interface ColdSnapshot {
  /** The rows that were in memory (working values). */
  readonly memory: readonly Row[];
  /** Rows in all (approximate: progress reports). */
  readonly size: number;
  /** Up to about `n` more rows from LevelDB; an empty array at the end. */
  next(n: number): Promise<Row[]>;
  close(): void;
}

/**
 * A committed-view scan that may need disk reads (a table partly in memory): `next()`
 * returns rows in key order, a promise to await before calling again, or null at the end.
 * Calling `next()` again before the promise settles throws (a caller that cannot await).
 */
export interface ColdScan {
  next(): readonly Row[] | Promise<void> | null;
  close(): void;
}

export interface StateStore {
  /** The table with this id (created empty on first use). */
  table(tableId: number): StoreTable;
  /** Removes a table and its data (DROP; the catalog change commits separately). */
  dropTable(tableId: number): void;
  /** The last epoch whose writes the committed view shows. 0 before the first commit. */
  readonly committedEpoch: number;
  /**
   * Publishes every write of epochs ≤ `epoch` to the committed view, atomically across
   * tables and synchronously (before returning), and resolves once they are durable (at
   * once for the in-memory store, and for the durable store's non-checkpoint epochs).
   * Epochs must be committed in increasing order.
   */
  commitEpoch(epoch: number): Promise<void>;
  /**
   * True while new epochs should wait (optional; the memory-limited durable store): state
   * not yet durable — which cannot be evicted — is over the memory limit and the checkpoint
   * that makes it evictable is being written. The barrier manager starts no epoch meanwhile,
   * so sources pull nothing and that state stops growing.
   */
  readonly throttled?: boolean;
}

/** One table's keys published since the last `takePublished` (tracking stores). */
export interface PublishedKeys {
  readonly tableId: number;
  /** Each key once (a key deleted and recreated may appear twice, older first). */
  readonly keys: string[];
  /** The value of the key at the same index as of the committed epoch (null = absent). */
  readonly rows: (Row | null)[];
  /** A segmented table (StoreTable.declareSegmented): checkpointed as segments. */
  readonly segmented?: boolean;
  /** Its low water as of the committed epoch (StoreTable.expireBelow). */
  readonly lowWater?: string;
  /** The take round these keys were published in (every table of one take has the same). */
  readonly round: number;
  /**
   * Per key, the round of the take that last held it before this one (0: none known — never
   * taken, or its entry was recreated since). The durable store counts, per overlay segment,
   * the keys it still holds the latest version of (overlays.ts).
   */
  readonly prevRounds: number[];
  /**
   * Per key, the store's own handle on its entry (opaque here): `valueIfLastTaken` with it
   * needs no lookup by key.
   */
  readonly handles: readonly unknown[];
}

/**
 * The in-memory store under the durable store. It already logs the keys written per epoch
 * (to publish them); with `trackPublished` it keeps the logs of published epochs until a
 * checkpoint takes them, so the durable store learns which keys changed without tracking
 * every write itself.
 */
export interface TrackingStateStore extends StateStore {
  /** From now on, keep the keys every `commitEpoch` publishes until `takePublished`. */
  trackPublished(): void;
  /** Per table, the keys published since the last call with their committed values; forgets them. */
  takePublished(): PublishedKeys[];
  /**
   * Every key of the table a checkpoint may have stored: the keys published and not yet
   * taken, and every key the table holds (live, or deleted in an epoch not yet committed).
   */
  writtenKeys(tableId: number): string[];
  /**
   * Cold mode (a memory limit): declared point-read tables keep deleted keys until
   * `evict` finds them durable, and a point read of a key not in memory of a table that
   * is partly in memory goes to `reader`.
   */
  /** Partial tables read keys not in memory through `reader`; `evicting` (a memory limit) makes key-read tables bounded caches. */
  enableColdReads(reader: ColdStateReader, evicting?: boolean): void;
  /**
   * Recovery without a memory limit: rows of a table recovery left in LevelDB, loaded in the
   * background (keys already in memory are newer and kept). False when the table is gone or
   * whole (stop loading it).
   */
  fillLoaded(tableId: number, entries: readonly [string, Row][]): boolean;
  /** The background load of the table read all of LevelDB's rows: it is whole again. */
  finishLoad(tableId: number, durableEpoch: number): void;
  /** A table recovery did not load (every key is in LevelDB only), with its live key count. */
  markCold(tableId: number, liveCount: number): void;
  /**
   * The committed value of `key` if its last take was round `round` (null: the key is
   * absent); undefined if it was taken again since (a later take holds it). For settling an
   * overlay segment (overlays.ts). Never reads LevelDB for a key not in memory: it is absent.
   * `handle`: the key's `PublishedKeys.handles` entry from the take of `round`, if kept.
   */
  valueIfLastTaken(tableId: number, key: string, round: number, handle?: unknown): Row | null | undefined;
  /**
   * The round of the take that last held the entry behind `handle` (a `PublishedKeys.handles`
   * entry): rounds only grow, so once it differs from the round that handed the handle out,
   * a later take holds the key (overlays.ts, sweeping).
   */
  takenRound(handle: unknown): number;
  /**
   * Recovery: marks the entries of these keys (those in memory) as last taken in `round`,
   * the round the durable store gave the recovered overlay segment that holds them.
   */
  markTaken(tableId: number, keys: readonly string[], round: number): void;
  /** Whether the table may have keys that are not in memory (recovered lazily, or evicted from). */
  isPartial(tableId: number): boolean;
  /** Tables declared point-read, with their live key counts (recorded by checkpoints). */
  pointTables(): [number, number][];
  /** Approximate bytes of every table's entries (sampled row sizes × entries). */
  approxBytes(): number;
  /**
   * Approximate bytes of the bounded (point-read) tables' entries: the cache the memory
   * limit applies to. State kept whole (tables read by range) cannot be evicted, so it is
   * not weighed against the limit — counting it made every commit evict the whole cache.
   */
  cacheBytes(): number;
  /**
   * Approximate bytes of the bounded tables' entries published since the last
   * `takePublished`: the part of the cache that cannot be evicted until a checkpoint has
   * taken it and is durable.
   */
  unsavedBytes(): number;
  /**
   * Evicts clean entries — last written in an epoch ≤ `durableEpoch`, so LevelDB holds
   * their value — of bounded tables, least recently used first (CLOCK), until
   * `cacheBytes()` ≤ `targetBytes` or nothing more is evictable. Returns entries evicted.
   */
  evict(targetBytes: number, durableEpoch: number): number;
}
