import { describe, expect, it } from 'vitest';
import { sqlStateOf } from './error';
import { Interval, type IntervalQualifier } from './interval';

const I = (s: string, q?: IntervalQualifier) => Interval.parse(s, q).toString();

const code = sqlStateOf;

describe('Interval parse + format (RisingWave interval.slt)', () => {
  it.each([
    ['1 year', '1 year'],
    ['1 y', '1 year'],
    ['1 yr', '1 year'],
    ['2 month', '2 mons'],
    ['2 mon', '2 mons'],
    ['3 day', '3 days'],
    ['4 hour', '04:00:00'],
    ['5 minute', '00:05:00'],
    ['2 m', '00:02:00'],
    ['6 second', '00:00:06'],
    ['6', '00:00:06'],
    ['5minute', '00:05:00'],
    ['1 year 1 month 1 day 1', '1 year 1 mon 1 day 00:00:01'],
    ['1 year 1 month 1 day 1:', '1 year 1 mon 1 day 01:00:00'],
    ['1 year 1 month 1 day 1:1', '1 year 1 mon 1 day 01:01:00'],
    ['1 year 1 month 1 day 1:1:1.009', '1 year 1 mon 1 day 01:01:01.009'],
    ['1 mons 1 days 00:00:00.000001', '1 mon 1 day 00:00:00.000001'],
    ['1 mons 1 days 00:00:00.0000001', '1 mon 1 day'],
    ['4 years 2147483599 mon', '178956970 years 7 mons'],
    ['12:34:56.1234564', '12:34:56.123456'],
    ['12:34:56.1234566', '12:34:56.123457'],
    ['12:34:56.1234565', '12:34:56.123456'],
    ['12:34:56.1234555', '12:34:56.123456'],
    ['P1Y2M3DT4H5M6S', '1 year 2 mons 3 days 04:05:06'],
    ['P0Y0M0DT0H0M0S', '00:00:00'],
    ['P12Y2M30DT4H5M0.1234567S', '12 years 2 mons 30 days 04:05:00.123456'],
    ['PT1H', '01:00:00'],
    ['- 1 year -1 months -       1 days 4 hours 5 minutes 6 seconds', '-1 years -1 mons -1 days +04:05:06'],
    ['1.5 hours', '01:30:00'],
    ['1.5 days', '1 day 12:00:00'],
    ['1.5 months', '1 mon 15 days'],
    ['1.5 years', '1 year 6 mons'],
    ['2 weeks', '14 days'],
    ['-1 year 2 mons', '-10 mons'],
    ['1 day ago', '-1 days'],
    ['@ 1 hour', '01:00:00'],
    ['-3 day', '-3 days'],
    ['1 day -01:02:03', '1 day -01:02:03'],
    ['100 ms', '00:00:00.1'],
    ['0', '00:00:00'],
  ])('%j -> %j', (input, out) => {
    expect(I(input)).toBe(out);
  });

  it('handles the int64 µs boundary', () => {
    // 2^63-1 µs is not exact in a float64; the range check is exact.
    expect(() => Interval.parse('2562047788:00:54.775807')).not.toThrow();
    expect(I('-2562047788:00:54.775808')).toBe('-2562047788:00:54.775808');
    expect(code(() => Interval.parse('2562047788:00:54.775808'))).toBe('22008');
    expect(code(() => Interval.parse('-2562047788:00:54.775809'))).toBe('22008');
    expect(code(() => Interval.parse('4 years 2147483600 mon'))).toBe('22008');
  });

  it('rejects malformed text', () => {
    for (const s of ['P0Y0M0DT0H0M0S1', 'abc', '1 fortnight', '', 'year', '1:60']) {
      expect(code(() => Interval.parse(s)), s).toBe('22007');
    }
  });

  it('applies unit qualifiers', () => {
    expect(I('500', { from: 'year' })).toBe('500 years');
    expect(I('-50', { from: 'month' })).toBe('-4 years -2 mons');
    expect(I('5', { from: 'hour' })).toBe('05:00:00');
    expect(I('5', { from: 'minute' })).toBe('00:05:00');
    expect(I('5', { from: 'second' })).toBe('00:00:05');
    expect(I('1', { from: 'day' })).toBe('1 day');
    expect(I('1:2', { from: 'minute', to: 'second' })).toBe('00:01:02');
    expect(I('1 day 02:03:04', { from: 'day', to: 'minute' })).toBe('1 day 02:03:00');
    expect(I('1 year 2 months', { from: 'year' })).toBe('1 year');
  });
});

