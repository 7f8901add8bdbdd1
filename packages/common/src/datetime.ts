/**
 * Dates, times and timestamps: calendar arithmetic, text parsing and formatting, time
 * zones, date_trunc / extract and interval arithmetic. Representations (datum.ts):
 * date = days since 1970-01-01; time = µs since midnight; timestamp = local µs since
 * 1970-01-01 00:00; timestamptz = UTC µs since the epoch. All are plain numbers.
 *
 * Time zones are IANA names resolved through Intl (one cached DateTimeFormat per zone),
 * plus `UTC`/`GMT`/`Z` and fixed ISO offsets (`+08:00`), which skip Intl entirely.
 */
import { Decimal } from './decimal';
import { SqlError, SqlState } from './error';
import { Interval, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC, decimalSecondsToMicros, truncMicros } from './interval';

const USECS_PER_MS = 1000;

// ---------------------------------------------------------------------------------------
// Civil calendar (proleptic Gregorian), after H. Hinnant's days_from_civil.

export interface CivilDate {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

/** Days since 1970-01-01 for a civil date (month 1..12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Splits a timestamp into whole days and µs within the day (0 ≤ µs < 1 day). */
export function splitTimestamp(us: number): [days: number, timeOfDay: number] {
  const days = Math.floor(us / USECS_PER_DAY);
  return [days, us - days * USECS_PER_DAY];
}

export function timestampFromParts(days: number, timeOfDay: number): number {
  return days * USECS_PER_DAY + timeOfDay;
}

/** Date of a timestamp (floor). */
export function timestampToDate(us: number): number {
  return Math.floor(us / USECS_PER_DAY);
}

/** Time of day of a timestamp. */
export function timestampToTime(us: number): number {
  return us - Math.floor(us / USECS_PER_DAY) * USECS_PER_DAY;
}

export function dateToTimestamp(days: number): number {
  return days * USECS_PER_DAY;
}

// ---------------------------------------------------------------------------------------
// Time zones

const FIXED_RE = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/i;

interface Zone {
  name: string;
  /** Fixed offset in seconds east of UTC, or undefined for an Intl-backed zone. */
  fixed?: number;
  fmt?: Intl.DateTimeFormat;
  /** Offset cache keyed by 15-minute UTC bucket (transitions fall on quarter hours). */
  cache?: Map<number, number>;
}

const zones = new Map<string, Zone>();

function invalidTimeZone(name: string): SqlError {
  return new SqlError(SqlState.InvalidParameterValue, `invalid value for parameter "TimeZone": "${name}"`);
}

function lookupZone(name: string): Zone {
  let z = zones.get(name);
  if (z) return z;
  const t = name.trim();
  const upper = t.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z' || upper === 'ETC/UTC' || upper === 'UCT' || upper === 'ZULU') {
    z = { name: 'UTC', fixed: 0 };
  } else {
    const m = FIXED_RE.exec(t);
    if (m) {
      const secs = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
      if (Number(m[2]) > 15) throw invalidTimeZone(name);
      z = { name: t, fixed: m[1] === '-' ? -secs : secs };
    } else {
      let fmt: Intl.DateTimeFormat;
      try {
        fmt = new Intl.DateTimeFormat('en-US', {
          timeZone: t,
          hourCycle: 'h23',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
          era: 'short',
        });
      } catch {
        throw invalidTimeZone(name);
      }
      z = { name: fmt.resolvedOptions().timeZone, fmt, cache: new Map() };
    }
  }
  if (zones.size > 1000) zones.clear();
  zones.set(name, z);
  return z;
}

/** Throws 22023 unless `name` is a known time zone; returns the canonical name. */
export function checkTimeZone(name: string): string {
  return lookupZone(name).name;
}

export function isValidTimeZone(name: string): boolean {
  try {
    lookupZone(name);
    return true;
  } catch {
    return false;
  }
}

