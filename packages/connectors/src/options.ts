/**
 * Typed access to a connector's WITH options (all strings, keys as written), with errors
 * that name the option: a value of the wrong shape is 22023 (invalid_parameter_value), a
 * missing required option 42601 like RisingWave's "missing field `topic`" parse errors.
 */
import { SqlError, SqlState } from '@freshet/common';

export class OptionReader {
  constructor(
    readonly options: Readonly<Record<string, string>>,
    readonly connector: string,
  ) {}

  string(key: string): string | undefined {
    return this.options[key];
  }

  required(key: string): string {
    const v = this.options[key];
    if (v === undefined || v === '') throw missingOption(this.connector, key);
    return v;
  }

  /** A non-negative integer (as a JS number: every count and id here stays below 2^53). */
  nonNegativeInt(key: string): number | undefined {
    const v = this.options[key];
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!/^\+?\d+$/.test(t)) throw invalidOption(key, v, 'a non-negative integer');
    const n = Number(t);
    if (!Number.isSafeInteger(n)) throw invalidOption(key, v, 'an integer below 2^53');
    return n;
  }

  bool(key: string): boolean | undefined {
    const v = this.options[key];
    if (v === undefined) return undefined;
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
    throw invalidOption(key, v, 'true or false');
  }
}

export function missingOption(connector: string, key: string): SqlError {
  return new SqlError(SqlState.SyntaxError, `missing field \`${key}\` for connector '${connector}'`);
}

export function invalidOption(key: string, value: string, expected: string): SqlError {
  return new SqlError(SqlState.InvalidParameterValue, `invalid value '${value}' for option ${key}: expected ${expected}`);
}

/**
 * A humantime-style duration (RisingWave's `max_past`: `'2h 37min'`, `'10s'`, `'1 day'`,
 * `'500ms'`) in milliseconds.
 */
export function parseDuration(key: string, text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6, nsec: 1e-6, nanos: 1e-6,
    us: 1e-3, usec: 1e-3, micros: 1e-3,
    ms: 1, msec: 1, millis: 1,
    s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
    m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
    h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
    d: 86_400_000, day: 86_400_000, days: 86_400_000,
    w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
  };
  const re = /\s*(\d+)\s*([a-z]+)\s*/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  const t = text.trim().toLowerCase();
  while ((m = re.exec(t)) !== null) {
    const unit = units[m[2]];
    if (unit === undefined) throw invalidOption(key, text, 'a duration such as 10s, 5min or 1 day');
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
  }
  if (matched !== t.length || t.length === 0) throw invalidOption(key, text, 'a duration such as 10s, 5min or 1 day');
  return total;
}
