/**
 * PostgreSQL binary wire format (typsend / typrecv) for datums: big-endian integers and
 * floats, numeric as base-10000 digits, dates and timestamps relative to 2000-01-01,
 * jsonb as version byte 1 + text, arrays with the standard header, records with per-field
 * OIDs. Malformed input throws 22P03.
 */
import { Jsonb, StructValue, type Datum } from './datum';
import { Decimal } from './decimal';
import { SqlError, SqlState } from './error';
import { Interval } from './interval';
import { typeOid } from './oid';
import { formatJsonb as formatJsonbText } from './text-format';
import type { DataType } from './types';

/** Days from 1970-01-01 to 2000-01-01 (PG's epoch). */
const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000;

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

function malformed(detail?: string): SqlError {
  return new SqlError(SqlState.InvalidBinaryRepresentation, 'incorrect binary data format', { detail });
}

// ---------------------------------------------------------------------------------------
// Encoding

export function encodeBinary(t: DataType, d: Datum): Buffer {
  switch (t.kind) {
    case 'boolean':
      return Buffer.from([d ? 1 : 0]);
    case 'int16': {
      const b = Buffer.allocUnsafe(2);
      b.writeInt16BE(d as number);
      return b;
    }
    case 'int32': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE(d as number);
      return b;
    }
    case 'int64':
    case 'serial': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(d as bigint);
      return b;
    }
    case 'float32': {
      const b = Buffer.allocUnsafe(4);
      b.writeFloatBE(d as number);
      return b;
    }
    case 'float64': {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(d as number);
      return b;
    }
    case 'decimal':
      return encodeNumeric(d as Decimal);
    case 'varchar':
    case 'unknown':
      return Buffer.from(d as string, 'utf8');
    case 'bytea': {
      const u = d as Uint8Array;
      return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    }
    case 'date': {
      const b = Buffer.allocUnsafe(4);
      b.writeInt32BE((d as number) - PG_EPOCH_DAYS);
      return b;
    }
    case 'time': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt(Math.round(d as number)));
      return b;
    }
    case 'timestamp':
    case 'timestamptz': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt(Math.round(d as number)) - BigInt(PG_EPOCH_MICROS));
      return b;
    }
    case 'interval': {
      const iv = d as Interval;
      const b = Buffer.allocUnsafe(16);
      b.writeBigInt64BE(iv.usecs(), 0);
      b.writeInt32BE(iv.days, 8);
      b.writeInt32BE(iv.months, 12);
      return b;
    }
    case 'jsonb': {
      return Buffer.concat([Buffer.from([1]), Buffer.from(formatJsonbText((d as Jsonb).value), 'utf8')]);
    }
    case 'list':
      return encodeArray(t.elem, d as Datum[]);
    case 'struct':
      return encodeRecord(t.fields, (d as StructValue).fields);
  }
}

/** PG numeric send format: ndigits, weight, sign, dscale, then base-10000 digits. */
export function encodeNumeric(v: Decimal): Buffer {
  const header = (ndigits: number, weight: number, sign: number, dscale: number) => {
    const b = Buffer.alloc(8 + ndigits * 2);
    b.writeInt16BE(ndigits, 0);
    b.writeInt16BE(weight, 2);
    b.writeUInt16BE(sign, 4);
    b.writeInt16BE(dscale, 6);
    return b;
  };
  switch (v.special) {
    case 'nan':
      return header(0, 0, NUMERIC_NAN, 0);
    case 'inf':
      return header(0, 0, NUMERIC_PINF, 0);
    case '-inf':
      return header(0, 0, NUMERIC_NINF, 0);
  }
  const scale = v.scale;
  const neg = v.mantissa < 0n;
  const digits = (neg ? -v.mantissa : v.mantissa).toString().padStart(scale + 1, '0');
  let intPart = digits.slice(0, digits.length - scale).replace(/^0+/, '');
  let fracPart = digits.slice(digits.length - scale);
  if (intPart.length % 4) intPart = '0'.repeat(4 - (intPart.length % 4)) + intPart;
  if (fracPart.length % 4) fracPart += '0'.repeat(4 - (fracPart.length % 4));
  const groups: number[] = [];
  for (let i = 0; i < intPart.length; i += 4) groups.push(Number(intPart.slice(i, i + 4)));
  let weight = groups.length - 1;
  for (let i = 0; i < fracPart.length; i += 4) groups.push(Number(fracPart.slice(i, i + 4)));
  // Strip leading and trailing zero groups (the weight tracks the leading ones).
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  if (start === end) return header(0, 0, NUMERIC_POS, scale);
  const b = header(end - start, weight, neg ? NUMERIC_NEG : NUMERIC_POS, scale);
  for (let i = start; i < end; i++) b.writeUInt16BE(groups[i], 8 + (i - start) * 2);
  return b;
}

