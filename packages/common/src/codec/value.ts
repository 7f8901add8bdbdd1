/**
 * Compact, self-describing binary encoding of whole rows (the value side of a storage
 * record). Each datum carries a one-byte tag for its JS representation, so a row decodes
 * without its schema and to exactly the datums that were encoded: bigint stays bigint,
 * -0 stays -0, decimals keep their scale, intervals keep months/days/micros apart, and
 * jsonb, structs, lists and bytea round trip. Being schema-free also lets a table gain
 * columns without rewriting rows (a shorter row reads as trailing NULLs — the caller pads).
 *
 * Layout: uvarint column count, then one tagged datum per column.
 */
import { type Datum, Jsonb, type Row, StructValue } from '../datum';
import { Decimal } from '../decimal';
import { Interval } from '../interval';
import { ByteReader, ByteWriter } from './byte-writer';

const TAG_NULL = 0;
const TAG_FALSE = 1;
const TAG_TRUE = 2;
/** Small integral number (|x| < 2^50): zigzag uvarint. */
const TAG_INT = 3;
const TAG_F64 = 4;
/** bigint in the signed 64-bit range, beyond ±2^50: 8 bytes big-endian. */
const TAG_I64 = 5;
/** Any other bigint: sign byte + uvarint length + big-endian magnitude. */
const TAG_BIGINT = 6;
const TAG_STRING = 7;
const TAG_BYTES = 8;
const TAG_DECIMAL = 9;
const TAG_INTERVAL = 10;
const TAG_JSONB = 11;
const TAG_STRUCT = 12;
const TAG_LIST = 13;
/**
 * An interval whose µs are beyond ±2^53 (not exact as TAG_INTERVAL's float64): months and
 * days as in TAG_INTERVAL, then µs as 8 bytes big-endian int64.
 */
const TAG_INTERVAL_I64 = 14;
/**
 * bigint with |x| < 2^50: zigzag uvarint, as TAG_INT. Most BIGINT values in state are ids,
 * counts and row ids: 2–4 bytes instead of TAG_I64's 9. (Rows written before this tag
 * existed hold TAG_I64 and still read; a value's encoding is still one per value.)
 */
const TAG_SMALL_I64 = 15;

/** Sub-tags inside a jsonb value. */
const J_NULL = 0;
const J_FALSE = 1;
const J_TRUE = 2;
const J_NUMBER = 3;
const J_STRING = 4;
const J_ARRAY = 5;
const J_OBJECT = 6;

const DEC_FINITE = 0;
const DEC_NAN = 1;
const DEC_INF = 2;
const DEC_NEG_INF = 3;

/** Integers below this in magnitude are varints (up to 8 bytes: no longer than the fixed forms). */
const INT_LIMIT = 2 ** 50;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

const scratch = new ByteWriter(1024);

export function encodeRow(row: readonly Datum[]): Buffer {
  const w = scratch.reset();
  writeRow(w, row);
  return w.toBuffer();
}

/**
 * Appends the value encoding of `row` to `w`: a row, or a packed row (`packRow`), whose
 * one-byte characters already are those bytes.
 */
export function writeRow(w: ByteWriter, row: readonly Datum[] | string): void {
  if (typeof row === 'string') {
    w.ensure(row.length);
    w.len += w.buf.write(row, w.len, 'latin1');
    return;
  }
  w.uvarint(row.length);
  for (let i = 0; i < row.length; i++) writeDatum(w, row[i] ?? null);
}

/**
 * A row in its value encoding held as a one-byte string (a "packed row"): one heap object
 * with no pointers inside, where a row array holds a box per BigInt, float and string. State
 * kept for long but rarely read (a temporal filter's rows) is cheaper for the garbage
 * collector this way, and a checkpoint copies the bytes instead of encoding the row.
 */
export function packRow(row: readonly Datum[]): string {
  const w = scratch.reset();
  writeRow(w, row);
  return w.buf.toString('latin1', 0, w.len);
}

