/**
 * The in-memory StateStore. Each table is a Map from key to an `Entry` (point access)
 * plus a SortedMap index of the live keys (range scans). The index is built on a table's
 * first range read and maintained from then on: tables that are only ever read by key
 * (an aggregate's intermediate state, DISTINCT counts) never pay for ordered inserts.
 * A segmented table (a temporal filter's rows: millions of keys that mostly grow, read
 * back in order) keeps its entries in a SortedMap instead, which is its own index: a hash
 * map's lookup of each new key missed the cache, and cost more than the rest of the write.
 * A table whose owner reads it a group at a time (a join side, string_agg's inputs:
 * `declarePrefixReads`) keeps its order per group instead (group-index.ts), segmented or not.
 *
 * The committed view is kept with before-images on the entries themselves instead of
 * copies: the first write of a key in an uncommitted epoch records the key's previous
 * value in the entry (`prev`) and logs the entry under that epoch. A committed-view read
 * returns `prev` while the entry's last write is uncommitted, its working value
 * otherwise. `commitEpoch` walks the logs of the epochs it publishes and forgets their
 * images (and removes keys deleted in them). A write therefore costs one Map probe in the
 * common case — the previous design kept a Map of before-images per epoch, three extra
 * hash operations per write, which was the largest single cost of the ingest path.
 *
 * A key written in two uncommitted epochs (a barrier's writes downstream of operators
 * that already moved on, or a store whose commits lag) keeps the images at the end of the
 * older epochs in `hist`, so publishing one epoch exposes exactly that epoch's values.
 *
 * Under the durable store (`trackPublished`), publishing an epoch also records each of its
 * entries once, with its value as of the epoch, in the table's pending take (`pendingKeys`,
 * `pendingRows`; a later publish of the same entry overwrites its slot), until
 * `takePublished` hands them to a checkpoint in one step: the durable store learns
 * what changed from the logs this store keeps anyway instead of a key set per write.
 *
 * Cold mode (a memory limit, `enableColdReads`): tables whose owner reads them only by key
 * (`declarePointReads`) are *bounded*: `evict` drops their clean entries (last written in
 * an epoch the last durable checkpoint covers, so LevelDB has their value), CLOCK order,
 * and a table that lost a live entry (or was not loaded at recovery) is *partial*: a point
 * read of a key not in memory reads LevelDB synchronously and caches the answer (a row, or
 * an absent marker). That is safe at any moment — no prefetch or pinning is needed for
 * correctness — because a key absent from memory has not been written since the last
 * durable checkpoint, so LevelDB's value is both the working and the committed one. To
 * keep that true, bounded tables keep deleted keys as tombstones until they are durable
 * (an unbounded table forgets them at publish), and a write of a key not in memory records
 * its committed value as `COLD` ("read LevelDB") instead of reading it. Range reads of a
 * partial table throw: answering from memory alone could be silently wrong.
 */
import { KeyMap, type Row } from '@freshet/common';
import type { ColdRangeReader, ColdScan, ColdSnapshot, ColdStateReader, PublishedKeys, TrackingStateStore } from '@freshet/storage';
import { stateHeapBudget } from './heap-budget';
import { GroupIndex } from './group-index';
import { SortedMap } from './sorted-map';
import type { StoreTable } from './store';

/** An entry that is not a tombstone. */
const isLive = (e: Entry): boolean => e.row !== null;

/** A `prev` meaning "the value in LevelDB": written while not in memory (partial tables only). */
const COLD: Row = Object.freeze([]) as unknown as Row;

/** One key's working value and, while it has uncommitted writes, the committed view's. */
class Entry {
  constructor(
    /** The working value; null = deleted (the entry stays until its epoch is published). */
    public row: Row | null,
    /** The last epoch that wrote the key (its writes are committed once this is). */
    public epoch: number,
    /** The value before the first uncommitted write (null = absent); stale once `epoch` is committed. */
    public prev: Row | null,
  ) {}
  /** Values at the end of older uncommitted epochs, ascending (rare; see the file comment). */
  hist: { epoch: number; end: Row | null }[] | null = null;
  /** The take round whose pending arrays hold this entry, at `slot` (see MemStoreTable.pendingKeys). */
  taken = 0;
  slot = 0;
  /** CLOCK reference bit: read since the eviction hand last passed. */
  ref = false;
}

/** The keys (and their entries) first written in one epoch. */
interface EpochLog {
  epoch: number;
  keys: string[];
  entries: Entry[];
}

/** Slots a table's next pending take is allocated with at most (MemStoreTable.pendingCount). */
const MAX_PENDING_PREALLOC = 1 << 17;