function intlOffsetSeconds(z: Zone, utcSeconds: number): number {
  const bucket = Math.floor(utcSeconds / 900);
  const cached = z.cache!.get(bucket);
  if (cached !== undefined) return cached;
  const ms = bucket * 900_000;
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  let bc = false;
  for (const p of z.fmt!.formatToParts(ms)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
      case 'era':
        bc = p.value === 'BC' || p.value === 'B';
        break;
    }
  }
  if (bc) y = 1 - y;
  const localSecs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  const off = localSecs - bucket * 900;
  if (z.cache!.size > 4096) z.cache!.clear();
  z.cache!.set(bucket, off);
  return off;
}

/** UTC offset (seconds east) in effect at a UTC instant (µs). */
export function zoneOffsetSeconds(utcMicros: number, timeZone: string): number {
  const z = lookupZone(timeZone);
  if (z.fixed !== undefined) return z.fixed;
  return intlOffsetSeconds(z, Math.floor(utcMicros / USECS_PER_SEC));
}

/** timestamptz → local timestamp in `timeZone`. */
export function utcToLocal(utcMicros: number, timeZone: string): number {
  return utcMicros + zoneOffsetSeconds(utcMicros, timeZone) * USECS_PER_SEC;
}

/**
 * Local timestamp → timestamptz, resolving DST like PostgreSQL: a time skipped by a
 * spring-forward gap uses the offset before the transition; an ambiguous fall-back time
 * takes the later (post-transition, standard-time) interpretation.
 */
export function localToUtc(localMicros: number, timeZone: string): number {
  const z = lookupZone(timeZone);
  if (z.fixed !== undefined) return localMicros - z.fixed * USECS_PER_SEC;
  const localSecs = Math.floor(localMicros / USECS_PER_SEC);
  const before = intlOffsetSeconds(z, localSecs - 86400);
  const after = intlOffsetSeconds(z, localSecs + 86400);
  if (before === after) return localMicros - before * USECS_PER_SEC;
  const beforeOk = intlOffsetSeconds(z, localSecs - before) === before;
  const afterOk = intlOffsetSeconds(z, localSecs - after) === after;
  if (afterOk) return localMicros - after * USECS_PER_SEC;
  if (beforeOk) return localMicros - before * USECS_PER_SEC;
  return localMicros - before * USECS_PER_SEC;
}

// ---------------------------------------------------------------------------------------
// Formatting

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return n < 1000 ? String(n).padStart(4, '0') : String(n);
}

/** `2020-01-01` (with ` BC` for years ≤ 0, as RisingWave/chrono print them). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  if (year <= 0) return `${pad4(1 - year)}-${pad2(month)}-${pad2(day)} BC`;
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}`;
}

/** `HH:MM:SS` plus `.fff` when the fraction is whole milliseconds, else `.ffffff` (chrono). */
export function formatTime(us: number): string {
  const totalSecs = Math.floor(us / USECS_PER_SEC);
  const frac = Math.round(us - totalSecs * USECS_PER_SEC);
  const h = Math.floor(totalSecs / 3600);
  const m = Math.floor(totalSecs / 60) % 60;
  const s = totalSecs % 60;
  let out = `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
  if (frac !== 0) {
    out += frac % 1000 === 0 ? `.${String(frac / 1000).padStart(3, '0')}` : `.${String(frac).padStart(6, '0')}`;
  }
  return out;
}

/** `2020-01-01 00:00:00[.fff|.ffffff]`. */
export function formatTimestamp(us: number): string {
  const [days, tod] = splitTimestamp(us);
  const { year, month, day } = civilFromDays(days);
  const time = formatTime(tod);
  if (year <= 0) return `${pad4(1 - year)}-${pad2(month)}-${pad2(day)} ${time} BC`;
  return `${pad4(year)}-${pad2(month)}-${pad2(day)} ${time}`;
}

/** `±HH:MM` (seconds, when a historical offset has them, as `:SS`). */
export function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const a = Math.abs(offsetSeconds);
  const h = Math.floor(a / 3600);
  const m = Math.floor(a / 60) % 60;
  const s = a % 60;
  return `${sign}${pad2(h)}:${pad2(m)}${s ? `:${pad2(s)}` : ''}`;
}

/** `2020-01-01 08:00:00+08:00`: the instant shown in `timeZone`. */
export function formatTimestamptz(utcMicros: number, timeZone: string): string {
  const off = zoneOffsetSeconds(utcMicros, timeZone);
  return formatTimestamp(utcMicros + off * USECS_PER_SEC) + formatOffset(off);
}

// ---------------------------------------------------------------------------------------
// Parsing

function invalidSyntax(type: string, text: string): SqlError {
  return new SqlError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type ${type}: "${text}"`);
}

