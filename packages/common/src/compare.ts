/**
 * Total order, equality and hash keys over non-null datums, as PostgreSQL sorts them:
 * floats put NaN above everything and treat -0 = 0; numerics compare by value
 * (1.10 = 1.1); intervals by their justified total ('1 mon' = '30 days'); strings by code
 * point (RisingWave's C collation); lists and structs element-wise with NULLs last.
 */
import type { Datum, Jsonb, StructValue } from './datum';
import type { Decimal } from './decimal';
import type { Interval } from './interval';
import { compareJsonbKeys, formatBytea } from './text-format';
import type { DataType } from './types';

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Float order: NaN equal to itself and greater than everything; -0 = 0. */
export function compareFloat(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const an = a !== a;
  const bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

/** Remaps UTF-16 units so that surrogates (code points > U+FFFF) sort after U+E000..U+FFFF. */
function codePointFixup(c: number): number {
  return c >= 0xd800 ? (c >= 0xe000 ? c - 0x800 : c + 0x2000) : c;
}

/** Code point order (UTF-8 byte order), which differs from UTF-16 order only around surrogates. */
export function compareString(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointFixup(x) - codePointFixup(y);
  }
  return a.length - b.length;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Negative, zero or positive; both non-null. */
export function compareDatum(t: DataType, a: Datum, b: Datum): number {
  switch (t.kind) {
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'int16':
    case 'int32':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return cmpNum(a as number, b as number);
    case 'int64':
    case 'serial':
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case 'float32':
    case 'float64':
      return compareFloat(a as number, b as number);
    case 'decimal':
      return (a as Decimal).compare(b as Decimal);
    case 'varchar':
    case 'unknown':
      return compareString(a as string, b as string);
    case 'bytea':
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case 'interval':
      return (a as Interval).compare(b as Interval);
    case 'jsonb':
      return compareJson((a as Jsonb).value, (b as Jsonb).value);
    case 'list':
      return compareLists(t.elem, a as Datum[], b as Datum[]);
    case 'struct': {
      const x = (a as StructValue).fields;
      const y = (b as StructValue).fields;
      for (let i = 0; i < t.fields.length; i++) {
        const c = compareNullable(t.fields[i].type, x[i], y[i]);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

/** NULLs sort after every value (PG's default for ASC and inside arrays/rows). */
export function compareNullable(t: DataType, a: Datum | undefined, b: Datum | undefined): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return compareDatum(t, a, b);
}

function compareLists(elem: DataType, a: Datum[], b: Datum[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareNullable(elem, a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** jsonb order (PG): object > array > boolean > number > string > null; then by content. */
function jsonRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'string':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'boolean':
      return 3;
  }
  return Array.isArray(v) ? 4 : 5;
}

export function compareJson(a: unknown, b: unknown): number {
  const ra = jsonRank(a);
  const rb = jsonRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1: {
      // PG compares jsonb strings by length first when used as keys, but as values by collation.
      return compareString(a as string, b as string);
    }
    case 2:
      return compareFloat(Number(a), Number(b));
    case 3:
      return a === b ? 0 : a ? 1 : -1;
    case 4: {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const c = compareJson(x[i], y[i]);
        if (c !== 0) return c;
      }
      return 0;
    }
    default: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort(compareJsonbKeys);
      const ky = Object.keys(y).sort(compareJsonbKeys);
      if (kx.length !== ky.length) return kx.length - ky.length;
      for (let i = 0; i < kx.length; i++) {
        const c = compareJsonbKeys(kx[i], ky[i]);
        if (c !== 0) return c;
        const d = compareJson(x[kx[i]], y[ky[i]]);
        if (d !== 0) return d;
      }
      return 0;
    }
  }
}

export function datumEquals(t: DataType, a: Datum, b: Datum): boolean {
  switch (t.kind) {
    case 'boolean':
    case 'int16':
    case 'int32':
    case 'int64':
    case 'serial':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'varchar':
    case 'unknown':
      return a === b;
    default:
      return compareDatum(t, a, b) === 0;
  }
}

/**
 * A Map key equal for equal datums (Map keys use SameValueZero, so numbers need no
 * normalising: NaN matches NaN and -0 matches 0). Composite values become strings.
 */
export function datumKey(t: DataType, d: Datum): string | number | boolean | bigint {
  switch (t.kind) {
    case 'boolean':
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return d as number | boolean;
    case 'int64':
    case 'serial':
      return d as bigint;
    case 'varchar':
    case 'unknown':
      return d as string;
    case 'decimal':
      return (d as Decimal).normalize().toString();
    case 'interval':
      return (d as Interval).totalMicrosExact();
    default:
      return keyString(t, d);
  }
}

/** An injective string form of any non-null datum (used for composite keys). */
function keyString(t: DataType, d: Datum): string {
  switch (t.kind) {
    case 'bytea':
      return formatBytea(d as Uint8Array);
    case 'jsonb':
      return canonicalJson((d as Jsonb).value);
    case 'list': {
      const items = d as Datum[];
      return `[${items.map((x) => (x === null ? 'N' : JSON.stringify(keyString(t.elem, x)))).join(',')}]`;
    }
    case 'struct': {
      const f = (d as StructValue).fields;
      return `(${t.fields.map((fd, i) => (f[i] === null || f[i] === undefined ? 'N' : JSON.stringify(keyString(fd.type, f[i])))).join(',')})`;
    }
    default: {
      const k = datumKey(t, d);
      return typeof k === 'number' ? (k === 0 ? '0' : String(k)) : String(k);
    }
  }
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return typeof v === 'number' && v === 0 ? '0' : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort(compareJsonbKeys)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/** A single Map key for several datums of known types (multi-column GROUP BY / DISTINCT / join keys). */
export function rowKey(types: readonly DataType[], values: readonly Datum[]): string {
  let s = '';
  for (let i = 0; i < types.length; i++) {
    const v = values[i];
    if (i) s += '\u0000';
    s += v === null ? '\u0001' : JSON.stringify(keyString(types[i], v));
  }
  return s;
}