class MemStoreTable implements StoreTable {
  /**
   * Key → entry; a KeyMap (a BigMap storing small BIGINT keys as numbers) because one table
   * can hold more keys than a V8 Map (2^24) and lookups are most of a state write, or,
   * for a segmented table, a SortedMap that is also its index (see the file comment).
   */
  rows: KeyMap<Entry> | SortedMap<Entry> = new KeyMap<Entry>();
  /** The ordered index of live keys; null until the first range read, and always for a segmented or prefix-read table. */
  private index: SortedMap<true> | null = null;
  /** A prefix-read table's group prefix length (StoreTable.declarePrefixReads), else null. */
  private prefixLength: ((key: string) => number) | null = null;
  /** A prefix-read table's ordered index, group by group; null until its first range read. */
  private groupIndex: GroupIndex | null = null;
  /** Epochs with writes not yet published, in increasing order. */
  readonly logs: EpochLog[] = [];
  /**
   * The entries published since the last take, each once, with their values as of the last
   * epoch that published them (only while the store tracks publishes). Filled by `publish`,
   * which touches every published entry anyway, so that the checkpoint's `takePublished` is
   * a swap: walking ~150,000 entries there (a second at 50,000 events/s) stalled the engine
   * thread for 12–41 ms at every checkpoint.
   */
  private pendingKeys: string[] = [];
  private pendingRows: (Row | null)[] = [];
  /** Per pending key, the round of the take that held it before (PublishedKeys.prevRounds). */
  private pendingPrev: number[] = [];
  /** The entries of `pendingKeys` (compactPending moves their slots; the take hands them out as PublishedKeys.handles). */
  private pendingEntries: Entry[] = [];
  /**
   * Slots filled in the pending arrays. They are allocated at about the last take's size
   * (takePublished) and filled by index (a round that outgrows them appends), then cut to
   * this count when taken. Grown by `push`, each array went through some twenty backing
   * stores per take (×1.5 each), the larger ones promoted (a take lives a second) and then
   * garbage: the largest promoted garbage of a durable ingest (docs/performance.md,
   * "Session 22").
   */
  private pendingCount = 0;
  private live = 0;
  /** Owner reads only by key (see StoreTable.declarePointReads). */
  private pointReads = false;
  /** Checkpointed as segments (StoreTable.declareSegmented). */
  private segmentedLayout = false;
  /** Low waters set in epochs not yet published, oldest first (StoreTable.expireBelow). */
  private lowWaters: { epoch: number; key: string }[] = [];
  /** The low water as of the committed epoch. */
  private publishedLowWater: string | undefined;
  /** Some keys may be only in LevelDB (recovered lazily, or a live entry was evicted). */
  partial = false;
  /** Open cold scans: no eviction, and no tombstone dropped, from the table while one runs (see ColdScanOf). */
  scans = 0;
  /** Tombstones to drop once the last cold scan closes (`scanClosed`). */
  private sweepPending = false;
  /** The CLOCK hand: a live iterator over `rows` (Map iterators survive deletes). */
  private hand: IterableIterator<[string, Entry]> | null = null;
  /** Sampled average bytes per entry (0: not sampled yet). */
  private entryBytes = 0;
  private sampledAt = 0;

  constructor(
    readonly tableId: number,
    private readonly store: MemStateStore,
  ) {}

  get size(): number {
    return this.live;
  }

  get bounded(): boolean {
    return this.pointReads && this.store.cold !== null && this.store.evicting;
  }

  /** Declared read only by key (whether or not a memory limit makes it a cache). */
  get readsByKey(): boolean {
    return this.pointReads;
  }

  declarePointReads(): void {
    this.pointReads = true;
  }

  declareSegmented(): void {
    if (this.pointReads) throw new Error(`state table ${this.tableId}: a point-read table cannot be segmented`);
    this.segmentedLayout = true;
    if (!(this.rows instanceof SortedMap)) {
      this.rows = SortedMap.fromEntries(this.rows.entries());
      this.dropIndexes();
    }
  }

  declarePrefixReads(prefixLength: (key: string) => number): void {
    this.prefixLength = prefixLength;
    // A segmented table keeps its entries in a SortedMap, its own index (the file comment);
    // read by group, it is better served by a hash map and the group index.
    if (this.rows instanceof SortedMap) {
      const rows = new KeyMap<Entry>();
      for (const [k, e] of this.rows) rows.set(k, e);
      this.rows = rows;
    }
    this.dropIndexes();
  }

  /** Forgets the ordered indexes (rebuilt by the next range read). */
  private dropIndexes(): void {
    this.index = null;
    this.groupIndex = null;
  }

  expireBelow(epoch: number, key: string): void {
    const last = this.lowWaters.length > 0 ? this.lowWaters[this.lowWaters.length - 1].key : this.publishedLowWater;
    if (last !== undefined && key <= last) return;
    this.lowWaters.push({ epoch, key });
    // Published with the epoch even when the table has no writes in it.
    this.store.noteDirty(this);
  }

  markCold(liveCount: number): void {
    this.partial = true;
    this.live = liveCount;
  }

  get(key: string): Row | undefined {
    const e = this.rows.get(key);
    if (e !== undefined) {
      e.ref = true;
      return e.row === null ? undefined : e.row;
    }
    return this.partial ? this.loadCold(key) : undefined;
  }

  /** A key not in memory of a partial table: LevelDB's value, cached as a clean entry (or an absent marker). */
  private loadCold(key: string): Row | undefined {
    const row = this.store.cold!.read(this.tableId, key);
    const e = new Entry(row ?? null, 0, null);
    e.ref = true;
    this.rows.set(key, e);
    return row;
  }

