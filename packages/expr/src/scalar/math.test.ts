import { describe, expect, it } from 'vitest';
import { Decimal, T, type DataType, type Datum } from '@freshet/common';
import { resolveScalar } from '../registry';
import { call } from '../test-util';

const dec = (s: string) => Decimal.parse(s);
const D = T.Decimal;
const F = T.Float64;

describe('math', () => {
  // From round.slt.part: v/4 for v in -6..6, numeric rounds half away, float half even; -0 kept for floats.
  const rows: [number, string, number, string, number, string, number, string, number][] = [
    // v, round(dec), round(f), floor(dec), floor(f), ceil(dec), ceil(f), trunc(dec), trunc(f)
    [-1.5, '-2', -2, '-2', -2, '-1', -1, '-1', -1],
    [-0.75, '-1', -1, '-1', -1, '0', -0, '0', -0],
    [-0.5, '-1', -0, '-1', -1, '0', -0, '0', -0],
    [-0.25, '0', -0, '-1', -1, '0', -0, '0', -0],
    [0.5, '1', 0, '0', 0, '1', 1, '0', 0],
    [1.25, '1', 1, '1', 1, '2', 2, '1', 1],
    [1.5, '2', 2, '1', 1, '2', 2, '1', 1],
  ];
  it.each(rows)('rounding of %d', (v, rd, rf, fd, ff, cd, cf, td, tf) => {
    const d = Decimal.fromNumber(v);
    expect(String(call('round', [D], [d]))).toBe(rd);
    expect(Object.is(call('round', [F], [v]), rf)).toBe(true);
    expect(String(call('floor', [D], [d]))).toBe(fd);
    expect(Object.is(call('floor', [F], [v]), ff)).toBe(true);
    expect(String(call('ceil', [D], [d]))).toBe(cd);
    expect(Object.is(call('ceil', [F], [v]), cf)).toBe(true);
    expect(String(call('trunc', [D], [d]))).toBe(td);
    expect(Object.is(call('trunc', [F], [v]), tf)).toBe(true);
  });

  it('round with digits never adds scale (decimal.slt.part)', () => {
    expect(String(call('round', [D, T.Int32], [dec('1.1987'), 2]))).toBe('1.20');
    expect(String(call('round', [D, T.Int32], [dec('4.6543'), 1]))).toBe('4.7');
    expect(String(call('round', [D, T.Int32], [dec('1.165'), -1]))).toBe('0');
    expect(String(call('round', [D, T.Int32], [dec('42'), 1]))).toBe('42');
    expect(String(call('round', [D], [dec('42.4382')]))).toBe('42');
  });

  it('overloads resolve like PostgreSQL', () => {
    expect(resolveScalar('round', [T.Unknown]).argTypes).toEqual([F]); // round('4.5') = 4
    expect(resolveScalar('round', [T.Int32]).argTypes).toEqual([F]);
    expect(resolveScalar('round', [D]).argTypes).toEqual([D]);
    expect(resolveScalar('ceil', [D]).returnType).toBe(D);
    expect(call('round', [F], [4.5])).toBe(4);
  });

  const cases: [string, DataType[], Datum[], Datum][] = [
    ['abs', [T.Int32], [-3], 3],
    ['abs', [T.Int64], [-3n], 3n],
    ['mod', [T.Int32, T.Int32], [-7, 3], -1],
    ['sign', [F], [-2.5], -1],
    ['sqrt', [F], [16], 4],
    ['cbrt', [F], [27], 3],
    ['power', [F, F], [2, 0.5], Math.SQRT2],
    ['exp', [F], [0], 1],
    ['ln', [F], [1], 0],
    ['log', [F], [1000], 3],
    ['log10', [F], [100], 2],
    ['degrees', [F], [Math.PI], 180],
    ['gcd', [T.Int32, T.Int32], [12, 18], 6],
    ['lcm', [T.Int64, T.Int64], [4n, 6n], 12n],
    ['greatest', [T.Int32, T.Int32, T.Int32], [1, null, 3], 3],
    ['least', [T.Int32, T.Int32], [null, null], null],
    ['least', [T.Varchar, T.Varchar], ['b', 'a'], 'a'],
    ['sind', [F], [30], 0.5],
  ];
  it.each(cases)('%s %#', (name, types, args, expected) => {
    expect(call(name, types, args)).toEqual(expected);
  });

  it('errors', () => {
    expect(() => call('sqrt', [F], [-1])).toThrow(expect.objectContaining({ code: '2201F' }));
    expect(() => call('ln', [F], [0])).toThrow(expect.objectContaining({ code: '2201E', message: 'cannot take logarithm of zero' }));
    expect(() => call('abs', [T.Int32], [-2147483648])).toThrow(expect.objectContaining({ code: '22003' }));
    expect(() => call('mod', [T.Int32, T.Int32], [1, 0])).toThrow(expect.objectContaining({ code: '22012' }));
    expect(() => call('power', [F, F], [0, -1])).toThrow(expect.objectContaining({ code: '2201F' }));
  });
});
