/**
 * PostgreSQL's to_char / to_timestamp / to_date template patterns (the common subset):
 * YYYY YYY YY Y, MM, DD, DDD, D, ID, HH24 HH12 HH, MI, SS, MS, US, FF1-FF6 (in any case:
 * `mm` is the month, as in PostgreSQL and RisingWave), AM PM A.M. P.M. (upper or lower), Month MONTH month Mon MON mon, Day DAY day Dy DY dy, Q, WW, IW, J, TZ tz, OF,
 * the FM (no padding) prefix, "quoted text" and backslash escapes.
 */
import { civilFromDays, dayOfWeek, daysFromCivil, isoWeek, SqlError, SqlState, splitTimestamp, USECS_PER_DAY } from '@freshet/common';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Longest first so that `HH24` wins over `HH` and `MONTH` over `MON`. */
const PATTERNS = [
  'HH24', 'HH12', 'HH', 'MI', 'SS', 'MS', 'US', 'FF1', 'FF2', 'FF3', 'FF4', 'FF5', 'FF6',
  'A.M.', 'a.m.', 'P.M.', 'p.m.', 'AM', 'am', 'PM', 'pm',
  'YYYY', 'YYY', 'YY', 'Y', 'MONTH', 'Month', 'month', 'MON', 'Mon', 'mon', 'MM',
  'DAY', 'Day', 'day', 'DY', 'Dy', 'dy', 'DDD', 'DD', 'D', 'ID', 'IW', 'WW', 'Q', 'J', 'TZ', 'tz', 'OF',
];

/** Patterns without a text form are case-insensitive, as in PostgreSQL (`yyyy-mm-dd hh24:mi`). */
const TEXT_PATTERNS = new Set(['A.M.', 'P.M.', 'AM', 'PM', 'MONTH', 'MON', 'DAY', 'DY', 'TZ']);
const CASELESS_PATTERNS = PATTERNS.filter((p) => p === p.toUpperCase() && !TEXT_PATTERNS.has(p));

function matchPattern(fmt: string, at: number): string | undefined {
  const exact = PATTERNS.find((p) => fmt.startsWith(p, at));
  const caseless = CASELESS_PATTERNS.find((p) => fmt.slice(at, at + p.length).toUpperCase() === p);
  if (caseless === undefined) return exact;
  return exact === undefined || caseless.length > exact.length ? caseless : exact;
}

type Token = { kind: 'pat'; pat: string; fm: boolean } | { kind: 'lit'; text: string };

const tokenCache = new Map<string, Token[]>();

function tokenize(fmt: string): Token[] {
  const cached = tokenCache.get(fmt);
  if (cached) return cached;
  const out: Token[] = [];
  let i = 0;
  while (i < fmt.length) {
    if (fmt[i] === '"') {
      const end = fmt.indexOf('"', i + 1);
      out.push({ kind: 'lit', text: fmt.slice(i + 1, end < 0 ? undefined : end) });
      i = end < 0 ? fmt.length : end + 1;
      continue;
    }
    if (fmt[i] === '\\' && i + 1 < fmt.length) {
      out.push({ kind: 'lit', text: fmt[i + 1] });
      i += 2;
      continue;
    }
    let fm = false;
    let j = i;
    if (fmt.startsWith('FM', j) || fmt.startsWith('fm', j)) {
      fm = true;
      j += 2;
    }
    const pat = matchPattern(fmt, j);
    if (pat) {
      out.push({ kind: 'pat', pat, fm });
      i = j + pat.length;
    } else {
      out.push({ kind: 'lit', text: fmt[i] });
      i++;
    }
  }
  if (tokenCache.size > 128) tokenCache.clear();
  tokenCache.set(fmt, out);
  return out;
}

export interface ZoneInfo {
  offsetSeconds: number;
  abbrev: string;
}

function pad(n: number, width: number, fm: boolean): string {
  const s = String(Math.abs(n));
  const body = fm ? s : s.padStart(width, '0');
  return n < 0 ? '-' + body : body;
}

function cased(word: string, pat: string, fm: boolean, width: number): string {
  let w = word;
  if (pat === pat.toUpperCase()) w = word.toUpperCase();
  else if (pat === pat.toLowerCase()) w = word.toLowerCase();
  return fm ? w : w.padEnd(width, ' ');
}

