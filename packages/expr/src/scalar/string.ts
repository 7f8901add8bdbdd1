/**
 * String functions (PostgreSQL semantics; lengths and positions count characters, not
 * bytes or UTF-16 units). Regex functions are in regex-functions.ts.
 */
import { createHash } from 'node:crypto';
import { formatDatum, SqlError, SqlState, T, type DataType, type Datum } from '@freshet/common';
import type { EvalContext } from '../context';
import { invalidParameter } from '../errors';
import { aliases, bound, fn, type EvalFn, type ScalarDef } from './def';
import { likeToRegex } from './regex';
import { cpArray, cpLength, cpSlice, hasSurrogates, utf8Bytes, utf8Length } from './text-util';

const V = T.Varchar;
const I = T.Int32;
const B = T.Boolean;

/** Text form of any value, as `::varchar` would give (used by concat, format, ||). */
export function textOf(t: DataType, d: Datum, ctx: EvalContext): string {
  if (t.kind === 'varchar' || t.kind === 'unknown') return d as string;
  if (t.kind === 'boolean') return d ? 't' : 'f';
  if (t.kind === 'int16' || t.kind === 'int32' || t.kind === 'int64') return String(d);
  return formatDatum(t, d, ctx.timeZone);
}

/** PostgreSQL substr: 1-based start may be ≤ 0; characters in [start, start+count). */
export function substr(s: string, start: number, count?: number): string {
  if (count === undefined) return cpSlice(s, start - 1);
  if (count < 0) throw new SqlError(SqlState.InvalidParameterValue, 'negative substring length not allowed');
  const end = start + count; // exclusive, 1-based
  if (end <= 1) return '';
  return cpSlice(s, Math.max(start, 1) - 1, end - 1);
}

