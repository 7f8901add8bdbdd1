/**
 * Test support (used by big-map.test.ts and key-map.test.ts, not exported): drives a map
 * through a deterministic mix of inserts, updates and deletes over a small key space and
 * checks it against a plain Map after every step, then its iteration as a whole.
 */
import { expect } from 'vitest';

/** What both BigMap and KeyMap offer. */
interface MapLike<K, V> {
  readonly size: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
  entries(): IterableIterator<[K, V]>;
  keys(): IterableIterator<K>;
  [Symbol.iterator](): IterableIterator<[K, V]>;
}

/** `steps` operations on keys `keyOf(0 … space − 1)`, every fifth a delete; returns the reference Map. */
export function checkAgainstMap<K>(m: MapLike<K, number>, keyOf: (i: number) => K, steps: number, space: number): Map<K, number> {
  const ref = new Map<K, number>();
  for (let i = 0; i < steps; i++) {
    const k = keyOf((i * 37) % space);
    if (i % 5 === 4) {
      expect(m.delete(k)).toBe(ref.delete(k));
    } else {
      m.set(k, i);
      ref.set(k, i);
    }
    expect(m.size).toBe(ref.size);
    expect(m.get(k)).toBe(ref.get(k));
    expect(m.has(k)).toBe(ref.has(k));
  }
  expect(new Map(m.entries())).toEqual(ref);
  expect(new Map([...m])).toEqual(ref);
  expect(new Set(m.keys())).toEqual(new Set(ref.keys()));
  return ref;
}
