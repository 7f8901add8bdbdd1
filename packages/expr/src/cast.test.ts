import {
  type DataType,
  type Datum,
  Decimal,
  Interval,
  Jsonb,
  sqlStateOf,
  StructValue,
  T,
  formatDatum,
  listOf,
  parseDatum,
  structOf,
} from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { type CastContext, canCast, castDatum, commonSupertype } from './cast';
import type { EvalContext } from './context';

const ctx: EvalContext = { timeZone: 'UTC', now: 0 };

/** Cast a text literal to `from`, then to `to`, and print the result as RisingWave would. */
function viaText(text: string, from: DataType, to: DataType, c: EvalContext = ctx): string {
  const v = castDatum(T.Varchar, from, text, c);
  const r = castDatum(from, to, v, c);
  return r === null ? 'NULL' : formatDatum(to, r, c.timeZone);
}

const code = sqlStateOf;

describe('castDatum (cast.slt.part / decimal.slt.part)', () => {
  it.each([
    ['1', T.Int32, T.Int32, '1'],
    ['10', T.Int32, T.Boolean, 't'],
    ['0', T.Int32, T.Boolean, 'f'],
    ['false', T.Boolean, T.Int32, '0'],
    ['true', T.Boolean, T.Int32, '1'],
    ['1.23', T.Float64, T.Varchar, '1.23'],
    ['nan', T.Float32, T.Varchar, 'NaN'],
    ['inf', T.Float32, T.Varchar, 'Infinity'],
    ['-inf', T.Float32, T.Varchar, '-Infinity'],
    ['1.233333333333333321123123123', T.Decimal, T.Varchar, '1.233333333333333321123123123'],
    ['213213', T.Int32, T.Varchar, '213213'],
    ['12:34:56', T.Time, T.Interval, '12:34:56'],
    ['2020-01-01 12:34:56', T.Timestamp, T.Date, '2020-01-01'],
    ['2020-01-01 12:34:56', T.Timestamp, T.Time, '12:34:56'],
    ['50 h', T.Interval, T.Time, '02:00:00'],
    ['-50 h', T.Interval, T.Time, '22:00:00'],
    ['-3 day', T.Interval, T.Varchar, '-3 days'],
    ['2020-01-02 12:34:56 -11:00', T.Timestamptz, T.Varchar, '2020-01-02 23:34:56+00:00'],
    ['-32768', T.Int16, T.Decimal, '-32768'],
    ['-9223372036854775808', T.Int64, T.Decimal, '-9223372036854775808'],
    ['-32768', T.Decimal, T.Int16, '-32768'],
    ['-2147483648', T.Decimal, T.Int32, '-2147483648'],
    ['-9223372036854775808', T.Decimal, T.Int64, '-9223372036854775808'],
    ['1e-28', T.Float32, T.Decimal, '0.0000000000000000000000000001'],
    ['999999', T.Float32, T.Decimal, '999999'],
    ['1e-28', T.Decimal, T.Float32, '1e-28'],
    ['999999', T.Decimal, T.Float32, '999999'],
    ['1e-28', T.Float64, T.Decimal, '0.0000000000000000000000000001'],
    ['999999999999999', T.Float64, T.Decimal, '999999999999999'],
    ['1e-27', T.Decimal, T.Float64, '1e-27'],
    ['79228162514264337593543950335', T.Decimal, T.Float32, '7.9228163e+28'],
    ['79228162514264337593543950335', T.Decimal, T.Float64, '7.922816251426434e+28'],
    ['2.5', T.Float64, T.Int32, '2'],
    ['3.5', T.Float64, T.Int32, '4'],
    ['-2.5', T.Float64, T.Int64, '-2'],
    ['2.5', T.Decimal, T.Int32, '3'],
    ['-2.5', T.Decimal, T.Int32, '-3'],
    ['70000', T.Int32, T.Int64, '70000'],
    ['2020-01-01', T.Date, T.Timestamp, '2020-01-01 00:00:00'],
    ['2020-01-01', T.Date, T.Timestamptz, '2020-01-01 00:00:00+00:00'],
    ['2020-01-01 10:00:00+00', T.Timestamptz, T.Timestamp, '2020-01-01 10:00:00'],
    ['{1,2,NULL}', listOf(T.Int32), listOf(T.Decimal), '{1,2,NULL}'],
    ['{1.5,2.5}', listOf(T.Decimal), listOf(T.Int32), '{2,3}'],
    ['{a,"b c"}', listOf(T.Varchar), T.Varchar, '{a,"b c"}'],
    ['{"a": 1}', T.Jsonb, T.Varchar, '{"a": 1}'],
    ['"abc"', T.Jsonb, T.Varchar, '"abc"'],
    ['true', T.Jsonb, T.Boolean, 't'],
    ['1.5', T.Jsonb, T.Decimal, '1.5'],
    ['1.5', T.Jsonb, T.Int32, '2'],
    ['1e3', T.Jsonb, T.Float64, '1000'],
    ['\\x0102', T.Bytea, T.Varchar, '\\x0102'],
  ])('%j::%o::%o = %s', (text, from, to, out) => {
    expect(viaText(text, from, to)).toBe(out);
  });

  it('round(-0.1::real) prints -0; numeric rounds to 0', () => {
    expect(formatDatum(T.Varchar, castDatum(T.Float32, T.Varchar, Math.round(-0.1) || -0, ctx), 'UTC')).toBe('-0');
    expect(castDatum(T.Decimal, T.Varchar, Decimal.parse('-0.1').round(), ctx)).toBe('0');
  });

  it('out of range is 22003', () => {
    expect(code(() => viaText('32767.5', T.Decimal, T.Int16))).toBe('22003');
    expect(code(() => viaText('2147483647.5', T.Decimal, T.Int32))).toBe('22003');
    expect(code(() => viaText('9223372036854775807.5', T.Decimal, T.Int64))).toBe('22003');
    expect(code(() => viaText('1e29', T.Float32, T.Decimal))).toBe('22003');
    expect(code(() => viaText('70000', T.Int32, T.Int16))).toBe('22003');
    expect(code(() => viaText('1e300', T.Float64, T.Float32))).toBe('22003');
    expect(code(() => viaText('nan', T.Float64, T.Int32))).toBe('22003');
    expect(code(() => viaText('9223372036854775807', T.Float64, T.Int64))).toBe('22003');
  });

  it('bad text is 22P02 / 22007', () => {
    expect(code(() => castDatum(T.Varchar, T.Int32, 'abc', ctx))).toBe('22P02');
    expect(code(() => castDatum(T.Varchar, T.Date, 'abc', ctx))).toBe('22007');
    expect(code(() => castDatum(T.Jsonb, T.Boolean, new Jsonb(1), ctx))).toBe('22023');
  });

  it('timestamptz conversions use the session zone', () => {
    const ny: EvalContext = { timeZone: 'America/New_York', now: 0 };
    expect(viaText('2020-07-01 00:00:00', T.Timestamp, T.Timestamptz, ny)).toBe('2020-07-01 00:00:00-04:00');
    expect(viaText('2020-07-01 02:00:00+00', T.Timestamptz, T.Date, ny)).toBe('2020-06-30');
    expect(viaText('2020-07-01 02:00:00+00', T.Timestamptz, T.Time, ny)).toBe('22:00:00');
  });

  it('NULL stays NULL; structs cast field-wise', () => {
    expect(castDatum(T.Int32, T.Varchar, null, ctx)).toBeNull();
    const from = structOf([{ name: 'a', type: T.Int32 }, { name: 'b', type: T.Varchar }]);
    const to = structOf([{ name: 'a', type: T.Decimal }, { name: 'b', type: T.Varchar }]);
    const r = castDatum(from, to, new StructValue([1, null]), ctx) as StructValue;
    expect((r.fields[0] as Decimal).toString()).toBe('1');
    expect(r.fields[1]).toBeNull();
    expect(castDatum(T.Varchar, from, '(1,x)', ctx)).toEqual(new StructValue([1, 'x']));
    expect(castDatum(from, T.Varchar, new StructValue([1, 'a b']), ctx)).toBe('(1,"a b")');
  });

  it('identity casts return the value', () => {
    const iv = new Interval(1, 2, 3);
    expect(castDatum(T.Interval, T.Interval, iv, ctx)).toBe(iv);
    expect(castDatum(T.Serial, T.Int64, 5n, ctx)).toBe(5n);
    expect(castDatum(T.Int64, T.Serial, 5n, ctx)).toBe(5n);
  });
});

