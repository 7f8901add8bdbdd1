/**
 * The in-memory StateStore. Each table is a Map (point access) plus a SortedKeys index
 * (range scans). The committed view is kept with undo images instead of copies: the
 * first time a key is written in an uncommitted epoch E, its previous value is recorded in
 * `undo[E]`. A committed-view read of a key consults the undo maps of the uncommitted
 * epochs from the oldest up; the first one holding the key has the key's value as of the
 * committed epoch; otherwise the working value is also the committed one. `commitEpoch`
 * just drops the undo maps of the epochs it publishes. Writing therefore costs one extra
 * Map probe per key per epoch and no copying, and reads of committed state are exact.
 */
import type { Row } from '@freshet/common';
import { SortedKeys } from './sorted-keys';
import type { StateStore, StoreTable } from './store';

/** Marks "the key did not exist" in an undo map (a Row can never be this value). */
const ABSENT = null;

class MemStoreTable implements StoreTable {
  readonly rows = new Map<string, Row>();
  readonly keys_ = new SortedKeys();
  /** Uncommitted epochs in increasing order, each with key → value before its first write in that epoch. */
  readonly undo: { epoch: number; before: Map<string, Row | null> }[] = [];

  constructor(
    readonly tableId: number,
    private readonly store: MemStateStore,
  ) {}

  get size(): number {
    return this.rows.size;
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  *iter(lo: string | undefined, hi: string | undefined, reverse = false): IterableIterator<[string, Row]> {
    for (const k of this.keys_.range(lo, hi, reverse)) yield [k, this.rows.get(k)!];
  }

  keys(lo: string | undefined, hi: string | undefined): string[] {
    return this.keys_.collect(lo, hi, []);
  }

  firstKey(lo: string | undefined, hi: string | undefined): string | undefined {
    return this.keys_.first(lo, hi);
  }

  write(epoch: number, key: string, row: Row | null): void {
    if (epoch <= this.store.committedEpoch) {
      throw new Error(`state store: write to table ${this.tableId} in epoch ${epoch}, already committed up to ${this.store.committedEpoch}`);
    }
    const undo = this.undo;
    let u = undo.length > 0 ? undo[undo.length - 1] : undefined;
    if (u === undefined || u.epoch !== epoch) {
      if (u !== undefined && u.epoch > epoch) throw new Error(`state store: table ${this.tableId} written in epoch ${epoch} after epoch ${u.epoch}`);
      u = { epoch, before: new Map() };
      undo.push(u);
      this.store.noteDirty(this);
    }
    const prev = this.rows.get(key);
    if (!u.before.has(key)) u.before.set(key, prev ?? ABSENT);
    if (row === null) {
      if (prev !== undefined) {
        this.rows.delete(key);
        this.keys_.delete(key);
      }
    } else {
      if (prev === undefined) this.keys_.insert(key);
      this.rows.set(key, row);
    }
  }

  getCommitted(key: string): Row | undefined {
    for (let i = 0; i < this.undo.length; i++) {
      const b = this.undo[i].before;
      if (b.has(key)) return b.get(key) ?? undefined;
    }
    return this.rows.get(key);
  }

  *iterCommitted(lo?: string, hi?: string): IterableIterator<[string, Row]> {
    if (this.undo.length === 0) {
      yield* this.iter(lo, hi);
      return;
    }
    // Keys that existed at the committed epoch but were deleted since live only in undo maps.
    const extra = new Set<string>();
    for (const u of this.undo) {
      for (const [k, v] of u.before) {
        if (v !== ABSENT && !this.rows.has(k) && (lo === undefined || k >= lo) && (hi === undefined || k < hi)) extra.add(k);
      }
    }
    const removed = [...extra].sort();
    let r = 0;
    for (const k of this.keys_.range(lo, hi)) {
      while (r < removed.length && removed[r] < k) {
        const v = this.getCommitted(removed[r++]);
        if (v !== undefined) yield [removed[r - 1], v];
      }
      const v = this.getCommitted(k);
      if (v !== undefined) yield [k, v];
    }
    while (r < removed.length) {
      const v = this.getCommitted(removed[r++]);
      if (v !== undefined) yield [removed[r - 1], v];
    }
  }

  /** Drops the undo images of epochs ≤ epoch. */
  publish(epoch: number): boolean {
    let n = 0;
    while (n < this.undo.length && this.undo[n].epoch <= epoch) n++;
    if (n > 0) this.undo.splice(0, n);
    return this.undo.length > 0;
  }
}

export class MemStateStore implements StateStore {
  private readonly tables = new Map<number, MemStoreTable>();
  /** Tables with undo images, so commitEpoch touches only what changed. */
  private readonly dirty = new Set<MemStoreTable>();
  private committed = 0;

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
    if (t) this.dirty.delete(t);
    this.tables.delete(tableId);
  }

  noteDirty(t: MemStoreTable): void {
    this.dirty.add(t);
  }

  commitEpoch(epoch: number): Promise<void> {
    if (epoch < this.committed) return Promise.reject(new Error(`state store: commit of epoch ${epoch} after ${this.committed}`));
    this.committed = epoch;
    for (const t of this.dirty) if (!t.publish(epoch)) this.dirty.delete(t);
    return Promise.resolve();
  }
}