  /** Range reads need every key in memory. */
  private checkWhole(): void {
    if (!this.partial) return;
    if (!this.store.evicting) {
      throw new Error(`state table ${this.tableId} is still being loaded after the restart: range reads and scans of it wait for that; try again in a moment`);
    }
    throw new Error(
      `state table ${this.tableId} is only partly in memory (memory limit): range reads and scans of it are not supported yet, only reads by key`,
    );
  }

  /** Recovery without a memory limit: rows read from LevelDB in the background, each kept unless the key is in memory already. */
  fillLoaded(entries: readonly [string, Row][]): void {
    const rows = this.rows;
    // A key in memory was read or written since the restart: its entry is newer than LevelDB's copy.
    for (const [k, row] of entries) if (!rows.has(k)) rows.set(k, new Entry(row, 0, null));
  }

  /**
   * Every key is in memory now (fillLoaded saw all of LevelDB's, and without a memory limit
   * nothing leaves): the table is whole again. Tombstones kept while it was partial and
   * already durable go; later deletes are forgotten at publish as in any whole table.
   */
  finishLoad(durableEpoch: number): void {
    this.partial = false;
    this.dropIndexes();
    // A cold scan still open merges memory with an older LevelDB snapshot: a tombstone gone
    // from memory would let it return the deleted row. Swept when the last scan closes.
    if (this.scans > 0) {
      this.sweepPending = true;
      return;
    }
    this.dropTombstones(Math.min(durableEpoch, this.store.committedEpoch));
  }

  /** Forgets deleted keys last written in epochs ≤ `upTo` (a whole table needs no tombstones). */
  private dropTombstones(upTo: number): void {
    // Collected first: a SortedMap cannot be changed while it is iterated.
    const dropped: string[] = [];
    for (const [k, e] of this.rows) if (e.row === null && e.epoch <= upTo) dropped.push(k);
    for (const k of dropped) this.rows.delete(k);
  }

  /** The last cold scan closed: tombstones kept for it go, as publish drops them in a whole table. */
  scanClosed(): void {
    if (--this.scans > 0 || !this.sweepPending) return;
    this.sweepPending = false;
    if (!this.partial && !this.bounded) this.dropTombstones(this.store.committedEpoch);
  }

  *iter(lo: string | undefined, hi: string | undefined, reverse = false): IterableIterator<[string, Row]> {
    this.checkWhole();
    const rows = this.rows;
    if (rows instanceof SortedMap) {
      // Its own index: tombstones (deleted in an unpublished epoch) are skipped.
      for (const [k, e] of rows.range(lo, hi, reverse)) if (e.row !== null) yield [k, e.row];
      return;
    }
    const groups = this.groupIndexFor(lo, hi);
    const keys = groups !== null ? groups.keysIn(lo!, reverse) : this.sortedKeys().keysIn(lo, hi, reverse);
    for (const k of keys) {
      // Through `get`: an eviction between two steps of a long scan reads the key back.
      const row = this.get(k);
      if (row !== undefined) yield [k, row];
    }
  }

  keys(lo: string | undefined, hi: string | undefined): string[] {
    this.checkWhole();
    const rows = this.rows;
    if (rows instanceof SortedMap) return rows.collect(lo, hi, [], isLive);
    const groups = this.groupIndexFor(lo, hi);
    return groups !== null ? groups.keys(lo!) : this.sortedKeys().collect(lo, hi, []);
  }

  firstKey(lo: string | undefined, hi: string | undefined): string | undefined {
    this.checkWhole();
    const rows = this.rows;
    if (rows instanceof SortedMap) return rows.first(lo, hi, isLive);
    const groups = this.groupIndexFor(lo, hi);
    return groups !== null ? groups.first(lo!) : this.sortedKeys().first(lo, hi);
  }

  /**
   * A prefix-read table's index by group (built on first use) when [lo, hi) is exactly the
   * range of one group, whose prefix is `lo`; null for any other table or range.
   */
  private groupIndexFor(lo: string | undefined, hi: string | undefined): GroupIndex | null {
    const prefixLength = this.prefixLength;
    if (prefixLength === null) return null;
    let index = this.groupIndex;
    if (index === null) {
      const live: string[] = [];
      for (const [k, e] of this.rows) if (e.row !== null) live.push(k);
      index = this.groupIndex = GroupIndex.of(prefixLength, live);
    }
    return index.covers(lo, hi) ? index : null;
  }

  /**
   * The index of live keys, built on first use (not for a segmented table, which is ordered
   * itself). A prefix-read table keeps its order group by group (`groupIndex`): a range
   * across groups, rare there, sorts the keys afresh instead of making every write keep a
   * second index.
   */
  private sortedKeys(): SortedMap<true> {
    if (this.index !== null) return this.index;
    const keys: string[] = [];
    for (const [k, e] of this.rows) if (e.row !== null) keys.push(k);
    // Default sort compares UTF-16 code units: byte order for these latin1 keys.
    keys.sort();
    const index = SortedMap.fromSorted(keys, new Array<true>(keys.length).fill(true));
    if (this.prefixLength === null) this.index = index;
    return index;
  }