function fieldOutOfRange(text: string): SqlError {
  return new SqlError(SqlState.DatetimeFieldOverflow, `date/time field value out of range: "${text}"`);
}

const DATE_RE = /^(\d{1,7})-(\d{1,2})-(\d{1,2})|^(\d{4})(\d{2})(\d{2})(?![\d:])|^(\d{1,7})\/(\d{1,2})\/(\d{1,2})/;
const TIME_RE = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?/;
const ZONE_NUM_RE = /^([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/;

interface DateTimeParts {
  days?: number;
  time?: number;
  /** Offset seconds east, when the text named a zone or offset. */
  offset?: number;
  zoneName?: string;
  bc?: boolean;
}

function parseDatePart(s: string, text: string, type: string): [days: number, rest: string] {
  const m = DATE_RE.exec(s);
  if (!m) throw invalidSyntax(type, text);
  const y = Number(m[1] ?? m[4] ?? m[7]);
  const mo = Number(m[2] ?? m[5] ?? m[8]);
  const d = Number(m[3] ?? m[6] ?? m[9]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || y < 1) throw fieldOutOfRange(text);
  return [daysFromCivil(y, mo, d), s.slice(m[0].length)];
}

function parseTimePart(s: string, text: string, type: string): [micros: number, rest: string] {
  const m = TIME_RE.exec(s);
  if (!m) throw invalidSyntax(type, text);
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const secMicros = m[3] ? Number(decimalSecondsToMicros(m[3])) : 0;
  if (h > 24 || mi > 59 || secMicros >= 60 * USECS_PER_SEC) throw fieldOutOfRange(text);
  const us = h * USECS_PER_HOUR + mi * USECS_PER_MINUTE + secMicros;
  if (us > USECS_PER_DAY) throw fieldOutOfRange(text);
  return [us, s.slice(m[0].length)];
}

/** A trailing zone: `Z`, `+08`, `+08:00`, `-0530`, `UTC`, `America/New_York`. */
function parseZonePart(s: string, text: string, type: string, parts: DateTimeParts): void {
  const z = s.trim();
  if (z.length === 0) return;
  if (z === 'Z' || z === 'z') {
    parts.offset = 0;
    return;
  }
  const m = ZONE_NUM_RE.exec(z);
  if (m) {
    const h = Number(m[2]);
    if (h > 15) throw new SqlError(SqlState.InvalidTimeZoneDisplacementValue, `time zone displacement out of range: "${text}"`);
    const secs = h * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    parts.offset = m[1] === '-' ? -secs : secs;
    return;
  }
  if (/^[A-Za-z][A-Za-z0-9_/+-]*$/.test(z) && isValidTimeZone(z)) {
    parts.zoneName = z;
    return;
  }
  throw invalidSyntax(type, text);
}

function parseDateTime(text: string, type: string, wantTime: boolean): DateTimeParts {
  let s = text.trim();
  const parts: DateTimeParts = {};
  if (/\s+BC$/i.test(s)) {
    parts.bc = true;
    s = s.replace(/\s+BC$/i, '');
  } else if (/\s+AD$/i.test(s)) {
    s = s.replace(/\s+AD$/i, '');
  }
  const [days, afterDate] = parseDatePart(s, text, type);
  parts.days = days;
  let rest = afterDate;
  if (rest.length > 0) {
    if (rest[0] === 'T' || rest[0] === 't') rest = rest.slice(1);
    else if (/^\s/.test(rest)) rest = rest.trimStart();
    else if (!/^[+-]|^Z$/i.test(rest)) throw invalidSyntax(type, text);
    if (/^\d/.test(rest)) {
      const [us, afterTime] = parseTimePart(rest, text, type);
      parts.time = us;
      rest = afterTime;
    }
    parseZonePart(rest, text, type, parts);
  }
  if (parts.bc) {
    const { year, month, day } = civilFromDays(parts.days);
    parts.days = daysFromCivil(1 - year, month, day);
  }
  void wantTime;
  return parts;
}

/** Date text (`2020-01-01`, `20200101`, `2020/01/01`, optional time part ignored). */
export function parseDate(text: string): number {
  if (text.trim().toLowerCase() === 'epoch') return 0;
  return parseDateTime(text, 'date', false).days!;
}

/** Time text `HH:MM[:SS[.ffffff]]` (a trailing zone is ignored, as PG does for `time`). */
export function parseTime(text: string): number {
  const s = text.trim();
  const [us, rest] = parseTimePart(s, text, 'time without time zone');
  const r = rest.trim();
  if (r.length > 0) {
    const p: DateTimeParts = {};
    parseZonePart(r, text, 'time without time zone', p);
  }
  return us;
}

/** Timestamp text; any zone in the text is ignored (PG semantics for `timestamp`). */
export function parseTimestamp(text: string): number {
  if (text.trim().toLowerCase() === 'epoch') return 0;
  const p = parseDateTime(text, 'timestamp', true);
  return p.days! * USECS_PER_DAY + (p.time ?? 0);
}

/** Timestamptz text; without an explicit zone or offset the text is local to `timeZone`. */
export function parseTimestamptz(text: string, timeZone: string): number {
  if (text.trim().toLowerCase() === 'epoch') return 0;
  const p = parseDateTime(text, 'timestamp with time zone', true);
  const local = p.days! * USECS_PER_DAY + (p.time ?? 0);
  if (p.offset !== undefined) return local - p.offset * USECS_PER_SEC;
  return localToUtc(local, p.zoneName ?? timeZone);
}

// ---------------------------------------------------------------------------------------
// Arithmetic

/** Adds months to a civil date, clamping the day to the target month's length (PG). */
export function addMonthsToDays(days: number, months: number): number {
  if (months === 0) return days;
  const { year, month, day } = civilFromDays(days);
  const total = year * 12 + (month - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  return daysFromCivil(y, m, Math.min(day, daysInMonth(y, m)));
}

function timestampOutOfRange(): SqlError {
  return new SqlError(SqlState.DatetimeFieldOverflow, 'timestamp out of range');
}

/** Roughly years 1..262143 as chrono allows; beyond float64-µs precision anyway. */
const MAX_TS = 8.2e18;
function checkTimestamp(us: number): number {
  if (!(Math.abs(us) <= MAX_TS)) throw timestampOutOfRange();
  return us;
}

/** timestamp + interval: months (day clamped), then days, then µs. */
export function addIntervalToTimestamp(us: number, iv: Interval): number {
  let t = us;
  if (iv.months !== 0) {
    const [days, tod] = splitTimestamp(t);
    t = addMonthsToDays(days, iv.months) * USECS_PER_DAY + tod;
  }
  return checkTimestamp(t + iv.days * USECS_PER_DAY + iv.micros);
}

/**
 * timestamptz + interval: months and days are added on the local calendar of `timeZone`
 * (so '1 day' across a DST change keeps the wall-clock time), µs on the absolute timeline.
 */
export function addIntervalToTimestamptz(utcMicros: number, iv: Interval, timeZone: string): number {
  let t = utcMicros;
  if (iv.months !== 0 || iv.days !== 0) {
    const z = lookupZone(timeZone);
    if (z.fixed !== undefined) {
      t = addIntervalToTimestamp(t, new Interval(iv.months, iv.days, 0));
    } else {
      const local = utcToLocal(t, timeZone);
      const [days, tod] = splitTimestamp(local);
      const moved = (addMonthsToDays(days, iv.months) + iv.days) * USECS_PER_DAY + tod;
      t = localToUtc(moved, timeZone);
    }
  }
  return checkTimestamp(t + iv.micros);
}

/** timestamp - timestamp as PG shows it: whole days plus a time part (justify_hours). */
export function timestampDiff(a: number, b: number): Interval {
  return new Interval(0, 0, a - b).justifyHours();
}

// ---------------------------------------------------------------------------------------
// Fields: date_trunc, extract, date_part

export type DateTimeField =
  | 'microseconds'
  | 'milliseconds'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'quarter'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium'
  | 'dow'
  | 'isodow'
  | 'doy'
  | 'epoch'
  | 'isoyear'
  | 'julian'
  | 'timezone'
  | 'timezone_hour'
  | 'timezone_minute'
  | 'nanosecond';

const FIELD_ALIASES: Record<string, DateTimeField> = {
  microsecond: 'microseconds',
  microseconds: 'microseconds',
  us: 'microseconds',
  usec: 'microseconds',
  usecs: 'microseconds',
  millisecond: 'milliseconds',
  milliseconds: 'milliseconds',
  ms: 'milliseconds',
  msec: 'milliseconds',
  msecs: 'milliseconds',
  second: 'second',
  seconds: 'second',
  sec: 'second',
  secs: 'second',
  s: 'second',
  minute: 'minute',
  minutes: 'minute',
  min: 'minute',
  mins: 'minute',
  m: 'minute',
  hour: 'hour',
  hours: 'hour',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  day: 'day',
  days: 'day',
  d: 'day',
  week: 'week',
  weeks: 'week',
  w: 'week',
  month: 'month',
  months: 'month',
  mon: 'month',
  mons: 'month',
  quarter: 'quarter',
  qtr: 'quarter',
  year: 'year',
  years: 'year',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  decade: 'decade',
  decades: 'decade',
  century: 'century',
  centuries: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
  millenniums: 'millennium',
  dow: 'dow',
  isodow: 'isodow',
  doy: 'doy',
  epoch: 'epoch',
  isoyear: 'isoyear',
  julian: 'julian',
  timezone: 'timezone',
  timezone_hour: 'timezone_hour',
  timezone_minute: 'timezone_minute',
  nanosecond: 'nanosecond',
  nanoseconds: 'nanosecond',
};

/** Resolves a field name (case-insensitive, PG aliases); throws 22023 `unit "x" not recognized`. */
export function parseDateTimeField(name: string): DateTimeField {
  const f = FIELD_ALIASES[name.trim().toLowerCase()];
  if (!f) throw new SqlError(SqlState.InvalidParameterValue, `unit "${name}" not recognized`);
  return f;
}

function unsupportedField(field: string, type: string): SqlError {
  return new SqlError(SqlState.InvalidParameterValue, `unit "${field}" not supported for type ${type}`);
}

/** ISO 8601 week-numbering year and week of a date. */
export function isoWeek(days: number): { isoYear: number; week: number } {
  const dow = (dayOfWeek(days) + 6) % 7; // Monday = 0
  const thursday = days - dow + 3;
  const { year } = civilFromDays(thursday);
  const jan1 = daysFromCivil(year, 1, 1);
  return { isoYear: year, week: Math.floor((thursday - jan1) / 7) + 1 };
}

/** date_trunc on a (local) timestamp. */
export function truncateTimestamp(field: DateTimeField | string, us: number): number {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  const [days, tod] = splitTimestamp(us);
  const base = days * USECS_PER_DAY;
  switch (f) {
    case 'microseconds':
      return us;
    case 'milliseconds':
      return base + Math.floor(tod / USECS_PER_MS) * USECS_PER_MS;
    case 'second':
      return base + Math.floor(tod / USECS_PER_SEC) * USECS_PER_SEC;
    case 'minute':
      return base + Math.floor(tod / USECS_PER_MINUTE) * USECS_PER_MINUTE;
    case 'hour':
      return base + Math.floor(tod / USECS_PER_HOUR) * USECS_PER_HOUR;
    case 'day':
      return base;
    case 'week':
      return (days - ((dayOfWeek(days) + 6) % 7)) * USECS_PER_DAY;
  }
  const { year, month } = civilFromDays(days);
  const startOfYear = (y: number) => daysFromCivil(y, 1, 1) * USECS_PER_DAY;
  switch (f) {
    case 'month':
      return daysFromCivil(year, month, 1) * USECS_PER_DAY;
    case 'quarter':
      return daysFromCivil(year, Math.floor((month - 1) / 3) * 3 + 1, 1) * USECS_PER_DAY;
    case 'year':
      return startOfYear(year);
    case 'decade':
      return startOfYear(Math.floor(year / 10) * 10);
    case 'century':
      return startOfYear(Math.floor((year - 1) / 100) * 100 + 1);
    case 'millennium':
      return startOfYear(Math.floor((year - 1) / 1000) * 1000 + 1);
  }
  throw unsupportedField(String(field), 'timestamp without time zone');
}

/** date_trunc on a timestamptz, truncating on the calendar of `timeZone`. */
export function truncateTimestamptz(field: DateTimeField | string, utcMicros: number, timeZone: string): number {
  const local = utcToLocal(utcMicros, timeZone);
  return localToUtc(truncateTimestamp(field, local), timeZone);
}

/** date_trunc on an interval (PG: drops fields below `field`). */
export function truncateInterval(field: DateTimeField | string, iv: Interval): Interval {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  const t = (n: number, unit: number) => Math.trunc(n / unit) * unit;
  switch (f) {
    case 'microseconds':
      return iv;
    case 'milliseconds':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_MS));
    case 'second':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_SEC));
    case 'minute':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_MINUTE));
    case 'hour':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_HOUR));
    case 'day':
      return new Interval(iv.months, iv.days, 0);
    case 'month':
      return new Interval(iv.months, 0, 0);
    case 'quarter':
      return new Interval(t(iv.months, 3), 0, 0);
    case 'year':
      return new Interval(t(iv.months, 12), 0, 0);
    case 'decade':
      return new Interval(t(iv.months, 120), 0, 0);
    case 'century':
      return new Interval(t(iv.months, 1200), 0, 0);
    case 'millennium':
      return new Interval(t(iv.months, 12000), 0, 0);
  }
  throw unsupportedField(String(field), 'interval');
}

