import { describe, expect, it } from 'vitest';
import {
  addIntervalToTimestamp,
  addIntervalToTimestamptz,
  checkTimeZone,
  civilFromDays,
  daysFromCivil,
  extractFromDate,
  extractFromInterval,
  extractFromTime,
  extractFromTimestamp,
  extractFromTimestamptz,
  formatDate,
  formatTime,
  formatTimestamp,
  formatTimestamptz,
  isoWeek,
  localToUtc,
  parseDate,
  parseTime,
  parseTimestamp,
  parseTimestamptz,
  timestampDiff,
  truncateInterval,
  truncateTimestamp,
  truncateTimestamptz,
  utcToLocal,
  zoneOffsetSeconds,
} from './datetime';
import { sqlStateOf } from './error';
import { Interval } from './interval';

const code = sqlStateOf;

const ts = (s: string) => parseTimestamp(s);
const tz = (s: string, zone = 'UTC') => parseTimestamptz(s, zone);

describe('civil calendar', () => {
  it('round-trips days and civil dates', () => {
    for (let d = -800_000; d <= 3_000_000; d += 997) {
      const { year, month, day } = civilFromDays(d);
      expect(daysFromCivil(year, month, day)).toBe(d);
    }
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 1, 1)).toBe(10957);
    expect(civilFromDays(-1)).toEqual({ year: 1969, month: 12, day: 31 });
    expect(civilFromDays(daysFromCivil(2024, 2, 29))).toEqual({ year: 2024, month: 2, day: 29 });
  });

  it('iso weeks', () => {
    expect(isoWeek(daysFromCivil(2021, 11, 22))).toEqual({ isoYear: 2021, week: 47 });
    expect(isoWeek(daysFromCivil(2021, 1, 3))).toEqual({ isoYear: 2020, week: 53 });
    expect(isoWeek(daysFromCivil(2024, 12, 30))).toEqual({ isoYear: 2025, week: 1 });
  });
});

