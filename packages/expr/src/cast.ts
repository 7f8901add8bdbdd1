/**
 * Casts between SQL types: which casts exist in which context (RisingWave's cast table,
 * frontend/src/expr/type_inference/cast.rs, itself PostgreSQL's pg_cast) and how values
 * convert. Rounding follows PostgreSQL: float → int rounds half to even, numeric → int
 * rounds half away from zero; out-of-range results are 22003.
 */
import {
  type DataType,
  type Datum,
  Decimal,
  Interval,
  Jsonb,
  SqlError,
  SqlState,
  StructValue,
  USECS_PER_DAY,
  formatDatum,
  formatJsonb,
  listOf,
  localToUtc,
  parseDatum,
  structOf,
  T,
  typeEquals,
  typeName,
  utcToLocal,
} from '@freshet/common';
import type { EvalContext } from './context';

export type CastContext = 'implicit' | 'assign' | 'explicit';

const RANK: Record<CastContext, number> = { implicit: 0, assign: 1, explicit: 2 };

// ---------------------------------------------------------------------------------------
// The cast table

/** (from → to) → the least permissive context in which the cast is allowed. */
const CAST_MAP = new Map<string, CastContext>();

/** Each earlier type casts implicitly to every later one; the reverse is an assignment cast. */
function insertSeq(kinds: string[]) {
  for (let i = 0; i < kinds.length; i++) {
    for (let j = 0; j < kinds.length; j++) {
      if (i !== j) CAST_MAP.set(`${kinds[i]}>${kinds[j]}`, i < j ? 'implicit' : 'assign');
    }
  }
}
insertSeq(['int16', 'int32', 'int64', 'decimal', 'float32', 'float64']);
insertSeq(['date', 'timestamp', 'timestamptz']);
insertSeq(['time', 'interval']);
for (const k of [
  'boolean',
  'int16',
  'int32',
  'int64',
  'decimal',
  'float32',
  'float64',
  'date',
  'timestamp',
  'timestamptz',
  'time',
  'interval',
  'jsonb',
  'bytea',
]) {
  CAST_MAP.set(`${k}>varchar`, 'assign');
  CAST_MAP.set(`varchar>${k}`, 'explicit');
}
CAST_MAP.set('timestamp>time', 'assign');
CAST_MAP.set('timestamptz>time', 'assign');
CAST_MAP.set('boolean>int32', 'explicit');
CAST_MAP.set('int32>boolean', 'explicit');
for (const k of ['boolean', 'int16', 'int32', 'int64', 'decimal', 'float32', 'float64']) {
  CAST_MAP.set(`jsonb>${k}`, 'explicit');
}
// serial (the hidden _row_id type) behaves as int64 everywhere.
for (const k of ['int64', 'decimal', 'float32', 'float64']) CAST_MAP.set(`serial>${k}`, 'implicit');
CAST_MAP.set('serial>int16', 'assign');
CAST_MAP.set('serial>int32', 'assign');
CAST_MAP.set('serial>varchar', 'assign');

/** Whether `from` can be cast to `to` in `context` (explicit ⊇ assign ⊇ implicit). */
export function canCast(from: DataType, to: DataType, context: CastContext): boolean {
  if (typeEquals(from, to)) return true;
  // An untyped literal / NULL adopts any type.
  if (from.kind === 'unknown') return true;
  const allow = RANK[context];
  if (from.kind === 'struct' && to.kind === 'struct') {
    if (from.fields.length !== to.fields.length) return false;
    return from.fields.every((f, i) => canCast(f.type, to.fields[i].type, context));
  }
  if (from.kind === 'list' && to.kind === 'list') return canCast(from.elem, to.elem, context);
  if (to.kind === 'varchar' && (from.kind === 'list' || from.kind === 'struct')) return allow >= RANK.assign;
  if (from.kind === 'varchar' && (to.kind === 'list' || to.kind === 'struct')) return allow >= RANK.explicit;
  const c = CAST_MAP.get(`${from.kind}>${to.kind}`);
  return c !== undefined && RANK[c] <= allow;
}

/**
 * The type every input can be implicitly cast to (RisingWave's least_restrictive folded over
 * the list; `unknown` inputs are ignored and all-unknown gives varchar), or undefined.
 */
export function commonSupertype(types: DataType[]): DataType | undefined {
  let acc: DataType | undefined;
  for (const t of types) {
    if (t.kind === 'unknown') continue;
    if (acc === undefined) {
      acc = t;
      continue;
    }
    const next = leastRestrictive(acc, t);
    if (next === undefined) return undefined;
    acc = next;
  }
  return acc ?? (types.length > 0 ? T.Varchar : undefined);
}