  /** Keeps the ordered index (whichever the table has) in step with a key that became live. */
  private indexInsert(key: string): void {
    if (this.index !== null) this.index.insert(key, true);
    else if (this.groupIndex !== null) this.groupIndex.insert(key);
  }

  /** …and with a key that was deleted. */
  private indexDelete(key: string): void {
    if (this.index !== null) this.index.delete(key);
    else if (this.groupIndex !== null) this.groupIndex.delete(key);
  }

  write(epoch: number, key: string, row: Row | null): void {
    const committed = this.store.committedEpoch;
    if (epoch <= committed) {
      throw new Error(`state store: write to table ${this.tableId} in epoch ${epoch}, already committed up to ${committed}`);
    }
    const e = this.rows.get(key);
    if (e === undefined) {
      if (this.partial) {
        // LevelDB may hold the key: its committed value is read there if ever needed, and a
        // delete stays as a tombstone so a later read does not find the durable row.
        const n = new Entry(row, epoch, COLD);
        this.rows.set(key, n);
        if (row !== null) this.live++;
        this.log(epoch, key, n);
        return;
      }
      if (row === null) return;
      const n = new Entry(row, epoch, null);
      this.rows.set(key, n);
      this.indexInsert(key);
      this.live++;
      this.log(epoch, key, n);
      return;
    }
    if (e.epoch !== epoch) {
      if (e.epoch > epoch) throw new Error(`state store: table ${this.tableId} written in epoch ${epoch} after epoch ${e.epoch}`);
      if (e.epoch > committed) (e.hist ??= []).push({ epoch: e.epoch, end: e.row });
      else e.prev = e.row;
      e.epoch = epoch;
      this.log(epoch, key, e);
    }
    if (row === null) {
      if (e.row !== null) {
        this.indexDelete(key);
        this.live--;
        e.row = null;
      }
    } else {
      if (e.row === null) {
        this.indexInsert(key);
        this.live++;
      }
      e.row = row;
    }
  }

  private log(epoch: number, key: string, e: Entry): void {
    const logs = this.logs;
    let l = logs.length > 0 ? logs[logs.length - 1] : undefined;
    if (l === undefined || l.epoch !== epoch) {
      if (l !== undefined && l.epoch > epoch) throw new Error(`state store: table ${this.tableId} written in epoch ${epoch} after epoch ${l.epoch}`);
      l = { epoch, keys: [], entries: [] };
      logs.push(l);
      this.store.noteDirty(this);
    }
    l.keys.push(key);
    l.entries.push(e);
  }

  getCommitted(key: string): Row | undefined {
    const e = this.rows.get(key);
    if (e === undefined) return this.partial ? this.loadCold(key) : undefined;
    e.ref = true;
    return this.committedOf(key, e) ?? undefined;
  }

  /**
   * The working view now, for a backfill (StoreTable.snapshotCold): the rows in memory are
   * taken now (rows are never changed in place), and LevelDB's iterator is created now, so
   * it reads the database as of now (classic-level iterators hold a LevelDB snapshot from
   * creation). A key not in memory now was clean, so its LevelDB row is its working row;
   * a key in memory (a tombstone included) is skipped there. Evictions and checkpoints
   * while the snapshot is read change neither half.
   */
  snapshotCold(): ColdSnapshot | null {
    if (!this.partial) return null;
    const memory: Row[] = [];
    const inMemory = new Set<string>();
    for (const [k, e] of this.rows) {
      inMemory.add(k);
      if (e.row !== null) memory.push(e.row);
    }
    const disk = this.store.cold!.scan(this.tableId, undefined, undefined);
    return {
      memory,
      size: this.live,
      next: async (n) => {
        const out: Row[] = [];
        for (;;) {
          const entries = await disk.nextv(n);
          if (entries.length === 0) return out;
          for (const [k, row] of entries) if (!inMemory.has(k)) out.push(row);
          if (out.length > 0) return out;
        }
      },
      close: () => disk.close(),
    };
  }

  scanCold(lo?: string, hi?: string): ColdScan | null {
    if (!this.partial) return null;
    const keys: string[] = [];
    for (const k of this.rows.keys()) if ((lo === undefined || k >= lo) && (hi === undefined || k < hi)) keys.push(k);
    keys.sort();
    return new ColdScanOf(this, keys, this.store.cold!.scan(this.tableId, lo, hi));
  }

  /** See TrackingStateStore.valueIfLastTaken. */
  valueIfLastTaken(key: string, round: number, handle?: unknown): Row | null | undefined {
    // The entry a take handed out: no lookup. If it left the table since (deleted, or dropped
    // with its table), it was last taken with its delete, and its value is null.
    const e = handle !== undefined ? (handle as Entry) : this.rows.get(key);
    if (e === undefined) return null;
    return e.taken === round ? this.committedOf(key, e) : undefined;
  }

  /** The committed value of `key` from memory; undefined when the key is not in memory. */
  committedInMemory(key: string): Row | null | undefined {
    const e = this.rows.get(key);
    return e === undefined ? undefined : this.committedOf(key, e);
  }

