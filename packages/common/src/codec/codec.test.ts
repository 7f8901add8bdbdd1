import { describe, expect, it, vi } from 'vitest';
import { type DataType, T, listOf, structOf } from '../types';
import { type Datum, Jsonb, StructValue } from '../datum';
import { Decimal } from '../decimal';
import { Interval } from '../interval';
import { concatKeys, decodeKey, encodeKey, encodeKeyString, encodeKeyStringAfter, keyPrefixLength, type KeyOrder } from './key';
import { decodeRow, encodeRow, packRow, unpackRow } from './value';
import { compareDatum } from '../compare';

// ---------------------------------------------------------------------------------------
// A deterministic PRNG so failures reproduce.
let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
}
const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)];

const DAY = 86_400_000_000;

function randString(): string {
  const alphabet = ['a', 'b', 'z', 'A', '\0', ' ', 'é', '中', '😀', '\uffff', 'ab', ''];
  let s = '';
  for (let i = ri(0, 4); i > 0; i--) s += pick(alphabet);
  return s;
}

function randDecimal(): Decimal {
  const r = rand();
  if (r < 0.05) return new Decimal(0n, 0, 'nan');
  if (r < 0.1) return new Decimal(0n, 0, 'inf');
  if (r < 0.15) return new Decimal(0n, 0, '-inf');
  const digits = ri(0, 28);
  let m = 0n;
  for (let i = 0; i < digits; i++) m = m * 10n + BigInt(pick([0, 0, 1, 5, 9]));
  if (rand() < 0.5) m = -m;
  return new Decimal(m, ri(0, 10));
}

function randJson(depth = 0): unknown {
  const r = rand();
  if (r < 0.15) return null;
  if (r < 0.3) return rand() < 0.5;
  if (r < 0.5) return pick([0, -1, 1.5, 1e300, -2.5, 42]);
  if (r < 0.7 || depth > 2) return randString();
  if (r < 0.85) return Array.from({ length: ri(0, 3) }, () => randJson(depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = ri(0, 3); i > 0; i--) o[pick(['a', 'b', 'aa', 'key'])] = randJson(depth + 1);
  return o;
}

function randDatum(t: DataType, nullable = true): Datum {
  if (nullable && rand() < 0.08) return null;
  switch (t.kind) {
    case 'boolean':
      return rand() < 0.5;
    case 'int16':
      return pick([-32768, 32767, 0, -1, 1, ri(-32768, 32767)]);
    case 'int32':
      return pick([-2147483648, 2147483647, 0, -1, 1, ri(-2147483648, 2147483647)]);
    case 'int64':
    case 'serial':
      return pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 1n, BigInt(ri(-1e9, 1e9)) * 1000003n]);
    case 'float32':
      return Math.fround(pick([0, -0, NaN, Infinity, -Infinity, 1.5, -1.5, 3.4e38, 1e-45, (rand() - 0.5) * 1e6]));
    case 'float64':
      return pick([0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, (rand() - 0.5) * 1e12, ri(-100, 100)]);
    case 'decimal':
      return randDecimal();
    case 'varchar':
      return randString();
    case 'bytea':
      return Uint8Array.from({ length: ri(0, 4) }, () => pick([0, 1, 255, 0x7f, 2]));
    case 'date':
      return ri(-1_000_000, 1_000_000);
    case 'time':
      return ri(0, DAY / 1000) * 1000;
    case 'timestamp':
    case 'timestamptz':
      return ri(-1e9, 1e9) * 1_000_000 + ri(0, 999_999);
    case 'interval':
      return new Interval(ri(-30, 30), ri(-40, 40), ri(-3, 3) * DAY + pick([0, 1, -1, 3_600_000_000]));
    case 'jsonb':
      return new Jsonb(randJson());
    case 'list':
      return Array.from({ length: ri(0, 3) }, () => randDatum(t.elem));
    case 'struct':
      return new StructValue(t.fields.map((f) => randDatum(f.type)));
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// Reference order (PostgreSQL's), independent of the codec. NULLs sort last.

function cmpNum(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function decRank(d: Decimal): number {
  return d.special === '-inf' ? 0 : d.special === 'inf' ? 2 : d.special === 'nan' ? 3 : 1;
}
function cmpDecimal(a: Decimal, b: Decimal): number {
  const ra = decRank(a);
  const rb = decRank(b);
  if (ra !== rb || ra !== 1) return ra - rb;
  const s = Math.max(a.scale, b.scale);
  const x = a.mantissa * 10n ** BigInt(s - a.scale);
  const y = b.mantissa * 10n ** BigInt(s - b.scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

function ivTotal(iv: Interval): bigint {
  return BigInt(iv.months * 30 + iv.days) * BigInt(DAY) + BigInt(iv.micros);
}

function jsonRank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'boolean') return 3;
  if (Array.isArray(v)) return 4;
  return 5;
}
function cmpJson(a: unknown, b: unknown): number {
  const ra = jsonRank(a);
  const rb = jsonRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
    case 2:
      return cmpNum(a as number, b as number);
    case 3:
      return Number(a) - Number(b);
    case 4: {
      const x = a as unknown[];
      const y = b as unknown[];
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const c = cmpJson(x[i], y[i]);
        if (c) return c;
      }
      return 0;
    }
    default: {
      const storage = (o: object) =>
        Object.entries(o).sort(
          ([k1], [k2]) => Buffer.byteLength(k1) - Buffer.byteLength(k2) || Buffer.compare(Buffer.from(k1), Buffer.from(k2)),
        );
      const x = storage(a as object);
      const y = storage(b as object);
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const k1 = Buffer.from(x[i][0]);
        const k2 = Buffer.from(y[i][0]);
        const c = k1.length - k2.length || Buffer.compare(k1, k2) || cmpJson(x[i][1], y[i][1]);
        if (c) return c;
      }
      return 0;
    }
  }
}

