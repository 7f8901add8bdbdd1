import { describe, expect, it } from 'vitest';
import { T } from './types';
import { encodeKeyString } from './codec/key';
import { KeyMap, compactKey, expandKey } from './key-map';
import { checkAgainstMap } from './map-model-check';

const bigintKey = (v: bigint) => encodeKeyString([T.Int64], [v]);

describe('compactKey / expandKey', () => {
  it('stores a BIGINT key in [0, 2^31) as its number and reads it back as the same string', () => {
    for (const v of [0n, 1n, 255n, 256n, 65_535n, 100_000n, 2n ** 24n + 7n, 2n ** 31n - 1n]) {
      const k = bigintKey(v);
      expect(compactKey(k)).toBe(Number(v));
      expect(expandKey(compactKey(k))).toBe(k);
    }
  });

  it('keeps every other key a string: negative, 2^31 and up, other types, composite keys', () => {
    const others = [
      bigintKey(-1n),
      bigintKey(2n ** 31n),
      bigintKey(2n ** 62n),
      encodeKeyString([T.Int32], [5]),
      encodeKeyString([T.Float64], [5]),
      encodeKeyString([T.Varchar], ['abcdefg']),
      encodeKeyString([T.Int64, T.Int64], [1n, 2n]),
      encodeKeyString([T.Int64], [null]),
      '',
      // The pattern's shape but a character that is not a latin1 byte.
      '\u0001\u0080\u0000\u0000\u0000\u0000\u0100\u0000\u0000',
    ];
    for (const k of others) {
      expect(compactKey(k)).toBe(k);
      expect(expandKey(k)).toBe(k);
    }
  });

  it('is a bijection on every 9-character string of the pattern, whatever wrote it', () => {
    for (let round = 0; round < 2000; round++) {
      const v = (Math.imul(round, 0x9e3779b1) >>> 1) & 0x7fffffff;
      const k = expandKey(v);
      expect(k.length).toBe(9);
      expect(compactKey(k)).toBe(v);
      // Key order and number order agree: memcomparable strings sort as the values.
      const w = (v + 1) & 0x7fffffff;
      if (w > v) expect(expandKey(w) > k).toBe(true);
    }
  });
});

describe('KeyMap', () => {
  it('behaves as a Map of string keys across the spread over shards, number-stored keys and strings mixed', () => {
    const m = new KeyMap<number>(50);
    const keyOf = (i: number) => (i % 3 === 0 ? bigintKey(BigInt(i)) : i % 3 === 1 ? bigintKey(BigInt(-i)) : `s${i}`);
    const ref = checkAgainstMap(m, keyOf, 6000, 503);
    // Keys of both kinds were stored, across the spread over shards at 50.
    expect([...ref.keys()].some((k) => typeof compactKey(k) === 'number')).toBe(true);
    expect([...ref.keys()].some((k) => typeof compactKey(k) === 'string')).toBe(true);
    m.clear();
    expect([m.size, [...m.entries()].length, m.get(bigintKey(3n))]).toEqual([0, 0, undefined]);
  });

  it('an iterator over it survives deletes, as a Map iterator does', () => {
    const m = new KeyMap<string>();
    for (let i = 0; i < 10; i++) m.set(bigintKey(BigInt(i)), `v${i}`);
    const it = m.entries();
    expect(it.next().value).toEqual([bigintKey(0n), 'v0']);
    m.delete(bigintKey(1n));
    m.delete(bigintKey(5n));
    expect([...it].map(([, v]) => v)).toEqual(['v2', 'v3', 'v4', 'v6', 'v7', 'v8', 'v9']);
  });
});