describe('parse and format', () => {
  it.each([
    ['2020-01-01', '2020-01-01'],
    ['  2020-1-2 ', '2020-01-02'],
    ['20200315', '2020-03-15'],
    ['2020/03/15', '2020-03-15'],
    ['1969-12-31', '1969-12-31'],
    ['0001-01-01', '0001-01-01'],
    ['2020-01-01 12:34:56', '2020-01-01'],
    ['epoch', '1970-01-01'],
  ])('date %j -> %s', (input, out) => {
    expect(formatDate(parseDate(input))).toBe(out);
  });

  it('rejects bad dates', () => {
    expect(code(() => parseDate('2020-02-30'))).toBe('22008');
    expect(code(() => parseDate('2020-13-01'))).toBe('22008');
    expect(code(() => parseDate('hello'))).toBe('22007');
    expect(code(() => parseDate('2020-01-01x'))).toBe('22007');
  });

  it.each([
    ['12:34:56', '12:34:56'],
    ['01:02', '01:02:00'],
    ['01:02:03.5', '01:02:03.500'],
    ['01:02:03.123456', '01:02:03.123456'],
    ['01:02:03.1234567', '01:02:03.123457'],
    ['01:02:03.120', '01:02:03.120'],
    ['23:59:59.999999', '23:59:59.999999'],
    ['12:00:00+08', '12:00:00'],
  ])('time %j -> %s', (input, out) => {
    expect(formatTime(parseTime(input))).toBe(out);
  });

  it('rejects bad times', () => {
    expect(code(() => parseTime('25:00:00'))).toBe('22008');
    expect(code(() => parseTime('12:60:00'))).toBe('22008');
    expect(code(() => parseTime('noon'))).toBe('22007');
  });

  it.each([
    ['1999-01-08 04:05:06', '1999-01-08 04:05:06'],
    ['1999-01-08T04:05:06', '1999-01-08 04:05:06'],
    ['2020-01-01', '2020-01-01 00:00:00'],
    ['2020-01-01 00:00:00.5', '2020-01-01 00:00:00.500'],
    ['2020-01-01 00:00:00.000001', '2020-01-01 00:00:00.000001'],
    ['2020-01-01 00:00:00+08', '2020-01-01 00:00:00'],
    ['1900-02-28 23:59:59', '1900-02-28 23:59:59'],
  ])('timestamp %j -> %s', (input, out) => {
    expect(formatTimestamp(ts(input))).toBe(out);
  });

  // timestamptz_utc.slt.part
  it.each([
    ['2022-10-01 12:00:00-08:00', '2022-10-01 20:00:00+00:00'],
    ['2022-10-01 12:00:00+08:00', '2022-10-01 04:00:00+00:00'],
    ['2022-10-01 12:00:00+00:00', '2022-10-01 12:00:00+00:00'],
    ['2022-10-01 12:00:00Z', '2022-10-01 12:00:00+00:00'],
    ['2022-10-01T12:00:00-08:00', '2022-10-01 20:00:00+00:00'],
    ['2022-10-01T12:00:00Z', '2022-10-01 12:00:00+00:00'],
    ['2023-11-05 01:40-07:00', '2023-11-05 08:40:00+00:00'],
    ['2023-11-05 01:40-08:00', '2023-11-05 09:40:00+00:00'],
    ['2020-01-02 12:34:56 -11:00', '2020-01-02 23:34:56+00:00'],
    ['2020-01-01 00:00:00+0530', '2019-12-31 18:30:00+00:00'],
    ['2020-01-01 00:00:00 America/New_York', '2020-01-01 05:00:00+00:00'],
    ['2010-01-01 12:34:56.789012Z', '2010-01-01 12:34:56.789012+00:00'],
  ])('timestamptz %j -> %s', (input, out) => {
    expect(formatTimestamptz(tz(input), 'UTC')).toBe(out);
  });

  it('rejects "0" as a timestamptz', () => {
    expect(code(() => tz('0'))).toBe('22007');
  });

  it('formats timestamptz in the session zone', () => {
    const t = tz('2020-01-01 00:00:00Z');
    expect(formatTimestamptz(t, 'Asia/Shanghai')).toBe('2020-01-01 08:00:00+08:00');
    expect(formatTimestamptz(t, 'America/New_York')).toBe('2019-12-31 19:00:00-05:00');
    expect(formatTimestamptz(t, 'Asia/Kolkata')).toBe('2020-01-01 05:30:00+05:30');
    expect(formatTimestamptz(t, '+03:00')).toBe('2020-01-01 03:00:00+03:00');
    expect(formatTimestamptz(tz('2020-07-01 12:00:00', 'America/New_York'), 'UTC')).toBe('2020-07-01 16:00:00+00:00');
  });

  it('BC dates format with a suffix', () => {
    expect(formatDate(daysFromCivil(0, 1, 1))).toBe('0001-01-01 BC');
    expect(formatDate(parseDate('0001-01-01 BC'))).toBe('0001-01-01 BC');
  });
});

describe('time zones', () => {
  it('validates zone names', () => {
    expect(checkTimeZone('utc')).toBe('UTC');
    expect(checkTimeZone('America/New_York')).toBe('America/New_York');
    expect(code(() => checkTimeZone('Mars/Olympus'))).toBe('22023');
  });

  it('offsets across DST', () => {
    const ny = 'America/New_York';
    expect(zoneOffsetSeconds(tz('2022-01-15 12:00:00Z'), ny)).toBe(-5 * 3600);
    expect(zoneOffsetSeconds(tz('2022-07-15 12:00:00Z'), ny)).toBe(-4 * 3600);
    // 2022-03-13 07:00Z is the spring-forward instant (02:00 EST -> 03:00 EDT)
    expect(zoneOffsetSeconds(tz('2022-03-13 06:59:59Z'), ny)).toBe(-5 * 3600);
    expect(zoneOffsetSeconds(tz('2022-03-13 07:00:00Z'), ny)).toBe(-4 * 3600);
  });

  it('resolves local times like PostgreSQL', () => {
    const ny = 'America/New_York';
    // Gap: 02:30 does not exist on 2022-03-13; PG uses the pre-transition offset (-05).
    expect(formatTimestamptz(localToUtc(ts('2022-03-13 02:30:00'), ny), 'UTC')).toBe('2022-03-13 07:30:00+00:00');
    // Ambiguous: 01:30 on 2022-11-06 happens twice; PG takes the later (standard time, -05).
    expect(formatTimestamptz(localToUtc(ts('2022-11-06 01:30:00'), ny), 'UTC')).toBe('2022-11-06 06:30:00+00:00');
    expect(formatTimestamptz(localToUtc(ts('2022-11-06 00:30:00'), ny), 'UTC')).toBe('2022-11-06 04:30:00+00:00');
    const t = tz('2022-11-06 05:30:00Z');
    expect(formatTimestamp(utcToLocal(t, ny))).toBe('2022-11-06 01:30:00');
    expect(formatTimestamptz(t, ny)).toBe('2022-11-06 01:30:00-04:00');
  });
});