  /** The entry's committed value, reading LevelDB for a `COLD` image. */
  committedOf(key: string, e: Entry): Row | null {
    const v = committedValue(e, this.store.committedEpoch);
    return v === COLD ? (this.store.cold!.read(this.tableId, key) ?? null) : v;
  }

  *iterCommitted(lo?: string, hi?: string): IterableIterator<[string, Row]> {
    this.checkWhole();
    if (this.logs.length === 0) {
      yield* this.iter(lo, hi);
      return;
    }
    const rows = this.rows;
    if (rows instanceof SortedMap) {
      // Every entry is in it, tombstones included: each one's committed value, in key order.
      for (const [k, e] of rows.range(lo, hi)) {
        const v = this.committedOf(k, e);
        if (v !== null) yield [k, v];
      }
      return;
    }
    // Keys that existed at the committed epoch but were deleted since are not in the index.
    const extra = new Set<string>();
    for (const l of this.logs) {
      for (let i = 0; i < l.keys.length; i++) {
        const k = l.keys[i];
        const e = l.entries[i];
        if (e.row === null && this.rows.get(k) === e && (lo === undefined || k >= lo) && (hi === undefined || k < hi)) extra.add(k);
      }
    }
    const removed = [...extra].sort();
    let r = 0;
    const groups = this.groupIndexFor(lo, hi);
    for (const k of groups !== null ? groups.keysIn(lo!, false) : this.sortedKeys().keysIn(lo, hi, false)) {
      while (r < removed.length && removed[r] < k) {
        const rk = removed[r++];
        const v = this.getCommitted(rk);
        if (v !== undefined) yield [rk, v];
      }
      const v = this.getCommitted(k);
      if (v !== undefined) yield [k, v];
    }
    while (r < removed.length) {
      const rk = removed[r++];
      const v = this.getCommitted(rk);
      if (v !== undefined) yield [rk, v];
    }
  }

