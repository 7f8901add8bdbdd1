/**
 * GroupKeyer's cache keys: rows of one group share a key and rows of different groups
 * never do, whatever form the key takes (a BIGINT becomes a number only where exact).
 */
import { Column, type DataType, type Datum, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { GroupKeyer, keepOutput, sameBigIntOutput } from './group';

function keysOf(type: DataType, datums: readonly Datum[]): unknown[] {
  const keyer = new GroupKeyer([type], [0]);
  const cols = [Column.fromDatums(type, datums)];
  return datums.map((_, i) => keyer.mapKey(cols, i));
}

describe('GroupKeyer', () => {
  it('keys a BIGINT group by an exact number inside ±(2^53 − 1) and by the BigInt outside it', () => {
    const big = 2n ** 53n;
    const datums: Datum[] = [1n, 1n, -7n, 9007199254740991n, big, big + 1n, -big, -big - 1n, 2n ** 62n, null, null];
    const keys = keysOf(T.Int64, datums);
    expect(keys.slice(0, 4)).toEqual([1, 1, -7, 9007199254740991]);
    expect(keys.slice(4, 9)).toEqual([big, big + 1n, -big, -big - 1n, 2n ** 62n]);
    // One key per distinct datum: equal datums share it, different datums (2^53 and 2^53 + 1,
    // which are one number as doubles) do not, and NULL is its own group.
    const distinct = new Set(keys);
    expect(distinct.size).toBe(new Set(datums).size);
    expect(keys[9]).toBe(keys[10]);
    expect(keys[9]).not.toBe(keys[0]);
  });

  it('keys an INT group by its value and a VARCHAR group by its text', () => {
    expect(keysOf(T.Int32, [3, 3, -1])).toEqual([3, 3, -1]);
    expect(keysOf(T.Varchar, ['a', 'a', 'b'])).toEqual(['a', 'a', 'b']);
  });
});

describe('kept BIGINT outputs', () => {
  it('keeps a BIGINT as a number only where exact, and compares either form with a fresh one', () => {
    const edge = 2n ** 53n;
    expect(keepOutput(3n)).toBe(3);
    expect(keepOutput(-(edge - 1n))).toBe(-9007199254740991);
    expect(keepOutput(edge)).toBe(edge);
    expect(keepOutput(null)).toBe(null);
    expect(keepOutput('x')).toBe('x');
    expect(sameBigIntOutput(keepOutput(3n), 3n)).toBe(true);
    expect(sameBigIntOutput(keepOutput(3n), 4n)).toBe(false);
    expect(sameBigIntOutput(keepOutput(edge + 1n), edge + 1n)).toBe(true);
    // 2^53 + 1 as a double is 2^53: a kept 2^53 − 1 must not meet it, nor a kept BigInt its neighbour.
    expect(sameBigIntOutput(keepOutput(edge - 1n), edge + 1n)).toBe(false);
    expect(sameBigIntOutput(keepOutput(edge), edge + 1n)).toBe(false);
    expect(sameBigIntOutput(keepOutput(0n), null)).toBe(false);
    expect(sameBigIntOutput(null, null)).toBe(true);
  });
});
