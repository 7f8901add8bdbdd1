/**
 * A Map without V8's size limit. A V8 Map holds at most 2^24 (16,777,216) entries and
 * throws past that ("Map maximum size exceeded"); a table or a state table can outgrow it —
 * the seed's temporal filter keeps one row per event for 30 minutes, which at 50,000
 * events/s fills a Map in under six minutes. Keys go to the first shard until it is full, then to the next;
 * a lookup tries the shards in order, so a table that fits in one Map pays one branch per
 * call. Values must not be `undefined` (a miss and a stored undefined would look alike).
 */

/** Entries per shard: V8's limit for one Map. */
export const MAP_MAX_ENTRIES = 1 << 24;

export class BigMap<K, V> {
  private readonly shards: Map<K, V>[] = [new Map()];

  /** `shardSize`: entries per shard (smaller in tests). */
  constructor(private readonly shardSize = MAP_MAX_ENTRIES) {}

  get size(): number {
    const s = this.shards;
    if (s.length === 1) return s[0].size;
    let n = 0;
    for (let i = 0; i < s.length; i++) n += s[i].size;
    return n;
  }

  get(key: K): V | undefined {
    const s = this.shards;
    if (s.length === 1) return s[0].get(key);
    for (let i = 0; i < s.length; i++) {
      const v = s[i].get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): this {
    const s = this.shards;
    // One shard with room: an update or an insert, either way within V8's limit.
    if (s.length === 1 && s[0].size < this.shardSize) {
      s[0].set(key, value);
      return this;
    }
    for (let i = 0; i < s.length; i++) {
      if (s[i].has(key)) {
        s[i].set(key, value);
        return this;
      }
    }
    let last = s[s.length - 1];
    if (last.size >= this.shardSize) s.push((last = new Map()));
    last.set(key, value);
    return this;
  }

  clear(): void {
    this.shards.length = 1;
    this.shards[0].clear();
  }

  delete(key: K): boolean {
    const s = this.shards;
    for (let i = 0; i < s.length; i++) if (s[i].delete(key)) return true;
    return false;
  }

  /** Entries shard by shard, each in insertion order; like a Map's, the iterator survives deletes. */
  entries(): IterableIterator<[K, V]> {
    return this.shards.length === 1 ? this.shards[0].entries() : this.allEntries();
  }

  keys(): IterableIterator<K> {
    return this.shards.length === 1 ? this.shards[0].keys() : this.allKeys();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  private *allEntries(): IterableIterator<[K, V]> {
    // By index: a shard added during the iteration is visited too.
    for (let i = 0; i < this.shards.length; i++) yield* this.shards[i].entries();
  }

  private *allKeys(): IterableIterator<K> {
    for (let i = 0; i < this.shards.length; i++) yield* this.shards[i].keys();
  }
}
