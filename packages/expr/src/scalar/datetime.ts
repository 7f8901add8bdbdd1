/**
 * Date/time functions and operators. Representations (datum.ts): date = days, time and
 * timestamps = µs, timestamptz in UTC µs; calendar and zone rules come from
 * @freshet/common's datetime helpers. timestamptz arithmetic with months/days and field
 * extraction happen in the session zone (ctx.timeZone).
 */
import {
  addIntervalToTimestamp,
  addIntervalToTimestamptz,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  Decimal,
  extractFromDate,
  extractFromInterval,
  extractFromTime,
  extractFromTimestamp,
  extractFromTimestamptz,
  Interval,
  localToUtc,
  splitTimestamp,
  SqlError,
  SqlState,
  T,
  timestampDiff,
  truncateInterval,
  truncateTimestamp,
  truncateTimestamptz,
  USECS_PER_DAY,
  utcToLocal,
  zoneOffsetSeconds,
  type Datum,
} from '@freshet/common';
import { numericOutOfRange } from '../errors';
import { aliases, fn, type ScalarDef } from './def';
import { formatTimestampPattern, parseTimestampPattern } from './datetime-format';
import { checkInt32 } from './numeric-ops';

const DATE = T.Date;
const TIME = T.Time;
const TS = T.Timestamp;
const TSZ = T.Timestamptz;
const IV = T.Interval;
const V = T.Varchar;
const I = T.Int32;
const F = T.Float64;

const iv = (d: Datum) => d as Interval;
const num = (d: Datum) => d as number;

const wrapTime = (us: number) => ((us % USECS_PER_DAY) + USECS_PER_DAY) % USECS_PER_DAY;

function checkDate(days: number): number {
  // PostgreSQL's date range: 4713 BC .. 5874897 AD.
  if (days < -2_440_588 || days > 2_145_031_948) throw new SqlError(SqlState.DatetimeFieldOverflow, 'date out of range');
  return days;
}

/** Short zone name for TZ in to_char (e.g. UTC, PST, +08). */
function zoneAbbrev(utcMicros: number, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(new Date(utcMicros / 1000));
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
    return name.startsWith('GMT') && name !== 'GMT' ? name.slice(3) : name;
  } catch {
    return timeZone;
  }
}

/** age(a, b): symbolic years/months/days difference, as PostgreSQL computes it. */
function age(a: number, b: number): Interval {
  const neg = a < b;
  const [hi, lo] = neg ? [b, a] : [a, b];
  const [d1, t1] = splitTimestamp(hi);
  const [d0, t0] = splitTimestamp(lo);
  const c1 = civilFromDays(d1);
  const c0 = civilFromDays(d0);
  let micros = t1 - t0;
  let days = c1.day - c0.day;
  let months = (c1.year - c0.year) * 12 + (c1.month - c0.month);
  if (micros < 0) {
    micros += USECS_PER_DAY;
    days--;
  }
  if (days < 0) {
    // borrow the length of the earlier timestamp's month, as PostgreSQL's timestamp_age does
    days += daysInMonth(c0.year, c0.month);
    months--;
  }
  const r = new Interval(months, days, micros);
  return neg ? r.neg() : r;
}

function makeTimestamp(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    throw new SqlError(SqlState.DatetimeFieldOverflow, 'date/time field value out of range');
  }
  return daysFromCivil(y, mo, d) * USECS_PER_DAY + ((h * 60 + mi) * 60) * 1_000_000 + Math.round(s * 1_000_000);
}