/** to_char over a local timestamp (µs); `zone` for TZ/OF (timestamptz only). */
export function formatTimestampPattern(localMicros: number, fmt: string, zone?: ZoneInfo): string {
  const [days, tod] = splitTimestamp(localMicros);
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(tod / 3_600_000_000);
  const minute = Math.floor(tod / 60_000_000) % 60;
  const second = Math.floor(tod / 1_000_000) % 60;
  const micros = tod % 1_000_000;
  const dow = dayOfWeek(days);
  const doy = days - daysFromCivil(year, 1, 1) + 1;
  let out = '';
  for (const t of tokenize(fmt)) {
    if (t.kind === 'lit') {
      out += t.text;
      continue;
    }
    const fm = t.fm;
    switch (t.pat) {
      case 'YYYY': out += pad(year, 4, fm); break;
      case 'YYY': out += pad(year % 1000, 3, fm); break;
      case 'YY': out += pad(year % 100, 2, fm); break;
      case 'Y': out += pad(year % 10, 1, fm); break;
      case 'MM': out += pad(month, 2, fm); break;
      case 'DD': out += pad(day, 2, fm); break;
      case 'DDD': out += pad(doy, 3, fm); break;
      case 'D': out += String(dow + 1); break;
      case 'ID': out += String(dow === 0 ? 7 : dow); break;
      case 'HH24': out += pad(hour, 2, fm); break;
      case 'HH12': case 'HH': out += pad(hour % 12 === 0 ? 12 : hour % 12, 2, fm); break;
      case 'MI': out += pad(minute, 2, fm); break;
      case 'SS': out += pad(second, 2, fm); break;
      case 'MS': out += pad(Math.floor(micros / 1000), 3, fm); break;
      case 'US': out += pad(micros, 6, fm); break;
      case 'FF1': case 'FF2': case 'FF3': case 'FF4': case 'FF5': case 'FF6': {
        const n = Number(t.pat[2]);
        out += String(Math.floor(micros / 10 ** (6 - n))).padStart(n, '0');
        break;
      }
      case 'AM': case 'PM': out += hour < 12 ? 'AM' : 'PM'; break;
      case 'am': case 'pm': out += hour < 12 ? 'am' : 'pm'; break;
      case 'A.M.': case 'P.M.': out += hour < 12 ? 'A.M.' : 'P.M.'; break;
      case 'a.m.': case 'p.m.': out += hour < 12 ? 'a.m.' : 'p.m.'; break;
      case 'MONTH': case 'Month': case 'month': out += cased(MONTHS[month - 1], t.pat, fm, 9); break;
      case 'MON': case 'Mon': case 'mon': out += cased(MONTHS[month - 1].slice(0, 3), t.pat, true, 3); break;
      case 'DAY': case 'Day': case 'day': out += cased(DAYS[dow], t.pat, fm, 9); break;
      case 'DY': case 'Dy': case 'dy': out += cased(DAYS[dow].slice(0, 3), t.pat, true, 3); break;
      case 'Q': out += String(Math.floor((month - 1) / 3) + 1); break;
      case 'WW': out += pad(Math.floor((doy - 1) / 7) + 1, 2, fm); break;
      case 'IW': out += pad(isoWeek(days).week, 2, fm); break;
      case 'J': out += String(days + 2_440_588); break;
      case 'TZ': out += zone ? zone.abbrev.toUpperCase() : ''; break;
      case 'tz': out += zone ? zone.abbrev.toLowerCase() : ''; break;
      case 'OF': {
        if (!zone) break;
        const o = zone.offsetSeconds;
        const sign = o < 0 ? '-' : '+';
        const a = Math.abs(o);
        out += sign + String(Math.floor(a / 3600)).padStart(2, '0');
        if (a % 3600) out += ':' + String(Math.floor((a % 3600) / 60)).padStart(2, '0');
        break;
      }
    }
  }
  return out;
}

const badInput = (msg: string) => new SqlError(SqlState.InvalidDatetimeFormat, msg);