function refCompare(t: DataType, a: Datum, b: Datum): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 1) : -1;
  switch (t.kind) {
    case 'boolean':
      return Number(a) - Number(b);
    case 'int64':
    case 'serial':
      return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
    case 'decimal':
      return cmpDecimal(a as Decimal, b as Decimal);
    case 'varchar':
      return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string));
    case 'bytea':
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    case 'interval': {
      const x = ivTotal(a as Interval);
      const y = ivTotal(b as Interval);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'jsonb':
      return cmpJson((a as Jsonb).value, (b as Jsonb).value);
    case 'list': {
      const x = a as Datum[];
      const y = b as Datum[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = refCompare(t.elem, x[i], y[i]);
        if (c) return c;
      }
      return x.length - y.length;
    }
    case 'struct': {
      for (let i = 0; i < t.fields.length; i++) {
        const c = refCompare(t.fields[i].type, (a as StructValue).fields[i], (b as StructValue).fields[i]);
        if (c) return c;
      }
      return 0;
    }
    default:
      return cmpNum(a as number, b as number);
  }
}

const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);

const ALL_TYPES: DataType[] = [
  T.Boolean,
  T.Int16,
  T.Int32,
  T.Int64,
  T.Serial,
  T.Float32,
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
  listOf(T.Varchar),
  listOf(listOf(T.Decimal)),
  structOf([
    { name: 'a', type: T.Int32 },
    { name: 'b', type: T.Varchar },
  ]),
];