function initcap(s: string): string {
  let out = '';
  let prevAlnum = false;
  for (const ch of s) {
    const isAlnum = /[\p{L}\p{N}]/u.test(ch);
    out += isAlnum ? (prevAlnum ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevAlnum = isAlnum;
  }
  return out;
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(cpArray(chars));
  const cps = cpArray(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && set.has(cps[a])) a++;
  if (right) while (b > a && set.has(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

function pad(s: string, len: number, fill: string, left: boolean): string {
  if (len <= 0) return '';
  // Same bound as repeat(): a huge length would exhaust the heap and kill the server.
  if (len > 1 << 28) throw new SqlError(SqlState.ProgramLimitExceeded, 'requested length too large');
  const cps = cpArray(s);
  if (cps.length >= len) return cps.slice(0, len).join('');
  if (fill === '') return s;
  const fillCps = cpArray(fill);
  const need = len - cps.length;
  let padding = '';
  for (let i = 0; i < need; i++) padding += fillCps[i % fillCps.length];
  return left ? padding + s : s + padding;
}

function strpos(s: string, sub: string): number {
  const i = s.indexOf(sub);
  if (i < 0) return 0;
  return hasSurrogates(s) ? cpLength(s.slice(0, i)) + 1 : i + 1;
}

function splitPart(s: string, delim: string, n: number): string {
  if (n === 0) throw invalidParameter('n', 'field position must not be zero');
  if (delim === '') return n === 1 || n === -1 ? s : '';
  const parts = s.split(delim);
  const idx = n > 0 ? n - 1 : parts.length + n;
  return idx >= 0 && idx < parts.length ? parts[idx] : '';
}

function leftN(s: string, n: number): string {
  const len = cpLength(s);
  return cpSlice(s, 0, n >= 0 ? n : Math.max(0, len + n));
}

function rightN(s: string, n: number): string {
  const len = cpLength(s);
  return cpSlice(s, n >= 0 ? Math.max(0, len - n) : Math.min(len, -n));
}

function translateChars(s: string, from: string, to: string): string {
  const f = cpArray(from);
  const t = cpArray(to);
  const map = new Map<string, string | null>();
  for (let i = 0; i < f.length; i++) if (!map.has(f[i])) map.set(f[i], i < t.length ? t[i] : null);
  let out = '';
  for (const ch of s) {
    const m = map.get(ch);
    if (m === undefined) out += ch;
    else if (m !== null) out += m;
  }
  return out;
}

function overlay(s: string, placing: string, from: number, count?: number): string {
  const n = count ?? cpLength(placing);
  return substr(s, 1, Math.max(from - 1, 0)) + placing + substr(s, from + n);
}

export function quoteIdent(s: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(s)) return s;
  return '"' + s.replace(/"/g, '""') + '"';
}

export function quoteLiteral(s: string): string {
  const q = "'" + s.replace(/'/g, "''").replace(/\\/g, '\\\\') + "'";
  return s.includes('\\') ? 'E' + q : q;
}

function toHex(v: number | bigint, bits: 32 | 64): string {
  if (typeof v === 'bigint') return BigInt.asUintN(64, v).toString(16);
  return bits === 32 ? (v >>> 0).toString(16) : v.toString(16);
}

function repeat(s: string, n: number): string {
  if (n <= 0) return '';
  if (s.length * n > 1 << 28) throw new SqlError(SqlState.ProgramLimitExceeded, 'requested length too large');
  return s.repeat(n);
}

function chr(code: number): string {
  if (code === 0) throw invalidParameter('chr', 'null character not permitted');
  if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
    throw invalidParameter('chr', 'requested character too large for encoding');
  }
  return String.fromCodePoint(code);
}

/** concat(any...): NULLs are skipped. */
function concatBind(types: DataType[]): EvalFn {
  return (args, ctx) => {
    let out = '';
    for (let i = 0; i < args.length; i++) if (args[i] !== null) out += textOf(types[i], args[i], ctx);
    return out;
  };
}

/** concat_ws(sep, any...): NULL separator gives NULL; NULL values are skipped. */
function concatWsBind(types: DataType[]): EvalFn {
  return (args, ctx) => {
    if (args[0] === null) return null;
    const parts: string[] = [];
    for (let i = 1; i < args.length; i++) if (args[i] !== null) parts.push(textOf(types[i], args[i], ctx));
    return parts.join(args[0] as string);
  };
}

/** format(fmt, any...): %s (text, NULL → ''), %I (quote_ident), %L (quote_literal, NULL → NULL), %%; positions `%n$`; widths `%-10s`. */
function formatBind(types: DataType[]): EvalFn {
  return (args, ctx) => {
    const fmt = args[0];
    if (fmt === null) return null;
    let out = '';
    let next = 1;
    const f = fmt as string;
    for (let i = 0; i < f.length; i++) {
      const c = f[i];
      if (c !== '%') {
        out += c;
        continue;
      }
      const m = /^(?:(\d+)\$)?(-)?(\d+|\*)?([sIL%])/.exec(f.slice(i + 1));
      if (!m) throw invalidParameter('format', 'unrecognized format() type specifier');
      i += m[0].length;
      if (m[4] === '%') {
        out += '%';
        continue;
      }
      let width = 0;
      let leftAlign = m[2] === '-';
      if (m[3] === '*') {
        const w = args[next++];
        width = w === null ? 0 : Number(w);
        if (width < 0) {
          leftAlign = true;
          width = -width;
        }
      } else if (m[3]) width = Number(m[3]);
      const idx = m[1] ? Number(m[1]) : next;
      next = idx + 1;
      if (idx >= args.length) throw invalidParameter('format', 'too few arguments for format()');
      const v = args[idx];
      let s: string;
      if (m[4] === 's') s = v === null ? '' : textOf(types[idx], v, ctx);
      else if (m[4] === 'I') {
        if (v === null) throw new SqlError(SqlState.NullValueNotAllowed, 'null values cannot be formatted as an SQL identifier');
        s = quoteIdent(textOf(types[idx], v, ctx));
      } else s = v === null ? 'NULL' : quoteLiteral(textOf(types[idx], v, ctx));
      const len = cpLength(s);
      if (len < width) s = leftAlign ? s + ' '.repeat(width - len) : ' '.repeat(width - len) + s;
      out += s;
    }
    return out;
  };
}

function likeFn(name: string, ci: boolean, negate: boolean): ScalarDef[] {
  return [
    fn(name, [V, V], B, (a) => likeToRegex(a[1] as string, ci).test(a[0] as string) !== negate),
    fn(name, [V, V, V], B, (a) => likeToRegex(a[1] as string, ci, a[2] as string).test(a[0] as string) !== negate),
  ];
}

const md5 = (s: string | Uint8Array) => createHash('md5').update(s).digest('hex');

export const stringFunctions: ScalarDef[] = [
  ...aliases(['length', 'char_length', 'character_length'], [fn('', [V], I, (a) => cpLength(a[0] as string))]),
  fn('length', [T.Bytea], I, (a) => (a[0] as Uint8Array).length),
  fn('octet_length', [V], I, (a) => utf8Length(a[0] as string)),
  fn('octet_length', [T.Bytea], I, (a) => (a[0] as Uint8Array).length),
  fn('bit_length', [V], I, (a) => 8 * utf8Length(a[0] as string)),
  fn('bit_length', [T.Bytea], I, (a) => 8 * (a[0] as Uint8Array).length),
  fn('lower', [V], V, (a) => (a[0] as string).toLowerCase()),
  fn('upper', [V], V, (a) => (a[0] as string).toUpperCase()),
  fn('initcap', [V], V, (a) => initcap(a[0] as string)),
  ...aliases(
    ['substr', 'substring'],
    [
      fn('', [V, I], V, (a) => substr(a[0] as string, a[1] as number)),
      fn('', [V, I, I], V, (a) => substr(a[0] as string, a[1] as number, a[2] as number)),
    ],
  ),
  fn('substr', [T.Bytea, I], T.Bytea, (a) => (a[0] as Uint8Array).slice(Math.max(0, (a[1] as number) - 1))),
  ...aliases(['position', 'strpos'], [fn('', [V, V], I, (a) => strpos(a[0] as string, a[1] as string))]),
  fn('replace', [V, V, V], V, (a) => {
    const from = a[1] as string;
    return from === '' ? (a[0] as string) : (a[0] as string).split(from).join(a[2] as string);
  }),
  ...aliases(['btrim', 'trim'], [
    fn('', [V], V, (a) => trimChars(a[0] as string, ' ', true, true)),
    fn('', [V, V], V, (a) => trimChars(a[0] as string, a[1] as string, true, true)),
  ]),
  fn('ltrim', [V], V, (a) => trimChars(a[0] as string, ' ', true, false)),
  fn('ltrim', [V, V], V, (a) => trimChars(a[0] as string, a[1] as string, true, false)),
  fn('rtrim', [V], V, (a) => trimChars(a[0] as string, ' ', false, true)),
  fn('rtrim', [V, V], V, (a) => trimChars(a[0] as string, a[1] as string, false, true)),
  fn('lpad', [V, I], V, (a) => pad(a[0] as string, a[1] as number, ' ', true)),
  fn('lpad', [V, I, V], V, (a) => pad(a[0] as string, a[1] as number, a[2] as string, true)),
  fn('rpad', [V, I], V, (a) => pad(a[0] as string, a[1] as number, ' ', false)),
  fn('rpad', [V, I, V], V, (a) => pad(a[0] as string, a[1] as number, a[2] as string, false)),
  fn('repeat', [V, I], V, (a) => repeat(a[0] as string, a[1] as number)),
  fn('reverse', [V], V, (a) => cpArray(a[0] as string).reverse().join('')),
  fn('split_part', [V, V, I], V, (a) => splitPart(a[0] as string, a[1] as string, a[2] as number)),
  fn('left', [V, I], V, (a) => leftN(a[0] as string, a[1] as number)),
  fn('right', [V, I], V, (a) => rightN(a[0] as string, a[1] as number)),
  fn('starts_with', [V, V], B, (a) => (a[0] as string).startsWith(a[1] as string)),
  fn('ends_with', [V, V], B, (a) => (a[0] as string).endsWith(a[1] as string)),
  fn('md5', [V], V, (a) => md5(a[0] as string)),
  fn('md5', [T.Bytea], V, (a) => md5(a[0] as Uint8Array)),
  fn('sha256', [T.Bytea], T.Bytea, (a) => new Uint8Array(createHash('sha256').update(a[0] as Uint8Array).digest())),
  fn('to_hex', [I], V, (a) => toHex(a[0] as number, 32)),
  fn('to_hex', [T.Int64], V, (a) => toHex(a[0] as bigint, 64)),
  fn('ascii', [V], I, (a) => (a[0] as string).codePointAt(0) ?? 0),
  fn('chr', [I], V, (a) => chr(a[0] as number)),
  fn('translate', [V, V, V], V, (a) => translateChars(a[0] as string, a[1] as string, a[2] as string)),
  fn('overlay', [V, V, I], V, (a) => overlay(a[0] as string, a[1] as string, a[2] as number)),
  fn('overlay', [V, V, I, I], V, (a) => overlay(a[0] as string, a[1] as string, a[2] as number, a[3] as number)),
  fn('quote_ident', [V], V, (a) => quoteIdent(a[0] as string)),
  fn('quote_literal', [V], V, (a) => quoteLiteral(a[0] as string)),
  fn('quote_nullable', [V], V, (a) => (a[0] === null ? 'NULL' : quoteLiteral(a[0] as string)), { strict: false }),
  fn('concat_op', [V, V], V, (a) => (a[0] as string) + (a[1] as string)),
  bound('concat_op', [V, 'anynonarray'], V, (t) => (a, ctx) => (a[0] as string) + textOf(t[1], a[1], ctx)),
  bound('concat_op', ['anynonarray', V], V, (t) => (a, ctx) => textOf(t[0], a[0], ctx) + (a[1] as string)),
  bound('concat', [], V, concatBind, { variadic: 'any', minVariadic: 1, strict: false }),
  bound('concat_ws', [V], V, concatWsBind, { variadic: 'any', minVariadic: 1, strict: false }),
  bound('format', [V], V, formatBind, { variadic: 'any', strict: false }),
  fn('encode', [T.Bytea, V], V, (a) => encode(a[0] as Uint8Array, a[1] as string)),
  fn('decode', [V, V], T.Bytea, (a) => decode(a[0] as string, a[1] as string)),
  fn('convert_from', [T.Bytea, V], V, (a) => new TextDecoder().decode(a[0] as Uint8Array)),
  fn('convert_to', [V, V], T.Bytea, (a) => utf8Bytes(a[0] as string)),
  ...likeFn('like', false, false),
  ...likeFn('ilike', true, false),
  ...likeFn('not_like', false, true),
  ...likeFn('not_ilike', true, true),
];

function encode(b: Uint8Array, format: string): string {
  switch (format.toLowerCase()) {
    case 'hex':
      return Buffer.from(b).toString('hex');
    case 'base64':
      return Buffer.from(b).toString('base64').replace(/(.{76})(?=.)/g, '$1\n');
    case 'escape': {
      let out = '';
      for (const byte of b) {
        if (byte === 0x5c) out += '\\\\';
        else if (byte < 0x20 || byte > 0x7e) out += '\\' + byte.toString(8).padStart(3, '0');
        else out += String.fromCharCode(byte);
      }
      return out;
    }
    default:
      throw invalidParameter('format', `unrecognized encoding: "${format}"`);
  }
}

function decode(s: string, format: string): Uint8Array {
  switch (format.toLowerCase()) {
    case 'hex':
      if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw invalidParameter('data', 'invalid hexadecimal data');
      return new Uint8Array(Buffer.from(s, 'hex'));
    case 'base64':
      return new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'base64'));
    case 'escape': {
      const bytes: number[] = [];
      const raw = utf8Bytes(s);
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] === 0x5c) {
          if (raw[i + 1] === 0x5c) {
            bytes.push(0x5c);
            i++;
          } else {
            bytes.push(parseInt(String.fromCharCode(raw[i + 1], raw[i + 2], raw[i + 3]), 8));
            i += 3;
          }
        } else bytes.push(raw[i]);
      }
      return new Uint8Array(bytes);
    }
    default:
      throw invalidParameter('format', `unrecognized encoding: "${format}"`);
  }
}