function leastRestrictive(a: DataType, b: DataType): DataType | undefined {
  if (typeEquals(a, b)) return a;
  if (canCast(a, b, 'implicit')) return b;
  if (canCast(b, a, 'implicit')) return a;
  // Element-wise unification of lists and same-shaped structs (e.g. int[] with numeric[]).
  if (a.kind === 'list' && b.kind === 'list') {
    const e = leastRestrictive(a.elem, b.elem);
    return e && listOf(e);
  }
  if (a.kind === 'struct' && b.kind === 'struct' && a.fields.length === b.fields.length) {
    const fields = [];
    for (let i = 0; i < a.fields.length; i++) {
      const t = leastRestrictive(a.fields[i].type, b.fields[i].type);
      if (!t) return undefined;
      fields.push({ name: a.fields[i].name, type: t });
    }
    return structOf(fields);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Value conversion

function outOfRange(type: string): SqlError {
  return new SqlError(SqlState.NumericValueOutOfRange, `${type} out of range`);
}

const INT_LIMITS = {
  int16: [-32768, 32767, 'smallint'],
  int32: [-2147483648, 2147483647, 'integer'],
} as const;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Round half to even (PostgreSQL's rint), used for float → integer. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toInt32Range(v: number | bigint, kind: 'int16' | 'int32'): number {
  const [min, max, name] = INT_LIMITS[kind];
  const n = typeof v === 'bigint' ? (v < BigInt(min) || v > BigInt(max) ? NaN : Number(v)) : v;
  if (!(n >= min && n <= max)) throw outOfRange(name);
  return n;
}

/** Any numeric datum to an integer kind. */
function numericToInt(fromKind: string, to: 'int16' | 'int32' | 'int64', d: Datum): number | bigint {
  switch (fromKind) {
    case 'int16':
    case 'int32':
      return to === 'int64' ? BigInt(d as number) : toInt32Range(d as number, to);
    case 'int64':
    case 'serial':
      return to === 'int64' ? (d as bigint) : toInt32Range(d as bigint, to);
    case 'float32':
    case 'float64': {
      const x = d as number;
      if (!Number.isFinite(x)) throw outOfRange(to === 'int16' ? 'smallint' : to === 'int32' ? 'integer' : 'bigint');
      const r = rint(x);
      if (to === 'int64') {
        if (r < -9223372036854775808 || r >= 9223372036854775808) throw outOfRange('bigint');
        return BigInt(r);
      }
      return toInt32Range(r, to);
    }
    case 'decimal': {
      const dec = d as Decimal;
      if (to === 'int64') return dec.toBigInt(I64_MIN, I64_MAX, 'bigint');
      const [min, max, name] = INT_LIMITS[to];
      return Number(dec.toBigInt(BigInt(min), BigInt(max), name));
    }
    case 'boolean':
      return to === 'int64' ? (d ? 1n : 0n) : d ? 1 : 0;
  }
  throw unsupported(fromKind, to);
}

function numericToFloat(fromKind: string, d: Datum): number {
  switch (fromKind) {
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return d as number;
    case 'int64':
    case 'serial':
      return Number(d as bigint);
    case 'decimal':
      return (d as Decimal).toNumber();
  }
  throw unsupported(fromKind, 'double precision');
}

function numericToDecimal(fromKind: string, d: Datum): Decimal {
  switch (fromKind) {
    case 'int16':
    case 'int32':
      return Decimal.fromInt(d as number);
    case 'int64':
    case 'serial':
      return Decimal.fromBigInt(d as bigint);
    case 'float32':
      return Decimal.fromNumber(d as number, true);
    case 'float64':
      return Decimal.fromNumber(d as number);
    case 'decimal':
      return d as Decimal;
  }
  throw unsupported(fromKind, 'numeric');
}

function unsupported(from: string, to: string): SqlError {
  return new SqlError(SqlState.CannotCoerce, `cannot cast type ${from} to ${to}`);
}

function jsonbToScalar(v: unknown, to: DataType): Datum {
  const kind = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
  const jsonKind = kind === 'number' || kind === 'bigint' ? 'number' : kind;
  const fail = () =>
    new SqlError(SqlState.InvalidParameterValue, `cannot cast jsonb ${jsonKind} to type ${typeName(to)}`);
  if (to.kind === 'boolean') {
    if (typeof v !== 'boolean') throw fail();
    return v;
  }
  if (typeof v !== 'number' && typeof v !== 'bigint') throw fail();
  const n = v as number | bigint;
  switch (to.kind) {
    case 'float64':
      return Number(n);
    case 'float32':
      return Math.fround(Number(n));
    case 'decimal':
      return typeof n === 'bigint' ? Decimal.fromBigInt(n) : Decimal.fromNumber(n);
    case 'int16':
    case 'int32':
    case 'int64': {
      // PG goes through numeric, so 1.5 rounds half away from zero.
      const dec = typeof n === 'bigint' ? Decimal.fromBigInt(n) : Decimal.fromNumber(n);
      return numericToInt('decimal', to.kind, dec);
    }
  }
  throw fail();
}

/**
 * Converts a datum of type `from` to type `to`. NULL stays NULL. Assumes `canCast(from, to,
 * 'explicit')`; unsupported pairs throw 42846.
 */
export function castDatum(from: DataType, to: DataType, d: Datum, ctx: EvalContext): Datum {
  if (d === null) return null;
  if (from.kind === to.kind && from.kind !== 'list' && from.kind !== 'struct') return d;
  const fk = from.kind;
  // From text: parse (string literals, varchar columns).
  if (fk === 'varchar' || fk === 'unknown') {
    if (to.kind === 'varchar' || to.kind === 'unknown') return d;
    return parseDatum(to, d as string, ctx.timeZone);
  }
  switch (to.kind) {
    case 'varchar':
      if (fk === 'jsonb') return formatJsonb((d as Jsonb).value);
      return formatDatum(from, d, ctx.timeZone);
    case 'boolean':
      if (fk === 'int32' || fk === 'int16' || fk === 'int64') return typeof d === 'bigint' ? d !== 0n : d !== 0;
      if (fk === 'jsonb') return jsonbToScalar((d as Jsonb).value, to);
      break;
    case 'int16':
    case 'int32':
    case 'int64':
      if (fk === 'jsonb') return jsonbToScalar((d as Jsonb).value, to);
      return numericToInt(fk, to.kind, d);
    case 'serial':
      return numericToInt(fk, 'int64', d);
    case 'float64':
      if (fk === 'jsonb') return jsonbToScalar((d as Jsonb).value, to);
      return numericToFloat(fk, d);
    case 'float32': {
      if (fk === 'jsonb') return jsonbToScalar((d as Jsonb).value, to);
      const x = numericToFloat(fk, d);
      const f = Math.fround(x);
      if (!Number.isFinite(f) && Number.isFinite(x)) throw new SqlError(SqlState.NumericValueOutOfRange, 'real out of range');
      return f;
    }
    case 'decimal':
      if (fk === 'jsonb') return jsonbToScalar((d as Jsonb).value, to);
      return numericToDecimal(fk, d);
    case 'date':
      if (fk === 'timestamp') return Math.floor((d as number) / USECS_PER_DAY);
      if (fk === 'timestamptz') return Math.floor(utcToLocal(d as number, ctx.timeZone) / USECS_PER_DAY);
      break;
    case 'timestamp':
      if (fk === 'date') return (d as number) * USECS_PER_DAY;
      if (fk === 'timestamptz') return utcToLocal(d as number, ctx.timeZone);
      break;
    case 'timestamptz':
      if (fk === 'date') return localToUtc((d as number) * USECS_PER_DAY, ctx.timeZone);
      if (fk === 'timestamp') return localToUtc(d as number, ctx.timeZone);
      break;
    case 'time': {
      if (fk === 'timestamp' || fk === 'timestamptz') {
        const local = fk === 'timestamp' ? (d as number) : utcToLocal(d as number, ctx.timeZone);
        return local - Math.floor(local / USECS_PER_DAY) * USECS_PER_DAY;
      }
      if (fk === 'interval') {
        const iv = d as Interval;
        const us = iv.isWide ? Number(iv.usecs() % BigInt(USECS_PER_DAY)) : iv.micros % USECS_PER_DAY;
        return us < 0 ? us + USECS_PER_DAY : us;
      }
      break;
    }
    case 'interval':
      if (fk === 'time') return new Interval(0, 0, d as number);
      break;
    case 'list':
      if (from.kind === 'list') {
        const elemFrom = from.elem;
        const elemTo = to.elem;
        return (d as Datum[]).map((x) => castDatum(elemFrom, elemTo, x, ctx));
      }
      break;
    case 'struct':
      if (from.kind === 'struct') {
        const vals = (d as StructValue).fields;
        return new StructValue(to.fields.map((f, i) => castDatum(from.fields[i].type, f.type, vals[i] ?? null, ctx)));
      }
      break;
    case 'jsonb':
      break;
    case 'bytea':
      break;
  }
  throw unsupported(typeName(from), typeName(to));
}

/** A cast bound once (by the binder/planner) and applied per row. */
export function resolveCast(from: DataType, to: DataType): (d: Datum, ctx: EvalContext) => Datum {
  if (typeEquals(from, to)) return (d) => d;
  return (d, ctx) => castDatum(from, to, d, ctx);
}
