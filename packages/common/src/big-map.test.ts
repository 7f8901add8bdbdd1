import { describe, expect, it } from 'vitest';
import { BigMap, hashKey } from './big-map';
import { checkAgainstMap } from './map-model-check';

describe('BigMap', () => {
  it('behaves as one Map before and after spreading over shards', () => {
    const m = new BigMap<string, number>(50);
    // Deterministic mixed workload: inserts, updates and deletes, across the spread at 50.
    const ref = checkAgainstMap(m, (i) => `k${i}`, 5000, 401);
    expect([...m].length).toBe(ref.size);
    expect(m.has('nope')).toBe(false);
    m.clear();
    expect([m.size, [...m.entries()].length, m.get('k1')]).toEqual([0, 0, undefined]);
  });

  it('keeps insertion order and a live iterator while it is one Map', () => {
    const m = new BigMap<number, string>(100);
    for (let i = 0; i < 10; i++) m.set(i, `v${i}`);
    const it = m.entries();
    expect(it.next().value).toEqual([0, 'v0']);
    m.delete(1);
    m.delete(5);
    expect([...it].map(([k]) => k)).toEqual([2, 3, 4, 6, 7, 8, 9]);
  });

  it('spreads a big map so no shard holds more than a fraction of it', () => {
    // 200,000 integer-like keys as a state table encodes them (memcomparable, 8 bytes).
    const m = new BigMap<string, number>(1000);
    const key = (i: number) => String.fromCharCode(0x80, 0, 0, 0, 0, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
    for (let i = 0; i < 200_000; i++) m.set(key(i), i);
    const shards = (m as unknown as { shards: Map<string, number>[] }).shards;
    expect(shards.length).toBeGreaterThan(1);
    // Evenly spread: the biggest shard within 1.5× the mean.
    const biggest = Math.max(...shards.map((s) => s.size));
    expect(biggest).toBeLessThan((1.5 * 200_000) / shards.length);
    for (let i = 0; i < 200_000; i += 997) expect(m.get(key(i))).toBe(i);
    expect(m.size).toBe(200_000);
  });

  it('hashes every kind of Map key the engine uses, equal keys alike', () => {
    expect(hashKey('abc')).toBe(hashKey(['a', 'b', 'c'].join('')));
    expect(hashKey(12345678901)).toBe(hashKey(12345678901));
    expect(hashKey(2n ** 40n + 3n)).toBe(hashKey(2n ** 40n + 3n));
    expect(new Set([hashKey(1), hashKey(2), hashKey(2 ** 32 + 1), hashKey('1'), hashKey('2')]).size).toBe(5);
    const m = new BigMap<unknown, number>(4);
    const keys: unknown[] = [1, 2.5, -7, 2 ** 40, 'x', 'y', 3n, -(2n ** 70n), true, false, null];
    keys.forEach((k, i) => m.set(k, i));
    keys.forEach((k, i) => expect(m.get(k)).toBe(i));
    expect(m.size).toBe(keys.length);
  });
});