/**
 * to_timestamp(text, fmt) / to_date: reads fields in template order. Returns a local
 * timestamp (µs) plus an explicit UTC offset if the text carried one (TZH/OF not
 * supported yet: the caller applies the session zone).
 */
export function parseTimestampPattern(text: string, fmt: string): number {
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let micros = 0;
  let pm: boolean | undefined;
  let pos = 0;
  const skipSpaces = () => {
    while (pos < text.length && text[pos] === ' ') pos++;
  };
  const num = (maxDigits: number, label: string): number => {
    skipSpaces();
    const m = new RegExp(`^[+-]?\\d{1,${maxDigits}}`).exec(text.slice(pos));
    if (!m) throw badInput(`invalid value "${text.slice(pos, pos + maxDigits)}" for "${label}"`);
    pos += m[0].length;
    return Number(m[0]);
  };
  const word = (list: string[], abbrev: boolean, label: string): number => {
    skipSpaces();
    const rest = text.slice(pos).toLowerCase();
    for (let i = 0; i < list.length; i++) {
      const w = (abbrev ? list[i].slice(0, 3) : list[i]).toLowerCase();
      if (rest.startsWith(w)) {
        pos += w.length;
        return i;
      }
    }
    throw badInput(`invalid value "${text.slice(pos, pos + 3)}" for "${label}"`);
  };
  for (const t of tokenize(fmt)) {
    if (t.kind === 'lit') {
      if (text[pos] === t.text || (t.text !== ' ' && /[^\w]/.test(t.text) && /[^\w]/.test(text[pos] ?? ''))) pos++;
      else if (t.text === ' ') skipSpaces();
      continue;
    }
    switch (t.pat) {
      case 'YYYY': year = num(4, 'YYYY'); break;
      case 'YYY': year = 2000 + num(3, 'YYY'); break;
      case 'YY': { const y = num(2, 'YY'); year = y < 70 ? 2000 + y : 1900 + y; break; }
      case 'Y': year = 2000 + num(1, 'Y'); break;
      case 'MM': month = num(2, 'MM'); break;
      case 'DD': day = num(2, 'DD'); break;
      case 'HH24': hour = num(2, 'HH24'); break;
      case 'HH12': case 'HH': hour = num(2, t.pat); break;
      case 'MI': minute = num(2, 'MI'); break;
      case 'SS': second = num(2, 'SS'); break;
      case 'MS': micros = num(3, 'MS') * 1000; break;
      case 'US': micros = num(6, 'US'); break;
      case 'FF1': case 'FF2': case 'FF3': case 'FF4': case 'FF5': case 'FF6': {
        const n = Number(t.pat[2]);
        skipSpaces();
        const m = new RegExp(`^\\d{1,${n}}`).exec(text.slice(pos));
        if (m) {
          pos += m[0].length;
          micros = Number(m[0].padEnd(6, '0'));
        }
        break;
      }
      case 'AM': case 'PM': case 'am': case 'pm': case 'A.M.': case 'P.M.': case 'a.m.': case 'p.m.': {
        skipSpaces();
        const m = /^([aApP])\.?[mM]\.?/.exec(text.slice(pos));
        if (!m) throw badInput(`invalid value "${text.slice(pos, pos + 2)}" for "${t.pat}"`);
        pos += m[0].length;
        pm = m[1].toLowerCase() === 'p';
        break;
      }
      case 'MONTH': case 'Month': case 'month': month = word(MONTHS, false, t.pat) + 1; break;
      case 'MON': case 'Mon': case 'mon': month = word(MONTHS, true, t.pat) + 1; break;
      case 'DAY': case 'Day': case 'day': word(DAYS, false, t.pat); break;
      case 'DY': case 'Dy': case 'dy': word(DAYS, true, t.pat); break;
      default:
        throw badInput(`formatting field "${t.pat}" is only supported in to_char`);
    }
  }
  if (pm !== undefined) {
    if (hour < 1 || hour > 12) throw badInput(`hour "${hour}" is invalid for the 12-hour clock`);
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) {
    throw new SqlError(SqlState.DatetimeFieldOverflow, 'date/time field value out of range');
  }
  const days = daysFromCivil(year, month, day);
  return days * USECS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1_000_000 + micros;
}
