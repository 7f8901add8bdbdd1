/**
 * Memcomparable key encoding: datums → bytes whose unsigned lexicographic order is the
 * SQL order of the datums (PostgreSQL's, as `compareDatum` defines it). Storage keys rows
 * by these bytes so a sorted KV store (LevelDB, or a sorted array of latin1 strings in
 * memory) yields rows in primary-key order, and equal datums always produce equal keys.
 *
 * Every column encoding is self-delimiting (no encoding is a proper prefix of another),
 * which is what makes concatenating columns, and inverting bytes for DESC, order-correct.
 *
 * Per column: a null marker byte, then for non-null values the value bytes:
 *   NULL → 0x00 (nulls first) or 0x02 (nulls last); non-null → 0x01 + value.
 * The marker is never inverted; a DESC column inverts only its value bytes.
 *
 * Values are canonicalised, so `decodeKey` returns datums equal to, but not always
 * identical with, the encoded ones: -0 → 0, decimals lose trailing zeros (1.10 → 1.1),
 * intervals come back justified as {months: 0, days, micros} with 0 ≤ micros < 1 day.
 * Use the value codec (value.ts) when the exact datum matters.
 */
import type { DataType } from '../types';
import { type Datum, Jsonb, StructValue } from '../datum';
import { Decimal } from '../decimal';
import { Interval } from '../interval';
import { ByteReader, ByteWriter } from './byte-writer';
import { setOwn } from './value';

export interface KeyOrder {
  desc?: boolean;
  /** Defaults to PostgreSQL's: NULLS LAST for ASC, NULLS FIRST for DESC. */
  nullsFirst?: boolean;
}

const NULL_LOW = 0x00;
const NOT_NULL = 0x01;
const NULL_HIGH = 0x02;

const DEC_NEG_INF = 0x01;
const DEC_NEG = 0x02;
const DEC_ZERO = 0x03;
const DEC_POS = 0x04;
const DEC_POS_INF = 0x05;
const DEC_NAN = 0x06;

/** jsonb type ranks, PostgreSQL's order: Null < String < Number < Boolean < Array < Object. */
const J_NULL = 0x01;
const J_STRING = 0x02;
const J_NUMBER = 0x03;
const J_BOOL = 0x04;
const J_ARRAY = 0x05;
const J_OBJECT = 0x06;

const USECS_PER_DAY = 86_400_000_000;

const scratch = new ByteWriter(1024);

/** Encodes a composite key. `orders[i]` defaults to ASC NULLS LAST. */
export function encodeKey(types: readonly DataType[], datums: readonly Datum[], orders?: readonly KeyOrder[]): Buffer {
  writeKey(scratch.reset(), types, datums, orders);
  return scratch.toBuffer();
}

/**
 * The same bytes as `encodeKey`, as a latin1 string (one char per byte). JS string
 * comparison of such strings is byte order, and they are cheap Map keys.
 */
export function encodeKeyString(types: readonly DataType[], datums: readonly Datum[], orders?: readonly KeyOrder[]): string {
  writeKey(scratch.reset(), types, datums, orders);
  return scratch.toLatin1();
}

/**
 * `prefix + encodeKeyString(types, datums, orders)`, built as one flat string. A key made by
 * `+` is a V8 cons string (from 13 characters), which every Map lookup first copies into a
 * flat one before hashing it: a group key and a value key (DISTINCT's counts, MIN/MAX's
 * multisets, 18 characters for two BIGINTs) built and looked up that way cost 630 ns
 * against 507 built flat, over 2M keys (bench/tools/map-key-lookups.ts; 351 against 319
 * over 200,000). `prefix` must be latin1 (a key string).
 */
export function encodeKeyStringAfter(prefix: string, types: readonly DataType[], datums: readonly Datum[], orders?: readonly KeyOrder[]): string {
  const w = scratch.reset();
  w.latin1Chars(prefix);
  writeKey(w, types, datums, orders);
  return w.toLatin1();
}