/**
 * Where `unpackRow` puts a packed row's bytes to read them: reused, because decoding copies
 * out everything it returns (`ByteReader.bytes` copies). `Buffer.from(packed, 'latin1')`
 * instead carved every row out of Node's 8 KiB pool slabs, each slab new bytes outside V8's
 * heap: 77 MiB a minute from a hash join's lookups under the Kafka load (session 32), and
 * such bytes force young-generation collections (docs/performance.md, session 31).
 */
let unpackScratch = Buffer.allocUnsafeSlow(4096);
/** Rows longer than this are read from a Buffer of their own, so the scratch never keeps a huge row's size. */
const UNPACK_SCRATCH_MAX = 1 << 20;

/** The row of a `packRow` string. */
export function unpackRow(packed: string): Row {
  const n = packed.length;
  if (n > UNPACK_SCRATCH_MAX) return decodeRow(Buffer.from(packed, 'latin1'));
  if (n > unpackScratch.length) unpackScratch = Buffer.allocUnsafeSlow(Math.max(n, 2 * unpackScratch.length));
  unpackScratch.write(packed, 0, n, 'latin1');
  // A view of exactly the row, so a truncated row still fails the reader's bounds checks.
  return decodeRow(unpackScratch.subarray(0, n));
}

export function decodeRow(buf: Uint8Array): Row {
  return readRow(new ByteReader(buf));
}

/**
 * Reads one row at `r`'s position and moves past it. A row's encoding delimits itself, so
 * rows written one after another (`writeRow`, or packed rows concatenated) read back in turn.
 */
export function readRow(r: ByteReader): Row {
  const n = r.uvarint();
  const row: Row = new Array(n);
  for (let i = 0; i < n; i++) row[i] = readDatum(r);
  return row;
}

/** Encodes a single datum (same tagged format as a row column). */
export function encodeDatumValue(d: Datum): Buffer {
  const w = scratch.reset();
  writeDatum(w, d);
  return w.toBuffer();
}

export function decodeDatumValue(buf: Uint8Array): Datum {
  return readDatum(new ByteReader(buf));
}

export function writeDatum(w: ByteWriter, d: Datum): void {
  switch (typeof d) {
    case 'boolean':
      w.u8(d ? TAG_TRUE : TAG_FALSE);
      return;
    case 'number':
      writeNumber(w, d);
      return;
    case 'bigint':
      writeBigint(w, d);
      return;
    case 'string':
      w.u8(TAG_STRING);
      writeString(w, d);
      return;
  }
  if (d === null || d === undefined) {
    w.u8(TAG_NULL);
  } else if (d instanceof Uint8Array) {
    w.u8(TAG_BYTES);
    w.uvarint(d.length);
    w.bytes(d);
  } else if (Array.isArray(d)) {
    w.u8(TAG_LIST);
    w.uvarint(d.length);
    for (let i = 0; i < d.length; i++) writeDatum(w, d[i]);
  } else if (d instanceof Decimal) {
    w.u8(TAG_DECIMAL);
    if (d.special) {
      w.u8(d.special === 'nan' ? DEC_NAN : d.special === 'inf' ? DEC_INF : DEC_NEG_INF);
    } else {
      w.u8(DEC_FINITE);
      w.uvarint(d.scale);
      writeMagnitude(w, d.mantissa);
    }
  } else if (d instanceof Interval) {
    w.u8(d.isWide ? TAG_INTERVAL_I64 : TAG_INTERVAL);
    w.uvarint(zigzag(d.months));
    w.uvarint(zigzag(d.days));
    if (d.isWide) w.i64be(d.usecs());
    else w.f64be(d.micros);
  } else if (d instanceof Jsonb) {
    w.u8(TAG_JSONB);
    writeJson(w, d.value);
  } else if (d instanceof StructValue) {
    w.u8(TAG_STRUCT);
    w.uvarint(d.fields.length);
    for (let i = 0; i < d.fields.length; i++) writeDatum(w, d.fields[i]);
  } else {
    throw new TypeError(`codec: cannot encode value of type ${Object.prototype.toString.call(d)}`);
  }
}

