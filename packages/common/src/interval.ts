/**
 * An interval as PostgreSQL and RisingWave store it: months, days and microseconds are
 * kept apart because a month has no fixed number of days and a day (across a DST change)
 * no fixed number of microseconds. Ranges follow RisingWave: months and days are int32,
 * microseconds int64, exact over the whole range.
 *
 * Microseconds are a float64 (`micros`) whenever that is exact — within ±2^53 µs, about
 * ±285 years, i.e. every interval a query normally meets — so arithmetic, comparison and
 * hashing stay plain float operations (bigint arithmetic measured 10–15× slower for
 * comparison). Beyond that the exact value is also kept as a bigint (`usecs()`), and every
 * operation that must be exact (formatting, parsing, ±, comparison, justification,
 * codecs) takes the bigint path for such values only.
 *
 * Comparison, equality and hashing use the "justified total" (1 month = 30 days,
 * 1 day = 24 h), as PostgreSQL does: '1 mon' = '30 days' = '720 hours'.
 */
import { SqlError, SqlState } from './error';

export const USECS_PER_SEC = 1_000_000;
export const USECS_PER_MINUTE = 60 * USECS_PER_SEC;
export const USECS_PER_HOUR = 3600 * USECS_PER_SEC;
export const USECS_PER_DAY = 86_400 * USECS_PER_SEC;
const USECS_PER_MONTH = 30 * USECS_PER_DAY;
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Fields an interval literal may be qualified with (`INTERVAL '1' DAY`, `HOUR TO SECOND`). */
export type IntervalField = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

export interface IntervalQualifier {
  from: IntervalField;
  to?: IntervalField;
}

export function intervalOutOfRange(): SqlError {
  return new SqlError(SqlState.DatetimeFieldOverflow, 'interval out of range');
}