/** `a + b` for two key strings, built flat (see encodeKeyStringAfter). */
export function concatKeys(a: string, b: string): string {
  const w = scratch.reset();
  w.latin1Chars(a);
  w.latin1Chars(b);
  return w.toLatin1();
}

/** Appends the key of `datums` to `w` (for callers that build prefixed keys). */
export function writeKey(w: ByteWriter, types: readonly DataType[], datums: readonly Datum[], orders?: readonly KeyOrder[]): void {
  for (let i = 0; i < types.length; i++) {
    const o = orders?.[i];
    writeKeyColumn(w, types[i], datums[i] ?? null, o?.desc ?? false, o?.nullsFirst ?? o?.desc ?? false);
  }
}

/** Bytes of a non-null value of type `t` in a key, when every value takes the same (else null). */
function fixedValueWidth(t: DataType): number | null {
  switch (t.kind) {
    case 'boolean':
      return 1;
    case 'int16':
      return 2;
    case 'int32':
    case 'float32':
      return 4;
    case 'int64':
    case 'serial':
    case 'float64':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return 8;
    default:
      return null;
  }
}

/**
 * For leading key columns of fixed-width types, a function giving how many characters of a
 * key string those columns take (a marker each, plus the value unless it is NULL), without
 * decoding anything; null when some column's encoding varies in length. A string shorter
 * than the columns gets a length beyond its own, so `f(p) === p.length` holds exactly when
 * `p` is a whole encoding of those columns.
 */
export function keyPrefixLength(types: readonly DataType[]): ((key: string) => number) | null {
  const widths: number[] = [];
  for (const t of types) {
    const w = fixedValueWidth(t);
    if (w === null) return null;
    widths.push(w);
  }
  if (widths.length === 1) {
    const w = 1 + widths[0];
    return (key) => (key.charCodeAt(0) === NOT_NULL ? w : 1);
  }
  return (key) => {
    let n = 0;
    for (let i = 0; i < widths.length; i++) n += key.charCodeAt(n) === NOT_NULL ? 1 + widths[i] : 1;
    return n;
  };
}

export function writeKeyColumn(w: ByteWriter, t: DataType, d: Datum, desc: boolean, nullsFirst: boolean): void {
  if (d === null) {
    w.u8(nullsFirst ? NULL_LOW : NULL_HIGH);
    return;
  }
  w.u8(NOT_NULL);
  const start = w.len;
  writeValue(w, t, d);
  if (desc) w.invertFrom(start);
}

function writeValue(w: ByteWriter, t: DataType, d: Datum): void {
  switch (t.kind) {
    case 'boolean':
      w.u8(d ? 1 : 0);
      return;
    case 'int16':
      w.ensure(2);
      w.dv.setUint16(w.len, ((d as number) + 0x8000) & 0xffff);
      w.len += 2;
      return;
    case 'int32':
      w.ensure(4);
      w.dv.setUint32(w.len, ((d as number) ^ 0x80000000) >>> 0);
      w.len += 4;
      return;
    case 'int64':
    case 'serial':
      w.ensure(8);
      w.dv.setBigInt64(w.len, BigInt(d as bigint | number));
      w.buf[w.len] ^= 0x80;
      w.len += 8;
      return;
    case 'float32':
      writeFloat32(w, d as number);
      return;
    case 'float64':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      writeFloat64(w, d as number);
      return;
    case 'decimal':
      writeDecimal(w, d as Decimal);
      return;
    case 'varchar':
    case 'unknown':
      writeEscapedString(w, typeof d === 'string' ? d : String(d));
      return;
    case 'bytea':
      writeEscapedBytes(w, d as Uint8Array);
      return;
    case 'interval':
      writeInterval(w, d as Interval);
      return;
    case 'jsonb':
      writeJson(w, (d as Jsonb).value);
      return;
    case 'list': {
      // Element by element, each preceded by a continuation byte; the 0x00 end marker
      // makes a proper prefix sort first ({1,2} < {1,2,3}), as PostgreSQL orders arrays.
      const elem = t.elem;
      for (const e of d as Datum[]) {
        w.u8(0x01);
        writeKeyColumn(w, elem, e, false, false);
      }
      w.u8(0x00);
      return;
    }
    case 'struct': {
      const vals = (d as StructValue).fields;
      for (let i = 0; i < t.fields.length; i++) writeKeyColumn(w, t.fields[i].type, vals[i] ?? null, false, false);
      return;
    }
  }
}

