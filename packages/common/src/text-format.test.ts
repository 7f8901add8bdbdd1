import { describe, expect, it } from 'vitest';
import { parseDate, parseTime, parseTimestamp, parseTimestamptz } from './datetime';
import { Jsonb, StructValue } from './datum';
import { Decimal } from './decimal';
import { Interval } from './interval';
import { formatDatum, formatFloat32, formatFloat64, formatJsonb } from './text-format';
import { T, listOf, structOf } from './types';

describe('float text (ryu + RisingWave exponent style)', () => {
  it.each([
    [1, '1'],
    [1.23, '1.23'],
    [-1.5, '-1.5'],
    [0, '0'],
    [-0, '-0'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [1e20, '1e+20'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000'],
    [1234567890123456, '1234567890123456'],
    [12345678901234567, '1.2345678901234568e+16'],
    [0.0001, '0.0001'],
    [0.00001, '0.00001'],
    [0.000001, '1e-06'],
    [1.5e-7, '1.5e-07'],
    [1e-100, '1e-100'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
    [7.922816251426434e28, '7.922816251426434e+28'],
    [123.456, '123.456'],
  ])('float8 %d -> %s', (x, out) => {
    expect(formatFloat64(x)).toBe(out);
  });

  it.each([
    [1, '1'],
    [0.1, '0.1'],
    [1.23, '1.23'],
    [7.922816251426434e28, '7.9228163e+28'],
    [1e-28, '1e-28'],
    [999999, '999999'],
    [1e12, '1000000000000'],
    [1e13, '1e+13'],
    [1234567890123, '1234568000000'],
    [0.000001, '0.000001'],
    [0.0000001, '1e-07'],
    [3.4028234663852886e38, '3.4028235e+38'],
    [-0, '-0'],
    [16777217, '16777216'],
  ])('float4 %d -> %s', (x, out) => {
    expect(formatFloat32(Math.fround(x))).toBe(out);
  });
});

describe('formatDatum', () => {
  const UTC = 'UTC';
  it.each([
    [T.Boolean, true, 't'],
    [T.Boolean, false, 'f'],
    [T.Int16, -32768, '-32768'],
    [T.Int32, 42, '42'],
    [T.Int64, -9223372036854775808n, '-9223372036854775808'],
    [T.Serial, 5n, '5'],
    [T.Decimal, Decimal.parse('1.10'), '1.10'],
    [T.Decimal, Decimal.parse('-inf'), '-Infinity'],
    [T.Varchar, 'a b', 'a b'],
    [T.Bytea, new Uint8Array([0, 1, 0xab, 0xff]), '\\x0001abff'],
    [T.Bytea, new Uint8Array([]), '\\x'],
    [T.Date, parseDate('2020-01-01'), '2020-01-01'],
    [T.Time, parseTime('01:02:03.000001'), '01:02:03.000001'],
    [T.Timestamp, parseTimestamp('2020-01-01 00:00:00'), '2020-01-01 00:00:00'],
    [T.Timestamptz, parseTimestamptz('2020-01-01 00:00:00+08', UTC), '2019-12-31 16:00:00+00:00'],
    [T.Interval, new Interval(1, 2, 3723123456), '1 mon 2 days 01:02:03.123456'],
    [T.Jsonb, new Jsonb({ b: [1, 2], a: 1 }), '{"a": 1, "b": [1, 2]}'],
    [listOf(T.Int32), [1, 2, null], '{1,2,NULL}'],
    [listOf(T.Varchar), ['a', 'b c', '', 'NULL', 'x"y', 'back\\slash', '{}'], '{a,"b c","","NULL","x\\"y","back\\\\slash","{}"}'],
    [listOf(listOf(T.Int32)), [[1, 2], [3, 4]], '{{1,2},{3,4}}'],
    [listOf(T.Timestamptz), [parseTimestamptz('2022-10-01 12:00:00+01:00', UTC)], '{"2022-10-01 11:00:00+00:00"}'],
    [listOf(T.Float64), [1.5, NaN], '{1.5,NaN}'],
    [structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]), new StructValue([1, 'abc']), '(1,abc)'],
    [structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]), new StructValue([null, 'a b']), '(,"a b")'],
    [structOf([{ name: 'a', type: T.Varchar }]), new StructValue(['x"y\\']), '("x""y\\\\")'],
    [structOf([{ name: 'a', type: T.Varchar }]), new StructValue(['']), '("")'],
    [listOf(structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Int32 }])), [new StructValue([1, 2])], '{"(1,2)"}'],
  ])('%o %o -> %s', (t, d, out) => {
    expect(formatDatum(t, d, UTC)).toBe(out);
  });

  it('formats timestamptz in the session zone', () => {
    const t = parseTimestamptz('2020-06-01 12:00:00Z', 'UTC');
    expect(formatDatum(T.Timestamptz, t, 'Europe/Berlin')).toBe('2020-06-01 14:00:00+02:00');
  });
});

describe('jsonb text', () => {
  it.each([
    [null, 'null'],
    [true, 'true'],
    ['a"b\n', '"a\\"b\\n"'],
    [1.5, '1.5'],
    [-0, '0'],
    [1e21, '1e21'],
    [[], '[]'],
    [{}, '{}'],
    [{ bb: 1, a: 2, c: { z: null, y: [true] } }, '{"a": 2, "c": {"y": [true], "z": null}, "bb": 1}'],
  ])('%j -> %s', (v, out) => {
    expect(formatJsonb(v)).toBe(out);
  });
});