  /** Forgets the images of epochs ≤ epoch; returns whether later epochs still have writes. */
  publish(epoch: number): boolean {
    while (this.lowWaters.length > 0 && this.lowWaters[0].epoch <= epoch) this.publishedLowWater = this.lowWaters.shift()!.key;
    const logs = this.logs;
    const bounded = this.bounded;
    const tracking = this.store.tracking;
    const round = this.store.pendingRound;
    let n = 0;
    for (; n < logs.length && logs[n].epoch <= epoch; n++) {
      const { keys, entries } = logs[n];
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (tracking) {
          // Before the images go: the value as of `epoch` (later epochs may have rewritten it).
          const v = committedValue(e, epoch);
          if (e.taken === round) this.pendingRows[e.slot] = v;
          else {
            const slot = this.pendingCount++;
            this.pendingPrev[slot] = e.taken;
            e.taken = round;
            e.slot = slot;
            this.pendingKeys[slot] = keys[i];
            this.pendingRows[slot] = v;
            this.pendingEntries[slot] = e;
          }
        }
        if (e.epoch <= epoch) {
          e.prev = null;
          e.hist = null;
          // A bounded or partial table keeps the tombstone until it is durable (`evict` or
          // `finishLoad` drops it then): LevelDB still holds the row until the checkpoint.
          // … and so does any table while a cold scan is open (finishLoad).
          if (e.row === null && !bounded && !this.partial && this.rows.get(keys[i]) === e) {
            if (this.scans > 0) this.sweepPending = true;
            else this.rows.delete(keys[i]);
          }
        } else if (e.hist !== null) {
          // Later writes remain: the committed view moves to the end of the last published epoch.
          let h = 0;
          while (h < e.hist.length && e.hist[h].epoch <= epoch) e.prev = e.hist[h++].end;
          if (h > 0) e.hist = h === e.hist.length ? null : e.hist.slice(h);
        }
      }
    }
    if (n > 0) {
      logs.splice(0, n);
      if (tracking) {
        if (this.segmentedLayout && this.pendingCount > Math.max(COMPACT_PENDING_MIN, 2 * this.rows.size)) this.compactPending();
        this.store.notePublished(this);
      }
    }
    return logs.length > 0 || this.lowWaters.length > 0;
  }

  /** Entries waiting for the next take (an entry written in several epochs counts once). */
  get publishedEntries(): number {
    return this.pendingCount;
  }

  /**
   * With checkpoints far apart (a large `checkpoint_frequency`) a segmented table's pending
   * take grew with every row that left it: a temporal filter's expired rows are deleted one
   * key each. A checkpoint skips the deletes below the table's low water (its segments go
   * whole), so they are dropped here once the pending entries pass twice the table's keys.
   */
  private compactPending(): void {
    const lw = this.publishedLowWater;
    if (lw === undefined) return;
    const keys = this.pendingKeys;
    const rows = this.pendingRows;
    const entries = this.pendingEntries;
    const prev = this.pendingPrev;
    let kept = 0;
    for (let i = 0; i < this.pendingCount; i++) {
      if (rows[i] === null && keys[i] < lw) continue;
      keys[kept] = keys[i];
      rows[kept] = rows[i];
      prev[kept] = prev[i];
      entries[kept] = entries[i];
      entries[kept].slot = kept;
      kept++;
    }
    this.pendingCount = kept;
    this.cutPending(kept);
  }

  /** Cuts the pending arrays to their first `n` slots (in place: V8 trims the backing store). */
  private cutPending(n: number): void {
    this.pendingKeys.length = n;
    this.pendingRows.length = n;
    this.pendingPrev.length = n;
    this.pendingEntries.length = n;
  }

  /** The entries published since the last take, each once, with their committed values; starts a new take. */
  takePublished(): PublishedKeys {
    const n = this.pendingCount;
    this.cutPending(n);
    const keys = this.pendingKeys;
    const rows = this.pendingRows;
    const prevRounds = this.pendingPrev;
    const handles = this.pendingEntries;
    const round = this.store.pendingRound;
    // The next round at this one's size and a quarter (holey arrays of that length, filled by
    // index; a round that outgrows them copies them all), bounded so that one large round (a
    // backfill) does not size every later one.
    const next = n === 0 ? 0 : Math.min(n + (n >> 2) + 1024, MAX_PENDING_PREALLOC);
    this.pendingKeys = new Array(next);
    this.pendingRows = new Array(next);
    this.pendingPrev = new Array(next);
    this.pendingEntries = new Array(next);
    this.pendingCount = 0;
    if (this.partial) {
      // Not expected from publish (an entry's value as of an epoch that wrote it is in memory), but a
      // `COLD` image means "LevelDB's value", never a row to store.
      for (let i = 0; i < rows.length; i++) if (rows[i] === COLD) rows[i] = this.store.cold!.read(this.tableId, keys[i]) ?? null;
    }
    if (!this.segmentedLayout) return { tableId: this.tableId, keys, rows, round, prevRounds, handles };
    return { tableId: this.tableId, keys, rows, round, prevRounds, handles, segmented: true, lowWater: this.publishedLowWater };
  }

  repackRows(pack: (row: Row) => Row): number {
    // COLD ("LevelDB's value") is a marker compared by identity, not a row.
    const repack = (v: Row | null): Row | null => (v === null || v === COLD || typeof v === 'string' ? v : pack(v));
    let n = 0;
    for (const [, e] of this.rows.entries()) {
      const row = repack(e.row);
      if (row !== e.row) {
        e.row = row;
        n++;
      }
      e.prev = repack(e.prev);
      if (e.hist !== null) for (const h of e.hist) h.end = repack(h.end);
    }
    if (n > 0) this.entryBytes = 0; // resampled at the next approxBytes
    return n;
  }

  /** Approximate bytes of the entries, from a sample of their sizes (resampled as the table changes). */
  approxBytes(): number {
    const n = this.rows.size;
    if (n === 0) return 0;
    if (this.entryBytes === 0 || n > this.sampledAt * 2 || n * 2 < this.sampledAt) {
      let sum = 0;
      let k = 0;
      for (const [key, e] of this.rows) {
        sum += entryBytes(key, e.row);
        if (++k === 64) break;
      }
      this.entryBytes = sum / k;
      this.sampledAt = n;
    }
    return n * this.entryBytes;
  }

  /**
   * Evicts up to `want` clean entries, CLOCK order: an entry read since the hand last passed
   * gets a second chance. Returns how many were evicted (fewer when the rest are dirty).
   */
  evictSome(want: number, durableEpoch: number): number {
    const rows = this.rows;
    // Entries looked at per call: enough for two CLOCK passes over what is wanted, but not
    // the whole table. When little is clean (a big backfill or load between checkpoints,
    // everything dirty) a full sweep at every commit cost O(table) per barrier — a 1M-key
    // MV's forced checkpoint took 57–87 s instead of 7–9. The hand resumes where it stopped.
    let budget = Math.min(rows.size * 2, want * 4 + EVICT_SCAN_MIN, EVICT_SCAN_MAX);
    let evicted = 0;
    let bytes = 0;
    let hand = this.hand ?? rows.entries();
    while (evicted < want && budget-- > 0) {
      let r = hand.next();
      if (r.done) {
        hand = rows.entries();
        r = hand.next();
        if (r.done) break;
      }
      const [key, e] = r.value;
      // Written since the last durable checkpoint (or not yet published): LevelDB is behind.
      if (e.epoch > durableEpoch) continue;
      if (e.ref) {
        e.ref = false;
        continue;
      }
      bytes += entryBytes(key, e.row);
      rows.delete(key);
      // Dropping a durable tombstone loses nothing; dropping a live row makes reads go to
      // LevelDB, and the key index (which would now list keys not in memory) goes.
      if (e.row !== null) {
        this.partial = true;
        this.dropIndexes();
      }
      evicted++;
    }
    this.hand = hand;
    if (evicted > 0) this.entryBytes = (this.entryBytes + bytes / evicted) / 2;
    return evicted;
  }

  /** Every key written since the last take or still having an entry (live, or deleted in an unpublished epoch). */
  writtenKeys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.pendingCount; i++) out.push(this.pendingKeys[i]);
    for (const k of this.rows.keys()) out.push(k);
    return out;
  }
}

