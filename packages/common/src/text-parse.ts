/**
 * Text input of datums: string-literal casts (`'1.5'::numeric`) and text-format bind
 * parameters. The inverse of text-format.ts; errors follow PostgreSQL (22P02 for bad
 * syntax, 22003 for out-of-range numbers, 22007/22008 for dates and times).
 */
import { parseDate, parseTime, parseTimestamp, parseTimestamptz } from './datetime';
import { Jsonb, StructValue, type Datum } from './datum';
import { Decimal } from './decimal';
import { SqlError, SqlState } from './error';
import { Interval } from './interval';
import { typeName, type DataType } from './types';

/** Parses `text` as a value of type `t`; throws SqlError 22P02/22007/22003 on bad input. */
export function parseDatum(t: DataType, text: string, timeZone: string): Datum {
  switch (t.kind) {
    case 'boolean':
      return parseBool(text);
    case 'int16':
      return parseInt32Range(text, -32768, 32767, 'smallint');
    case 'int32':
      return parseInt32Range(text, -2147483648, 2147483647, 'integer');
    case 'int64':
    case 'serial':
      return parseInt64(text);
    case 'float32':
      return parseFloat32(text);
    case 'float64':
      return parseFloat64(text);
    case 'decimal':
      return Decimal.parse(text);
    case 'varchar':
    case 'unknown':
      return text;
    case 'bytea':
      return parseBytea(text);
    case 'date':
      return parseDate(text);
    case 'time':
      return parseTime(text);
    case 'timestamp':
      return parseTimestamp(text);
    case 'timestamptz':
      return parseTimestamptz(text, timeZone);
    case 'interval':
      return Interval.parse(text);
    case 'jsonb':
      return parseJsonb(text);
    case 'list':
      return parseList(t.elem, text, timeZone);
    case 'struct':
      return parseStruct(t, text, timeZone);
  }
}

function invalidSyntax(type: string, text: string): SqlError {
  return new SqlError(SqlState.InvalidTextRepresentation, `invalid input syntax for type ${type}: "${text}"`);
}

// ---------------------------------------------------------------------------------------
// Scalars

const TRUE_WORDS = ['true', 'yes', 'on'];
const FALSE_WORDS = ['false', 'no', 'off'];

/** PG boolean input: t/true/y/yes/on/1 and f/false/n/no/off/0, any unique prefix, any case. */
export function parseBool(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (s === '1') return true;
  if (s === '0') return false;
  if (s.length > 0) {
    // 'o' alone is ambiguous (on/off).
    if (s.length >= 2 || s !== 'o') {
      if (TRUE_WORDS.some((w) => w.startsWith(s))) return true;
      if (FALSE_WORDS.some((w) => w.startsWith(s))) return false;
    }
  }
  throw invalidSyntax('boolean', text);
}

const INT_RE = /^[+-]?\d+$/;

function intOutOfRange(text: string, type: string): SqlError {
  return new SqlError(SqlState.NumericValueOutOfRange, `value "${text}" is out of range for type ${type}`);
}

function parseInt32Range(text: string, min: number, max: number, type: string): number {
  const s = text.trim().replace(/_/g, '');
  if (!INT_RE.test(s)) throw invalidSyntax(type, text);
  const n = Number(s);
  if (n < min || n > max) throw intOutOfRange(text, type);
  return n;
}

export function parseInt16(text: string): number {
  return parseInt32Range(text, -32768, 32767, 'smallint');
}
export function parseInt32(text: string): number {
  return parseInt32Range(text, -2147483648, 2147483647, 'integer');
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

export function parseInt64(text: string): bigint {
  const s = text.trim().replace(/_/g, '');
  if (!INT_RE.test(s)) throw invalidSyntax('bigint', text);
  const n = BigInt(s);
  if (n < I64_MIN || n > I64_MAX) throw intOutOfRange(text, 'bigint');
  return n;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseFloatText(text: string, type: string): number {
  const s = text.trim();
  if (FLOAT_RE.test(s)) return Number(s);
  switch (s.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  throw invalidSyntax(type, text);
}

function floatOutOfRange(text: string, type: string): SqlError {
  return new SqlError(SqlState.NumericValueOutOfRange, `"${text}" is out of range for type ${type}`);
}

export function parseFloat64(text: string): number {
  const n = parseFloatText(text, 'double precision');
  if (!Number.isFinite(n) && FLOAT_RE.test(text.trim())) throw floatOutOfRange(text, 'double precision');
  return n;
}

export function parseFloat32(text: string): number {
  const n = parseFloatText(text, 'real');
  const f = Math.fround(n);
  if (!Number.isFinite(f) && Number.isFinite(n)) throw floatOutOfRange(text, 'real');
  if (!Number.isFinite(n) && FLOAT_RE.test(text.trim())) throw floatOutOfRange(text, 'real');
  return f;
}

/** bytea input: hex (`\x0aff`) or escape format (`abc\000\\`). */
export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x') || text.startsWith('\\X')) {
    const hex = text.slice(2).replace(/\s+/g, '');
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
      throw new SqlError(SqlState.InvalidTextRepresentation, `invalid hexadecimal data: odd number of digits`);
    }
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  // Escape format: backslash sequences are bytes, everything else is UTF-8 text.
  const out: number[] = [];
  let run = '';
  const flush = () => {
    if (run) for (const byte of Buffer.from(run, 'utf8')) out.push(byte);
    run = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '\\') {
      run += ch;
      continue;
    }
    flush();
    if (text[i + 1] === '\\') {
      out.push(92);
      i++;
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(i + 1, i + 4))) {
      out.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      throw invalidSyntax('bytea', text);
    }
  }
  flush();
  return new Uint8Array(out);
}

