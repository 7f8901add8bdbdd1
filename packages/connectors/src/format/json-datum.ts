/**
 * JSON value → datum for a column type, with RisingWave's coercions (its JsonParseOptions
 * DEFAULT for PLAIN/UPSERT JSON and the Debezium variant):
 * - numbers: integers into int/float/decimal columns; strings holding numbers are accepted
 *   (not for Debezium); fractional or out-of-range values into int columns are errors;
 * - booleans: JSON true/false only (Debezium also 0/1);
 * - varchar: strings, and (not Debezium) booleans and numbers as their JSON text;
 * - date/time/timestamp/timestamptz/interval: strings in SQL text form; numbers as
 *   days (date), microseconds (time) or an epoch whose unit is guessed from its magnitude
 *   (seconds, ms, µs, ns), as RisingWave's GuessNumberUnit does;
 * - bytea: PostgreSQL bytea text (`\x…`), or base64 for Debezium;
 * - jsonb: any JSON value (Debezium: a string holding JSON);
 * - struct: an object (or a string holding one) matched by field name case-insensitively;
 *   list: an array.
 * JSON null is SQL NULL. Anything else throws MessageError naming the expected type.
 */
import { daysInMonth, Decimal, type DataType, type Datum, Jsonb, parseDatum, StructValue, typeName } from '@freshet/common';
import { InexactInteger } from './exact-json';
import { MessageError } from './types';

export type JsonMode = 'default' | 'debezium';

/**
 * RFC 3339 with at most millisecond precision and an explicit zone, the usual event-time
 * shape: Date.parse reads it exactly and several times faster than the general parser.
 */
const ISO_MILLIS_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

const E11 = 1e11;
const E14 = 1e14;
const E17 = 1e17;

/** RisingWave's i64_to_timestamptz: the unit of an epoch number guessed from its size, to µs. */
export function epochToMicros(n: number): number {
  const a = Math.abs(n);
  if (a < E11) return n * 1_000_000;
  if (a < E14) return n * 1000;
  if (a < E17) return n;
  return Math.trunc(n / 1000);
}