function encodeArray(elem: DataType, items: Datum[]): Buffer {
  // Rectangular nested lists become a multi-dimensional array.
  const dims: number[] = [];
  let leaf: DataType = elem;
  let probe: Datum[] | null = items;
  dims.push(items.length);
  while (leaf.kind === 'list' && probe && probe.length > 0 && Array.isArray(probe[0])) {
    probe = probe[0] as Datum[];
    dims.push(probe.length);
    leaf = leaf.elem;
  }
  const flat: Datum[] = [];
  const flatten = (xs: Datum[], depth: number) => {
    if (xs.length !== dims[depth - 1]) throw malformed('multidimensional arrays must have matching dimensions');
    for (const x of xs) {
      if (depth < dims.length) {
        if (!Array.isArray(x)) throw malformed('multidimensional arrays must have matching dimensions');
        flatten(x, depth + 1);
      } else flat.push(x);
    }
  };
  if (items.length === 0) dims.length = 0;
  else flatten(items, 1);
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12 + dims.length * 8);
  head.writeInt32BE(dims.length, 0);
  head.writeInt32BE(flat.some((x) => x === null) ? 1 : 0, 4);
  head.writeInt32BE(typeOid(leaf), 8);
  dims.forEach((n, i) => {
    head.writeInt32BE(n, 12 + i * 8);
    head.writeInt32BE(1, 16 + i * 8);
  });
  parts.push(head);
  for (const x of flat) {
    const len = Buffer.allocUnsafe(4);
    if (x === null) {
      len.writeInt32BE(-1);
      parts.push(len);
    } else {
      const body = encodeBinary(leaf, x);
      len.writeInt32BE(body.length);
      parts.push(len, body);
    }
  }
  return Buffer.concat(parts);
}

