import { describe, expect, it } from 'vitest';
import { daysFromCivil, Interval, T } from '@freshet/common';
import { call, ctx } from '../test-util';

const US = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => (daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1e6;
const V = T.Varchar;

describe('datetime functions', () => {
  it('now() and current_date use the statement start', () => {
    expect(call('now', [], [])).toBe(ctx.now);
    expect(call('current_date', [], [])).toBe(daysFromCivil(2024, 1, 2));
    expect(call('current_date', [], [], { ...ctx, timeZone: 'Pacific/Honolulu' })).toBe(daysFromCivil(2024, 1, 1));
  });

  it('to_timestamp(double) rounds to microseconds', () => {
    expect(call('to_timestamp', [T.Float64], [1262349296.7890123])).toBe(1262349296789012);
    // 1262349296.7890125 * 1e6 is …012.5 in float64: ties round to even, as rint() does.
    expect(call('to_timestamp', [T.Float64], [1262349296.7890125])).toBe(1262349296789012);
    expect(call('to_timestamp', [T.Float64], [0.0000015])).toBe(2);
    expect(call('to_timestamp', [T.Float64], [-0.0000025])).toBe(-2);
  });

  it('timestamptz difference (timestamptz_utc.slt.part)', () => {
    expect(call('subtract', [T.Timestamptz, T.Timestamptz], [1672535000e6, 1672530000e6])).toEqual(new Interval(0, 0, 5000e6));
  });

  it('timestamptz + interval keeps wall-clock time across DST in the session zone', () => {
    const la = { ...ctx, timeZone: 'America/Los_Angeles' };
    const before = US(2022, 3, 13, 9); // 2022-03-13 01:00 PST
    const plusDay = call('add', [T.Timestamptz, T.Interval], [before, new Interval(0, 1, 0)], la) as number;
    expect(plusDay - before).toBe(23 * 3600e6);
    expect(call('add', [T.Timestamptz, T.Interval], [before, new Interval(0, 1, 0)])).toBe(before + 86400e6);
  });

  it('extract and date_part', () => {
    expect(String(call('extract', [V, T.Date], ['year', daysFromCivil(1998, 7, 3)]))).toBe('1998');
    expect(String(call('extract', [V, T.Timestamptz], ['epoch', US(2010, 1, 1, 12, 34, 56) + 789012]))).toBe('1262349296.789012');
    expect(call('date_part', [V, T.Timestamp], ['month', US(2020, 5, 17)])).toBe(5);
  });

  it('date_trunc', () => {
    expect(call('date_trunc', [V, T.Timestamp], ['month', US(2020, 5, 17, 3, 4, 5)])).toBe(US(2020, 5, 1));
    expect(call('date_trunc', [V, T.Timestamptz], ['day', US(2020, 5, 17, 3)], { ...ctx, timeZone: 'Asia/Shanghai' })).toBe(US(2020, 5, 16, 16));
  });

  it('to_char / to_timestamp(text, fmt) / to_date', () => {
    const ts = US(2023, 7, 4, 15, 6, 7) + 123456;
    expect(call('to_char', [T.Timestamp, V], [ts, 'YYYY-MM-DD HH24:MI:SS.US'])).toBe('2023-07-04 15:06:07.123456');
    expect(call('to_char', [T.Timestamp, V], [ts, 'Dy, DD Mon YYYY HH12:MI AM'])).toBe('Tue, 04 Jul 2023 03:06 PM');
    expect(call('to_char', [T.Timestamp, V], [ts, 'FMMonth FMDD "of" YYYY'])).toBe('July 4 of 2023');
    // Numeric patterns ignore case: `mm` is the month (nexmark q16 formats 'HH:mm').
    expect(call('to_char', [T.Timestamp, V], [ts, 'yyyy-mm-dd hh24:mi HH:mm'])).toBe('2023-07-04 15:06 03:07');
    expect(call('to_char', [T.Timestamp, V], [ts, 'Day dy month'])).toBe('Tuesday   tue july     ');
    expect(call('to_char', [T.Timestamptz, V], [ts, 'HH24:MI TZ'])).toBe('15:06 UTC');
    expect(call('to_timestamp', [V, V], ['2023-07-04 15:06:07', 'YYYY-MM-DD HH24:MI:SS'])).toBe(US(2023, 7, 4, 15, 6, 7));
    expect(call('to_date', [V, V], ['05 Dec 2000', 'DD Mon YYYY'])).toBe(daysFromCivil(2000, 12, 5));
  });

  it('make_date, make_timestamp, age, justify', () => {
    expect(call('make_date', [T.Int32, T.Int32, T.Int32], [2013, 7, 15])).toBe(daysFromCivil(2013, 7, 15));
    expect(() => call('make_date', [T.Int32, T.Int32, T.Int32], [2013, 2, 30])).toThrow(/out of range/);
    expect(call('make_timestamp', [T.Int32, T.Int32, T.Int32, T.Int32, T.Int32, T.Float64], [2013, 7, 15, 8, 15, 23.5])).toBe(
      US(2013, 7, 15, 8, 15, 23) + 500000,
    );
    expect(call('age', [T.Timestamp, T.Timestamp], [US(2001, 4, 10), US(1957, 6, 13)])).toEqual(new Interval(43 * 12 + 9, 27, 0));
    expect(call('justify_hours', [T.Interval], [new Interval(0, 0, 27 * 3600e6)])).toEqual(new Interval(0, 1, 3 * 3600e6));
  });
});
