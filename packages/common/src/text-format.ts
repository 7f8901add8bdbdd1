/**
 * Text output of datums, byte-for-byte as RisingWave prints them (its ToText impls):
 * booleans t/f, floats in ryu's shortest form with a signed two-digit exponent, numerics
 * with their scale, chrono-style fractional seconds, intervals in the postgres style,
 * jsonb with PostgreSQL's `", "`/`": "` separators, arrays and rows with PG quoting.
 */
import { formatDate, formatTime, formatTimestamp, formatTimestamptz } from './datetime';
import type { Datum, Jsonb, StructValue } from './datum';
import type { Decimal } from './decimal';
import type { Interval } from './interval';
import type { DataType } from './types';

/** Text form of a non-null datum; timestamptz is shown in `timeZone`. */
export function formatDatum(t: DataType, d: Datum, timeZone: string): string {
  switch (t.kind) {
    case 'boolean':
      return d ? 't' : 'f';
    case 'int16':
    case 'int32':
    case 'int64':
    case 'serial':
      return String(d);
    case 'float32':
      return formatFloat32(d as number);
    case 'float64':
      return formatFloat64(d as number);
    case 'decimal':
      return (d as Decimal).toString();
    case 'varchar':
    case 'unknown':
      return d as string;
    case 'bytea':
      return formatBytea(d as Uint8Array);
    case 'date':
      return formatDate(d as number);
    case 'time':
      return formatTime(d as number);
    case 'timestamp':
      return formatTimestamp(d as number);
    case 'timestamptz':
      return formatTimestamptz(d as number, timeZone);
    case 'interval':
      return (d as Interval).toString();
    case 'jsonb':
      return formatJsonb((d as Jsonb).value);
    case 'list':
      return formatList(t.elem, d as Datum[], timeZone);
    case 'struct':
      return formatStruct(t.fields, (d as StructValue).fields, timeZone);
  }
}

// ---------------------------------------------------------------------------------------
// Floats (ryu's format, post-processed like RisingWave's to_text.rs)

export function formatFloat64(x: number): string {
  // Fast path (hot when serving float features): for 1e-5 <= |x| < 1e16 the format below
  // is plain positional notation of the shortest round-trip digits, which is exactly what
  // JS's Number#toString produces in that range (it switches to exponents only outside
  // [1e-7, 1e21)). float-format.test.ts checks the equivalence.
  const a = x < 0 ? -x : x;
  if (a >= 1e-5 && a < 1e16) return String(x);
  return formatFloat(x, false);
}

/** The general float formatter, without formatFloat64's fast path (for tests). */
export function formatFloat64Slow(x: number): string {
  return formatFloat(x, false);
}

export function formatFloat32(x: number): string {
  return formatFloat(x, true);
}

function formatFloat(x: number, f32: boolean): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  const a = Math.abs(x);
  let e: string;
  if (f32) {
    const f = Math.fround(a);
    e = f.toExponential(8);
    for (let p = 1; p <= 9; p++) {
      const s = f.toExponential(p - 1);
      if (Math.fround(Number(s)) === f) {
        e = s;
        break;
      }
    }
  } else {
    e = a.toExponential();
  }
  const ePos = e.indexOf('e');
  const digits = e.slice(0, ePos).replace('.', '').replace(/0+$/, '') || '0';
  const exp = Number(e.slice(ePos + 1));
  const len = digits.length;
  const kk = exp + 1; // value = 0.digits × 10^kk
  const maxInt = f32 ? 13 : 16;
  const minFrac = f32 ? -6 : -5;
  let out: string;
  if (kk >= len && kk <= maxInt) {
    out = digits + '0'.repeat(kk - len);
  } else if (kk > 0 && kk <= maxInt) {
    out = `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  } else if (kk > minFrac && kk <= 0) {
    out = `0.${'0'.repeat(-kk)}${digits}`;
  } else {
    const e10 = kk - 1;
    const ae = Math.abs(e10);
    out = `${digits[0]}${len > 1 ? `.${digits.slice(1)}` : ''}e${e10 < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------
// bytea

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `\x0102ff` (PostgreSQL's hex output). */
export function formatBytea(b: Uint8Array): string {
  let s = '\\x';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

// ---------------------------------------------------------------------------------------
// jsonb

/** Key order of a jsonb object: shorter keys first, then bytewise (PostgreSQL's storage order). */
export function compareJsonbKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ba = Buffer.byteLength(a);
  const bb = Buffer.byteLength(b);
  if (ba !== bb) return ba - bb;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** PostgreSQL's jsonb text form: `{"a": 1, "b": [1, 2]}`. */
export function formatJsonb(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatJsonNumber(v);
    case 'bigint':
      return v.toString();
    case 'string':
      return JSON.stringify(v);
  }
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ', ' : '') + formatJsonb(v[i]);
    return `${s}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort(compareJsonbKeys);
  let s = '{';
  for (let i = 0; i < keys.length; i++) s += `${i ? ', ' : ''}${JSON.stringify(keys[i])}: ${formatJsonb(obj[keys[i]])}`;
  return `${s}}`;
}

function formatJsonNumber(n: number): string {
  if (!Number.isFinite(n)) return 'null';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  return formatFloat64(n).replace('e+', 'e');
}

// ---------------------------------------------------------------------------------------
// Arrays and rows

/** Array element quoting: empty, NULL, or containing `{}",\` or whitespace → double-quoted. */
function quoteArrayElement(s: string): string {
  if (s.length === 0 || /[{}",\\\s]/.test(s) || s.toUpperCase() === 'NULL') {
    return `"${s.replace(/["\\]/g, '\\$&')}"`;
  }
  return s;
}

export function formatList(elem: DataType, items: Datum[], timeZone: string): string {
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    if (i) s += ',';
    const v = items[i];
    if (v === null) s += 'NULL';
    else if (elem.kind === 'list') s += formatList(elem.elem, v as Datum[], timeZone);
    else s += quoteArrayElement(formatDatum(elem, v, timeZone));
  }
  return `${s}}`;
}

/** Row field quoting: empty, or containing `()",\` or whitespace → double-quoted ("" and \\ doubled). */
function quoteRowField(s: string): string {
  if (s.length === 0 || /[(),"\\\s]/.test(s)) return `"${s.replace(/["\\]/g, '$&$&')}"`;
  return s;
}

export function formatStruct(fields: readonly { type: DataType }[], values: Datum[], timeZone: string): string {
  let s = '(';
  for (let i = 0; i < fields.length; i++) {
    if (i) s += ',';
    const v = values[i];
    if (v !== null && v !== undefined) s += quoteRowField(formatDatum(fields[i].type, v, timeZone));
  }
  return `${s})`;
}
