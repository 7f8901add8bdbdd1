/**
 * Field generators of the datagen connector, one per column (and per struct field / list
 * element), built from `fields.<path>.<option>` with RisingWave's rules:
 *
 * - numbers (smallint, int, bigint, real, double): `kind = 'sequence'` counts from `start`
 *   (default 0) to `end` (default 32767) — split i of n yields start+i, start+i+n, … and the
 *   split ends after `end`; `kind = 'random'` (default) is uniform in [`min`, `max`]
 *   (defaults 0 and 32767);
 * - timestamp / timestamptz: random, `max_past` (default 1 day) before a base time, which is
 *   `basetime` (RFC 3339) or the time the reader started, or with `max_past_mode = 'relative'`
 *   the time of generation;
 * - varchar: random alphanumeric of `length` characters (default 10);
 * - struct: each field from `fields.<col>.<field>.*`; list: `length` (default 10) elements
 *   from `fields.<col>._.*`.
 *
 * A random value depends only on (row offset, seed): the seed is `fields.<path>.seed`
 * (default 0) xor the split index, so a reader that resumes at an offset regenerates exactly
 * the rows it would have produced. RisingWave draws from ChaCha; Freshet from SmallRng, so
 * the random values have RisingWave's shapes and ranges but not its exact numbers.
 */
import { type DataType, type Datum, StructValue, SqlError, SqlState, parseDatum, typeName } from '@freshet/common';
import { SmallRng } from '../rng';
import { parseDuration } from '../options';

export interface FieldGenerator {
  /** The value for row `offset`; null from a sequence past its end (the split is over). */
  generate(offset: number): Datum;
}

/** Is `null` from this generator the end of the split (a sequence), not a NULL value? */
export interface SequenceAware {
  readonly isSequence: boolean;
}

export interface FieldContext {
  readonly options: Readonly<Record<string, string>>;
  readonly splitIndex: number;
  readonly splitNum: number;
  /** Reader start time, ms (the absolute base of timestamps without `basetime`). */
  readonly startTime: number;
  readonly now: () => number;
}

const DEFAULT_MAX = 32767;
const DEFAULT_LENGTH = 10;
const DEFAULT_MAX_PAST_MS = 86_400_000;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Field options datagen understands (`fields.<path>.<option>`). */
export const FIELD_OPTIONS: ReadonlySet<string> = new Set(['kind', 'start', 'end', 'min', 'max', 'seed', 'length', 'max_past', 'max_past_mode', 'basetime']);