/**
 * IEEE-754 order trick: flip the sign bit of positives, invert all bits of negatives.
 * -0 is folded into 0 (they compare equal) and every NaN into one NaN, which then sorts
 * above +Infinity as PostgreSQL orders NaN.
 */
function writeFloat64(w: ByteWriter, x: number): void {
  w.ensure(8);
  const p = w.len;
  if (x !== x) {
    w.dv.setUint32(p, 0x7ff80000);
    w.dv.setUint32(p + 4, 0);
  } else {
    w.dv.setFloat64(p, x === 0 ? 0 : x);
  }
  flipFloatBytes(w.buf, p, 8);
  w.len += 8;
}

function writeFloat32(w: ByteWriter, x: number): void {
  w.ensure(4);
  const p = w.len;
  if (x !== x) w.dv.setUint32(p, 0x7fc00000);
  else w.dv.setFloat32(p, x === 0 ? 0 : x);
  flipFloatBytes(w.buf, p, 4);
  w.len += 4;
}

function flipFloatBytes(b: Uint8Array, p: number, n: number): void {
  if (b[p] & 0x80) {
    for (let i = p; i < p + n; i++) b[i] = ~b[i] & 0xff;
  } else {
    b[p] ^= 0x80;
  }
}

function unflipFloatBytes(src: Uint8Array, p: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (src[p] & 0x80) {
    out.set(src.subarray(p, p + n));
    out[0] ^= 0x80;
  } else {
    for (let i = 0; i < n; i++) out[i] = ~src[p + i] & 0xff;
  }
  return out;
}

/**
 * Decimal: a class byte (−∞ < negative < zero < positive < +∞ < NaN), then for finite
 * non-zero values the decimal exponent E (value = 0.d₁d₂… × 10^E) as a sign-flipped int32
 * and the significant digits (trailing zeros stripped) as bytes '0'..'9' ended by 0x00.
 * Negative values invert the exponent and digit bytes so larger magnitudes sort lower.
 */
function writeDecimal(w: ByteWriter, d: Decimal): void {
  if (d.special) {
    w.u8(d.special === 'nan' ? DEC_NAN : d.special === 'inf' ? DEC_POS_INF : DEC_NEG_INF);
    return;
  }
  const m = d.mantissa;
  if (m === 0n) {
    w.u8(DEC_ZERO);
    return;
  }
  const neg = m < 0n;
  const all = (neg ? -m : m).toString();
  let end = all.length;
  while (all.charCodeAt(end - 1) === 48) end--;
  const exponent = all.length - d.scale;
  w.u8(neg ? DEC_NEG : DEC_POS);
  const start = w.len;
  w.ensure(4 + end + 1);
  w.dv.setUint32(w.len, (exponent ^ 0x80000000) >>> 0);
  w.len += 4;
  for (let i = 0; i < end; i++) w.buf[w.len++] = all.charCodeAt(i);
  w.buf[w.len++] = 0x00;
  if (neg) w.invertFrom(start);
}

/**
 * Intervals compare as PostgreSQL does: by months·30 days + days + micros. The key is that
 * total, justified into (days, micros with 0 ≤ micros < 1 day), both as order-preserving floats.
 */