// RisingWave's cast table test (frontend/src/expr/type_inference/cast.rs), same type order.
const ORDER = [T.Boolean, T.Int16, T.Int32, T.Int64, T.Decimal, T.Float32, T.Float64, T.Varchar, T.Date, T.Timestamp, T.Timestamptz, T.Time, T.Interval];
function table(c: CastContext): string[] {
  return ORDER.map((s) => ORDER.map((t) => (s !== t && canCast(s, t, c) ? 'T' : ' ')).join(''));
}

describe('canCast mirrors RisingWave', () => {
  it('implicit', () => {
    expect(table('implicit')).toEqual([
      '             ',
      '  TTTTT      ',
      '   TTTT      ',
      '    TTT      ',
      '     TT      ',
      '      T      ',
      '             ',
      '             ',
      '         TT  ',
      '          T  ',
      '             ',
      '            T',
      '             ',
    ]);
  });
  it('assign', () => {
    expect(table('assign')).toEqual([
      '       T     ',
      '  TTTTTT     ',
      ' T TTTTT     ',
      ' TT TTTT     ',
      ' TTT TTT     ',
      ' TTTT TT     ',
      ' TTTTT T     ',
      '             ',
      '       T TT  ',
      '       TT TT ',
      '       TTT T ',
      '       T    T',
      '       T   T ',
    ]);
  });
  it('explicit', () => {
    expect(table('explicit')).toEqual([
      '  T    T     ',
      '  TTTTTT     ',
      'TT TTTTT     ',
      ' TT TTTT     ',
      ' TTT TTT     ',
      ' TTTT TT     ',
      ' TTTTT T     ',
      'TTTTTTT TTTTT',
      '       T TT  ',
      '       TT TT ',
      '       TTT T ',
      '       T    T',
      '       T   T ',
    ]);
  });

  it('lists, structs, jsonb, unknown', () => {
    expect(canCast(listOf(T.Int32), listOf(T.Int64), 'implicit')).toBe(true);
    expect(canCast(listOf(T.Int64), listOf(T.Int32), 'implicit')).toBe(false);
    expect(canCast(listOf(T.Int32), T.Varchar, 'assign')).toBe(true);
    expect(canCast(T.Varchar, listOf(T.Int32), 'assign')).toBe(false);
    expect(canCast(T.Varchar, listOf(T.Int32), 'explicit')).toBe(true);
    expect(canCast(T.Jsonb, T.Int32, 'explicit')).toBe(true);
    expect(canCast(T.Jsonb, T.Int32, 'assign')).toBe(false);
    expect(canCast(T.Jsonb, T.Varchar, 'assign')).toBe(true);
    expect(canCast(T.Unknown, T.Date, 'implicit')).toBe(true);
    const s1 = structOf([{ name: 'a', type: T.Int32 }]);
    const s2 = structOf([{ name: 'x', type: T.Int64 }]);
    expect(canCast(s1, s2, 'implicit')).toBe(true);
    expect(canCast(s2, s1, 'implicit')).toBe(false);
  });
});