/** Entries an eviction call may always look at, however few it wants… */
const EVICT_SCAN_MIN = 4096;
/** …and at most, however many: a large excess is worked off over several commits (~1 ms each). */
const EVICT_SCAN_MAX = 65_536;

/** Rows per `ColdScanOf.next()` and entries per LevelDB read. */
const SCAN_ROWS = 256;
const SCAN_READ = 1024;

/**
 * The committed view of a partial table in key order: LevelDB's rows merged with the keys
 * in memory when the scan started (memory wins: a key in memory holds its committed value
 * or a `COLD` image that reads LevelDB). While the scan is open the table evicts nothing,
 * so a key that LevelDB returns and memory does not hold was not written since the last
 * durable checkpoint — its LevelDB row is the committed one. Keys first written after the
 * scan started are not seen (as with any scan of a changing table across PAUSEs).
 */
class ColdScanOf implements ColdScan {
  private disk: [string, Row][] = [];
  private dpos = 0;
  private diskDone = false;
  private mpos = 0;
  private pending: Promise<void> | null = null;
  private settled = true;
  private closed = false;

  constructor(
    private readonly table: MemStoreTable,
    private readonly memKeys: string[],
    private readonly reader: ColdRangeReader,
  ) {
    table.scans++;
  }

  next(): readonly Row[] | Promise<void> | null {
    if (this.closed) return null;
    if (!this.settled) throw new Error(`state table ${this.table.tableId}: a scan that reads from disk was resumed before its read finished (a query position that cannot wait for disk)`);
    const out: Row[] = [];
    const mem = this.memKeys;
    while (out.length < SCAN_ROWS) {
      if (this.dpos >= this.disk.length && !this.diskDone) {
        if (out.length > 0) return out;
        return this.fetch();
      }
      const dk = this.dpos < this.disk.length ? this.disk[this.dpos][0] : undefined;
      const mk = this.mpos < mem.length ? mem[this.mpos] : undefined;
      if (dk === undefined && mk === undefined) break;
      let key: string;
      let diskRow: Row | undefined;
      if (mk === undefined || (dk !== undefined && dk < mk)) {
        key = dk!;
        diskRow = this.disk[this.dpos++][1];
      } else {
        key = mk;
        this.mpos++;
        if (dk === mk) diskRow = this.disk[this.dpos++][1];
      }
      const m = this.table.committedInMemory(key);
      const v = m === undefined ? diskRow : (m ?? undefined);
      if (v !== undefined) out.push(v);
    }
    if (out.length > 0) return out;
    this.close();
    return null;
  }

  private fetch(): Promise<void> {
    this.settled = false;
    this.pending = this.reader.nextv(SCAN_READ).then(
      (entries) => {
        this.disk = entries;
        this.dpos = 0;
        if (entries.length === 0) this.diskDone = true;
        this.settled = true;
      },
      (e: unknown) => {
        this.settled = true;
        this.close();
        throw e;
      },
    );
    // Handled here too: a caller that never awaits (and then gets the resume error) must not
    // leave an unhandled rejection behind.
    this.pending.catch(() => {});
    return this.pending;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.scanClosed();
    this.reader.close();
  }
}

/**
 * Approximate heap bytes of one entry: the Map slot, the Entry, the key string, the row
 * array and its datums (numbers as doubles, strings by length, objects a flat guess).
 */
function entryBytes(key: string, row: Row | null): number {
  let b = 140 + key.length;
  if (row === null) return b;
  // A packed row (state-table.ts) is one string.
  if (typeof row === 'string') return b + 16 + (row as string).length;
  b += 16 + 8 * row.length;
  for (let i = 0; i < row.length; i++) {
    const d = row[i];
    if (d === null || typeof d === 'boolean') continue;
    if (typeof d === 'number') b += 12;
    else if (typeof d === 'string') b += 16 + d.length;
    else if (typeof d === 'bigint') b += 24;
    else b += 64;
  }
  return b;
}

/** The entry's value as of the committed epoch (null = absent; `COLD`: LevelDB's). */
/** Pending entries before a segmented table's are compacted (compactPending), at least. */
const COMPACT_PENDING_MIN = 1 << 16;

function committedValue(e: Entry, committed: number): Row | null {
  if (e.epoch <= committed) return e.row;
  let v = e.prev;
  if (e.hist !== null) for (const h of e.hist) if (h.epoch <= committed) v = h.end;
  return v;
}

export class MemStateStore implements TrackingStateStore {
  private readonly tables = new Map<number, MemStoreTable>();
  /** Tables with unpublished writes, so commitEpoch touches only what changed. */
  private readonly dirty = new Set<MemStoreTable>();
  /** Tables with published logs not yet taken (tracking only). */
  private readonly publishedTables = new Set<MemStoreTable>();
  private committed = 0;
  /** Whether published logs are kept for `takePublished`. */
  tracking = false;
  /** The round of the take now being filled by publishes (MemStoreTable.pendingKeys); entries start at 0. */
  pendingRound = 1;
  /** Cold mode: where partial tables read keys not in memory (null: everything stays in memory). */
  cold: ColdStateReader | null = null;
  /** A memory limit is in force: key-read tables are caches (see `enableColdReads`). */
  evicting = false;