function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function writeNumber(w: ByteWriter, x: number): void {
  if (Number.isInteger(x) && x > -INT_LIMIT && x < INT_LIMIT && !Object.is(x, -0)) {
    w.u8(TAG_INT);
    w.uvarint(zigzag(x));
  } else {
    w.u8(TAG_F64);
    w.f64be(x);
  }
}

function writeBigint(w: ByteWriter, x: bigint): void {
  // Number(x) is exact below 2^53, so this is |x| < 2^50 without two BigInt comparisons.
  const n = Number(x);
  if (n < INT_LIMIT && n > -INT_LIMIT) {
    w.u8(TAG_SMALL_I64);
    w.uvarint(zigzag(n));
  } else if (x >= I64_MIN && x <= I64_MAX) {
    w.u8(TAG_I64);
    w.i64be(x);
  } else {
    w.u8(TAG_BIGINT);
    writeMagnitude(w, x);
  }
}

/** Sign byte, uvarint byte length, big-endian magnitude bytes. */
function writeMagnitude(w: ByteWriter, x: bigint): void {
  const neg = x < 0n;
  if (x <= SAFE_MAX && x >= -SAFE_MAX) {
    // The same bytes by float arithmetic (exact below 2^53): a decimal's mantissa is
    // usually small, and going through a hex string made a one-decimal row cost 117–143 ns
    // to encode, now 41 (bench/tools/row-codec-micro.ts).
    writeSmallMagnitude(w, neg, Number(neg ? -x : x));
    return;
  }
  let hex = (neg ? -x : x).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const n = hex === '00' ? 0 : hex.length / 2;
  w.u8(neg ? 1 : 0);
  w.uvarint(n);
  if (n > 0) {
    w.ensure(n);
    w.buf.write(hex, w.len, 'hex');
    w.len += n;
  }
}

/** writeMagnitude's bytes for a magnitude `m` below 2^53. */
function writeSmallMagnitude(w: ByteWriter, neg: boolean, m: number): void {
  let n = 0;
  for (let t = m; t > 0; t = (t - (t % 256)) / 256) n++;
  w.u8(neg ? 1 : 0);
  w.uvarint(n);
  w.ensure(n);
  const b = w.buf;
  for (let i = w.len + n - 1; i >= w.len; i--) {
    const r = m % 256;
    b[i] = r;
    m = (m - r) / 256;
  }
  w.len += n;
}

function writeString(w: ByteWriter, s: string): void {
  // The varint length prefix needs the UTF-8 byte length up front; short ASCII strings
  // (the common case) skip the measuring pass, and are copied by a JS loop rather than
  // `Buffer#write`, a call into C++ whose fixed cost outweighs copying a few characters.
  if (s.length < 64) {
    const n = shortUtf8Length(s);
    if (n === s.length) {
      w.uvarint(n);
      w.latin1Chars(s);
      return;
    }
    if (n > 0) {
      // Characters under U+0800 only (a MIN/MAX's memcomparable key is bytes 0–255 as
      // characters): two bytes each past ASCII, written here rather than by a native call.
      w.uvarint(n);
      w.ensure(n);
      const b = w.buf;
      let at = w.len;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) b[at++] = c;
        else {
          b[at++] = 0xc0 | (c >> 6);
          b[at++] = 0x80 | (c & 0x3f);
        }
      }
      w.len = at;
      return;
    }
  }
  w.uvarint(Buffer.byteLength(s, 'utf8'));
  w.utf8(s);
}

/** The UTF-8 length of `s` when every character is under U+0800, else 0. */
function shortUtf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0x800) return 0;
    n++;
  }
  return n;
}