describe('commonSupertype', () => {
  it.each([
    [[T.Int32, T.Int64], T.Int64],
    [[T.Int16, T.Decimal, T.Int32], T.Decimal],
    [[T.Int32, T.Float32], T.Float32],
    [[T.Decimal, T.Float64], T.Float64],
    [[T.Unknown, T.Date], T.Date],
    [[T.Date, T.Timestamptz, T.Timestamp], T.Timestamptz],
    [[T.Unknown, T.Unknown], T.Varchar],
    [[T.Time, T.Interval], T.Interval],
    [[listOf(T.Int32), listOf(T.Decimal)], listOf(T.Decimal)],
  ] as [DataType[], DataType][])('%o -> %o', (types, out) => {
    expect(commonSupertype(types)).toEqual(out);
  });

  it('incompatible types have none', () => {
    expect(commonSupertype([T.Int32, T.Varchar])).toBeUndefined();
    expect(commonSupertype([T.Boolean, T.Int32])).toBeUndefined();
    expect(commonSupertype([T.Date, T.Time])).toBeUndefined();
    expect(commonSupertype([])).toBeUndefined();
  });
});

describe('parse/format round trips through casts', () => {
  const cases: [DataType, string][] = [
    [T.Float64, '0.30000000000000004'],
    [T.Float32, '3.4028235e+38'],
    [T.Decimal, '-0.00100'],
    [T.Interval, '1 year 2 mons -3 days +04:05:06.789'],
    [T.Timestamp, '2020-02-29 23:59:59.999999'],
    [T.Time, '00:00:00.001'],
    [listOf(T.Varchar), '{"a b",NULL,c}'],
  ];
  it.each(cases)('%o %s', (t, s) => {
    const d: Datum = parseDatum(t, s, 'UTC');
    expect(castDatum(t, T.Varchar, d, ctx)).toBe(s);
  });
});