describe('interval arithmetic on timestamps', () => {
  it('adds months with day clamping, then days, then µs', () => {
    const add = (s: string, iv: string) => formatTimestamp(addIntervalToTimestamp(ts(s), Interval.parse(iv)));
    expect(add('2020-01-31 10:00:00', '1 month')).toBe('2020-02-29 10:00:00');
    expect(add('2021-01-31 10:00:00', '1 mon 1 day')).toBe('2021-03-01 10:00:00');
    expect(add('2020-03-31 00:00:00', '-1 month')).toBe('2020-02-29 00:00:00');
    expect(add('2020-01-01 00:00:00', '-1 second')).toBe('2019-12-31 23:59:59');
    expect(add('2020-01-01 00:00:00', '1 year 2 hours')).toBe('2021-01-01 02:00:00');
  });

  it('timestamptz adds days in the session zone', () => {
    const ny = 'America/New_York';
    const t = tz('2022-03-12 12:00:00', ny);
    expect(formatTimestamptz(addIntervalToTimestamptz(t, Interval.parse('1 day'), ny), ny)).toBe('2022-03-13 12:00:00-04:00');
    expect(formatTimestamptz(addIntervalToTimestamptz(t, Interval.parse('24 hours'), ny), ny)).toBe('2022-03-13 13:00:00-04:00');
    // In UTC, 1 day == 24 hours (timestamptz_utc.slt).
    const u = tz('2022-03-13 09:00:00Z');
    const r = addIntervalToTimestamptz(addIntervalToTimestamptz(u, Interval.parse('1 day'), 'UTC'), Interval.parse('-24 hours'), 'UTC');
    expect(formatTimestamptz(r, 'UTC')).toBe('2022-03-13 09:00:00+00:00');
  });

  it('overflow is 22008', () => {
    expect(code(() => addIntervalToTimestamptz(tz('2022-08-09 00:00:00Z'), new Interval(0, -2147483648, 0), 'UTC'))).toBe('22008');
  });

  it('timestamp difference is justified into days', () => {
    expect(timestampDiff(1672535000e6, 1672530000e6).toString()).toBe('01:23:20');
    expect(timestampDiff(ts('2020-01-03 01:00:00'), ts('2020-01-01 00:00:00')).toString()).toBe('2 days 01:00:00');
  });
});

describe('date_trunc', () => {
  const t = ts('2021-11-22 12:04:02.5754');
  it.each([
    ['microseconds', '2021-11-22 12:04:02.575400'],
    ['milliseconds', '2021-11-22 12:04:02.575'],
    ['second', '2021-11-22 12:04:02'],
    ['minute', '2021-11-22 12:04:00'],
    ['hour', '2021-11-22 12:00:00'],
    ['day', '2021-11-22 00:00:00'],
    ['week', '2021-11-22 00:00:00'],
    ['month', '2021-11-01 00:00:00'],
    ['quarter', '2021-10-01 00:00:00'],
    ['year', '2021-01-01 00:00:00'],
    ['decade', '2020-01-01 00:00:00'],
    ['century', '2001-01-01 00:00:00'],
    ['millennium', '2001-01-01 00:00:00'],
  ])('%s', (field, out) => {
    expect(formatTimestamp(truncateTimestamp(field, t))).toBe(out);
  });

  it('week truncates to Monday', () => {
    expect(formatTimestamp(truncateTimestamp('week', ts('2021-11-28 05:00:00')))).toBe('2021-11-22 00:00:00');
  });

  it('timestamptz truncates in the session zone', () => {
    const t2 = tz('2022-07-01 03:00:00Z');
    expect(formatTimestamptz(truncateTimestamptz('day', t2, 'America/New_York'), 'America/New_York')).toBe(
      '2022-06-30 00:00:00-04:00',
    );
  });

  it('interval', () => {
    expect(truncateInterval('hour', Interval.parse('1 year 2 mons 3 days 04:05:06')).toString()).toBe(
      '1 year 2 mons 3 days 04:00:00',
    );
    expect(truncateInterval('year', Interval.parse('1 year 2 mons')).toString()).toBe('1 year');
  });

  it('rejects unknown fields', () => {
    expect(code(() => truncateTimestamp('fortnight', t))).toBe('22023');
  });
});

