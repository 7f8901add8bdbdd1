import { describe, expect, it } from 'vitest';
import { Decimal, Interval, T, type DataType, type Datum } from '@freshet/common';
import { call } from '../test-util';

const dec = (s: string) => Decimal.parse(s);

describe('arithmetic', () => {
  const ok: [string, DataType[], Datum[], Datum][] = [
    ['add', [T.Int32, T.Int32], [2, 3], 5],
    ['add', [T.Int16, T.Int16], [2, 3], 5],
    ['add', [T.Int64, T.Int64], [2n, 3n], 5n],
    ['subtract', [T.Int32, T.Int32], [2, 3], -1],
    ['multiply', [T.Int64, T.Int64], [3000000000n, 3n], 9000000000n],
    ['divide', [T.Int32, T.Int32], [7, 2], 3],
    ['divide', [T.Int32, T.Int32], [-7, 2], -3],
    ['divide', [T.Int64, T.Int64], [-7n, 2n], -3n],
    ['modulus', [T.Int32, T.Int32], [-7, 2], -1],
    ['divide', [T.Float64, T.Float64], [1, 4], 0.25],
    ['add', [T.Float32, T.Float32], [0.1, 0.2], Math.fround(0.1 + 0.2)],
    ['neg', [T.Int32], [5], -5],
    ['abs_op', [T.Int64], [-5n], 5n],
    ['bitwise_and', [T.Int32, T.Int32], [6, 3], 2],
    ['bitwise_xor', [T.Int64, T.Int64], [6n, 3n], 5n],
    ['shift_left', [T.Int32, T.Int32], [1, 4], 16],
    ['shift_right', [T.Int64, T.Int32], [256n, 4], 16n],
    ['pow_op', [T.Float64, T.Float64], [2, 10], 1024],
    ['add', [T.Int32, T.Int32], [null, 1], null],
  ];
  it.each(ok)('%s %#', (name, types, args, expected) => {
    expect(call(name, types, args)).toEqual(expected);
  });

  it('decimal arithmetic keeps scale', () => {
    expect(String(call('add', [T.Decimal, T.Decimal], [dec('1.10'), dec('2')]))).toBe('3.10');
    expect(String(call('multiply', [T.Decimal, T.Decimal], [dec('1.5'), dec('2')]))).toBe('3.0');
    expect(String(call('pow_op', [T.Decimal, T.Decimal], [dec('2'), dec('3')]))).toBe('8');
  });

  const errors: [string, DataType[], Datum[], string, string][] = [
    ['add', [T.Int32, T.Int32], [2147483647, 1], '22003', 'Numeric out of range'],
    ['multiply', [T.Int16, T.Int16], [300, 300], '22003', 'Numeric out of range'],
    ['add', [T.Int64, T.Int64], [9223372036854775807n, 1n], '22003', 'Numeric out of range'],
    ['neg', [T.Int64], [-9223372036854775808n], '22003', 'Numeric out of range'],
    ['divide', [T.Int32, T.Int32], [-2147483648, -1], '22003', 'Numeric out of range'],
    ['divide', [T.Int32, T.Int32], [1, 0], '22012', 'Division by zero'],
    ['modulus', [T.Int64, T.Int64], [1n, 0n], '22012', 'Division by zero'],
    ['divide', [T.Float64, T.Float64], [1, 0], '22012', 'Division by zero'],
    ['multiply', [T.Float64, T.Float64], [1e300, 1e300], '22003', 'Numeric out of range'],
  ];
  it.each(errors)('%s %# fails', (name, types, args, code, message) => {
    expect(() => call(name, types, args)).toThrow(expect.objectContaining({ code, message }));
  });

  it('date/time arithmetic', () => {
    const day = 86_400_000_000;
    expect(call('add', [T.Date, T.Int32], [10, 5])).toBe(15);
    expect(call('subtract', [T.Date, T.Date], [10, 3])).toBe(7);
    expect(call('add', [T.Date, T.Interval], [0, new Interval(1, 0, 0)])).toBe(31 * day);
    expect(call('subtract', [T.Timestamp, T.Timestamp], [day + 3_600_000_000, 0])).toEqual(new Interval(0, 1, 3_600_000_000));
    expect(call('multiply', [T.Interval, T.Float64], [new Interval(0, 0, 180_000_000), 1.5])).toEqual(new Interval(0, 0, 270_000_000));
  });
});