function invalidInterval(text: string): SqlError {
  return new SqlError(SqlState.InvalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`);
}

function checkI32(n: number): number {
  if (!(n >= I32_MIN && n <= I32_MAX)) throw intervalOutOfRange();
  return n;
}

function checkI64(n: number): number {
  // float64 bounds: ±2^63 itself is out of range.
  if (!(n > -9223372036854775808.0 * (1 + Number.EPSILON) && n < 9223372036854775808.0)) throw intervalOutOfRange();
  return n;
}

function checkI64n(n: bigint): bigint {
  if (n < I64_MIN || n > I64_MAX) throw intervalOutOfRange();
  return n;
}

const MAX_EXACT = Number.MAX_SAFE_INTEGER;
const USECS_PER_DAY_N = BigInt(USECS_PER_DAY);
const USECS_PER_SEC_N = BigInt(USECS_PER_SEC);

/** Plain (non-exponent) rounding to the nearest integer, ties to even (Rust's round_ties_even). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; fix ties that landed on an odd number.
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

export class Interval {
  /**
   * Microseconds as a float64 holding an integer: exact within ±2^53, the nearest double
   * beyond (read `usecs()` where exactness matters).
   */
  readonly micros: number;
  /** The exact microseconds when |µs| > 2^53 − 1, else null. */
  private readonly wide: bigint | null;

  constructor(
    readonly months: number,
    readonly days: number,
    /** Microseconds: a number (taken as is) or a bigint (exact over the int64 range). */
    micros: number | bigint,
  ) {
    if (typeof micros === 'number') {
      this.micros = micros;
      this.wide = null;
    } else {
      this.micros = Number(micros);
      this.wide = micros >= -MAX_EXACT && micros <= MAX_EXACT ? null : micros;
    }
  }

  static readonly ZERO = new Interval(0, 0, 0);

  /** The exact microseconds. */
  usecs(): bigint {
    if (this.wide !== null) return this.wide;
    const m = this.micros;
    return BigInt(Number.isInteger(m) ? m : Math.round(m));
  }

  /** True when the microseconds are beyond ±2^53 (only `usecs()` is exact). */
  get isWide(): boolean {
    return this.wide !== null;
  }

  static fromMicros(micros: number): Interval {
    return new Interval(0, 0, micros);
  }

  /**
   * Parses interval text: PostgreSQL style (`1 year 2 mons -3 days 04:05:06.5`, `1.5 hours`,
   * `@ 1 day ago`), ISO 8601 (`P1Y2M3DT4H5M6S`), or a bare number. With a qualifier
   * (`INTERVAL '5' HOUR`) a bare number is taken in that unit. Throws 22007 / 22008.
   */
  static parse(text: string, qualifier?: IntervalQualifier): Interval {
    const s = text.trim();
    if (s.length === 0) throw invalidInterval(text);
    if (s[0] === 'P' || s[0] === 'p') return parseIso8601(s, text);
    const iv = parsePostgres(s, text, qualifier);
    return qualifier ? truncateToField(iv, qualifier.to ?? qualifier.from) : iv;
  }

  isZero(): boolean {
    return this.months === 0 && this.days === 0 && this.micros === 0;
  }

  add(o: Interval): Interval {
    const months = checkI32(this.months + o.months);
    const days = checkI32(this.days + o.days);
    if (this.wide === null && o.wide === null) {
      // Two integers below 2^53 add exactly as long as the sum is below 2^53 too.
      const us = this.micros + o.micros;
      if (us >= -MAX_EXACT && us <= MAX_EXACT) return new Interval(months, days, us);
    }
    return new Interval(months, days, checkI64n(this.usecs() + o.usecs()));
  }

  sub(o: Interval): Interval {
    const months = checkI32(this.months - o.months);
    const days = checkI32(this.days - o.days);
    if (this.wide === null && o.wide === null) {
      const us = this.micros - o.micros;
      if (us >= -MAX_EXACT && us <= MAX_EXACT) return new Interval(months, days, us);
    }
    return new Interval(months, days, checkI64n(this.usecs() - o.usecs()));
  }

  neg(): Interval {
    const micros = this.wide === null ? checkI64(-this.micros || 0) : checkI64n(-this.wide);
    return new Interval(checkI32(-this.months || 0), checkI32(-this.days || 0), micros);
  }

  /**
   * Multiplies by a number as PostgreSQL/RisingWave do: each unit is scaled separately and
   * fractional months/days cascade down (months → 30-day days → µs), rounded at µs.
   */
  mul(factor: number): Interval {
    return fromFloats(this.months * factor, this.days * factor, this.micros * factor);
  }

  /** Divides by a number; throws 22012 on zero. */
  div(divisor: number): Interval {
    if (divisor === 0) throw new SqlError(SqlState.DivisionByZero, 'Division by zero');
    return fromFloats(this.months / divisor, this.days / divisor, this.micros / divisor);
  }

  /** Total µs with 30-day months and 24-hour days, as a number (may lose precision past 2^53). */
  totalMicros(): number {
    return this.months * USECS_PER_MONTH + this.days * USECS_PER_DAY + this.micros;
  }

  /** Exact total µs (30-day months, 24-hour days): the value PG compares and hashes. */
  totalMicrosExact(): bigint {
    return BigInt(this.months) * BigInt(USECS_PER_MONTH) + BigInt(this.days) * USECS_PER_DAY_N + this.usecs();
  }

  compare(o: Interval): number {
    const a = this.totalMicros();
    const b = o.totalMicros();
    if (Math.abs(a) < 2 ** 52 && Math.abs(b) < 2 ** 52) return a < b ? -1 : a > b ? 1 : 0;
    const x = this.totalMicrosExact();
    const y = o.totalMicrosExact();
    return x < y ? -1 : x > y ? 1 : 0;
  }

  equals(o: Interval): boolean {
    return this.compare(o) === 0;
  }

  /**
   * The representative of this interval's equality class that RisingWave shows after a
   * hash/sort key round trip (DISTINCT, GROUP BY): justified from the total, e.g.
   * '720 hours' → '1 mon'.
   */
  canonical(): Interval {
    const total = this.totalMicrosExact();
    const day = BigInt(USECS_PER_DAY);
    const usecs = total % day;
    const days = total / day;
    const months = days / 30n;
    if (months < BigInt(I32_MIN) || months > BigInt(I32_MAX)) return this;
    return new Interval(Number(months), Number(days % 30n), Number(usecs));
  }

  /** Whole days in the microseconds (truncated) and the rest, exactly. */
  private splitDays(): { days: number; micros: number } {
    if (this.wide === null) {
      const rest = this.micros % USECS_PER_DAY;
      return { days: (this.micros - rest) / USECS_PER_DAY, micros: rest };
    }
    return { days: Number(this.wide / USECS_PER_DAY_N), micros: Number(this.wide % USECS_PER_DAY_N) };
  }

  /** justify_hours: moves whole 24-hour periods into days. */
  justifyHours(): Interval {
    const split = this.splitDays();
    let days = this.days + split.days;
    let micros = split.micros;
    if (days > 0 && micros < 0) {
      micros += USECS_PER_DAY;
      days--;
    } else if (days < 0 && micros > 0) {
      micros -= USECS_PER_DAY;
      days++;
    }
    return new Interval(this.months, checkI32(days), micros || 0);
  }

  /** justify_days: moves whole 30-day periods into months. */
  justifyDays(): Interval {
    let months = this.months + Math.trunc(this.days / 30);
    let days = this.days % 30;
    if (months > 0 && days < 0) {
      days += 30;
      months--;
    } else if (months < 0 && days > 0) {
      days -= 30;
      months++;
    }
    return new Interval(checkI32(months), days || 0, this.wide ?? this.micros);
  }

  /** justify_interval: justify_days and justify_hours with consistent signs. */
  justifyInterval(): Interval {
    let months = this.months;
    let days = this.days;
    const split = this.splitDays();
    let micros = split.micros;
    months += Math.trunc(days / 30);
    days %= 30;
    days += split.days;
    months += Math.trunc(days / 30);
    days %= 30;
    if (months > 0 && (days < 0 || (days === 0 && micros < 0))) {
      days += 30;
      months--;
    } else if (months < 0 && (days > 0 || (days === 0 && micros > 0))) {
      days -= 30;
      months++;
    }
    if (days > 0 && micros < 0) {
      micros += USECS_PER_DAY;
      days--;
    } else if (days < 0 && micros > 0) {
      micros -= USECS_PER_DAY;
      days++;
    }
    return new Interval(checkI32(months), days || 0, micros || 0);
  }

  /** PostgreSQL-style text, as RisingWave prints it: `1 year 2 mons -3 days +04:05:06.5`, `00:00:00`. */
  toString(): string {
    const years = Math.trunc(this.months / 12);
    const mons = this.months % 12;
    let out = '';
    let followingNeg = false;
    const part = (n: number, unit: string) => {
      if (n === 0) return;
      if (out.length > 0) out += ' ';
      if (followingNeg && n > 0) out += '+';
      out += `${n} ${unit}${n === 1 ? '' : 's'}`;
      followingNeg = n < 0;
    };
    part(years, 'year');
    part(mons, 'mon');
    part(this.days, 'day');
    if (this.micros !== 0 || (this.months === 0 && this.days === 0)) {
      if (out.length > 0) out += ' ';
      if (followingNeg && this.micros > 0) out += '+';
      else if (this.micros < 0) out += '-';
      const w = this.wide;
      out += w === null ? formatHms(Math.abs(this.micros)) : formatHmsExact(w < 0n ? -w : w);
    }
    return out;
  }

  /** ISO 8601 form `P1Y2M3DT4H5M6.5S` (RisingWave's as_iso_8601). */
  toIso8601(): string {
    const years = Math.trunc(this.months / 12);
    const months = this.months % 12;
    // As RisingWave: the time fields are printed unsigned (abs of the µs count).
    const us = this.usecs();
    const abs = us < 0n ? -us : us;
    const fract = Number(abs % USECS_PER_SEC_N);
    const totalSecs = abs / USECS_PER_SEC_N;
    const hours = totalSecs / 3600n;
    const minutes = (totalSecs / 60n) % 60n;
    const seconds = totalSecs % 60n;
    const f = fract !== 0 ? `.${String(fract).padStart(6, '0')}`.replace(/0+$/, '') : '';
    return `P${years}Y${months}M${this.days}DT${hours}H${minutes}M${seconds}${f}S`;
  }
}

/** `HH:MM:SS[.ffffff]` for a non-negative µs count given as a bigint. */
export function formatHmsExact(absMicros: bigint): string {
  const secs = absMicros / 1_000_000n;
  const fr = Number(absMicros % 1_000_000n);
  const hours = secs / 3600n;
  const tail = `${String((secs / 60n) % 60n).padStart(2, '0')}:${String(secs % 60n).padStart(2, '0')}`;
  return `${hours < 10n ? '0' : ''}${hours}:${tail}${fr ? `.${String(fr).padStart(6, '0')}`.replace(/0+$/, '') : ''}`;
}

/** `HH:MM:SS[.ffffff]` for a non-negative µs count; hours may exceed 24. */
export function formatHms(absMicros: number): string {
  // Beyond 2^53 float division misrounds: format the double's exact integer value.
  if (absMicros > Number.MAX_SAFE_INTEGER) return formatHmsExact(BigInt(absMicros));
  const totalSecs = Math.floor(absMicros / USECS_PER_SEC);
  const fract = absMicros - totalSecs * USECS_PER_SEC;
  const hours = Math.floor(totalSecs / 3600);
  const minutes = Math.floor(totalSecs / 60) % 60;
  const seconds = totalSecs % 60;
  let s = `${hours < 10 ? '0' : ''}${hours}:${minutes < 10 ? '0' : ''}${minutes}:${seconds < 10 ? '0' : ''}${seconds}`;
  if (fract !== 0) s += `.${String(fract).padStart(6, '0')}`.replace(/0+$/, '');
  return s;
}

/** RisingWave's from_floats: split fractional months into days and fractional days into µs. */
function fromFloats(months: number, days: number, micros: number): Interval {
  const monthsRound = (m: number) => roundHalfEven(m * USECS_PER_MONTH) / USECS_PER_MONTH;
  const daysRound = (d: number) => roundHalfEven(d * USECS_PER_DAY) / USECS_PER_DAY;
  const mr = monthsRound(months);
  const m = Math.trunc(mr);
  if (Number.isNaN(m) || m < I32_MIN || m > I32_MAX) throw intervalOutOfRange();
  const leftover = daysRound((mr - m) * 30);
  const leftoverDays = Math.trunc(leftover);
  const leftoverFract = leftover - leftoverDays;
  const dr = daysRound(days);
  const d = Math.trunc(dr);
  if (Number.isNaN(d) || d < I32_MIN || d > I32_MAX) throw intervalOutOfRange();
  const df = daysRound(dr - d + leftoverFract);
  const dfWhole = Math.trunc(df);
  const totalDays = checkI32(d + leftoverDays + dfWhole);
  const us = roundHalfEven(micros + (df - dfWhole) * USECS_PER_DAY);
  if (Number.isNaN(us)) throw intervalOutOfRange();
  checkI64(us);
  // A float result beyond 2^53 is stored exactly as the integer that double denotes.
  return new Interval(m || 0, totalDays || 0, Math.abs(us) > MAX_EXACT ? BigInt(us) : us || 0);
}

function truncateToField(iv: Interval, field: IntervalField): Interval {
  switch (field) {
    case 'year':
      return new Interval(Math.trunc(iv.months / 12) * 12, 0, 0);
    case 'month':
      return new Interval(iv.months, 0, 0);
    case 'day':
      return new Interval(iv.months, iv.days, 0);
    case 'hour':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_HOUR));
    case 'minute':
      return new Interval(iv.months, iv.days, truncMicros(iv, USECS_PER_MINUTE));
    case 'second':
      return iv;
  }
}

/** The interval's µs truncated (toward zero) to a multiple of `unit` µs, exactly. */
export function truncMicros(iv: Interval, unit: number): number | bigint {
  // `m - m % unit` is exact (fmod is), where `trunc(m / unit)` may round up near 2^53.
  if (!iv.isWide) return iv.micros - (iv.micros % unit) || 0;
  const u = BigInt(unit);
  return (iv.usecs() / u) * u;
}

type Unit =
  | 'microsecond'
  | 'millisecond'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium';

const UNIT_NAMES: Record<string, Unit> = {};
function units(unit: Unit, ...names: string[]) {
  for (const n of names) UNIT_NAMES[n] = unit;
}
units('microsecond', 'microsecond', 'microseconds', 'us', 'usec', 'usecs', 'useconds', 'usecond');
units('millisecond', 'millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'mseconds', 'msecond');
units('second', 'second', 'seconds', 's', 'sec', 'secs');
units('minute', 'minute', 'minutes', 'm', 'min', 'mins');
units('hour', 'hour', 'hours', 'h', 'hr', 'hrs');
units('day', 'day', 'days', 'd');
units('week', 'week', 'weeks', 'w');
units('month', 'month', 'months', 'mon', 'mons');
units('year', 'year', 'years', 'y', 'yr', 'yrs');
units('decade', 'decade', 'decades', 'dec', 'decs');
units('century', 'century', 'centuries', 'c', 'cent');
units('millennium', 'millennium', 'millennia', 'millenniums', 'mil', 'mils');

/** A number too long for a float64 (`'9' × 400`) is out of range, not an internal error. */
function finite(v: number): void {
  if (!Number.isFinite(v)) throw intervalOutOfRange();
}

/** Accumulates interval parts exactly (µs as bigint) so range checks are exact. */
class Acc {
  months = 0;
  days = 0;
  micros = 0n;

  addMonths(v: number) {
    finite(v);
    const whole = Math.trunc(v);
    this.months += whole;
    const fracDays = (v - whole) * 30;
    this.addDays(fracDays);
  }
  addDays(v: number) {
    finite(v);
    const whole = Math.trunc(v);
    this.days += whole;
    this.addMicros((v - whole) * USECS_PER_DAY);
  }
  addMicros(v: number) {
    finite(v);
    this.micros += BigInt(roundHalfEven(v));
  }

  add(value: number, unit: Unit, text: string) {
    switch (unit) {
      case 'millennium':
        return this.addYears(value * 1000);
      case 'century':
        return this.addYears(value * 100);
      case 'decade':
        return this.addYears(value * 10);
      case 'year':
        return this.addYears(value);
      case 'month':
        return this.addMonths(value);
      case 'week':
        return this.addDays(value * 7);
      case 'day':
        return this.addDays(value);
      case 'hour':
        return this.addMicros(value * USECS_PER_HOUR);
      case 'minute':
        return this.addMicros(value * USECS_PER_MINUTE);
      case 'second':
        return this.addMicros(value * USECS_PER_SEC);
      case 'millisecond':
        return this.addMicros(value * 1000);
      case 'microsecond':
        return this.addMicros(value);
    }
    throw invalidInterval(text);
  }
  addYears(v: number) {
    finite(v);
    // PG rounds a fractional year to whole months.
    const whole = Math.trunc(v);
    this.months += whole * 12 + Math.round((v - whole) * 12);
  }

  result(negate: boolean): Interval {
    let { months, days, micros } = this;
    if (negate) {
      months = -months;
      days = -days;
      micros = -micros;
    }
    if (months < I32_MIN || months > I32_MAX || days < I32_MIN || days > I32_MAX || micros < I64_MIN || micros > I64_MAX) {
      throw intervalOutOfRange();
    }
    return new Interval(months || 0, days || 0, micros);
  }
}

const TOKEN_RE = /\s*(?:([+-])\s*)?(?:(\d+(?:\.\d*)?|\.\d+)(?::(\d*)(?::(\d*(?:\.\d*)?))?)?|([a-zA-Z]+)|(@))/y;

/** PostgreSQL-style interval text. */
function parsePostgres(s: string, text: string, qualifier?: IntervalQualifier): Interval {
  const acc = new Acc();
  let negateAll = false;
  let pendingNumber: number | undefined;
  TOKEN_RE.lastIndex = 0;
  let pos = 0;
  let sawAny = false;
  const bareUnit = (): Unit => {
    if (!qualifier) return 'second';
    return (qualifier.to ?? qualifier.from) as Unit;
  };
  while (pos < s.length) {
    TOKEN_RE.lastIndex = pos;
    const m = TOKEN_RE.exec(s);
    if (!m) {
      if (/^\s*$/.test(s.slice(pos))) break;
      throw invalidInterval(text);
    }
    pos = TOKEN_RE.lastIndex;
    const [, sign, num, mins, secs, word, at] = m;
    if (at) {
      if (sign) throw invalidInterval(text);
      continue;
    }
    if (word) {
      if (sign) throw invalidInterval(text);
      const lw = word.toLowerCase();
      if (lw === 'ago') {
        if (pendingNumber !== undefined) {
          acc.add(pendingNumber, bareUnit(), text);
          pendingNumber = undefined;
        }
        negateAll = true;
        continue;
      }
      const unit = UNIT_NAMES[lw];
      if (unit === undefined || pendingNumber === undefined) throw invalidInterval(text);
      acc.add(pendingNumber, unit, text);
      pendingNumber = undefined;
      continue;
    }
    // A number or a time.
    if (pendingNumber !== undefined) {
      acc.add(pendingNumber, bareUnit(), text);
      pendingNumber = undefined;
    }
    sawAny = true;
    const neg = sign === '-';
    if (mins !== undefined) {
      // h:m[:s] (or, under MINUTE TO SECOND, m:s), computed exactly in bigint µs.
      if (!/^\d+$/.test(num)) throw invalidInterval(text);
      const a = BigInt(num);
      const b = mins === '' ? 0n : BigInt(mins);
      const c = secs === undefined || secs === '' ? 0n : decimalSecondsToMicros(secs);
      if (b >= 60n || c >= 61_000_000n) throw invalidInterval(text);
      let us: bigint;
      if (secs === undefined && qualifier?.from === 'minute' && qualifier.to === 'second') {
        us = a * 60_000_000n + b * 1_000_000n;
      } else {
        us = a * 3_600_000_000n + b * 60_000_000n + c;
      }
      acc.micros += neg ? -us : us;
      continue;
    }
    pendingNumber = neg ? -Number(num) : Number(num);
  }
  if (pendingNumber !== undefined) acc.add(pendingNumber, bareUnit(), text);
  if (!sawAny) throw invalidInterval(text);
  return acc.result(negateAll);
}

/** `56.1234565` seconds → µs, rounding the 7th fractional digit half to even. */
export function decimalSecondsToMicros(secs: string): bigint {
  const [whole, frac = ''] = secs.split('.');
  let us = BigInt(whole || '0') * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
  const rest = frac.slice(6);
  if (rest.length > 0) {
    const first = rest.charCodeAt(0) - 48;
    const tail = /[1-9]/.test(rest.slice(1));
    if (first > 5 || (first === 5 && (tail || us % 2n === 1n))) us += 1n;
  }
  return us;
}

const ISO_RE = /^P(?:(-?\d+(?:\.\d+)?)Y)?(?:(-?\d+(?:\.\d+)?)M)?(?:(-?\d+(?:\.\d+)?)W)?(?:(-?\d+(?:\.\d+)?)D)?(?:T(?:(-?\d+(?:\.\d+)?)H)?(?:(-?\d+(?:\.\d+)?)M)?(?:(-?\d+(?:\.\d*)?)S)?)?$/i;

/** ISO 8601 duration `PnYnMnWnDTnHnMnS`; seconds' digits beyond µs are truncated (RisingWave). */
function parseIso8601(s: string, text: string): Interval {
  const m = ISO_RE.exec(s);
  if (!m || s.length === 1 || /T$/i.test(s)) throw invalidInterval(text);
  const acc = new Acc();
  const [, y, mo, w, d, h, mi, sec] = m;
  if (y) acc.addYears(Number(y));
  if (mo) acc.addMonths(Number(mo));
  if (w) acc.addDays(Number(w) * 7);
  if (d) acc.addDays(Number(d));
  if (h) acc.addMicros(Number(h) * USECS_PER_HOUR);
  if (mi) acc.addMicros(Number(mi) * USECS_PER_MINUTE);
  if (sec) {
    const neg = sec.startsWith('-');
    const [whole, frac = ''] = sec.replace('-', '').split('.');
    let us = BigInt(whole) * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
    if (neg) us = -us;
    acc.micros += us;
  }
  return acc.result(false);
}
