/**
 * A Map for state that grows large, without the two limits of a V8 Map:
 * - its size: one Map holds at most 2^24 (16,777,216) entries and throws past that ("Map
 *   maximum size exceeded"). The seed's temporal filter keeps one row per event for 30
 *   minutes, which at 50,000 events/s fills a Map in under six minutes.
 * - its growth: a Map that fills up rehashes every entry into a table twice the size in one
 *   go. At a million entries that is a 0.1–0.2 s stall of the engine's thread (measured in
 *   `freshness --source kafka` at 50,000 events/s), and it grows with the map; a Map that
 *   churns (inserts and deletes, a window's state) rehashes at the same size as often.
 *
 * So a BigMap is one Map up to SPLIT_ENTRIES entries (insertion order, no hashing of ours:
 * small tables pay one branch per call), and past that SHARDS Maps chosen by a hash of the
 * key: each rehash then moves a SHARDS-th of the entries. The move to shards happens once,
 * in one go (SPLIT_ENTRIES entries, a few ms); iteration is then shard by shard, each in
 * insertion order. A native iterator over the single Map (`entries()` before the move)
 * ends early if the move happens while it is open: callers iterate synchronously, or (an
 * eviction clock hand) can stand a round cut short.
 * Values must not be `undefined` (a miss and a stored undefined would look alike).
 */

/** Entries in the single Map before the entries are spread over hashed shards. */
export const SPLIT_ENTRIES = 1 << 16;
/** Shards after the spread: a power of two (the hash's low bits pick one). */
const SHARDS = 256;
/** Characters of a string key hashed: its last ones, where memcomparable keys differ most (the low bytes of integers). */
const HASHED_CHARS = 16;

/** A 32-bit hash of a Map key (string, number, bigint, boolean); 0 for anything else. */
export function hashKey(key: unknown): number {
  let h: number;
  switch (typeof key) {
    case 'string': {
      // FNV-1a over the last HASHED_CHARS characters, seeded with the length.
      h = Math.imul(0x811c9dc5 ^ key.length, 0x01000193);
      for (let i = Math.max(0, key.length - HASHED_CHARS); i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      break;
    }
    case 'number':
      h = (key | 0) ^ Math.imul((key / 4294967296) | 0, 0x9e3779b1);
      break;
    case 'bigint':
      h = Number(BigInt.asIntN(32, key)) ^ Math.imul(Number(BigInt.asIntN(32, key >> 32n)), 0x9e3779b1);
      break;
    case 'boolean':
      h = key ? 1 : 0;
      break;
    default:
      return 0;
  }
  // Final avalanche: the shard comes from the low bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  return h ^ (h >>> 16);
}

export class BigMap<K, V> {
  /** One Map (not yet spread) or SHARDS of them. */
  private shards: Map<K, V>[] = [new Map()];
  private count = 0;

  /** `splitAt`: entries before the spread over shards (smaller in tests). */
  constructor(private readonly splitAt = SPLIT_ENTRIES) {}

  get size(): number {
    return this.count;
  }

  private shardOf(key: K): Map<K, V> {
    const s = this.shards;
    return s.length === 1 ? s[0] : s[hashKey(key) & (SHARDS - 1)];
  }

  get(key: K): V | undefined {
    return this.shardOf(key).get(key);
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): this {
    const m = this.shardOf(key);
    const before = m.size;
    m.set(key, value);
    if (m.size !== before) {
      this.count++;
      if (this.shards.length === 1 && this.count > this.splitAt) this.spread();
    }
    return this;
  }

  delete(key: K): boolean {
    if (!this.shardOf(key).delete(key)) return false;
    this.count--;
    return true;
  }

  clear(): void {
    // Cleared in place, as a Map's clear(): open iterators end.
    for (const m of this.shards) m.clear();
    this.shards = [this.shards[0]];
    this.count = 0;
  }

  /** Moves the single Map's entries into SHARDS Maps by hash (once; clearing it ends its open iterators). */
  private spread(): void {
    const one = this.shards[0];
    const shards: Map<K, V>[] = [];
    for (let i = 0; i < SHARDS; i++) shards.push(new Map());
    for (const [k, v] of one) shards[hashKey(k) & (SHARDS - 1)].set(k, v);
    one.clear();
    this.shards = shards;
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
    const s = this.shards;
    for (let i = 0; i < s.length; i++) yield* s[i].entries();
  }

  private *allKeys(): IterableIterator<K> {
    const s = this.shards;
    for (let i = 0; i < s.length; i++) yield* s[i].keys();
  }
}
