/**
 * Intervals whose microseconds are beyond ±2^53 (RisingWave's interval µs are a full
 * int64): exact through parsing, formatting, arithmetic, comparison and every encoding.
 */
import { describe, expect, it } from 'vitest';
import { decodeBinary, encodeBinary } from './binary';
import { decodeKey, encodeKey } from './codec/key';
import { decodeRow, encodeRow } from './codec/value';
import { compareDatum, datumKey } from './compare';
import { extractFromInterval, truncateInterval } from './datetime';
import { sqlStateOf } from './error';
import { Interval } from './interval';
import { T } from './types';

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const MAX = Interval.parse('2562047788:00:54.775807');
const MIN = Interval.parse('-2562047788:00:54.775808');
const us = (n: bigint) => new Interval(0, 0, n);

describe('intervals beyond 2^53 µs', () => {
  it('parse and print exactly at the int64 bounds (RisingWave interval.slt)', () => {
    expect(MAX.usecs()).toBe(I64_MAX);
    expect(MAX.toString()).toBe('2562047788:00:54.775807');
    expect(Interval.parse('-2562047788:00:54.775807').toString()).toBe('-2562047788:00:54.775807');
    expect(MIN.usecs()).toBe(I64_MIN);
    expect(MIN.toString()).toBe('-2562047788:00:54.775808');
    expect(sqlStateOf(() => Interval.parse('2562047788:00:54.775808'))).toBe('22008');
    expect(sqlStateOf(() => Interval.parse('-2562047788:00:54.775809'))).toBe('22008');
    expect(Interval.parse('1 year -2 days 2562047787:00:00.000001').toString()).toBe('1 year -2 days +2562047787:00:00.000001');
    expect(MAX.toIso8601()).toBe('P0Y0M0DT2562047788H0M54.775807S');
  });

  it('a bigint within 2^53 is an ordinary interval; a number stays a number', () => {
    expect(us(5n).isWide).toBe(false);
    expect(us(5n).micros).toBe(5);
    expect(us(1n << 53n).isWide).toBe(true);
    expect(new Interval(0, 0, 2 ** 60).usecs()).toBe(1n << 60n);
  });

  it('add, subtract and negate exactly, with exact overflow checks', () => {
    const one = Interval.fromMicros(1);
    expect(MAX.sub(one).usecs()).toBe(I64_MAX - 1n);
    expect(MAX.sub(one).add(one).usecs()).toBe(I64_MAX);
    expect(sqlStateOf(() => MAX.add(one))).toBe('22008');
    expect(MAX.neg().usecs()).toBe(-I64_MAX);
    expect(sqlStateOf(() => MIN.neg())).toBe('22008');
    // Crossing 2^53 from ordinary values.
    const big = Interval.fromMicros(Number.MAX_SAFE_INTEGER);
    expect(big.add(big).usecs()).toBe(2n * BigInt(Number.MAX_SAFE_INTEGER));
    expect(big.add(big).sub(big).isWide).toBe(false);
  });

  it('compare, hash and justify by the exact value', () => {
    const a = us(I64_MAX - 1n);
    expect(MAX.compare(a)).toBe(1);
    expect(a.compare(MAX)).toBe(-1);
    expect(MAX.equals(us(I64_MAX))).toBe(true);
    expect(compareDatum(T.Interval, MAX, a)).toBe(1);
    expect(datumKey(T.Interval, MAX)).not.toEqual(datumKey(T.Interval, a));
    expect(MAX.justifyHours().toString()).toBe('106751991 days 04:00:54.775807');
    expect(MIN.justifyInterval().toString()).toBe('-296533 years -3 mons -21 days -04:00:54.775808');
  });

  it('round trip through the row codec, the key codec (in order) and the binary format', () => {
    const row = [MAX, MIN, us(I64_MAX - 1n), Interval.parse('1 day 01:00:00')];
    const back = decodeRow(encodeRow(row)) as Interval[];
    expect(back.map((x) => [x.months, x.days, x.usecs()])).toEqual(row.map((x) => [x.months, x.days, x.usecs()]));

    const sorted = [MIN, us(-(1n << 60n)), Interval.parse('-1 day'), Interval.ZERO, us(I64_MAX - 1n), MAX];
    const keys = sorted.map((x) => encodeKey([T.Interval], [x]));
    for (let i = 1; i < keys.length; i++) expect(Buffer.compare(keys[i - 1], keys[i]), `key ${i}`).toBe(-1);
    const k = decodeKey([T.Interval], keys[5])[0] as Interval;
    expect(k.equals(MAX)).toBe(true);

    for (const x of [MAX, MIN]) {
      const b = encodeBinary(T.Interval, x);
      expect(b.readBigInt64BE(0)).toBe(x.usecs());
      expect((decodeBinary(T.Interval, b) as Interval).usecs()).toBe(x.usecs());
    }
  });

  it('extract and date_trunc exactly', () => {
    expect(extractFromInterval('epoch', MAX).toString()).toBe('9223372036854.775807');
    expect(extractFromInterval('hour', MAX).toString()).toBe('2562047788');
    expect(extractFromInterval('microseconds', MAX).toString()).toBe('54775807');
    expect(truncateInterval('hour', MAX).toString()).toBe('2562047788:00:00');
    expect(truncateInterval('second', MIN).toString()).toBe('-2562047788:00:54');
  });
});

describe('numbers beyond float64 in interval text', () => {
  it('are out of range (22008), not an internal error', () => {
    const nines = '9'.repeat(400);
    for (const text of [nines, `${nines} days`, `${nines} years`, `${nines} months`, `P${nines}Y`, `PT${nines}H`]) {
      expect(sqlStateOf(() => Interval.parse(text)), text).toBe('22008');
    }
  });
});

describe('just below 2^53 µs', () => {
  it('stay ordinary numbers and split into whole units exactly', () => {
    const iv = Interval.parse('2501999:15:17.25474');
    expect(iv.isWide).toBe(false);
    expect(truncateInterval('hour', iv).toString()).toBe('2501999:00:00');
    expect(extractFromInterval('hour', iv).toString()).toBe('2501999');
    expect(iv.justifyHours().toString()).toBe('104249 days 23:15:17.25474');
    expect(Interval.parse('1 mon 2501999:15:17.25474').justifyDays().toString()).toBe('1 mon 2501999:15:17.25474');
    expect(MAX.justifyDays().usecs()).toBe(I64_MAX);
  });
});
