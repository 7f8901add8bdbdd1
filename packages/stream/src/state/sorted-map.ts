/**
 * An ordered map from strings (latin1 memcomparable keys: JS `<` is byte order) to values,
 * as a list of sorted buckets of at most 2 × MAX_BUCKET keys with their values alongside
 * (the layout of Python's sortedcontainers). Insert/delete cost a binary search over bucket
 * maxima, one inside a bucket and a splice of at most 2 × MAX_BUCKET elements; a range scan
 * seeks once and then walks buckets. That is a fraction of a B-tree's code for the same
 * asymptotics at the sizes state tables have.
 *
 * It serves two purposes. As a set (`SortedMap<true>`) it is the ordered index of a state
 * table's live keys, built on the table's first range read. As the map itself it holds the
 * entries of a table whose keys mostly grow — a temporal filter's (time, stream key) rows,
 * millions of them, written once and read back in order — where a hash map's lookup of a
 * new key missed the cache on every write (BigMap.get and set were 70% of the temporal
 * filter's time at 50,000 events/s). Here a key beyond every other is one comparison with
 * the last bucket's maximum, and the bucket last found is tried first (`hint`), so writes,
 * point reads and deletes that move through the keys in order skip the binary searches.
 */
const MAX_BUCKET = 256;

export class SortedMap<V> {
  private keyBuckets: string[][] = [];
  private valueBuckets: V[][] = [];
  /** maxes[b] = last key of keyBuckets[b]. */
  private maxes: string[] = [];
  private count = 0;
  /** The bucket of the last lookup: sequential access finds its key there or in the next one. */
  private hint = 0;

  get size(): number {
    return this.count;
  }

  /** A map of `keys` (sorted ascending and distinct) to `values` at the same index. */
  static fromSorted<V>(keys: readonly string[], values: readonly V[]): SortedMap<V> {
    const s = new SortedMap<V>();
    for (let i = 0; i < keys.length; i += MAX_BUCKET) {
      const bucket = keys.slice(i, i + MAX_BUCKET);
      s.keyBuckets.push(bucket);
      s.valueBuckets.push(values.slice(i, i + MAX_BUCKET));
      s.maxes.push(bucket[bucket.length - 1]);
    }
    s.count = keys.length;
    return s;
  }

  /** The entries of `entries` (any order, distinct keys), sorted. */
  static fromEntries<V>(entries: Iterable<[string, V]>): SortedMap<V> {
    const all = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return SortedMap.fromSorted(
      all.map((e) => e[0]),
      all.map((e) => e[1]),
    );
  }

  /** Index of the first bucket whose max is ≥ key (buckets.length if none). */
  private bucketFor(key: string): number {
    const maxes = this.maxes;
    const h = this.hint;
    // The hinted bucket, or the one after it: a walk through the keys in order.
    if (h < maxes.length && key <= maxes[h]) {
      if (h === 0 || key > maxes[h - 1]) return h;
    } else if (h + 1 < maxes.length && key <= maxes[h + 1] && key > maxes[h]) {
      return (this.hint = h + 1);
    }
    return (this.hint = lowerBound(maxes, key));
  }

  get(key: string): V | undefined {
    const b = this.bucketFor(key);
    if (b === this.keyBuckets.length) return undefined;
    const bucket = this.keyBuckets[b];
    const i = lowerBound(bucket, key);
    return bucket[i] === key ? this.valueBuckets[b][i] : undefined;
  }

  has(key: string): boolean {
    const b = this.bucketFor(key);
    if (b === this.keyBuckets.length) return false;
    const bucket = this.keyBuckets[b];
    return bucket[lowerBound(bucket, key)] === key;
  }

  /** Sets `key` to `value` (replacing an existing value). */
  set(key: string, value: V): this {
    this.put(key, value, true);
    return this;
  }

  /** Adds `key` with `value` unless present; returns false (and changes nothing) if it was. */
  insert(key: string, value: V): boolean {
    return this.put(key, value, false);
  }

  private put(key: string, value: V, replace: boolean): boolean {
    const keyBuckets = this.keyBuckets;
    if (keyBuckets.length === 0) {
      keyBuckets.push([key]);
      this.valueBuckets.push([value]);
      this.maxes.push(key);
      this.count = 1;
      return true;
    }
    const last = keyBuckets.length - 1;
    // Beyond every key: the common case of keys that grow (a temporal filter's (time, …)
    // keys, row ids), one comparison instead of two binary searches over cold strings.
    if (key > this.maxes[last]) {
      keyBuckets[last].push(key);
      this.valueBuckets[last].push(value);
      this.maxes[last] = key;
      this.count++;
      if (keyBuckets[last].length > MAX_BUCKET * 2) this.split(last);
      return true;
    }
    // Within the last bucket (keys that grow, arriving a little out of order): no search over the maxima.
    const b = key >= keyBuckets[last][0] ? last : this.bucketFor(key);
    const bucket = keyBuckets[b];
    const i = lowerBound(bucket, key);
    if (bucket[i] === key) {
      if (replace) this.valueBuckets[b][i] = value;
      return false;
    }
    bucket.splice(i, 0, key);
    this.valueBuckets[b].splice(i, 0, value);
    this.count++;
    if (bucket.length > MAX_BUCKET * 2) this.split(b);
    return true;
  }

