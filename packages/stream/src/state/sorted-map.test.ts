import { describe, expect, it } from 'vitest';
import { SortedMap } from './sorted-map';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Checks every read of `m` against the reference map `ref` (its entries sorted by key). */
function expectSame(m: SortedMap<number>, ref: Map<string, number>, r: () => number, bound: () => string): void {
  const sorted = [...ref.keys()].sort();
  expect(m.size).toBe(sorted.length);
  expect([...m.keys()]).toEqual(sorted);
  expect([...m.range(undefined, undefined)]).toEqual(sorted.map((k) => [k, ref.get(k)]));
  expect([...m.range(undefined, undefined, true)].map((e) => e[0])).toEqual([...sorted].reverse());
  for (let q = 0; q < 200; q++) {
    const a = bound();
    const b = bound();
    const want = sorted.filter((k) => k >= a && k < b);
    expect([...m.range(a, b)].map((e) => e[0])).toEqual(want);
    expect([...m.range(a, b, true)].map((e) => e[0])).toEqual([...want].reverse());
    expect(m.first(a, b)).toBe(want[0]);
    expect(m.collect(a, b, [])).toEqual(want);
    const even = (v: number) => v % 2 === 0;
    expect(m.collect(a, b, [], even)).toEqual(want.filter((k) => even(ref.get(k)!)));
    expect(m.first(a, b, even)).toBe(want.find((k) => even(ref.get(k)!)));
  }
  // Point reads in random order and in key order (the hinted path), present and absent keys.
  for (let q = 0; q < 500; q++) {
    const k = r() < 0.5 && sorted.length > 0 ? sorted[Math.floor(r() * sorted.length)] : bound();
    expect(m.get(k)).toBe(ref.get(k));
    expect(m.has(k)).toBe(ref.has(k));
  }
  for (const k of sorted) expect(m.get(k)).toBe(ref.get(k));
}

describe('SortedMap', () => {
  it('matches a Map and a sorted array under random sets, inserts and deletes', { timeout: 30_000 }, () => {
    const r = rng(7);
    const m = new SortedMap<number>();
    const ref = new Map<string, number>();
    const randomKey = () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 3) }, () => Math.floor(r() * 40) + 40));
    for (let step = 0; step < 20000; step++) {
      const k = randomKey();
      const u = r();
      if (u < 0.3) {
        expect(m.insert(k, step)).toBe(!ref.has(k));
        if (!ref.has(k)) ref.set(k, step);
      } else if (u < 0.6) {
        m.set(k, step);
        ref.set(k, step);
      } else expect(m.delete(k)).toBe(ref.delete(k));
    }
    expectSame(m, ref, r, randomKey);
    expect([...SortedMap.fromEntries(ref.entries()).range(undefined, undefined)]).toEqual([...m.range(undefined, undefined)]);
    m.clear();
    expect([m.size, [...m.keys()], m.get(randomKey())]).toEqual([0, [], undefined]);
  });

  it('matches when keys mostly grow, some arrive late, and old ones leave from the front', () => {
    const r = rng(11);
    const m = new SortedMap<number>();
    const ref = new Map<string, number>();
    const key = (n: number) => String(n).padStart(9, '0');
    let t = 1_000_000;
    for (let step = 0; step < 60_000; step++) {
      t += Math.floor(r() * 3);
      // Mostly at the end; a quarter a little late (within the last bucket or two); a few far back.
      const u = r();
      const k = key(u < 0.7 ? t : u < 0.95 ? t - Math.floor(r() * 400) : t - Math.floor(r() * 50_000));
      expect(m.insert(k, step)).toBe(!ref.has(k));
      if (!ref.has(k)) ref.set(k, step);
      // Expiry from the front, as a temporal filter deletes: read, then delete, in key order.
      if (step % 3 === 0) {
        const oldest = m.first(undefined, undefined)!;
        expect(m.get(oldest)).toBe(ref.get(oldest));
        expect(m.delete(oldest)).toBe(true);
        ref.delete(oldest);
      }
    }
    expectSame(m, ref, r, () => key(1_000_000 + Math.floor(r() * 180_000)));
  });
});
