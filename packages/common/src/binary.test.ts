import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary, encodeNumeric } from './binary';
import { parseDate, parseTimestamp } from './datetime';
import { Jsonb, StructValue, type Datum } from './datum';
import { Decimal } from './decimal';
import { sqlStateOf } from './error';
import { Interval } from './interval';
import { type DataType, T, listOf, structOf } from './types';

const code = sqlStateOf;

const hex = (b: Buffer) => b.toString('hex');

describe('binary encodings match PostgreSQL', () => {
  it.each([
    [T.Boolean, true, '01'],
    [T.Int16, -2, 'fffe'],
    [T.Int32, 1, '00000001'],
    [T.Int64, -1n, 'ffffffffffffffff'],
    [T.Float32, 1.5, '3fc00000'],
    [T.Float64, 1.5, '3ff8000000000000'],
    [T.Varchar, 'hé', '68c3a9'],
    [T.Bytea, new Uint8Array([1, 2]), '0102'],
    [T.Date, parseDate('2000-01-02'), '00000001'],
    [T.Date, parseDate('1999-12-31'), 'ffffffff'],
    [T.Time, 1_000_000, '00000000000f4240'],
    [T.Timestamp, parseTimestamp('2000-01-01 00:00:01'), '00000000000f4240'],
    [T.Timestamptz, 0, 'fffca2fec4c82000'],
    [T.Interval, new Interval(14, 3, 1_000_000), '00000000000f4240' + '00000003' + '0000000e'],
    [T.Jsonb, new Jsonb({ a: 1 }), '01' + Buffer.from('{"a": 1}').toString('hex')],
  ] as [DataType, Datum, string][])('%o %o', (t, d, out) => {
    expect(hex(encodeBinary(t, d))).toBe(out);
  });

  // (ndigits, weight, sign, dscale, digits…) as PG's numeric_send writes them
  it.each([
    ['0', '0000 0000 0000 0000'],
    ['0.00', '0000 0000 0000 0002'],
    ['1', '0001 0000 0000 0000 0001'],
    ['-1.5', '0002 0000 4000 0001 0001 1388'],
    ['10000', '0001 0001 0000 0000 0001'],
    ['12345.678', '0003 0001 0000 0003 0001 0929 1a7c'],
    ['0.0001', '0001 ffff 0000 0004 0001'],
    ['1.10', '0002 0000 0000 0002 0001 03e8'],
    ['NaN', '0000 0000 c000 0000'],
    ['Infinity', '0000 0000 d000 0000'],
    ['-Infinity', '0000 0000 f000 0000'],
  ])('numeric %s', (v, out) => {
    expect(hex(encodeNumeric(Decimal.parse(v)))).toBe(out.replace(/ /g, ''));
  });
});

describe('binary round trips', () => {
  const cases: [DataType, Datum][] = [
    [T.Boolean, false],
    [T.Int16, 32767],
    [T.Int32, -2147483648],
    [T.Int64, 9223372036854775807n],
    [T.Float32, Math.fround(0.1)],
    [T.Float64, -0.1],
    [T.Float64, NaN],
    [T.Varchar, ''],
    [T.Varchar, 'grüße 😀'],
    [T.Bytea, new Uint8Array([0, 255])],
    [T.Date, parseDate('1900-03-01')],
    [T.Time, 86_399_999_999],
    [T.Timestamp, parseTimestamp('1969-07-20 20:17:40.123456')],
    [T.Timestamptz, parseTimestamp('2038-01-19 03:14:08')],
    [T.Interval, new Interval(-14, 3, -5)],
    [T.Jsonb, new Jsonb([1, 'a', null, { b: true }])],
    [listOf(T.Int32), [1, null, 3]],
    [listOf(T.Int32), []],
    [listOf(listOf(T.Int64)), [[1n, 2n], [3n, 4n]]],
    [listOf(T.Varchar), ['a', null, '']],
    [structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]), new StructValue([1, null])],
  ];
  it.each(cases)('%o %o', (t, d) => {
    expect(decodeBinary(t, encodeBinary(t, d))).toEqual(d);
  });

  it.each([
    '0', '0.00', '1', '-1', '1.10', '12345.678', '0.0001', '-0.000001234', '100000000', '99999999.9999',
    '79228162514264337593543950335', '-7922816251426433759354395.0335', '0.0000000000000000000000000001',
    '123456789012345678901234.5678', 'NaN', 'Infinity', '-Infinity', '10000', '1e20', '0.1', '2.50',
  ])('numeric %s keeps value and scale', (v) => {
    const d = Decimal.parse(v);
    const back = decodeBinary(T.Decimal, encodeBinary(T.Decimal, d)) as Decimal;
    expect(back.toString()).toBe(d.toString());
  });
});

describe('malformed binary input is 22P03', () => {
  it.each([
    [T.Int32, [0, 1]],
    [T.Int64, [0, 0, 0, 0]],
    [T.Boolean, []],
    [T.Decimal, [0, 1, 0, 0, 0, 0, 0, 0]],
    [T.Decimal, [0, 0, 0, 0, 0x12, 0x34, 0, 0]],
    [T.Jsonb, [2, 0x31]],
    [listOf(T.Int32), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1]],
  ] as [DataType, number[]][])('%o %j', (t, bytes) => {
    expect(code(() => decodeBinary(t, Buffer.from(bytes)))).toBe('22P03');
  });
});