function dec(n: number): Decimal {
  return Decimal.fromInt(n);
}
function decScaled(n: number | bigint, scale: number): Decimal {
  return new Decimal(BigInt(n), scale);
}

function extractDateField(f: DateTimeField, days: number): Decimal | undefined {
  const { year, month, day } = civilFromDays(days);
  switch (f) {
    case 'millennium':
      return dec(year > 0 ? Math.floor((year - 1) / 1000) + 1 : -Math.floor(-year / 1000) - 1);
    case 'century':
      return dec(year > 0 ? Math.floor((year - 1) / 100) + 1 : -Math.floor(-year / 100) - 1);
    case 'decade':
      return dec(Math.floor(year / 10));
    case 'year':
      return dec(year);
    case 'isoyear':
      return dec(isoWeek(days).isoYear);
    case 'quarter':
      return dec(Math.floor((month - 1) / 3) + 1);
    case 'month':
      return dec(month);
    case 'week':
      return dec(isoWeek(days).week);
    case 'day':
      return dec(day);
    case 'doy':
      return dec(days - daysFromCivil(year, 1, 1) + 1);
    case 'dow':
      return dec(dayOfWeek(days));
    case 'isodow':
      return dec(dayOfWeek(days) || 7);
  }
  return undefined;
}

function extractTimeField(f: DateTimeField, tod: number): Decimal | undefined {
  const secNanos = () => BigInt(Math.round(tod % USECS_PER_MINUTE)) * 1000n;
  switch (f) {
    case 'hour':
      return dec(Math.floor(tod / USECS_PER_HOUR));
    case 'minute':
      return dec(Math.floor(tod / USECS_PER_MINUTE) % 60);
    case 'second':
      return decScaled(secNanos(), 9);
    case 'milliseconds':
      return decScaled(secNanos(), 6);
    case 'microseconds':
      return decScaled(secNanos(), 3);
    case 'nanosecond':
      return decScaled(secNanos(), 0);
  }
  return undefined;
}