describe('memcomparable key encoding', () => {
  for (const t of ALL_TYPES) {
    const name = t.kind === 'list' || t.kind === 'struct' ? JSON.stringify(t) : t.kind;
    it(`preserves order for ${name}`, () => {
      for (let i = 0; i < 400; i++) {
        const a = randDatum(t);
        const b = randDatum(t);
        const expected = sign(refCompare(t, a, b));
        const got = sign(Buffer.compare(encodeKey([t], [a]), encodeKey([t], [b])));
        if (got !== expected) {
          throw new Error(`order mismatch for ${name}: ${String(a)} vs ${String(b)}: key ${got}, reference ${expected}`);
        }
        // DESC NULLS FIRST is the exact reverse of ASC NULLS LAST.
        const desc: KeyOrder[] = [{ desc: true }];
        expect(sign(Buffer.compare(encodeKey([t], [a], desc), encodeKey([t], [b], desc)))).toBe(0 - expected || 0);
      }
    });
  }

  it('agrees with compareDatum (the engine-wide order) for every type', () => {
    for (const t of ALL_TYPES) {
      for (let i = 0; i < 300; i++) {
        const a = randDatum(t, false);
        const b = randDatum(t, false);
        const key = sign(Buffer.compare(encodeKey([t], [a]), encodeKey([t], [b])));
        if (key !== sign(compareDatum(t, a, b))) {
          throw new Error(`${JSON.stringify(t)}: ${String(a)} vs ${String(b)}: key ${key}, compareDatum ${compareDatum(t, a, b)}`);
        }
      }
    }
  });

  it('orders composite keys column by column', () => {
    const types = [T.Varchar, T.Int32, T.Decimal];
    const rows = Array.from({ length: 300 }, () => types.map((t) => randDatum(t)));
    const byRef = [...rows].sort((x, y) => {
      for (let i = 0; i < types.length; i++) {
        const c = refCompare(types[i], x[i], y[i]);
        if (c) return c;
      }
      return 0;
    });
    const byKey = [...rows].sort((x, y) => Buffer.compare(encodeKey(types, x), encodeKey(types, y)));
    for (let i = 0; i < rows.length; i++) {
      expect(byKey[i].map((d, c) => refCompare(types[c], d, byRef[i][c]))).toEqual([0, 0, 0]);
    }
  });

  it('places NULLs first or last on request', () => {
    const lo = encodeKey([T.Int32], [null], [{ nullsFirst: true }]);
    const hi = encodeKey([T.Int32], [null]);
    const v = encodeKey([T.Int32], [-2147483648], [{ nullsFirst: true }]);
    expect(Buffer.compare(lo, v)).toBe(-1);
    expect(Buffer.compare(hi, encodeKey([T.Int32], [2147483647]))).toBe(1);
    const descNullsLast = [{ desc: true, nullsFirst: false }];
    expect(Buffer.compare(encodeKey([T.Int32], [null], descNullsLast), encodeKey([T.Int32], [-5], descNullsLast))).toBe(1);
  });

  it('gives equal keys for equal values (-0 and 0, 1.10 and 1.1, 1 mon and 30 days)', () => {
    expect(encodeKey([T.Float64], [-0])).toEqual(encodeKey([T.Float64], [0]));
    expect(encodeKey([T.Decimal], [new Decimal(110n, 2)])).toEqual(encodeKey([T.Decimal], [new Decimal(11n, 1)]));
    expect(encodeKey([T.Interval], [new Interval(1, 0, 0)])).toEqual(encodeKey([T.Interval], [new Interval(0, 30, 0)]));
    expect(encodeKey([T.Float64], [NaN])).toEqual(encodeKey([T.Float64], [-NaN]));
  });

  it('latin1 string form sorts like the bytes', () => {
    const keys = Array.from({ length: 200 }, () => randDatum(T.Varchar));
    const a = [...keys].sort((x, y) => Buffer.compare(encodeKey([T.Varchar], [x]), encodeKey([T.Varchar], [y])));
    const b = [...keys].sort((x, y) => {
      const p = encodeKeyString([T.Varchar], [x]);
      const q = encodeKeyString([T.Varchar], [y]);
      return p < q ? -1 : p > q ? 1 : 0;
    });
    expect(b).toEqual(a);
  });

  it('builds a prefixed key as the concatenation would, for every type (encodeKeyStringAfter, concatKeys)', () => {
    for (const t of ALL_TYPES) {
      for (let i = 0; i < 50; i++) {
        const group = encodeKeyString([T.Int64, T.Varchar], [BigInt(i) * 7919n, i % 3 === 0 ? null : `g${i}`]);
        const d = [randDatum(t)];
        const orders = i % 2 === 0 ? undefined : [{ desc: true }];
        const value = encodeKeyString([t], d, orders);
        expect(encodeKeyStringAfter(group, [t], d, orders)).toBe(group + value);
        expect(concatKeys(group, value)).toBe(group + value);
      }
    }
    // Past the scratch buffer's first size, and an empty half.
    const long = 'x'.repeat(5000);
    expect(concatKeys(long, long)).toBe(long + long);
    expect(concatKeys('', 'ab')).toBe('ab');
  });

  it('decodes keys back to equal datums', () => {
    for (const t of ALL_TYPES) {
      for (let i = 0; i < 100; i++) {
        const d = [randDatum(t), randDatum(T.Int32)];
        for (const orders of [undefined, [{ desc: true }, {}]]) {
          const back = decodeKey([t, T.Int32], encodeKey([t, T.Int32], d, orders), orders);
          expect(refCompare(t, back[0], d[0])).toBe(0);
          expect(back[1]).toBe(d[1]);
        }
      }
    }
  });
});

describe('keyPrefixLength', () => {
  const fixed: [DataType, Datum][] = [
    [T.Boolean, true],
    [T.Int16, -3],
    [T.Int32, 70000],
    [T.Int64, -(1n << 40n)],
    [T.Float32, 1.5],
    [T.Float64, -0.25],
    [T.Date, 19000],
    [T.Timestamptz, 1_700_000_000_000_000],
  ];

  it('measures the leading fixed-width columns of a key, NULLs (a marker alone) included, in either order', () => {
    for (const [a, av] of fixed) {
      for (const [b, bv] of fixed) {
        const f = keyPrefixLength([a, b])!;
        for (const datums of [[av, bv], [null, bv], [av, null], [null, null]] as Datum[][]) {
          for (const orders of [undefined, [{ desc: true }, {}]] as (KeyOrder[] | undefined)[]) {
            const prefix = encodeKeyString([a, b], datums, orders);
            const key = prefix + encodeKeyString([T.Varchar], ['tail']);
            expect(f(key)).toBe(prefix.length);
            expect(f(prefix)).toBe(prefix.length);
            // Only a whole prefix measures its own length: a cut one does not.
            expect(f(prefix.slice(0, -1))).not.toBe(prefix.length - 1);
          }
        }
      }
    }
  });

  it('is null when a column varies in width', () => {
    expect(keyPrefixLength([T.Int64, T.Varchar])).toBeNull();
    expect(keyPrefixLength([T.Decimal])).toBeNull();
  });
});

