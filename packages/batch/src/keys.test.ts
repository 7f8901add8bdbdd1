import { describe, expect, it } from 'vitest';
import { Decimal, Interval, T, formatDatum } from '@freshet/common';
import { keyValue, keyValueFn, singleKey } from './keys';

describe('hash key values', () => {
  it('equal decimals and intervals share a key and come back in one canonical form', () => {
    const a = Decimal.parse('1.10');
    const b = Decimal.parse('1.1');
    expect(singleKey(T.Decimal, a)).toBe(singleKey(T.Decimal, b));
    expect(formatDatum(T.Decimal, keyValue(T.Decimal, a)!, 'UTC')).toBe('1.1');
    const month = new Interval(1, 0, 0);
    const days = new Interval(0, 30, 0);
    expect(singleKey(T.Interval, month)).toBe(singleKey(T.Interval, days));
    expect(formatDatum(T.Interval, keyValue(T.Interval, days)!, 'UTC')).toBe('1 mon');
  });

  it('keyValueFn rewrites only the columns that need it', () => {
    expect(keyValueFn([T.Int32, T.Varchar])).toBeNull();
    const f = keyValueFn([T.Int32, T.Decimal])!;
    const out = f([1, Decimal.parse('2.500')]);
    expect(out[0]).toBe(1);
    expect(formatDatum(T.Decimal, out[1]!, 'UTC')).toBe('2.5');
    expect(keyValue(T.Decimal, null)).toBeNull();
  });
});