describe('Interval formatting', () => {
  it.each([
    [-14, 3, (11 * 3600 + 45 * 60 + 14) * 1e6 + 233, '-1 years -2 mons +3 days 11:45:14.000233'],
    [-14, 3, 0, '-1 years -2 mons +3 days'],
    [0, 0, 0, '00:00:00'],
    [-14, 3, -((11 * 3600 + 45 * 60 + 14) * 1e6 + 233), '-1 years -2 mons +3 days -11:45:14.000233'],
    [1, 2, 3 * 3600e6 + 4 * 60e6 + 5.123456e6, '1 mon 2 days 03:04:05.123456'],
    [0, 1, 3600e6, '1 day 01:00:00'],
    [0, 0, 90 * 3600e6, '90:00:00'],
    [12, 0, 0, '1 year'],
  ])('(%d, %d, %d) -> %s', (m, d, us, out) => {
    expect(new Interval(m, d, us).toString()).toBe(out);
  });

  it('iso 8601', () => {
    expect(Interval.parse('1 year 2 mons 3 days 04:05:06.5').toIso8601()).toBe('P1Y2M3DT4H5M6.5S');
  });
});

describe('Interval arithmetic', () => {
  it('divides like RisingWave (from_floats)', () => {
    expect(Interval.parse('3 mons -3 days').div(2).toString()).toBe('1 mon 14 days -12:00:00');
    const cases: [string, number, string][] = [
      ['00:00:00.000003', 2, '00:00:00.000002'],
      ['00:00:00.000005', 2, '00:00:00.000002'],
      ['1 day', 16384, '00:00:05.273438'],
      ['3 day', 16384, '00:00:15.820312'],
      ['1 month', 32768, '00:01:19.101562'],
      ['3 month', 32768, '00:03:57.304688'],
    ];
    for (const [v, d, out] of cases) expect(Interval.parse(v).div(d).toString()).toBe(out);
    expect(new Interval(1, 2, 33).div(3)).toEqual(new Interval(0, 10, 57600000011));
    expect(new Interval(10, 15, 100).div(2.5)).toEqual(new Interval(4, 6, 40));
    expect(code(() => new Interval(1, 0, 0).div(0))).toBe('22012');
  });

  it('multiplies', () => {
    expect(Interval.parse('3 mins').mul(1.5).toString()).toBe('00:04:30');
    expect(() => Interval.parse('2147483647 mons 2147483647 days').mul(0.999999991)).not.toThrow();
    expect(code(() => Interval.parse('2147483647 mons 2147483647 days').mul(0.999999992))).toBe('22008');
  });

  it('adds, subtracts, negates with overflow checks', () => {
    expect(Interval.parse('1 day').sub(Interval.parse('12 hours')).toString()).toBe('1 day -12:00:00');
    expect(Interval.parse('1 mon 2 days').add(Interval.parse('3 hours')).toString()).toBe('1 mon 2 days 03:00:00');
    expect(Interval.parse('1 mon -2 days').neg().toString()).toBe('-1 mons +2 days');
    expect(code(() => new Interval(2147483647, 0, 0).add(new Interval(1, 0, 0)))).toBe('22008');
  });

  it('compares by justified total', () => {
    const eq = (a: string, b: string) => Interval.parse(a).equals(Interval.parse(b));
    expect(eq('1 month', '30 days')).toBe(true);
    expect(eq('1 day', '24 hours')).toBe(true);
    expect(eq('1 day', '86400 seconds')).toBe(true);
    expect(Interval.parse('31 days').compare(Interval.parse('1 mon'))).toBeGreaterThan(0);
    expect(new Interval(1, 0, 0).compare(new Interval(0, 0, 30 * 86400e6 + 1))).toBeLessThan(0);
    expect(new Interval(2147483647, 2147483647, 0).compare(new Interval(2147483647, 2147483646, 0))).toBeGreaterThan(0);
  });

  it('canonical representative and justify helpers', () => {
    expect(Interval.parse('720 hours').canonical().toString()).toBe('1 mon');
    expect(Interval.parse('30 days').canonical().toString()).toBe('1 mon');
    expect(Interval.parse('-45 days').canonical().toString()).toBe('-1 mons -15 days');
    expect(Interval.parse('27 hours').justifyHours().toString()).toBe('1 day 03:00:00');
    expect(Interval.parse('35 days').justifyDays().toString()).toBe('1 mon 5 days');
    expect(Interval.parse('1 mon -1 hour').justifyInterval().toString()).toBe('29 days 23:00:00');
    expect(Interval.parse('-1 day 1 hour').justifyHours().toString()).toBe('-23:00:00');
  });
});