export function buildField(path: string, type: DataType, ctx: FieldContext): FieldGenerator & SequenceAware {
  const opt = (name: string): string | undefined => ctx.options[`fields.${path}.${name}`];
  const seedText = opt('seed');
  let seed = BigInt(ctx.splitIndex);
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText.trim())) throw badField(path, 'seed', seedText, 'a non-negative integer');
    seed = BigInt(seedText.trim()) ^ seed;
  }
  switch (type.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'float32':
    case 'float64': {
      const kind = (opt('kind') ?? 'random').toLowerCase();
      if (kind === 'sequence') return new SequenceField(type, num(path, 'start', opt('start'), type, 0), num(path, 'end', opt('end'), type, DEFAULT_MAX), ctx);
      if (kind !== 'random') throw badField(path, 'kind', opt('kind')!, "'sequence' or 'random'");
      return new RandomNumberField(type, num(path, 'min', opt('min'), type, 0), num(path, 'max', opt('max'), type, DEFAULT_MAX), seed, path);
    }
    case 'timestamp':
    case 'timestamptz': {
      rejectSequence(path, type, opt('kind'));
      const maxPastText = opt('max_past');
      const maxPast = maxPastText === undefined ? DEFAULT_MAX_PAST_MS : parseDuration(`fields.${path}.max_past`, maxPastText);
      const mode = (opt('max_past_mode') ?? 'absolute').toLowerCase();
      if (mode !== 'absolute' && mode !== 'relative') throw badField(path, 'max_past_mode', opt('max_past_mode')!, "'absolute' or 'relative'");
      const baseText = opt('basetime');
      let base: number | null = mode === 'relative' ? null : ctx.startTime * 1000;
      if (baseText !== undefined) {
        const ms = Date.parse(baseText);
        if (Number.isNaN(ms)) throw badField(path, 'basetime', baseText, 'an RFC 3339 timestamp such as 2024-01-01T00:00:00+00:00');
        base = ms * 1000;
      }
      return new TimestampField(Math.floor(maxPast), base, seed, ctx.now);
    }
    case 'varchar': {
      rejectSequence(path, type, opt('kind'));
      return new VarcharField(length(path, opt('length')), seed);
    }
    case 'struct':
      return new StructField(type.fields.map((f) => buildField(`${path}.${f.name}`, f.type, ctx)));
    case 'list':
      return new ListField(buildField(`${path}._`, type.elem, ctx), length(path, opt('length')));
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: datagen field generator for ${typeName(type)} (column ${path})`);
  }
}

function rejectSequence(path: string, type: DataType, kind: string | undefined): void {
  if (kind !== undefined && kind.toLowerCase() === 'sequence') {
    throw new SqlError(SqlState.InvalidParameterValue, `datagen cannot generate a sequence of ${typeName(type)} (fields.${path}.kind)`);
  }
}

function badField(path: string, option: string, value: string, expected: string): SqlError {
  return new SqlError(SqlState.InvalidParameterValue, `invalid value '${value}' for option fields.${path}.${option}: expected ${expected}`);
}

function num(path: string, option: string, text: string | undefined, type: DataType, dflt: number): number | bigint {
  if (text === undefined) return type.kind === 'int64' ? BigInt(dflt) : dflt;
  try {
    const v = parseDatum(type, text.trim(), 'UTC');
    if (v === null) throw new Error('null');
    return v as number | bigint;
  } catch {
    throw badField(path, option, text, `a ${typeName(type)}`);
  }
}

function length(path: string, text: string | undefined): number {
  if (text === undefined) return DEFAULT_LENGTH;
  if (!/^\d+$/.test(text.trim())) throw badField(path, 'length', text, 'a non-negative integer');
  return Number(text.trim());
}

const TWO32 = 0x1_0000_0000;

/**
 * A field's per-row RNG: seeded with offset xor seed, as RisingWave seeds per row. One
 * generator per field, re-seeded in place, with the xor done on 32-bit halves: a new
 * generator and a BigInt per value were ~4% of a datagen source's CPU.
 */
export class RowRng {
  private readonly rng = new SmallRng();
  private readonly hi: number;
  private readonly lo: number;
  /** The seed fits a double exactly (2^53), so offset xor seed can too. */
  private readonly small: boolean;

  constructor(private readonly seed: bigint) {
    this.hi = Number((seed >> 32n) & 0xffffffffn);
    this.lo = Number(seed & 0xffffffffn);
    this.small = seed >= 0n && seed < 2n ** 53n;
  }

  /** The generator seeded for row `offset` (valid until the next call). */
  at(offset: number): SmallRng {
    if (this.small && Number.isSafeInteger(offset) && offset >= 0) {
      const hi = (Math.floor(offset / TWO32) ^ this.hi) >>> 0;
      const lo = ((offset % TWO32) ^ this.lo) >>> 0;
      if (hi < 0x20_0000) return this.rng.reseed(hi * TWO32 + lo);
    }
    return this.rng.reseed(BigInt(offset) ^ this.seed);
  }
}

class SequenceField implements FieldGenerator, SequenceAware {
  readonly isSequence = true;
  private readonly big: boolean;

  constructor(
    private readonly type: DataType,
    private readonly start: number | bigint,
    private readonly end: number | bigint,
    private readonly ctx: FieldContext,
  ) {
    this.big = typeof start === 'bigint';
    if (start > end) throw new SqlError(SqlState.InvalidParameterValue, `datagen sequence start ${start} is greater than its end ${end}`);
  }

  generate(offset: number): Datum {
    const { splitIndex, splitNum } = this.ctx;
    if (this.big) {
      const v = (this.start as bigint) + BigInt(splitIndex) + BigInt(splitNum) * BigInt(offset);
      return v > (this.end as bigint) ? null : v;
    }
    const v = (this.start as number) + splitIndex + splitNum * offset;
    if (v > (this.end as number)) return null;
    return this.type.kind === 'float32' ? Math.fround(v) : v;
  }
}

class RandomNumberField implements FieldGenerator, SequenceAware {
  readonly isSequence = false;
  private readonly rows: RowRng;

  constructor(
    private readonly type: DataType,
    private readonly min: number | bigint,
    private readonly max: number | bigint,
    seed: bigint,
    path: string,
  ) {
    this.rows = new RowRng(seed);
    if (min > max) throw new SqlError(SqlState.InvalidParameterValue, `datagen field ${path}: min ${min} is greater than max ${max}`);
  }

  generate(offset: number): Datum {
    const rng = this.rows.at(offset);
    switch (this.type.kind) {
      case 'int64': {
        const min = this.min as bigint;
        const span = (this.max as bigint) - min + 1n;
        if (span <= 0xffffffffn) return min + BigInt(rng.rangeU64(0, Number(span)));
        return min + (((BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32())) % span);
      }
      case 'int16':
      case 'int32':
        return (this.min as number) + rng.rangeU64(0, (this.max as number) - (this.min as number) + 1);
      default: {
        rng.nextU64();
        const unit = (rng.hi * 2 ** 21 + (rng.lo >>> 11)) * 2 ** -53;
        const v = (this.min as number) + ((this.max as number) - (this.min as number)) * unit;
        return this.type.kind === 'float32' ? Math.fround(v) : v;
      }
    }
  }
}

class TimestampField implements FieldGenerator, SequenceAware {
  readonly isSequence = false;
  private readonly rows: RowRng;

  constructor(
    private readonly maxPastMs: number,
    /** µs, or null: relative to the time of generation. */
    private readonly base: number | null,
    seed: bigint,
    private readonly now: () => number,
  ) {
    this.rows = new RowRng(seed);
  }

  generate(offset: number): Datum {
    const past = this.rows.at(offset).rangeU64(0, this.maxPastMs + 1);
    const base = this.base ?? this.now() * 1000;
    return base - past * 1000;
  }
}

class VarcharField implements FieldGenerator, SequenceAware {
  readonly isSequence = false;
  private readonly rows: RowRng;

  constructor(
    private readonly length: number,
    seed: bigint,
  ) {
    this.rows = new RowRng(seed);
  }

  generate(offset: number): Datum {
    const rng = this.rows.at(offset);
    let s = '';
    for (let i = 0; i < this.length; i++) s += ALPHANUMERIC[rng.rangeU32(0, 62)];
    return s;
  }
}

class StructField implements FieldGenerator, SequenceAware {
  readonly isSequence: boolean;

  constructor(private readonly fields: (FieldGenerator & SequenceAware)[]) {
    this.isSequence = fields.some((f) => f.isSequence);
  }

  generate(offset: number): Datum {
    const values: Datum[] = [];
    for (const f of this.fields) {
      const v = f.generate(offset);
      if (v === null && f.isSequence) return null;
      values.push(v);
    }
    return new StructValue(values);
  }
}

/**
 * A list of `length` elements. As in RisingWave every element is drawn for the same row
 * offset, so random elements repeat one value; sequence elements count on per element.
 */
class ListField implements FieldGenerator, SequenceAware {
  readonly isSequence: boolean;

  constructor(
    private readonly elem: FieldGenerator & SequenceAware,
    private readonly length: number,
  ) {
    this.isSequence = elem.isSequence;
  }

  generate(offset: number): Datum {
    const out: Datum[] = [];
    for (let i = 0; i < this.length; i++) {
      const v = this.elem.isSequence ? this.elem.generate(offset * this.length + i) : this.elem.generate(offset);
      if (v === null && this.elem.isSequence) return null;
      out.push(v);
    }
    return out;
  }
}