describe('row value encoding', () => {
  it('round trips every type exactly', () => {
    for (const t of ALL_TYPES) {
      for (let i = 0; i < 100; i++) {
        const row = [randDatum(t), randDatum(t)];
        expect(decodeRow(encodeRow(row))).toStrictEqual(row);
      }
    }
  });

  it('keeps representation details the key codec canonicalises', () => {
    const row: Datum[] = [
      -0,
      NaN,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 80n,
      new Decimal(110n, 2),
      new Decimal(-12345678901234567890123456789n, 5),
      new Decimal(0n, 0, 'nan'),
      new Interval(1, -2, 3.5e15),
      new Jsonb(JSON.parse('{"__proto__": 1, "a": [null, true, 1.5, "x"], "b": {}}')),
      new Jsonb(null),
      null,
      new StructValue([1, null, [2, 3]]),
      Uint8Array.from([0, 255, 1]),
      'héllo 😀',
      2 ** 60,
      -123456,
      [],
    ];
    const back = decodeRow(encodeRow(row));
    expect(back).toStrictEqual(row);
    expect(Object.is(back[0], -0)).toBe(true);
    expect(typeof back[2]).toBe('bigint');
    expect((back[5] as Decimal).scale).toBe(2);
    expect(Object.keys((back[9] as Jsonb).value as object)).toEqual(['__proto__', 'a', 'b']);
  });

  it('writes integers and bigints under 2^50 as varints, exactly, at every boundary', () => {
    const edge = 2 ** 50;
    const bigEdge = 2n ** 50n;
    const bigints = [0n, 1n, -1n, 63n, -64n, 100_000n, bigEdge - 1n, -(bigEdge - 1n), bigEdge, -bigEdge, bigEdge + 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n];
    const numbers = [0, 1, -1, edge - 1, -(edge - 1), edge, -edge, edge + 2, 2 ** 53, 1.5];
    const row: Datum[] = [...bigints, ...numbers];
    const back = decodeRow(encodeRow(row));
    expect(back).toStrictEqual(row);
    for (let i = 0; i < bigints.length; i++) expect(typeof back[i]).toBe('bigint');
    // Sizes: a count byte + tag + varint, against TAG_I64's tag + 8 bytes.
    const size = (d: Datum) => encodeRow([d]).length - 1;
    expect(size(1n)).toBe(2);
    expect(size(100_000n)).toBe(4);
    expect(size(bigEdge - 1n)).toBe(9);
    expect(size(bigEdge)).toBe(9);
  });

  it('reads bigints stored before the varint form (tag 5: 8 bytes big-endian)', () => {
    const old = Buffer.from([1, 5, 0, 0, 0, 0, 0, 1, 0x86, 0xa0]);
    expect(decodeRow(old)).toStrictEqual([100_000n]);
  });

  it('long strings and many columns', () => {
    const row = Array.from({ length: 300 }, (_, i) => (i % 2 ? 'x'.repeat(i * 10) + 'é' : i));
    expect(decodeRow(encodeRow(row))).toStrictEqual(row);
  });

  it('unpacks packed rows through one reused buffer: rows past its size, and nothing read shares it', () => {
    const big = [new Uint8Array(10_000).fill(7), 'y'.repeat(9_000), 5n];
    const small = [Uint8Array.of(1, 2, 3), 'z', null];
    const a = unpackRow(packRow(big));
    const b = unpackRow(packRow(small));
    const c = unpackRow(packRow(big));
    // The second and third unpacks wrote over the bytes the first was read from.
    expect(a).toStrictEqual(big);
    expect(b).toStrictEqual(small);
    expect(c).toStrictEqual(big);
    // No Buffer per row (each would be carved from a new outside-heap slab every 8 KiB).
    const packedSmall = packRow(small);
    const from = vi.spyOn(Buffer, 'from');
    try {
      expect(unpackRow(packedSmall)).toStrictEqual(small);
      expect(from).not.toHaveBeenCalled();
    } finally {
      from.mockRestore();
    }
    // A row past the buffer's cap (1 MiB) is read from a Buffer of its own.
    const huge = ['h'.repeat(1.5 * 2 ** 20), 1n];
    const packedHuge = packRow(huge);
    const fromHuge = vi.spyOn(Buffer, 'from');
    try {
      expect(unpackRow(packedHuge)).toStrictEqual(huge);
      expect(fromHuge).toHaveBeenCalledTimes(1);
    } finally {
      fromHuge.mockRestore();
    }
    expect(unpackRow(packRow(small))).toStrictEqual(small);
    // A row cut short still fails, though the buffer behind it is longer.
    const packed = packRow(small);
    expect(() => unpackRow(packed.slice(0, packed.length - 2))).toThrow(/truncated/);
  });
});