/** EXTRACT(field FROM date) as numeric (RisingWave: date units, epoch, julian). */
export function extractFromDate(field: DateTimeField | string, days: number): Decimal {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  if (f === 'epoch') return dec(days * 86400);
  if (f === 'julian') return dec(days + 2_440_588);
  const r = extractDateField(f, days);
  if (!r) throw unsupportedField(String(field), 'date');
  return r;
}

/** EXTRACT(field FROM time): seconds with scale 9 like RisingWave (`57.123450000`). */
export function extractFromTime(field: DateTimeField | string, us: number): Decimal {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  if (f === 'epoch') return decScaled(BigInt(Math.round(us)) * 1000n, 9);
  const r = extractTimeField(f, us);
  if (!r) throw unsupportedField(String(field), 'time without time zone');
  return r;
}

/** EXTRACT(field FROM timestamp). */
export function extractFromTimestamp(field: DateTimeField | string, us: number): Decimal {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  const epochNanos = () => decScaled(BigInt(Math.round(us)) * 1000n, 9);
  if (f === 'epoch') return epochNanos();
  if (f === 'julian') return epochNanos().div(dec(86400)).add(dec(2_440_588));
  const [days, tod] = splitTimestamp(us);
  const r = extractDateField(f, days) ?? extractTimeField(f, tod);
  if (!r) throw unsupportedField(String(field), 'timestamp without time zone');
  return r;
}

