import { describe, expect, it } from 'vitest';
import { Decimal } from './decimal';
import { sqlStateOf } from './error';

const D = (s: string) => Decimal.parse(s);

const code = sqlStateOf;

describe('Decimal parse/format', () => {
  it.each([
    ['1.10', '1.10'],
    ['  +inFInity', 'Infinity'],
    ['  -inF ', '-Infinity'],
    ['nan', 'NaN'],
    ['NaN', 'NaN'],
    ['1.23e-3', '0.00123'],
    ['1.5E2', '150'],
    ['2.', '2'],
    ['.5', '0.5'],
    ['-0.001', '-0.001'],
    ['-0', '0'],
    ['0.000', '0.000'],
    ['79228162514264337593543950335', '79228162514264337593543950335'],
    ['1.233333333333333321123123123', '1.233333333333333321123123123'],
    // more than 28 fractional digits round
    ['0.12345678901234567890123456789', '0.1234567890123456789012345679'],
    ['1e-28', '0.0000000000000000000000000001'],
  ])('%s -> %s', (input, out) => {
    expect(D(input).toString()).toBe(out);
  });

  it('rejects bad input and overflow', () => {
    expect(code(() => D('abc'))).toBe('22P02');
    expect(code(() => D(''))).toBe('22P02');
    expect(code(() => D('1.2.3'))).toBe('22P02');
    expect(code(() => D('79228162514264337593543950336'))).toBe('22003');
    expect(code(() => D('1e29'))).toBe('22003');
  });
});

describe('Decimal arithmetic', () => {
  it.each([
    ['1.10', '2', 'mul', '2.20'],
    ['1.1', '2.25', 'add', '3.35'],
    ['1.10', '0.1', 'sub', '1.00'],
    ['1', '3', 'div', '0.3333333333333333333333333333'],
    ['2', '3', 'div', '0.6666666666666666666666666667'],
    ['10', '3', 'div', '3.3333333333333333333333333333'],
    // rust_decimal strips a quotient's trailing zeros in chunks of 4, 2, 1 (RisingWave prints these).
    ['1.0', '4', 'div', '0.250'],
    ['12443', '2', 'div', '6221.50'],
    ['29357166', '8', 'div', '3669645.75'],
    ['1.0', '2', 'div', '0.5'],
    ['6', '2', 'div', '3'],
    ['3.0', '1', 'div', '3.0'],
    ['1.00', '0.5', 'div', '2.0'],
    ['-7', '2', 'div', '-3.50'],
    ['7.5', '2', 'mod', '1.5'],
    ['-7', '3', 'mod', '-1'],
    ['0.0000000000000001', '0.0000000000000001', 'mul', '0.0000000000000000000000000000'],
    ['inf', '1', 'add', 'Infinity'],
    ['inf', '-inf', 'add', 'NaN'],
    ['inf', '0', 'mul', 'NaN'],
    ['-inf', '-2', 'mul', 'Infinity'],
    ['1', 'inf', 'div', '0'],
    ['inf', '-2', 'div', '-Infinity'],
    ['5', 'inf', 'mod', '5'],
    ['nan', '1', 'sub', 'NaN'],
  ] as const)('%s %s %s = %s', (a, b, op, out) => {
    expect(D(a)[op](D(b)).toString()).toBe(out);
  });

  it('division by zero is 22012', () => {
    expect(code(() => D('1').div(D('0')))).toBe('22012');
    expect(code(() => D('1').mod(D('0.0')))).toBe('22012');
  });

  it('overflow is 22003', () => {
    expect(code(() => Decimal.MAX.add(Decimal.ONE))).toBe('22003');
    expect(code(() => Decimal.MAX.mul(D('2')))).toBe('22003');
  });

  it('adds with rounding when the scale no longer fits (julian example)', () => {
    const epoch = new Decimal(1637582642575400000n, 9);
    const julian = epoch.div(Decimal.fromInt(86400)).add(Decimal.fromInt(2440588));
    expect(julian.toString()).toBe('2459541.5028075856481481481481');
  });
});