function toTimestampFromEpoch(secs: number): Datum {
  if (!Number.isFinite(secs)) throw new SqlError(SqlState.DatetimeFieldOverflow, 'timestamp out of range');
  // rint(), as PostgreSQL: ties go to even (…012.5 µs → …012).
  const us = secs * 1_000_000;
  const r = Math.round(us);
  return r - us === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function datePartFloat(d: Decimal): number {
  return d.toNumber();
}

export const datetimeFunctions: ScalarDef[] = [
  // date ± integer, date - date
  fn('add', [DATE, I], DATE, (a) => checkDate(num(a[0]) + num(a[1]))),
  fn('add', [I, DATE], DATE, (a) => checkDate(num(a[0]) + num(a[1]))),
  fn('subtract', [DATE, I], DATE, (a) => checkDate(num(a[0]) - num(a[1]))),
  fn('subtract', [DATE, DATE], I, (a) => num(a[0]) - num(a[1])),
  // date/time combinations
  fn('add', [DATE, TIME], TS, (a) => num(a[0]) * USECS_PER_DAY + num(a[1])),
  fn('add', [TIME, DATE], TS, (a) => num(a[1]) * USECS_PER_DAY + num(a[0])),
  fn('add', [DATE, IV], TS, (a) => addIntervalToTimestamp(num(a[0]) * USECS_PER_DAY, iv(a[1]))),
  fn('add', [IV, DATE], TS, (a) => addIntervalToTimestamp(num(a[1]) * USECS_PER_DAY, iv(a[0]))),
  fn('subtract', [DATE, IV], TS, (a) => addIntervalToTimestamp(num(a[0]) * USECS_PER_DAY, iv(a[1]).neg())),
  // timestamp ± interval, timestamp - timestamp
  fn('add', [TS, IV], TS, (a) => addIntervalToTimestamp(num(a[0]), iv(a[1]))),
  fn('add', [IV, TS], TS, (a) => addIntervalToTimestamp(num(a[1]), iv(a[0]))),
  fn('subtract', [TS, IV], TS, (a) => addIntervalToTimestamp(num(a[0]), iv(a[1]).neg())),
  fn('subtract', [TS, TS], IV, (a) => timestampDiff(num(a[0]), num(a[1]))),
  // timestamptz ± interval in the session zone
  fn('add', [TSZ, IV], TSZ, (a, ctx) => addIntervalToTimestamptz(num(a[0]), iv(a[1]), ctx.timeZone)),
  fn('add', [IV, TSZ], TSZ, (a, ctx) => addIntervalToTimestamptz(num(a[1]), iv(a[0]), ctx.timeZone)),
  fn('subtract', [TSZ, IV], TSZ, (a, ctx) => addIntervalToTimestamptz(num(a[0]), iv(a[1]).neg(), ctx.timeZone)),
  fn('subtract', [TSZ, TSZ], IV, (a) => timestampDiff(num(a[0]), num(a[1]))),
  // time ± interval, time - time
  fn('add', [TIME, IV], TIME, (a) => wrapTime(num(a[0]) + iv(a[1]).micros)),
  fn('add', [IV, TIME], TIME, (a) => wrapTime(num(a[1]) + iv(a[0]).micros)),
  fn('subtract', [TIME, IV], TIME, (a) => wrapTime(num(a[0]) - iv(a[1]).micros)),
  fn('subtract', [TIME, TIME], IV, (a) => new Interval(0, 0, num(a[0]) - num(a[1]))),
  // interval arithmetic
  fn('add', [IV, IV], IV, (a) => iv(a[0]).add(iv(a[1]))),
  fn('subtract', [IV, IV], IV, (a) => iv(a[0]).sub(iv(a[1]))),
  fn('neg', [IV], IV, (a) => iv(a[0]).neg()),
  fn('multiply', [IV, F], IV, (a) => iv(a[0]).mul(num(a[1]))),
  fn('multiply', [F, IV], IV, (a) => iv(a[1]).mul(num(a[0]))),
  fn('divide', [IV, F], IV, (a) => iv(a[0]).div(num(a[1]))),

  // current time (statement start)
  ...aliases(['now', 'current_timestamp', 'transaction_timestamp', 'statement_timestamp'], [fn('', [], TSZ, (_a, ctx) => ctx.now)]),
  fn('current_date', [], DATE, (_a, ctx) => Math.floor(utcToLocal(ctx.now, ctx.timeZone) / USECS_PER_DAY)),
  ...aliases(['current_time', 'localtime'], [fn('', [], TIME, (_a, ctx) => wrapTime(utcToLocal(ctx.now, ctx.timeZone)))]),
  fn('localtimestamp', [], TS, (_a, ctx) => utcToLocal(ctx.now, ctx.timeZone)),

  // date_trunc
  fn('date_trunc', [V, TS], TS, (a) => truncateTimestamp(a[0] as string, num(a[1]))),
  fn('date_trunc', [V, TSZ], TSZ, (a, ctx) => truncateTimestamptz(a[0] as string, num(a[1]), ctx.timeZone)),
  fn('date_trunc', [V, TSZ, V], TSZ, (a) => truncateTimestamptz(a[0] as string, num(a[1]), a[2] as string)),
  fn('date_trunc', [V, IV], IV, (a) => truncateInterval(a[0] as string, iv(a[1]))),

  // extract (numeric) and date_part (float8)
  fn('extract', [V, DATE], T.Decimal, (a) => extractFromDate(a[0] as string, num(a[1]))),
  fn('extract', [V, TIME], T.Decimal, (a) => extractFromTime(a[0] as string, num(a[1]))),
  fn('extract', [V, TS], T.Decimal, (a) => extractFromTimestamp(a[0] as string, num(a[1]))),
  fn('extract', [V, TSZ], T.Decimal, (a, ctx) => extractFromTimestamptz(a[0] as string, num(a[1]), ctx.timeZone)),
  fn('extract', [V, TSZ, V], T.Decimal, (a) => extractFromTimestamptz(a[0] as string, num(a[1]), a[2] as string)),
  fn('extract', [V, IV], T.Decimal, (a) => extractFromInterval(a[0] as string, iv(a[1]))),
  fn('date_part', [V, DATE], F, (a) => datePartFloat(extractFromDate(a[0] as string, num(a[1])))),
  fn('date_part', [V, TIME], F, (a) => datePartFloat(extractFromTime(a[0] as string, num(a[1])))),
  fn('date_part', [V, TS], F, (a) => datePartFloat(extractFromTimestamp(a[0] as string, num(a[1])))),
  fn('date_part', [V, TSZ], F, (a, ctx) => datePartFloat(extractFromTimestamptz(a[0] as string, num(a[1]), ctx.timeZone))),
  fn('date_part', [V, IV], F, (a) => datePartFloat(extractFromInterval(a[0] as string, iv(a[1])))),

  // conversions
  fn('to_timestamp', [F], TSZ, (a) => toTimestampFromEpoch(num(a[0]))),
  fn('to_timestamp', [V, V], TSZ, (a, ctx) => localToUtc(parseTimestampPattern(a[0] as string, a[1] as string), ctx.timeZone)),
  fn('to_date', [V, V], DATE, (a) => Math.floor(parseTimestampPattern(a[0] as string, a[1] as string) / USECS_PER_DAY)),
  fn('to_char', [TS, V], V, (a) => formatTimestampPattern(num(a[0]), a[1] as string)),
  fn('to_char', [TSZ, V], V, (a, ctx) => {
    const utc = num(a[0]);
    const offsetSeconds = zoneOffsetSeconds(utc, ctx.timeZone);
    return formatTimestampPattern(utc + offsetSeconds * 1_000_000, a[1] as string, {
      offsetSeconds,
      abbrev: zoneAbbrev(utc, ctx.timeZone),
    });
  }),
  fn('to_char', [DATE, V], V, (a) => formatTimestampPattern(num(a[0]) * USECS_PER_DAY, a[1] as string)),
  fn('make_date', [I, I, I], DATE, (a) => {
    const [y, m, d] = [num(a[0]), num(a[1]), num(a[2])];
    if (y === 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y < 0 ? y + 1 : y, m)) {
      throw new SqlError(SqlState.DatetimeFieldOverflow, `date field value out of range: ${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    }
    return daysFromCivil(y < 0 ? y + 1 : y, m, d);
  }),
  fn('make_time', [I, I, F], TIME, (a) => makeTimestamp(1970, 1, 1, num(a[0]), num(a[1]), num(a[2]))),
  fn('make_timestamp', [I, I, I, I, I, F], TS, (a) =>
    makeTimestamp(num(a[0]), num(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5]))),
  fn('make_timestamptz', [I, I, I, I, I, F], TSZ, (a, ctx) =>
    localToUtc(makeTimestamp(num(a[0]), num(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5])), ctx.timeZone)),
  fn('make_timestamptz', [I, I, I, I, I, F, V], TSZ, (a) =>
    localToUtc(makeTimestamp(num(a[0]), num(a[1]), num(a[2]), num(a[3]), num(a[4]), num(a[5])), a[6] as string)),
  fn('make_interval', [I, I, I, I, I, I, F], IV, (a) => {
    const [y, mo, w, d, h, mi] = a.slice(0, 6).map(num);
    const months = checkInt32(y * 12 + mo);
    const days = checkInt32(w * 7 + d);
    const micros = Math.round(((h * 60 + mi) * 60 + num(a[6])) * 1_000_000);
    if (!Number.isFinite(micros)) throw numericOutOfRange();
    return new Interval(months, days, micros);
  }),
  // AT TIME ZONE: timezone(zone, timestamptz) → local timestamp; timezone(zone, timestamp) → timestamptz
  fn('timezone', [V, TSZ], TS, (a) => utcToLocal(num(a[1]), a[0] as string)),
  fn('timezone', [V, TS], TSZ, (a) => localToUtc(num(a[1]), a[0] as string)),
  fn('age', [TS, TS], IV, (a) => age(num(a[0]), num(a[1]))),
  fn('age', [TS], IV, (a, ctx) => age(Math.floor(utcToLocal(ctx.now, ctx.timeZone) / USECS_PER_DAY) * USECS_PER_DAY, num(a[0]))),
  fn('justify_hours', [IV], IV, (a) => iv(a[0]).justifyHours()),
  fn('justify_days', [IV], IV, (a) => iv(a[0]).justifyDays()),
  fn('justify_interval', [IV], IV, (a) => iv(a[0]).justifyInterval()),
];