/** EXTRACT(field FROM timestamptz) in `timeZone` (epoch is zone-independent, scale 6). */
export function extractFromTimestamptz(field: DateTimeField | string, utcMicros: number, timeZone: string): Decimal {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  if (f === 'epoch') return decScaled(BigInt(Math.round(utcMicros)), 6);
  const off = zoneOffsetSeconds(utcMicros, timeZone);
  if (f === 'timezone') return dec(off);
  if (f === 'timezone_hour') return dec(Math.trunc(off / 3600));
  if (f === 'timezone_minute') return dec(Math.trunc((off % 3600) / 60));
  return extractFromTimestamp(f, utcMicros + off * USECS_PER_SEC);
}

/** EXTRACT(field FROM interval), per RisingWave (epoch counts a year as 365.25 days). */
export function extractFromInterval(field: DateTimeField | string, iv: Interval): Decimal {
  const f = typeof field === 'string' ? parseDateTimeField(field) : field;
  const years = Math.trunc(iv.months / 12);
  // Exact for µs beyond 2^53 too: the fields below are small once divided.
  const usecs = iv.isWide ? iv.usecs() : null;
  const secInMicros = usecs === null ? iv.micros % USECS_PER_MINUTE : Number(usecs % BigInt(USECS_PER_MINUTE));
  const wholeUnits = (unit: number) => (usecs === null ? (iv.micros - (iv.micros % unit)) / unit : Number(usecs / BigInt(unit)));
  switch (f) {
    case 'millennium':
      return dec(Math.trunc(years / 1000));
    case 'century':
      return dec(Math.trunc(years / 100));
    case 'decade':
      return dec(Math.trunc(years / 10));
    case 'year':
      return dec(years);
    case 'quarter':
      return dec(Math.trunc((iv.months % 12) / 3) + 1);
    case 'month':
      return dec(iv.months % 12);
    case 'day':
      return dec(iv.days);
    case 'hour':
      return dec(wholeUnits(USECS_PER_HOUR));
    case 'minute':
      return dec(wholeUnits(USECS_PER_MINUTE) % 60);
    case 'second':
      return decScaled(secInMicros, 6);
    case 'milliseconds':
      return decScaled(secInMicros, 3);
    case 'microseconds':
      return dec(secInMicros);
    case 'epoch': {
      // years * 365.25 days + remaining months * 30 days + days, in µs
      const usecs =
        (BigInt(years) * 36525n * BigInt(USECS_PER_DAY)) / 100n +
        BigInt(iv.months % 12) * 30n * BigInt(USECS_PER_DAY) +
        BigInt(iv.days) * BigInt(USECS_PER_DAY) +
        iv.usecs();
      return decScaled(usecs, 6);
    }
  }
  throw unsupportedField(String(field), 'interval');
}