export function jsonToDatum(v: unknown, t: DataType, mode: JsonMode, timeZone: string): Datum {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return bigintToDatum(v, t);
  const relaxedString = mode === 'default' && typeof v === 'string';
  // No closures here: this runs per field of every message.
  switch (t.kind) {
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (mode === 'debezium' && (v === 0 || v === 1)) return v === 1;
      return typeMismatch(t, v);
    case 'int16':
    case 'int32':
    case 'int64':
    case 'serial':
      if (typeof v === 'number') {
        // Fast path (the common case): an integral JSON number inside the column's range.
        if (!Number.isInteger(v)) return typeMismatch(t, v);
        if (t.kind === 'int64' || t.kind === 'serial') {
          if (Number.isSafeInteger(v)) return BigInt(v);
          if (Math.abs(v) <= 2 ** 63) throw new InexactInteger(); // re-read exactly (exact-json.ts)
          return typeMismatch(t, v);
        }
        const limit = t.kind === 'int16' ? 32768 : 2147483648;
        return v >= -limit && v < limit ? v : typeMismatch(t, v);
      }
      return relaxedString ? parseText(t, (v as string).trim(), timeZone, v) : typeMismatch(t, v);
    case 'float32':
    case 'float64':
      if (typeof v === 'number') return t.kind === 'float32' ? Math.fround(v) : v;
      return relaxedString ? parseText(t, v as string, timeZone, v) : typeMismatch(t, v);
    case 'decimal':
      if (typeof v === 'number') {
        if (Number.isInteger(v) && !Number.isSafeInteger(v)) throw new InexactInteger();
        return Number.isInteger(v) ? Decimal.fromInt(BigInt(v)) : Decimal.fromNumber(v);
      }
      if (typeof v === 'string') {
        if (v === 'NAN') return Decimal.NAN;
        if (v === 'POSITIVE_INFINITY') return Decimal.POSITIVE_INFINITY;
        if (v === 'NEGATIVE_INFINITY') return Decimal.NEGATIVE_INFINITY;
        return parseText(t, v, timeZone, v);
      }
      if (mode === 'debezium' && typeof v === 'object' && !Array.isArray(v)) return debeziumVariableDecimal(v as Record<string, unknown>) ?? typeMismatch(t, v);
      return typeMismatch(t, v);
    case 'varchar':
      if (typeof v === 'string') return v;
      if (mode === 'default' && (typeof v === 'number' || typeof v === 'boolean')) return JSON.stringify(v);
      return typeMismatch(t, v);
    case 'bytea':
      if (typeof v !== 'string') return typeMismatch(t, v);
      return mode === 'debezium' ? new Uint8Array(Buffer.from(v, 'base64')) : parseText(t, v, timeZone, v);
    case 'date':
      if (typeof v === 'number') return Number.isInteger(v) ? v : typeMismatch(t, v);
      return typeof v === 'string' ? parseText(t, v, timeZone, v) : typeMismatch(t, v);
    case 'time':
      if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v < 86_400_000_000 ? v : typeMismatch(t, v);
      return typeof v === 'string' ? parseText(t, v, timeZone, v) : typeMismatch(t, v);
    case 'timestamp':
    case 'timestamptz':
      if (typeof v === 'number') return Number.isInteger(v) ? epochToMicros(v) : typeMismatch(t, v);
      if (typeof v !== 'string') return typeMismatch(t, v);
      if (t.kind === 'timestamptz' && ISO_MILLIS_WITH_ZONE.test(v) && plausibleDateTime(v)) return Date.parse(v) * 1000;
      return parseText(t, v, timeZone, v);
    case 'interval':
      return typeof v === 'string' ? parseText(t, v, timeZone, v) : typeMismatch(t, v);
    case 'jsonb':
      if (mode === 'debezium') {
        if (typeof v !== 'string') return typeMismatch(t, v);
        try {
          return new Jsonb(JSON.parse(v));
        } catch {
          return typeMismatch(t, v);
        }
      }
      return new Jsonb(v);
    case 'list':
      if (!Array.isArray(v)) return typeMismatch(t, v);
      return v.map((e) => jsonToDatum(e, t.elem, mode, timeZone));
    case 'struct': {
      let obj = v;
      if (typeof obj === 'string' && mode === 'default') {
        try {
          obj = JSON.parse(obj);
        } catch {
          return typeMismatch(t, v);
        }
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return typeMismatch(t, v);
      const o = obj as Record<string, unknown>;
      return new StructValue(t.fields.map((f) => jsonToDatum(getField(o, f.name), f.type, mode, timeZone)));
    }
    default:
      return typeMismatch(t, v);
  }
}

/** Date.parse rolls over impossible dates (Feb 30, 24:00); those go to the strict parser. */
function plausibleDateTime(v: string): boolean {
  const month = Number(v.slice(5, 7));
  const day = Number(v.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(v.slice(0, 4)), month) && Number(v.slice(11, 13)) < 24 && Number(v.slice(14, 16)) < 60 && Number(v.slice(17, 19)) < 60;
}

/** An integer beyond ±2^53 from the exact parser. */
function bigintToDatum(v: bigint, t: DataType): Datum {
  switch (t.kind) {
    case 'int64':
    case 'serial':
      return v >= -(2n ** 63n) && v < 2n ** 63n ? v : typeMismatch(t, v);
    case 'decimal':
      return parseText(t, v.toString(), 'UTC', v);
    case 'float32':
    case 'float64':
      return t.kind === 'float32' ? Math.fround(Number(v)) : Number(v);
    case 'varchar':
      return v.toString();
    case 'jsonb':
      return new Jsonb(Number(v));
    default:
      return typeMismatch(t, v);
  }
}

function typeMismatch(t: DataType, v: unknown): never {
  throw new MessageError(`expected ${typeName(t)}, got ${jsonKind(v)} ${preview(v)}`);
}

function parseText(t: DataType, text: string, timeZone: string, original: unknown): Datum {
  try {
    return parseDatum(t, text, timeZone);
  } catch {
    return typeMismatch(t, original);
  }
}

/** Debezium's variable-scale decimal: {"scale": n, "value": base64 of a big-endian two's-complement integer}. */
function debeziumVariableDecimal(o: Record<string, unknown>): Decimal | undefined {
  if (typeof o.scale !== 'number' || typeof o.value !== 'string') return undefined;
  const bytes = Buffer.from(o.value, 'base64');
  if (bytes.length === 0) return undefined;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return new Decimal(n, o.scale);
}

/** A JSON object's field by column name: exact match first, then case-insensitive (RisingWave ignores key case). */
export function getField(o: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  const lower = name.toLowerCase();
  for (const k in o) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function preview(v: unknown): string {
  const s = typeof v === 'bigint' ? v.toString() : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