  /** Splits an overfull bucket in two. */
  private split(b: number): void {
    const bucket = this.keyBuckets[b];
    const tail = bucket.splice(MAX_BUCKET);
    this.keyBuckets.splice(b + 1, 0, tail);
    this.valueBuckets.splice(b + 1, 0, this.valueBuckets[b].splice(MAX_BUCKET));
    this.maxes.splice(b, 1, bucket[bucket.length - 1], tail[tail.length - 1]);
  }

  /** Removes `key`; returns false if it was absent. */
  delete(key: string): boolean {
    const b = this.bucketFor(key);
    if (b === this.keyBuckets.length) return false;
    const bucket = this.keyBuckets[b];
    const i = lowerBound(bucket, key);
    if (bucket[i] !== key) return false;
    bucket.splice(i, 1);
    this.valueBuckets[b].splice(i, 1);
    this.count--;
    if (bucket.length === 0) {
      this.keyBuckets.splice(b, 1);
      this.valueBuckets.splice(b, 1);
      this.maxes.splice(b, 1);
    } else if (i === bucket.length) this.maxes[b] = bucket[bucket.length - 1];
    return true;
  }

  clear(): void {
    this.keyBuckets = [];
    this.valueBuckets = [];
    this.maxes = [];
    this.count = 0;
    this.hint = 0;
  }

  /** Where a forward scan from `lo` starts: [bucket, index]. */
  private seek(lo: string | undefined): [number, number] {
    if (lo === undefined) return [0, 0];
    const b = this.bucketFor(lo);
    return [b, b < this.keyBuckets.length ? lowerBound(this.keyBuckets[b], lo) : 0];
  }

  /**
   * Entries with lo ≤ key < hi (either bound undefined = unbounded), ascending or
   * descending. The map must not be modified while the iterator is live.
   */
  *range(lo: string | undefined, hi: string | undefined, reverse = false): Generator<[string, V], void, undefined> {
    const keyBuckets = this.keyBuckets;
    const valueBuckets = this.valueBuckets;
    if (!reverse) {
      let [b, i] = this.seek(lo);
      for (; b < keyBuckets.length; b++, i = 0) {
        const bucket = keyBuckets[b];
        for (; i < bucket.length; i++) {
          const k = bucket[i];
          if (hi !== undefined && k >= hi) return;
          yield [k, valueBuckets[b][i]];
        }
      }
      return;
    }
    let b: number;
    let i: number;
    if (hi === undefined) {
      b = keyBuckets.length - 1;
      i = b >= 0 ? keyBuckets[b].length - 1 : -1;
    } else {
      b = this.bucketFor(hi);
      if (b === keyBuckets.length) {
        b--;
        i = b >= 0 ? keyBuckets[b].length - 1 : -1;
      } else i = lowerBound(keyBuckets[b], hi) - 1;
    }
    for (; b >= 0; b--, i = b >= 0 ? keyBuckets[b].length - 1 : -1) {
      const bucket = keyBuckets[b];
      for (; i >= 0; i--) {
        const k = bucket[i];
        if (lo !== undefined && k < lo) return;
        yield [k, valueBuckets[b][i]];
      }
    }
  }

  /** Keys with lo ≤ key < hi, ascending or descending (`range` without the values). */
  *keysIn(lo: string | undefined, hi: string | undefined, reverse = false): Generator<string, void, undefined> {
    for (const [k] of this.range(lo, hi, reverse)) yield k;
  }

  /** Keys with lo ≤ key < hi, ascending, whose value passes `keep` (all without it), at most `limit` of them, collected into `out`. */
  collect(lo: string | undefined, hi: string | undefined, out: string[], keep?: (v: V) => boolean, limit = Infinity): string[] {
    const keyBuckets = this.keyBuckets;
    let [b, i] = this.seek(lo);
    for (let found = 0; b < keyBuckets.length; b++, i = 0) {
      const bucket = keyBuckets[b];
      const values = this.valueBuckets[b];
      for (; i < bucket.length; i++) {
        const k = bucket[i];
        if (hi !== undefined && k >= hi) return out;
        if (keep !== undefined && !keep(values[i])) continue;
        out.push(k);
        if (++found === limit) return out;
      }
    }
    return out;
  }

  /** The first key ≥ lo and < hi whose value passes `keep` (any without it), or undefined (a seek without a generator). */
  first(lo: string | undefined, hi: string | undefined, keep?: (v: V) => boolean): string | undefined {
    return this.collect(lo, hi, [], keep, 1)[0];
  }

  /** Every entry in key order (the map must not be modified meanwhile). */
  entries(): IterableIterator<[string, V]> {
    return this.range(undefined, undefined);
  }

  *keys(): IterableIterator<string> {
    for (const bucket of this.keyBuckets) yield* bucket;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}

/** Index of the first element of sorted `a` that is ≥ key (a.length if none). */
export function lowerBound(a: readonly string[], key: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
