import { describe, expect, it } from 'vitest';
import { BigMap } from './big-map';

describe('BigMap', () => {
  it('spills past a shard size into more shards and behaves as one Map', () => {
    const m = new BigMap<string, number>(3);
    const ref = new Map<string, number>();
    // Deterministic mixed workload: inserts, updates and deletes across shard boundaries.
    for (let i = 0; i < 500; i++) {
      const k = `k${(i * 37) % 41}`;
      if (i % 5 === 4) {
        expect(m.delete(k)).toBe(ref.delete(k));
      } else {
        m.set(k, i);
        ref.set(k, i);
      }
      expect(m.size).toBe(ref.size);
      expect(m.get(k)).toBe(ref.get(k));
    }
    expect(new Map(m.entries())).toEqual(ref);
    expect(new Set(m.keys())).toEqual(new Set(ref.keys()));
    expect(m.has('nope')).toBe(false);
  });

  it('never puts more than a shard size into one Map, and an iterator survives deletes', () => {
    const m = new BigMap<number, string>(4);
    for (let i = 0; i < 10; i++) m.set(i, `v${i}`);
    expect(m.size).toBe(10);
    const it = m.entries();
    expect(it.next().value).toEqual([0, 'v0']);
    m.delete(1);
    m.delete(5);
    const rest = [...it].map(([k]) => k);
    expect(rest).toEqual([2, 3, 4, 6, 7, 8, 9]);
    // A new key goes to the last shard with room; it is found wherever it went.
    m.set(100, 'x');
    expect(m.get(100)).toBe('x');
    expect(m.size).toBe(9);
  });
});
