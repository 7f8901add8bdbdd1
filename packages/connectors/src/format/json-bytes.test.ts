/**
 * The byte writer must print exactly what the string encoder prints (json-encode.ts, the
 * reference shared with the Kafka sink), for every type and the edge values of each: the
 * Redis sink writes one and the Kafka sink the other, and a consumer must see one JSON.
 */
import { type DataType, type Datum, Decimal, Interval, Jsonb, StructValue, T, listOf, structOf } from '@freshet/common';
import { Prng } from '@freshet/testkit';
import { describe, expect, it } from 'vitest';
import { jsonEncoder } from '../sink/encode';
import { ByteWriter, writeJsonValue } from './json-bytes';
import { encodeJsonValue } from './json-encode';

const US_PER_DAY = 86_400_000_000;

/** Random values of `t`, edge values included about a third of the time. */
function valueOf(t: DataType, rng: Prng): Datum {
  const r = () => rng.uint32() / 2 ** 32;
  const pick = <X>(xs: readonly X[]): X => rng.pick(xs);
  if (r() < 0.05) return null;
  const edge = r() < 0.3;
  switch (t.kind) {
    case 'boolean':
      return r() < 0.5;
    case 'int16':
      return edge ? pick([0, -1, 32767, -32768]) : Math.floor(r() * 65536) - 32768;
    case 'int32':
      return edge ? pick([0, -1, 2147483647, -2147483648, 9, 10, 99, 100]) : Math.floor(r() * 2 ** 32) - 2 ** 31;
    case 'int64':
    case 'serial':
      return edge
        ? pick([0n, -1n, 9007199254740991n, 9007199254740992n, -9007199254740993n, 9223372036854775807n, -9223372036854775808n])
        : BigInt(Math.floor((r() - 0.5) * 2 ** 52));
    case 'float64':
      return edge ? pick([0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, 0.1]) : (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10);
    case 'decimal':
      return Decimal.parse(edge ? pick(['0', '-0.5', '12.30', 'NaN']) : ((r() - 0.5) * 1e6).toFixed(3));
    case 'varchar':
      return edge
        ? pick(['', 'a"b', 'back\\slash', 'tab\there', 'line\nbreak', '\u0001', 'ünïcödé', '日本', '😀', '\u007f', '~'])
        : Array.from({ length: Math.floor(r() * 20) }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
    case 'bytea':
      return new Uint8Array(Array.from({ length: Math.floor(r() * 8) }, () => Math.floor(r() * 256)));
    case 'date':
      return edge ? pick([0, -1, -719_163, -719_164, 2_932_896, 2_932_897]) : Math.floor((r() - 0.5) * 100_000);
    case 'time':
      return edge ? pick([0, 999, 1000, US_PER_DAY - 1]) : Math.floor(r() * US_PER_DAY);
    case 'timestamp':
    case 'timestamptz':
      return edge
        ? pick([0, -1, 1, 999_999, -US_PER_DAY, 253_402_300_799_999_999, 253_402_300_800_000_000, -62_135_596_800_000_000, -62_135_596_800_000_001])
        : Math.floor((r() - 0.3) * 4e15);
    case 'interval':
      return new Interval(Math.floor((r() - 0.5) * 30), Math.floor((r() - 0.5) * 60), BigInt(Math.floor((r() - 0.5) * 1e11)));
    case 'jsonb':
      return new Jsonb({ a: [1, 'x"y', null], b: r() < 0.5 });
    case 'list':
      return Array.from({ length: Math.floor(r() * 4) }, () => valueOf((t as { elem: DataType }).elem, rng));
    case 'struct':
      return new StructValue((t as { readonly fields: readonly { type: DataType }[] }).fields.map((f) => valueOf(f.type, rng)));
    default:
      throw new Error(`no generator for ${t.kind}`);
  }
}

const TYPES: DataType[] = [
  T.Boolean,
  T.Int16,
  T.Int32,
  T.Int64,
  T.Float64,
  T.Decimal,
  T.Varchar,
  T.Bytea,
  T.Date,
  T.Time,
  T.Timestamp,
  T.Timestamptz,
  T.Interval,
  T.Jsonb,
  listOf(T.Int32),
  structOf([
    { name: 'a', type: T.Varchar },
    { name: 'b', type: T.Timestamptz },
  ]),
];

const bytesOf = (t: DataType, d: Datum, w = new ByteWriter(4)): string => {
  w.reset();
  writeJsonValue(w, t, d);
  return w.bytes.toString('utf8', 0, w.at);
};

describe('writeJsonValue', () => {
  it('prints every type as encodeJsonValue does, edge values included', () => {
    const r = Prng.fromEnv(20261123);
    // One small writer reused throughout: growth and reuse are part of what is checked.
    const w = new ByteWriter(4);
    for (const t of TYPES) {
      for (let i = 0; i < 2_000; i++) {
        const d = valueOf(t, r);
        const want = encodeJsonValue(t, d);
        const got = bytesOf(t, d, w);
        if (got !== want) expect({ type: t.kind, d: String(d), got }).toEqual({ type: t.kind, d: String(d), got: want });
      }
    }
  });

  it('escapes what JSON must escape and writes non-ASCII text as UTF-8', () => {
    expect(bytesOf(T.Varchar, 'a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(Buffer.from(bytesOf(T.Varchar, 'ü'), 'utf8')).toEqual(Buffer.from('"ü"', 'utf8'));
    expect(bytesOf(T.Timestamptz, Date.UTC(2018, 0, 26, 18, 30, 9, 453) * 1000)).toBe('"2018-01-26T18:30:09.453000Z"');
  });

  it('the JSON row encoder writes the same bytes as its string', () => {
    const columns = TYPES.map((type, i) => ({ name: i % 2 ? `c${i}` : `"q${i}"`, type, hidden: false }));
    const enc = jsonEncoder(columns, columns.map((_, i) => i));
    const r = Prng.fromEnv(7);
    const w = new ByteWriter(16);
    for (let i = 0; i < 500; i++) {
      const row = TYPES.map((t) => valueOf(t, r));
      w.reset();
      enc.encodeInto(row, w);
      expect(w.bytes.toString('utf8', 0, w.at)).toBe(enc.encode(row));
    }
  });
});
