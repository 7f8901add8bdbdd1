import { describe, expect, it } from 'vitest';
import { Jsonb, StructValue, type Datum } from './datum';
import { Decimal } from './decimal';
import { sqlStateOf } from './error';
import { Interval } from './interval';
import { formatDatum } from './text-format';
import { parseBool, parseBytea, parseDatum } from './text-parse';
import { type DataType, T, listOf, structOf } from './types';

const code = sqlStateOf;

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

const P = (t: DataType, s: string) => parseDatum(t, s, 'UTC');

describe('parseDatum scalars', () => {
  it('booleans', () => {
    for (const s of ['t', 'TRUE', ' yes ', 'on', '1', 'y', 'tr']) expect(parseBool(s), s).toBe(true);
    for (const s of ['f', 'false', 'no', 'off', '0', 'n', 'of']) expect(parseBool(s), s).toBe(false);
    expect(code(() => parseBool('o'))).toBe('22P02');
    expect(message(() => parseBool('maybe'))).toBe('invalid input syntax for type boolean: "maybe"');
  });

  it('integers with range checks', () => {
    expect(P(T.Int16, ' -32768 ')).toBe(-32768);
    expect(P(T.Int32, '+42')).toBe(42);
    expect(P(T.Int64, '9223372036854775807')).toBe(9223372036854775807n);
    expect(P(T.Int64, '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(code(() => P(T.Int16, '32768'))).toBe('22003');
    expect(code(() => P(T.Int32, '2147483648'))).toBe('22003');
    expect(code(() => P(T.Int64, '9223372036854775808'))).toBe('22003');
    expect(message(() => P(T.Int32, 'abc'))).toBe('invalid input syntax for type integer: "abc"');
    expect(message(() => P(T.Int32, '99999999999'))).toBe('value "99999999999" is out of range for type integer');
    expect(code(() => P(T.Int32, '1.5'))).toBe('22P02');
    expect(code(() => P(T.Int32, ''))).toBe('22P02');
  });

  it('floats', () => {
    expect(P(T.Float64, '1.5e3')).toBe(1500);
    expect(P(T.Float64, ' -Infinity ')).toBe(-Infinity);
    expect(P(T.Float64, 'inf')).toBe(Infinity);
    expect(P(T.Float64, 'NaN')).toBeNaN();
    expect(P(T.Float32, '0.1')).toBe(Math.fround(0.1));
    expect(code(() => P(T.Float64, '1e400'))).toBe('22003');
    expect(code(() => P(T.Float32, '1e39'))).toBe('22003');
    expect(code(() => P(T.Float64, 'x1'))).toBe('22P02');
  });

  it('numeric, text, interval, dates', () => {
    expect((P(T.Decimal, '1.50') as Decimal).toString()).toBe('1.50');
    expect(P(T.Varchar, ' keep ')).toBe(' keep ');
    expect((P(T.Interval, '1 day') as Interval).toString()).toBe('1 day');
    expect(formatDatum(T.Date, P(T.Date, '2020-01-01'), 'UTC')).toBe('2020-01-01');
    expect(formatDatum(T.Timestamptz, parseDatum(T.Timestamptz, '2020-01-01 00:00:00', 'Asia/Tokyo'), 'UTC')).toBe(
      '2019-12-31 15:00:00+00:00',
    );
  });

  it('bytea', () => {
    expect([...parseBytea('\\x00ff10')]).toEqual([0, 255, 16]);
    expect([...parseBytea('ab\\000\\\\c')]).toEqual([97, 98, 0, 92, 99]);
    expect([...parseBytea('é')]).toEqual([0xc3, 0xa9]);
    expect(code(() => parseBytea('\\x0'))).toBe('22P02');
    expect(code(() => parseBytea('a\\9'))).toBe('22P02');
  });

  it('jsonb', () => {
    expect((P(T.Jsonb, '{"a": [1, null]}') as Jsonb).value).toEqual({ a: [1, null] });
    expect((P(T.Jsonb, 'null') as Jsonb).value).toBe(null);
    expect(code(() => P(T.Jsonb, '{bad'))).toBe('22P02');
  });
});

describe('arrays and rows', () => {
  it.each([
    [listOf(T.Int32), '{1,2,NULL}', [1, 2, null]],
    [listOf(T.Int32), '{}', []],
    [listOf(T.Int32), ' { 1 , 2 } ', [1, 2]],
    [listOf(T.Varchar), '{a,"b c","","NULL",null,"x\\"y"}', ['a', 'b c', '', 'NULL', null, 'x"y']],
    [listOf(listOf(T.Int32)), '{{1,2},{3,4}}', [[1, 2], [3, 4]]],
  ] as [DataType, string, Datum][])('%o %s', (t, s, v) => {
    expect(P(t, s)).toEqual(v);
  });

  it('rejects malformed arrays', () => {
    for (const s of ['1,2', '{1,2', '{1,,2}', '{1}x', '{{1}}']) {
      expect(code(() => P(listOf(T.Int32), s)), s).toBe('22P02');
    }
  });

  it('rows', () => {
    const st = structOf([
      { name: 'a', type: T.Int32 },
      { name: 'b', type: T.Varchar },
    ]);
    expect(P(st, '(1,abc)')).toEqual(new StructValue([1, 'abc']));
    expect(P(st, '(,"a ""q"" b")')).toEqual(new StructValue([null, 'a "q" b']));
    expect(P(st, '(1,"")')).toEqual(new StructValue([1, '']));
    expect(code(() => P(st, '(1)'))).toBe('22P02');
    expect(code(() => P(st, '1,2'))).toBe('22P02');
  });

  it('round-trips through formatDatum', () => {
    const cases: [DataType, Datum][] = [
      [listOf(T.Varchar), ['a', 'b c', '', 'NULL', null, 'x"y\\z', '{,}']],
      [listOf(listOf(T.Float64)), [[1.5, -0], [NaN, Infinity]]],
      [listOf(T.Interval), [new Interval(1, 2, 3e6)]],
      [structOf([{ name: 'a', type: T.Varchar }, { name: 'b', type: listOf(T.Int32) }]), new StructValue(['x"(y)', [1, null]])],
    ];
    for (const [t, v] of cases) {
      const text = formatDatum(t, v, 'UTC');
      expect(P(t, text), text).toEqual(v);
    }
  });
});