  get committedEpoch(): number {
    return this.committed;
  }

  table(tableId: number): StoreTable {
    let t = this.tables.get(tableId);
    if (!t) {
      t = new MemStoreTable(tableId, this);
      this.tables.set(tableId, t);
    }
    return t;
  }

  dropTable(tableId: number): void {
    const t = this.tables.get(tableId);
    if (t) {
      this.dirty.delete(t);
      this.publishedTables.delete(t);
    }
    this.tables.delete(tableId);
  }

  noteDirty(t: MemStoreTable): void {
    this.dirty.add(t);
  }

  notePublished(t: MemStoreTable): void {
    this.publishedTables.add(t);
  }

  trackPublished(): void {
    this.tracking = true;
  }

  takePublished(): PublishedKeys[] {
    const out: PublishedKeys[] = [];
    if (this.publishedTables.size === 0) return out;
    for (const t of this.publishedTables) out.push(t.takePublished());
    this.publishedTables.clear();
    // Entries published from now on get slots in the new arrays.
    this.pendingRound++;
    return out;
  }

  writtenKeys(tableId: number): string[] {
    return this.tables.get(tableId)?.writtenKeys() ?? [];
  }

  /**
   * Cold reads: where partial tables read keys not in memory. `evicting` (a memory limit)
   * also makes key-read tables bounded caches; without it the only partial tables are
   * those recovery left in LevelDB while it loads them in the background.
   */
  enableColdReads(reader: ColdStateReader, evicting = true): void {
    this.cold = reader;
    this.evicting = evicting;
  }

  markTaken(tableId: number, keys: readonly string[], round: number): void {
    const rows = this.tables.get(tableId)?.rows;
    if (rows === undefined) return;
    for (const k of keys) {
      const e = rows.get(k);
      if (e !== undefined) e.taken = round;
    }
  }

  valueIfLastTaken(tableId: number, key: string, round: number, handle?: unknown): Row | null | undefined {
    const t = this.tables.get(tableId);
    return t === undefined ? null : t.valueIfLastTaken(key, round, handle);
  }

  takenRound(handle: unknown): number {
    return (handle as Entry).taken;
  }

  fillLoaded(tableId: number, entries: readonly [string, Row][]): boolean {
    const t = this.tables.get(tableId);
    if (!t?.partial) return false;
    t.fillLoaded(entries);
    return true;
  }

  finishLoad(tableId: number, durableEpoch: number): void {
    const t = this.tables.get(tableId);
    if (t?.partial) t.finishLoad(durableEpoch);
  }

  markCold(tableId: number, liveCount: number): void {
    if (this.cold === null) throw new Error('state store: markCold without cold reads');
    (this.table(tableId) as MemStoreTable).markCold(liveCount);
  }

  isPartial(tableId: number): boolean {
    return this.tables.get(tableId)?.partial ?? false;
  }

  pointTables(): [number, number][] {
    const out: [number, number][] = [];
    for (const [id, t] of this.tables) if (t.readsByKey) out.push([id, t.size]);
    return out;
  }

  approxBytes(): number {
    let b = 0;
    for (const t of this.tables.values()) b += t.approxBytes();
    return b;
  }

  /** Bytes of the bounded tables (the cache under a memory limit), in heap bytes (see heap-budget.ts). */
  cacheBytes(): number {
    let b = 0;
    for (const t of this.tables.values()) if (t.bounded) b += t.approxBytes();
    return b * stateHeapBudget.scale;
  }

  unsavedBytes(): number {
    let b = 0;
    for (const t of this.publishedTables) {
      if (!t.bounded || t.publishedEntries === 0) continue;
      const n = t.rows.size;
      b += n === 0 ? 0 : (t.publishedEntries * t.approxBytes()) / n;
    }
    return b;
  }

  evict(targetBytes: number, durableEpoch: number): number {
    let over = this.cacheBytes() - targetBytes;
    if (over <= 0) return 0;
    const bounded = [...this.tables.values()].filter((t) => t.bounded && t.scans === 0 && t.rows.size > 0);
    let evicted = 0;
    // Largest tables first; each gives up entries in proportion to the bytes still over.
    bounded.sort((a, b) => b.approxBytes() - a.approxBytes());
    for (const t of bounded) {
      if (over <= 0) break;
      const per = (t.approxBytes() * stateHeapBudget.scale) / t.rows.size;
      const n = t.evictSome(Math.ceil(over / per), durableEpoch);
      evicted += n;
      over -= n * per;
    }
    return evicted;
  }

  commitEpoch(epoch: number): Promise<void> {
    if (epoch < this.committed) return Promise.reject(new Error(`state store: commit of epoch ${epoch} after ${this.committed}`));
    this.committed = epoch;
    for (const t of this.dirty) if (!t.publish(epoch)) this.dirty.delete(t);
    return Promise.resolve();
  }
}