function encodeRecord(fields: readonly { type: DataType }[], values: Datum[]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.allocUnsafe(4);
  n.writeInt32BE(fields.length);
  parts.push(n);
  fields.forEach((f, i) => {
    const h = Buffer.allocUnsafe(8);
    h.writeUInt32BE(typeOid(f.type), 0);
    const v = values[i];
    if (v === null || v === undefined) {
      h.writeInt32BE(-1, 4);
      parts.push(h);
    } else {
      const body = encodeBinary(f.type, v);
      h.writeInt32BE(body.length, 4);
      parts.push(h, body);
    }
  });
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------
// Decoding

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

function need(b: Buffer, n: number) {
  if (b.length !== n) throw malformed(`expected ${n} bytes, got ${b.length}`);
}

export function decodeBinary(t: DataType, buf: Uint8Array): Datum {
  const b = asBuffer(buf);
  switch (t.kind) {
    case 'boolean':
      need(b, 1);
      return b[0] !== 0;
    case 'int16':
      need(b, 2);
      return b.readInt16BE(0);
    case 'int32':
      need(b, 4);
      return b.readInt32BE(0);
    case 'int64':
    case 'serial':
      need(b, 8);
      return b.readBigInt64BE(0);
    case 'float32':
      need(b, 4);
      return b.readFloatBE(0);
    case 'float64':
      need(b, 8);
      return b.readDoubleBE(0);
    case 'decimal':
      return decodeNumeric(b);
    case 'varchar':
    case 'unknown':
      return decodeUtf8(b);
    case 'bytea':
      return new Uint8Array(b);
    case 'date':
      need(b, 4);
      return b.readInt32BE(0) + PG_EPOCH_DAYS;
    case 'time':
      need(b, 8);
      return Number(b.readBigInt64BE(0));
    case 'timestamp':
    case 'timestamptz':
      need(b, 8);
      return Number(b.readBigInt64BE(0)) + PG_EPOCH_MICROS;
    case 'interval':
      need(b, 16);
      return new Interval(b.readInt32BE(12), b.readInt32BE(8), b.readBigInt64BE(0));
    case 'jsonb': {
      if (b.length < 1 || b[0] !== 1) throw malformed('unsupported jsonb version number');
      const text = decodeUtf8(b.subarray(1));
      try {
        return new Jsonb(JSON.parse(text));
      } catch {
        throw new SqlError(SqlState.InvalidTextRepresentation, `invalid input syntax for type json: "${text}"`);
      }
    }
    case 'list':
      return decodeArray(t.elem, b);
    case 'struct':
      return decodeRecord(t.fields, b);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(b: Buffer): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new SqlError(SqlState.CharacterNotInRepertoire, 'invalid byte sequence for encoding "UTF8"');
  }
}

export function decodeNumeric(b: Buffer): Decimal {
  if (b.length < 8) throw malformed('numeric header too short');
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const dscale = b.readInt16BE(6);
  if (ndigits < 0 || b.length !== 8 + ndigits * 2 || dscale < 0) throw malformed('invalid numeric length');
  switch (sign) {
    case NUMERIC_NAN:
      return Decimal.NAN;
    case NUMERIC_PINF:
      return Decimal.POSITIVE_INFINITY;
    case NUMERIC_NINF:
      return Decimal.NEGATIVE_INFINITY;
    case NUMERIC_POS:
    case NUMERIC_NEG:
      break;
    default:
      throw malformed('invalid sign in external "numeric" value');
  }
  // value = sum(d_i * 10000^(weight - i)); build the mantissa at 4*(ndigits-1-weight) decimal places.
  let m = 0n;
  for (let i = 0; i < ndigits; i++) {
    const d = b.readUInt16BE(8 + i * 2);
    if (d > 9999) throw malformed('invalid digit in external "numeric" value');
    m = m * 10000n + BigInt(d);
  }
  let scale = 4 * (ndigits - 1 - weight);
  if (ndigits === 0) scale = 0;
  if (scale < 0) {
    m *= 10n ** BigInt(-scale);
    scale = 0;
  }
  // Express at dscale exactly (trailing zeros dropped or added).
  if (scale > dscale) {
    const div = 10n ** BigInt(scale - dscale);
    if (m % div === 0n) {
      m /= div;
      scale = dscale;
    }
  } else if (scale < dscale) {
    m *= 10n ** BigInt(dscale - scale);
    scale = dscale;
  }
  if (sign === NUMERIC_NEG) m = -m;
  // Through text so values beyond 28 places or 96 bits are rounded / rejected like input.
  return Decimal.parse(new Decimal(m, scale).toString());
}

function decodeArray(elem: DataType, b: Buffer): Datum[] {
  if (b.length < 12) throw malformed('array header too short');
  const ndim = b.readInt32BE(0);
  if (ndim < 0 || ndim > 6) throw malformed('invalid number of dimensions');
  if (ndim === 0) return [];
  let pos = 12;
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) {
    if (pos + 8 > b.length) throw malformed('array header too short');
    dims.push(b.readInt32BE(pos));
    pos += 8;
  }
  let leaf: DataType = elem;
  for (let i = 1; i < ndim; i++) {
    if (leaf.kind !== 'list') throw malformed('wrong number of array dimensions');
    leaf = leaf.elem;
  }
  const readLevel = (depth: number, type: DataType): Datum[] => {
    const out: Datum[] = [];
    for (let i = 0; i < dims[depth]; i++) {
      if (depth + 1 < ndim) {
        out.push(readLevel(depth + 1, (type as DataType & { kind: 'list' }).elem));
        continue;
      }
      if (pos + 4 > b.length) throw malformed('array data too short');
      const len = b.readInt32BE(pos);
      pos += 4;
      if (len === -1) {
        out.push(null);
        continue;
      }
      if (len < 0 || pos + len > b.length) throw malformed('array element length out of range');
      out.push(decodeBinary(leaf, b.subarray(pos, pos + len)));
      pos += len;
    }
    return out;
  };
  const result = readLevel(0, elem);
  if (pos !== b.length) throw malformed('junk after array data');
  return result;
}

function decodeRecord(fields: readonly { type: DataType }[], b: Buffer): StructValue {
  if (b.length < 4) throw malformed('record header too short');
  const n = b.readInt32BE(0);
  if (n !== fields.length) throw malformed(`wrong number of columns: ${n}, expected ${fields.length}`);
  let pos = 4;
  const values: Datum[] = [];
  for (let i = 0; i < n; i++) {
    if (pos + 8 > b.length) throw malformed('record data too short');
    const len = b.readInt32BE(pos + 4);
    pos += 8;
    if (len === -1) {
      values.push(null);
      continue;
    }
    if (len < 0 || pos + len > b.length) throw malformed('record field length out of range');
    values.push(decodeBinary(fields[i].type, b.subarray(pos, pos + len)));
    pos += len;
  }
  if (pos !== b.length) throw malformed('junk after record data');
  return new StructValue(values);
}