describe('extract (RisingWave extract.rs expectations)', () => {
  it('date', () => {
    const d = parseDate('2021-11-22');
    const e = (f: string) => extractFromDate(f, d).toString();
    expect([e('day'), e('month'), e('year'), e('dow'), e('doy'), e('millennium'), e('century'), e('decade')]).toEqual([
      '22', '11', '2021', '1', '326', '3', '21', '202',
    ]);
    expect([e('isoyear'), e('quarter'), e('week'), e('isodow'), e('epoch'), e('julian')]).toEqual([
      '2021', '4', '47', '1', '1637539200', '2459541',
    ]);
  });

  it('time', () => {
    const t = parseTime('23:22:57.123450');
    const e = (f: string) => extractFromTime(f, t).toString();
    expect([e('hour'), e('minute'), e('second'), e('millisecond'), e('microsecond'), e('epoch')]).toEqual([
      '23', '22', '57.123450000', '57123.450000', '57123450.000', '84177.123450000',
    ]);
  });

  it('timestamp', () => {
    const t = ts('2021-11-22 12:4:2.575400');
    const e = (f: string) => extractFromTimestamp(f, t).toString();
    expect(e('millennium')).toBe('3');
    expect(e('isoyear')).toBe('2021');
    expect(e('week')).toBe('47');
    expect(e('hour')).toBe('12');
    expect(e('minute')).toBe('4');
    expect(e('second')).toBe('2.575400000');
    expect(e('milliseconds')).toBe('2575.400000');
    expect(e('microseconds')).toBe('2575400.000');
    expect(e('epoch')).toBe('1637582642.575400000');
    expect(e('julian')).toBe('2459541.5028075856481481481481');
  });

  it('timestamptz', () => {
    const t = tz('2010-01-01 12:34:56.789012Z');
    expect(extractFromTimestamptz('epoch', t, 'UTC').toString()).toBe('1262349296.789012');
    const u = tz('2023-06-01 00:00:00Z');
    expect(extractFromTimestamptz('timezone', u, 'PST8PDT').toString()).toBe('-25200');
    expect(extractFromTimestamptz('timezone_hour', u, 'PST8PDT').toString()).toBe('-7');
    expect(extractFromTimestamptz('timezone_minute', u, 'PST8PDT').toString()).toBe('0');
    expect(extractFromTimestamptz('hour', u, 'Asia/Shanghai').toString()).toBe('8');
  });

  it('interval', () => {
    const iv = Interval.parse('2345 years 1 mon 250 days 23:22:57.123450');
    const e = (f: string) => extractFromInterval(f, iv).toString();
    expect([e('millennium'), e('century'), e('decade'), e('year'), e('month'), e('day')]).toEqual([
      '2', '23', '234', '2345', '1', '250',
    ]);
    expect([e('hour'), e('minute'), e('second'), e('millisecond'), e('microsecond'), e('epoch')]).toEqual([
      '23', '22', '57.123450', '57123.450', '57123450', '74026848177.123450',
    ]);
    const neg = Interval.parse('-2345 years -1 mon -250 days -23:22:57.123450');
    expect(extractFromInterval('epoch', neg).toString()).toBe('-74026848177.123450');
    expect(extractFromInterval('second', neg).toString()).toBe('-57.123450');
  });
});
