import { describe, expect, it } from 'vitest';
import { compareDatum, datumEquals, datumKey, rowKey } from './compare';
import { Jsonb, StructValue, type Datum } from './datum';
import { Decimal } from './decimal';
import { Interval } from './interval';
import { type DataType, T, listOf, structOf } from './types';

function sortWith(t: DataType, xs: Datum[]): Datum[] {
  return [...xs].sort((a, b) => compareDatum(t, a, b));
}

describe('compareDatum', () => {
  it('floats: NaN greatest, -0 = 0', () => {
    expect(sortWith(T.Float64, [NaN, 1, -Infinity, Infinity, 0, -1])).toEqual([-Infinity, -1, 0, 1, Infinity, NaN]);
    expect(compareDatum(T.Float64, -0, 0)).toBe(0);
    expect(compareDatum(T.Float64, NaN, NaN)).toBe(0);
  });

  it('decimals by value, specials in PG order', () => {
    const xs = ['nan', 'inf', '2', '-inf', '1.10', '1.1'].map((s) => Decimal.parse(s));
    expect(sortWith(T.Decimal, xs).map(String)).toEqual(['-Infinity', '1.10', '1.1', '2', 'Infinity', 'NaN']);
  });

  it('ints, bigints, booleans, strings, bytes', () => {
    expect(sortWith(T.Int64, [3n, -5n, 0n])).toEqual([-5n, 0n, 3n]);
    expect(sortWith(T.Boolean, [true, false])).toEqual([false, true]);
    expect(sortWith(T.Varchar, ['b', 'B', 'a', '', 'ab'])).toEqual(['', 'B', 'a', 'ab', 'b']);
    // Code point order: U+1F600 (surrogates in UTF-16) sorts after U+FFFD.
    expect(compareDatum(T.Varchar, '\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareDatum(T.Bytea, new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBeLessThan(0);
  });

  it('intervals by justified total', () => {
    expect(compareDatum(T.Interval, new Interval(1, 0, 0), new Interval(0, 30, 0))).toBe(0);
    expect(compareDatum(T.Interval, new Interval(0, 1, 1), new Interval(0, 0, 86400e6))).toBeGreaterThan(0);
  });

  it('lists: element-wise, NULL greatest, prefix first', () => {
    const t = listOf(T.Int32);
    expect(sortWith(t, [[1, null], [1, 2], [1], [0, 5]])).toEqual([[0, 5], [1], [1, 2], [1, null]]);
  });

  it('structs field by field', () => {
    const t = structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]);
    const xs = [new StructValue([1, 'b']), new StructValue([1, null]), new StructValue([0, 'z']), new StructValue([1, 'a'])];
    expect(sortWith(t, xs)).toEqual([xs[2], xs[3], xs[0], xs[1]]);
  });

  it('jsonb: object > array > boolean > number > string > null', () => {
    const xs = [{}, [], true, 1, 'a', null].map((v) => new Jsonb(v));
    expect(sortWith(T.Jsonb, [...xs].reverse())).toEqual([...xs].reverse());
    expect(compareDatum(T.Jsonb, new Jsonb({ a: 1, b: 2 }), new Jsonb({ b: 2, a: 1 }))).toBe(0);
  });
});

describe('datumEquals and datumKey', () => {
  it('equal datums have equal keys', () => {
    const pairs: [DataType, Datum, Datum][] = [
      [T.Decimal, Decimal.parse('1.10'), Decimal.parse('1.1')],
      [T.Decimal, Decimal.parse('NaN'), Decimal.parse('nan')],
      [T.Interval, new Interval(1, 0, 0), new Interval(0, 0, 30 * 86400e6)],
      [T.Jsonb, new Jsonb({ a: 1, b: [2] }), new Jsonb({ b: [2], a: 1 })],
      [T.Bytea, new Uint8Array([1, 2]), new Uint8Array([1, 2])],
      [listOf(T.Decimal), [Decimal.parse('1.0'), null], [Decimal.parse('1'), null]],
      [structOf([{ name: 'a', type: T.Interval }]), new StructValue([new Interval(0, 1, 0)]), new StructValue([new Interval(0, 0, 86400e6)])],
    ];
    for (const [t, a, b] of pairs) {
      expect(datumEquals(t, a, b)).toBe(true);
      expect(datumKey(t, a)).toEqual(datumKey(t, b));
    }
  });

  it('floats keep Map semantics (NaN = NaN, -0 = 0)', () => {
    const m = new Map<unknown, number>();
    m.set(datumKey(T.Float64, NaN), 1);
    m.set(datumKey(T.Float64, -0), 2);
    expect(m.get(datumKey(T.Float64, NaN))).toBe(1);
    expect(m.get(datumKey(T.Float64, 0))).toBe(2);
  });

  it('different datums have different keys', () => {
    const t = listOf(T.Varchar);
    expect(datumKey(t, ['a,b'])).not.toEqual(datumKey(t, ['a', 'b']));
    expect(datumKey(t, [null])).not.toEqual(datumKey(t, ['N']));
    expect(datumKey(T.Decimal, Decimal.parse('1.1'))).not.toEqual(datumKey(T.Decimal, Decimal.parse('1.01')));
  });

  it('rowKey combines columns injectively', () => {
    const types = [T.Varchar, T.Varchar];
    expect(rowKey(types, ['a', 'b'])).not.toBe(rowKey(types, ['a\u0000', 'b']));
    expect(rowKey(types, [null, 'b'])).not.toBe(rowKey(types, ['', 'b']));
    expect(rowKey([T.Decimal], [Decimal.parse('2.0')])).toBe(rowKey([T.Decimal], [Decimal.parse('2')]));
  });
});
