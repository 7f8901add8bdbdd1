/**
 * The in-memory StateStore. Each table is a Map from key to an `Entry` (point access)
 * plus a SortedKeys index of the live keys (range scans). The index is built on a table's
 * first range read and maintained from then on: tables that are only ever read by key
 * (an aggregate's intermediate state, DISTINCT counts) never pay for ordered inserts.
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
 * Under the durable store (`trackPublished`), published epoch logs are kept rather than
 * dropped until `takePublished` hands their keys to a checkpoint: the durable store learns
 * what changed from the logs this store keeps anyway instead of a key set per write.
 */
import type { Row } from '@freshet/common';
import type { PublishedKeys, TrackingStateStore } from '@freshet/storage';
import { SortedKeys } from './sorted-keys';
import type { StoreTable } from './store';

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
  /** The last `takePublished` round that reported this entry (reports each entry once per round). */
  taken = 0;
}

/** The keys (and their entries) first written in one epoch. */
interface EpochLog {
  epoch: number;
  keys: string[];
  entries: Entry[];
}

class MemStoreTable implements StoreTable {
  readonly rows = new Map<string, Entry>();
  /** The ordered index of live keys; null until the first range read (see the file comment). */
  private index: SortedKeys | null = null;
  /** Epochs with writes not yet published, in increasing order. */
  readonly logs: EpochLog[] = [];
  /** Published logs not yet taken (only while the store tracks publishes). */
  published: EpochLog[] = [];
  private live = 0;

  constructor(
    readonly tableId: number,
    private readonly store: MemStateStore,
  ) {}

  get size(): number {
    return this.live;
  }

  get(key: string): Row | undefined {
    const e = this.rows.get(key);
    return e === undefined || e.row === null ? undefined : e.row;
  }

  *iter(lo: string | undefined, hi: string | undefined, reverse = false): IterableIterator<[string, Row]> {
    for (const k of this.sortedKeys().range(lo, hi, reverse)) yield [k, this.rows.get(k)!.row!];
  }

  keys(lo: string | undefined, hi: string | undefined): string[] {
    return this.sortedKeys().collect(lo, hi, []);
  }

  firstKey(lo: string | undefined, hi: string | undefined): string | undefined {
    return this.sortedKeys().first(lo, hi);
  }

  private sortedKeys(): SortedKeys {
    if (this.index === null) {
      const keys: string[] = [];
      for (const [k, e] of this.rows) if (e.row !== null) keys.push(k);
      // Default sort compares UTF-16 code units: byte order for these latin1 keys.
      keys.sort();
      this.index = SortedKeys.fromSorted(keys);
    }
    return this.index;
  }

  write(epoch: number, key: string, row: Row | null): void {
    const committed = this.store.committedEpoch;
    if (epoch <= committed) {
      throw new Error(`state store: write to table ${this.tableId} in epoch ${epoch}, already committed up to ${committed}`);
    }
    const e = this.rows.get(key);
    if (e === undefined) {
      if (row === null) return;
      const n = new Entry(row, epoch, null);
      this.rows.set(key, n);
      this.index?.insert(key);
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
        this.index?.delete(key);
        this.live--;
        e.row = null;
      }
    } else {
      if (e.row === null) {
        this.index?.insert(key);
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
    return e === undefined ? undefined : (committedValue(e, this.store.committedEpoch) ?? undefined);
  }

  *iterCommitted(lo?: string, hi?: string): IterableIterator<[string, Row]> {
    if (this.logs.length === 0) {
      yield* this.iter(lo, hi);
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
    for (const k of this.sortedKeys().range(lo, hi)) {
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
    const logs = this.logs;
    let n = 0;
    for (; n < logs.length && logs[n].epoch <= epoch; n++) {
      const { keys, entries } = logs[n];
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.epoch <= epoch) {
          e.prev = null;
          e.hist = null;
          if (e.row === null && this.rows.get(keys[i]) === e) this.rows.delete(keys[i]);
        } else if (e.hist !== null) {
          // Later writes remain: the committed view moves to the end of the last published epoch.
          let h = 0;
          while (h < e.hist.length && e.hist[h].epoch <= epoch) e.prev = e.hist[h++].end;
          if (h > 0) e.hist = h === e.hist.length ? null : e.hist.slice(h);
        }
      }
    }
    if (n > 0) {
      const done = logs.splice(0, n);
      if (this.store.tracking) {
        for (const l of done) this.published.push(l);
        this.store.notePublished(this);
      }
    }
    return logs.length > 0;
  }

  /** The keys of the published logs, each entry once, with committed values; forgets the logs. */
  takePublished(round: number): PublishedKeys {
    const keys: string[] = [];
    const rows: (Row | null)[] = [];
    const committed = this.store.committedEpoch;
    for (const l of this.published) {
      const entries = l.entries;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.taken === round) continue;
        e.taken = round;
        keys.push(l.keys[i]);
        rows.push(committedValue(e, committed));
      }
    }
    this.published = [];
    return { tableId: this.tableId, keys, rows };
  }

  /** Every key written since the last take or still having an entry (live, or deleted in an unpublished epoch). */
  writtenKeys(): string[] {
    const out: string[] = [];
    for (const l of this.published) for (const k of l.keys) out.push(k);
    for (const k of this.rows.keys()) out.push(k);
    return out;
  }
}

/** The entry's value as of the committed epoch (null = absent). */
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
  private takeRound = 0;

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
    const round = ++this.takeRound;
    for (const t of this.publishedTables) out.push(t.takePublished(round));
    this.publishedTables.clear();
    return out;
  }

  writtenKeys(tableId: number): string[] {
    return this.tables.get(tableId)?.writtenKeys() ?? [];
  }

  commitEpoch(epoch: number): Promise<void> {
    if (epoch < this.committed) return Promise.reject(new Error(`state store: commit of epoch ${epoch} after ${this.committed}`));
    this.committed = epoch;
    for (const t of this.dirty) if (!t.publish(epoch)) this.dirty.delete(t);
    return Promise.resolve();
  }
}