function writeInterval(w: ByteWriter, iv: Interval): void {
  // Both parts are exact float64s over the whole range: at most ~2^37 days, < 2^37 µs.
  let extra: number;
  let rest: number;
  if (iv.isWide) {
    const us = iv.usecs();
    const day = BigInt(USECS_PER_DAY);
    let d = us / day;
    if (us % day < 0n) d -= 1n;
    extra = Number(d);
    rest = Number(us - d * day);
  } else {
    extra = Math.floor(iv.micros / USECS_PER_DAY);
    rest = iv.micros - extra * USECS_PER_DAY;
    // The float quotient may round across a day boundary: keep 0 ≤ rest < 1 day.
    if (rest < 0) {
      extra--;
      rest += USECS_PER_DAY;
    } else if (rest >= USECS_PER_DAY) {
      extra++;
      rest -= USECS_PER_DAY;
    }
  }
  writeFloat64(w, iv.months * 30 + iv.days + extra);
  writeFloat64(w, rest);
}

/** Byte string with 0x00 escaped as 0x00 0xFF and terminated by 0x00 0x01. */
function writeEscapedString(w: ByteWriter, s: string): void {
  const start = w.len;
  const n = w.utf8(s);
  escapeZeros(w, start, n);
}

function writeEscapedBytes(w: ByteWriter, b: Uint8Array): void {
  const start = w.len;
  w.bytes(b);
  escapeZeros(w, start, b.length);
}

function escapeZeros(w: ByteWriter, start: number, n: number): void {
  let zeros = 0;
  for (let i = start; i < start + n; i++) if (w.buf[i] === 0) zeros++;
  if (zeros > 0) {
    w.ensure(zeros);
    const b = w.buf;
    // Shift right from the end, doubling each zero into 0x00 0xFF.
    let dst = start + n + zeros - 1;
    for (let src = start + n - 1; src >= start; src--) {
      if (b[src] === 0) {
        b[dst--] = 0xff;
        b[dst--] = 0x00;
      } else {
        b[dst--] = b[src];
      }
    }
    w.len += zeros;
  }
  w.ensure(2);
  w.buf[w.len++] = 0x00;
  w.buf[w.len++] = 0x01;
}

function writeJson(w: ByteWriter, v: unknown): void {
  if (v === null || v === undefined) {
    w.u8(J_NULL);
  } else if (typeof v === 'string') {
    w.u8(J_STRING);
    writeEscapedString(w, v);
  } else if (typeof v === 'number') {
    w.u8(J_NUMBER);
    writeFloat64(w, v);
  } else if (typeof v === 'boolean') {
    w.u8(J_BOOL);
    w.u8(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    // PostgreSQL: an array with more elements is greater, then element by element.
    w.u8(J_ARRAY);
    writeU32(w, v.length);
    for (const e of v) writeJson(w, e);
  } else {
    // Objects: more pairs is greater; then pairs in jsonb storage order (key length, then bytes).
    const entries = Object.entries(v as Record<string, unknown>).map(([k, val]) => [Buffer.from(k, 'utf8'), val] as const);
    entries.sort((a, b) => a[0].length - b[0].length || Buffer.compare(a[0], b[0]));
    w.u8(J_OBJECT);
    writeU32(w, entries.length);
    for (const [k, val] of entries) {
      writeU32(w, k.length);
      w.bytes(k);
      writeJson(w, val);
    }
  }
}

function writeU32(w: ByteWriter, n: number): void {
  w.ensure(4);
  w.dv.setUint32(w.len, n);
  w.len += 4;
}

// ---------------------------------------------------------------------------------------
// Decoding

/** Decodes a key produced by `encodeKey` with the same types and orders. */
export function decodeKey(types: readonly DataType[], key: Uint8Array, orders?: readonly KeyOrder[]): Datum[] {
  const r = new ByteReader(key);
  const out: Datum[] = new Array(types.length);
  for (let i = 0; i < types.length; i++) out[i] = readKeyColumn(r, types[i], orders?.[i]?.desc ?? false);
  return out;
}

function readKeyColumn(r: ByteReader, t: DataType, desc: boolean): Datum {
  const marker = r.u8();
  if (marker !== NOT_NULL) return null;
  if (!desc) return readValue(r, t);
  // DESC: decode from an un-inverted copy of the rest, then advance by what was consumed.
  const rest = r.buf.subarray(r.pos);
  const copy = Buffer.allocUnsafe(rest.length);
  for (let i = 0; i < rest.length; i++) copy[i] = ~rest[i] & 0xff;
  const sub = new ByteReader(copy);
  const v = readValue(sub, t);
  r.pos += sub.pos;
  return v;
}

function readValue(r: ByteReader, t: DataType): Datum {
  switch (t.kind) {
    case 'boolean':
      return r.u8() === 1;
    case 'int16':
      return ((r.u8() << 8) | r.u8()) - 0x8000;
    case 'int32': {
      const b = r.bytes(4);
      return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) ^ 0x80000000) | 0;
    }
    case 'int64':
    case 'serial': {
      const b = r.bytes(8);
      b[0] ^= 0x80;
      return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0);
    }
    case 'float32': {
      const b = unflipFloatBytes(r.bytes(4), 0, 4);
      return new DataView(b.buffer).getFloat32(0);
    }
    case 'float64':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return readFloat64(r);
    case 'decimal':
      return readDecimal(r);
    case 'varchar':
    case 'unknown':
      return Buffer.from(readEscaped(r)).toString('utf8');
    case 'bytea':
      return readEscaped(r);
    case 'interval': {
      const days = readFloat64(r);
      const micros = readFloat64(r);
      return new Interval(0, days, micros);
    }
    case 'jsonb':
      return new Jsonb(readJson(r));
    case 'list': {
      const out: Datum[] = [];
      while (r.u8() === 0x01) out.push(readKeyColumn(r, t.elem, false));
      return out;
    }
    case 'struct':
      return new StructValue(t.fields.map((f) => readKeyColumn(r, f.type, false)));
  }
}

