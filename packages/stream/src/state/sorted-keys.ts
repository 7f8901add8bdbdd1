/**
 * An ordered set of strings (latin1 memcomparable keys: JS `<` is byte order), as a list
 * of sorted buckets of at most MAX_BUCKET keys (the layout of Python's sortedcontainers).
 * Insert/delete cost a binary search over bucket maxima, one inside a bucket and a splice
 * of at most MAX_BUCKET elements; a range scan seeks once and then walks buckets. That is
 * a fraction of a B-tree's code for the same asymptotics at the sizes state tables have.
 */
const MAX_BUCKET = 256;

export class SortedKeys {
  private buckets: string[][] = [];
  /** maxes[b] = last key of buckets[b]. */
  private maxes: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A set holding `keys`, which must be sorted ascending and distinct. */
  static fromSorted(keys: readonly string[]): SortedKeys {
    const s = new SortedKeys();
    for (let i = 0; i < keys.length; i += MAX_BUCKET) {
      const bucket = keys.slice(i, i + MAX_BUCKET);
      s.buckets.push(bucket);
      s.maxes.push(bucket[bucket.length - 1]);
    }
    s.count = keys.length;
    return s;
  }

  /** Index of the first bucket whose max is ≥ key (buckets.length if none). */
  private bucketFor(key: string): number {
    return lowerBound(this.maxes, key);
  }

  /** Inserts `key`; returns false if it was already present. */
  insert(key: string): boolean {
    if (this.buckets.length === 0) {
      this.buckets.push([key]);
      this.maxes.push(key);
      this.count = 1;
      return true;
    }
    const last = this.buckets.length - 1;
    // Beyond every key: the common case of keys that grow (a temporal filter's (time, …)
    // keys, row ids), one comparison instead of two binary searches over cold strings.
    if (key > this.maxes[last]) {
      const bucket = this.buckets[last];
      bucket.push(key);
      this.maxes[last] = key;
      this.count++;
      if (bucket.length > MAX_BUCKET * 2) this.split(last);
      return true;
    }
    // Within the last bucket (keys that grow, arriving a little out of order): no search over the maxima.
    const b = key >= this.buckets[last][0] ? last : this.bucketFor(key);
    const bucket = this.buckets[b];
    const i = lowerBound(bucket, key);
    if (bucket[i] === key) return false;
    bucket.splice(i, 0, key);
    this.count++;
    if (bucket.length > MAX_BUCKET * 2) this.split(b);
    return true;
  }

  /** Splits an overfull bucket in two. */
  private split(b: number): void {
    const bucket = this.buckets[b];
    const tail = bucket.splice(MAX_BUCKET);
    this.buckets.splice(b + 1, 0, tail);
    this.maxes.splice(b, 1, bucket[bucket.length - 1], tail[tail.length - 1]);
  }

  /** Removes `key`; returns false if it was absent. */
  delete(key: string): boolean {
    const b = this.bucketFor(key);
    if (b === this.buckets.length) return false;
    const bucket = this.buckets[b];
    const i = lowerBound(bucket, key);
    if (bucket[i] !== key) return false;
    bucket.splice(i, 1);
    this.count--;
    if (bucket.length === 0) {
      this.buckets.splice(b, 1);
      this.maxes.splice(b, 1);
    } else if (i === bucket.length) this.maxes[b] = bucket[bucket.length - 1];
    return true;
  }

  has(key: string): boolean {
    const b = this.bucketFor(key);
    if (b === this.buckets.length) return false;
    const bucket = this.buckets[b];
    return bucket[lowerBound(bucket, key)] === key;
  }

  /**
   * Keys with lo ≤ key < hi (either bound undefined = unbounded), ascending or
   * descending. The set must not be modified while the iterator is live.
   */
  *range(lo: string | undefined, hi: string | undefined, reverse = false): Generator<string, void, undefined> {
    const buckets = this.buckets;
    if (!reverse) {
      let b = lo === undefined ? 0 : this.bucketFor(lo);
      let i = b < buckets.length && lo !== undefined ? lowerBound(buckets[b], lo) : 0;
      for (; b < buckets.length; b++, i = 0) {
        const bucket = buckets[b];
        for (; i < bucket.length; i++) {
          const k = bucket[i];
          if (hi !== undefined && k >= hi) return;
          yield k;
        }
      }
    } else {
      let b: number;
      let i: number;
      if (hi === undefined) {
        b = buckets.length - 1;
        i = b >= 0 ? buckets[b].length - 1 : -1;
      } else {
        b = this.bucketFor(hi);
        if (b === buckets.length) {
          b--;
          i = b >= 0 ? buckets[b].length - 1 : -1;
        } else i = lowerBound(buckets[b], hi) - 1;
      }
      for (; b >= 0; b--, i = b >= 0 ? buckets[b].length - 1 : -1) {
        const bucket = buckets[b];
        for (; i >= 0; i--) {
          const k = bucket[i];
          if (lo !== undefined && k < lo) return;
          yield k;
        }
      }
    }
  }

  /** Keys with lo ≤ key < hi, ascending, collected into `out` (no generator per call). */
  collect(lo: string | undefined, hi: string | undefined, out: string[]): string[] {
    const buckets = this.buckets;
    let b = lo === undefined ? 0 : this.bucketFor(lo);
    let i = b < buckets.length && lo !== undefined ? lowerBound(buckets[b], lo) : 0;
    for (; b < buckets.length; b++, i = 0) {
      const bucket = buckets[b];
      for (; i < bucket.length; i++) {
        const k = bucket[i];
        if (hi !== undefined && k >= hi) return out;
        out.push(k);
      }
    }
    return out;
  }

  /** The first key ≥ lo and < hi, or undefined (a seek without a generator). */
  first(lo: string | undefined, hi: string | undefined): string | undefined {
    const b = lo === undefined ? 0 : this.bucketFor(lo);
    if (b === this.buckets.length) return undefined;
    const bucket = this.buckets[b];
    const k = bucket[lo === undefined ? 0 : lowerBound(bucket, lo)];
    return k === undefined || (hi !== undefined && k >= hi) ? undefined : k;
  }
}

/** Index of the first element of sorted `a` that is ≥ key (a.length if none). */
function lowerBound(a: string[], key: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