describe('Decimal rounding and conversion', () => {
  it.each([
    ['1.1987', 2, '1.20'],
    ['4.6543', 1, '4.7'],
    ['1.1987', -1, '0'],
    ['15.5', -1, '20'],
    ['42.4382', 0, '42'],
    ['-0.5', 0, '-1'],
    ['2.5', 0, '3'],
    ['42', 1, '42'],
    ['12345678901234567890123456789', -28, '10000000000000000000000000000'],
    ['79228162514264337593543950335', -30, '0'],
    ['1.5', -2147483648, '0'],
    ['25.05900000', 4, '25.0590'],
  ] as const)('round(%s, %d) = %s', (v, s, out) => {
    expect(D(v).round(s).toString()).toBe(out);
  });

  it('trunc/ceil/floor', () => {
    expect(D('-1.7').trunc().toString()).toBe('-1');
    expect(D('-1.2').ceil().toString()).toBe('-1');
    expect(D('-1.2').floor().toString()).toBe('-2');
    expect(D('1.2').ceil().toString()).toBe('2');
    expect(D('1.239').trunc(2).toString()).toBe('1.23');
  });

  it('normalize drops trailing zeros', () => {
    expect(D('1.100').normalize().toString()).toBe('1.1');
    expect(D('0.000').normalize().toString()).toBe('0');
    expect(D('100').normalize().toString()).toBe('100');
  });

  it('compares by value with PG special ordering', () => {
    const sorted = ['nan', 'inf', '2', '-inf', '1.10', '1.1', '-3'].map(D).sort((a, b) => a.compare(b));
    expect(sorted.map(String)).toEqual(['-Infinity', '-3', '1.10', '1.1', '2', 'Infinity', 'NaN']);
    expect(D('1.10').equals(D('1.1'))).toBe(true);
    expect(D('nan').equals(D('NaN'))).toBe(true);
    expect(D('-inf').compare(D('2'))).toBeLessThan(0);
    expect(D('inf').compare(D('nan'))).toBeLessThan(0);
  });

  it('toNumber / toBigInt', () => {
    expect(D('79228162514264337593543950335').toNumber()).toBe(7.922816251426434e28);
    expect(D('0.1').toNumber()).toBe(0.1);
    expect(D('-9223372036854775808').toBigInt()).toBe(-9223372036854775808n);
    expect(D('2.5').toBigInt()).toBe(3n);
    expect(D('-2.5').toBigInt()).toBe(-3n);
    expect(code(() => D('9223372036854775807.5').toBigInt())).toBe('22003');
    expect(code(() => D('32767.5').toBigInt(-32768n, 32767n, 'smallint'))).toBe('22003');
    expect(code(() => D('nan').toBigInt())).toBe('22003');
  });

  it('fromNumber uses the shortest decimal form', () => {
    expect(Decimal.fromNumber(0.1).toString()).toBe('0.1');
    expect(Decimal.fromNumber(Math.fround(1e-28), true).toString()).toBe('0.0000000000000000000000000001');
    expect(Decimal.fromNumber(1e-28).toString()).toBe('0.0000000000000000000000000001');
    expect(Decimal.fromNumber(999999999999999).toString()).toBe('999999999999999');
    expect(Decimal.fromNumber(Math.fround(0.1), true).toString()).toBe('0.1');
    expect(Decimal.fromNumber(NaN).isNaN()).toBe(true);
    expect(code(() => Decimal.fromNumber(1e29))).toBe('22003');
  });

  it('sign', () => {
    expect(D('-2').sign()).toBe(-1);
    expect(D('0.0').sign()).toBe(0);
    expect(D('inf').sign()).toBe(1);
    expect(D('nan').sign()).toBeNaN();
  });
});

describe('Decimal sqrt', () => {
  it.each([
    ['2', '1.4142135623730950488016887242'],
    ['4', '2'],
    ['0', '0'],
    ['0.0001', '0.01'],
    ['1e-20', '0.0000000001'],
    ['79228162514264337593543950335', '281474976710656'],
    ['10', '3.1622776601683793319988935444'],
  ])('sqrt(%s) = %s', (v, out) => {
    expect(D(v).sqrt().toString()).toBe(out);
  });

  it('is NaN for negatives and NaN, Infinity for Infinity', () => {
    expect(D('-1').sqrt().isNaN()).toBe(true);
    expect(Decimal.NAN.sqrt().isNaN()).toBe(true);
    expect(Decimal.POSITIVE_INFINITY.sqrt().toString()).toBe('Infinity');
  });
});