function writeJson(w: ByteWriter, v: unknown): void {
  if (v === null || v === undefined) {
    w.u8(J_NULL);
  } else if (v === true) {
    w.u8(J_TRUE);
  } else if (v === false) {
    w.u8(J_FALSE);
  } else if (typeof v === 'number') {
    w.u8(J_NUMBER);
    w.f64be(v);
  } else if (typeof v === 'string') {
    w.u8(J_STRING);
    writeString(w, v);
  } else if (Array.isArray(v)) {
    w.u8(J_ARRAY);
    w.uvarint(v.length);
    for (const e of v) writeJson(w, e);
  } else {
    const keys = Object.keys(v as object);
    w.u8(J_OBJECT);
    w.uvarint(keys.length);
    for (const k of keys) {
      writeString(w, k);
      writeJson(w, (v as Record<string, unknown>)[k]);
    }
  }
}

export function readDatum(r: ByteReader): Datum {
  const tag = r.u8();
  switch (tag) {
    case TAG_NULL:
      return null;
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_INT:
      return unzigzag(r.uvarint());
    case TAG_F64:
      return r.f64be();
    case TAG_SMALL_I64:
      return BigInt(unzigzag(r.uvarint()));
    case TAG_I64:
      return r.i64be();
    case TAG_BIGINT:
      return readMagnitude(r);
    case TAG_STRING:
      return r.utf8(r.uvarint());
    case TAG_BYTES:
      return r.bytes(r.uvarint());
    case TAG_DECIMAL: {
      const kind = r.u8();
      if (kind === DEC_NAN) return new Decimal(0n, 0, 'nan');
      if (kind === DEC_INF) return new Decimal(0n, 0, 'inf');
      if (kind === DEC_NEG_INF) return new Decimal(0n, 0, '-inf');
      const scale = r.uvarint();
      return new Decimal(readMagnitude(r), scale);
    }
    case TAG_INTERVAL: {
      const months = unzigzag(r.uvarint());
      const days = unzigzag(r.uvarint());
      return new Interval(months, days, r.f64be());
    }
    case TAG_INTERVAL_I64: {
      const months = unzigzag(r.uvarint());
      const days = unzigzag(r.uvarint());
      return new Interval(months, days, r.i64be());
    }
    case TAG_JSONB:
      return new Jsonb(readJson(r));
    case TAG_STRUCT: {
      const n = r.uvarint();
      const fields: Datum[] = new Array(n);
      for (let i = 0; i < n; i++) fields[i] = readDatum(r);
      return new StructValue(fields);
    }
    case TAG_LIST: {
      const n = r.uvarint();
      const out: Datum[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readDatum(r);
      return out;
    }
    default:
      throw new RangeError(`codec: unknown value tag ${tag}`);
  }
}

function readMagnitude(r: ByteReader): bigint {
  const neg = r.u8() === 1;
  const n = r.uvarint();
  if (n === 0) return 0n;
  const start = r.pos;
  r.skip(n);
  if (n <= 6) {
    // Under 2^48, exact as a float: no hex string.
    let m = 0;
    for (let i = start; i < start + n; i++) m = m * 256 + r.buf[i];
    return BigInt(neg ? -m : m);
  }
  const mag = BigInt('0x' + r.buf.toString('hex', start, start + n));
  return neg ? -mag : mag;
}

function readJson(r: ByteReader): unknown {
  switch (r.u8()) {
    case J_NULL:
      return null;
    case J_TRUE:
      return true;
    case J_FALSE:
      return false;
    case J_NUMBER:
      return r.f64be();
    case J_STRING:
      return r.utf8(r.uvarint());
    case J_ARRAY: {
      const n = r.uvarint();
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readJson(r);
      return out;
    }
    case J_OBJECT: {
      const n = r.uvarint();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) setOwn(out, r.utf8(r.uvarint()), readJson(r));
      return out;
    }
    default:
      throw new RangeError('codec: bad jsonb value tag');
  }
}

/** Like JSON.parse, an own "__proto__" key stays a plain property. */
export function setOwn(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}