export function parseJsonb(text: string): Jsonb {
  try {
    return new Jsonb(JSON.parse(text));
  } catch {
    throw invalidSyntax('json', text);
  }
}

// ---------------------------------------------------------------------------------------
// Arrays: `{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`

function malformedArray(text: string, detail: string): SqlError {
  return new SqlError(SqlState.InvalidTextRepresentation, `malformed array literal: "${text}"`, { detail });
}

export function parseList(elem: DataType, text: string, timeZone: string): Datum[] {
  const p = { s: text, i: 0 };
  skipWs(p);
  const v = parseArrayLevel(elem, p, text, timeZone);
  skipWs(p);
  if (p.i !== p.s.length) throw malformedArray(text, 'Junk after closing right brace.');
  return v;
}

function skipWs(p: { s: string; i: number }) {
  while (p.i < p.s.length && /\s/.test(p.s[p.i])) p.i++;
}

function parseArrayLevel(elem: DataType, p: { s: string; i: number }, text: string, timeZone: string): Datum[] {
  if (p.s[p.i] !== '{') throw malformedArray(text, 'Array value must start with "{" or dimension information.');
  p.i++;
  const out: Datum[] = [];
  skipWs(p);
  if (p.s[p.i] === '}') {
    p.i++;
    return out;
  }
  for (;;) {
    skipWs(p);
    const c = p.s[p.i];
    if (c === undefined) throw malformedArray(text, 'Unexpected end of input.');
    if (c === '{') {
      if (elem.kind !== 'list') throw malformedArray(text, 'Unexpected "{" character.');
      out.push(parseArrayLevel(elem.elem, p, text, timeZone));
    } else if (c === '"') {
      p.i++;
      let s = '';
      for (;;) {
        const ch = p.s[p.i++];
        if (ch === undefined) throw malformedArray(text, 'Unexpected end of input.');
        if (ch === '\\') s += p.s[p.i++] ?? '';
        else if (ch === '"') break;
        else s += ch;
      }
      out.push(parseElement(elem, s, timeZone, text));
    } else {
      let s = '';
      while (p.i < p.s.length && p.s[p.i] !== ',' && p.s[p.i] !== '}') {
        const ch = p.s[p.i++];
        if (ch === '\\') s += p.s[p.i++] ?? '';
        else if (ch === '{' || ch === '"') throw malformedArray(text, `Unexpected "${ch}" character.`);
        else s += ch;
      }
      s = s.trim();
      if (s.length === 0) throw malformedArray(text, 'Unexpected "," character.');
      out.push(s.toUpperCase() === 'NULL' ? null : parseElement(elem, s, timeZone, text));
    }
    skipWs(p);
    const sep = p.s[p.i++];
    if (sep === '}') return out;
    if (sep !== ',') throw malformedArray(text, 'Unexpected array element.');
  }
}

function parseElement(elem: DataType, s: string, timeZone: string, text: string): Datum {
  if (elem.kind === 'list') return parseList(elem.elem, s, timeZone);
  void text;
  return parseDatum(elem, s, timeZone);
}

// ---------------------------------------------------------------------------------------
// Rows: `(1,abc,)`, `("a b","x""y")`

export function parseStruct(t: DataType & { kind: 'struct' }, text: string, timeZone: string): StructValue {
  const s = text.trim();
  const malformed = (detail: string) =>
    new SqlError(SqlState.InvalidTextRepresentation, `malformed record literal: "${text}"`, { detail });
  if (s[0] !== '(' || s[s.length - 1] !== ')') throw malformed('Missing left parenthesis.');
  const raw: (string | null)[] = [];
  let i = 1;
  const end = s.length - 1;
  for (;;) {
    let val = '';
    let quoted = false;
    while (i < end && s[i] !== ',') {
      const ch = s[i++];
      if (ch === '"') {
        quoted = true;
        for (;;) {
          if (i >= end) throw malformed('Unexpected end of input.');
          const q = s[i++];
          if (q === '"') {
            if (s[i] === '"') {
              val += '"';
              i++;
            } else break;
          } else if (q === '\\') val += s[i++];
          else val += q;
        }
      } else if (ch === '\\') {
        val += s[i++];
      } else val += ch;
    }
    raw.push(!quoted && val.length === 0 ? null : val);
    if (i >= end) break;
    i++; // ','
  }
  if (raw.length === 1 && raw[0] === null && t.fields.length !== 1 && s === '()') raw.length = 0;
  if (raw.length !== t.fields.length) {
    throw malformed(raw.length < t.fields.length ? 'Too few columns.' : 'Too many columns.');
  }
  return new StructValue(raw.map((v, k) => (v === null ? null : parseDatum(t.fields[k].type, v, timeZone))));
}

/** For error messages that name the target type. */
export function describeType(t: DataType): string {
  return typeName(t);
}
