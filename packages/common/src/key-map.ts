/**
 * A BigMap keyed by memcomparable keys (latin1 strings, codec/key.ts) that stores the
 * commonest key of all — one BIGINT column holding a value in [0, 2^31): user ids, item
 * ids, serial row ids — as the number itself, and every other key as the string.
 *
 * Why: a lookup in a Map of a hundred thousand string keys or more misses the CPU cache
 * on the bucket, on the entry, and again on the stored key string, which it must read to
 * compare. A small integer is compared in place, and it needs no heap object of its own,
 * which V8's full collections would otherwise mark again and again. On the seed pipeline at
 * 100,000 users the lookups of a state table were ~18% of the engine thread
 * (docs/performance.md, session 17); most of its tables are keyed by `user_id`.
 *
 * The mapping is a bijection between the numbers 0 … 2^31−1 and the 9-character strings
 * 0x01 0x80 0x00 0x00 0x00 b0 b1 b2 b3 (b0 < 0x80): such a string is always stored as its
 * number, and a number always reads back as that string, whatever the column's type (a
 * text key that happens to look like this is stored as a number too, and comes back the
 * same). Iteration returns the keys as strings, in the BigMap's order.
 */
import { BigMap } from './big-map';

/** The key as stored: its number if it is a small non-negative BIGINT key, else itself. */
export function compactKey(key: string): string | number {
  if (key.length !== 9 || key.charCodeAt(0) !== 0x01 || key.charCodeAt(1) !== 0x80 || key.charCodeAt(2) !== 0 || key.charCodeAt(3) !== 0 || key.charCodeAt(4) !== 0) {
    return key;
  }
  const b0 = key.charCodeAt(5);
  const b1 = key.charCodeAt(6);
  const b2 = key.charCodeAt(7);
  const b3 = key.charCodeAt(8);
  // b0 < 0x80 keeps the number a non-negative int32 (a small integer to V8); characters
  // above 0xff are not latin1 bytes, and such a key is kept as a string.
  if (b0 >= 0x80 || (b1 | b2 | b3) > 0xff) return key;
  return (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
}

/** The key string of a stored key (`compactKey`'s inverse). */
export function expandKey(k: string | number): string {
  if (typeof k === 'string') return k;
  return String.fromCharCode(0x01, 0x80, 0, 0, 0, k >>> 24, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff);
}

export class KeyMap<V> {
  private readonly map: BigMap<string | number, V>;

  /** `splitAt`: as BigMap's (smaller in tests). */
  constructor(splitAt?: number) {
    this.map = new BigMap<string | number, V>(splitAt);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(compactKey(key));
  }

  has(key: string): boolean {
    return this.map.has(compactKey(key));
  }

  set(key: string, value: V): this {
    this.map.set(compactKey(key), value);
    return this;
  }

  delete(key: string): boolean {
    return this.map.delete(compactKey(key));
  }

  clear(): void {
    this.map.clear();
  }

  /** Entries in the BigMap's order; like its iterator, one survives deletes. */
  *entries(): IterableIterator<[string, V]> {
    for (const [k, v] of this.map.entries()) yield [typeof k === 'number' ? expandKey(k) : k, v];
  }

  *keys(): IterableIterator<string> {
    for (const k of this.map.keys()) yield typeof k === 'number' ? expandKey(k) : k;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