function readFloat64(r: ByteReader): number {
  const b = unflipFloatBytes(r.bytes(8), 0, 8);
  return new DataView(b.buffer).getFloat64(0);
}

function readDecimal(r: ByteReader): Decimal {
  const cls = r.u8();
  switch (cls) {
    case DEC_NAN:
      return new Decimal(0n, 0, 'nan');
    case DEC_POS_INF:
      return new Decimal(0n, 0, 'inf');
    case DEC_NEG_INF:
      return new Decimal(0n, 0, '-inf');
    case DEC_ZERO:
      return new Decimal(0n, 0);
  }
  const neg = cls === DEC_NEG;
  const x = neg ? 0xff : 0;
  const e = (((r.u8() ^ x) << 24) | ((r.u8() ^ x) << 16) | ((r.u8() ^ x) << 8) | (r.u8() ^ x)) ^ 0x80000000;
  let digits = '';
  for (let c = r.u8() ^ x; c !== 0; c = r.u8() ^ x) digits += String.fromCharCode(c);
  let mantissa = BigInt(digits);
  let scale = digits.length - e;
  if (scale < 0) {
    mantissa *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return new Decimal(neg ? -mantissa : mantissa, scale);
}

function readEscaped(r: ByteReader): Uint8Array {
  const parts: number[] = [];
  for (;;) {
    const b = r.u8();
    if (b !== 0) {
      parts.push(b);
      continue;
    }
    const next = r.u8();
    if (next === 0x01) break;
    parts.push(0);
  }
  return Uint8Array.from(parts);
}

function readU32(r: ByteReader): number {
  return ((r.u8() << 24) | (r.u8() << 16) | (r.u8() << 8) | r.u8()) >>> 0;
}

function readJson(r: ByteReader): unknown {
  switch (r.u8()) {
    case J_NULL:
      return null;
    case J_STRING:
      return Buffer.from(readEscaped(r)).toString('utf8');
    case J_NUMBER:
      return readFloat64(r);
    case J_BOOL:
      return r.u8() === 1;
    case J_ARRAY: {
      const n = readU32(r);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(readJson(r));
      return out;
    }
    case J_OBJECT: {
      const n = readU32(r);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.utf8(readU32(r));
        setOwn(out, k, readJson(r));
      }
      return out;
    }
    default:
      throw new RangeError('codec: bad jsonb key tag');
  }
}
