/**
 * Value-kind aggregates: a constant number of accumulator slots per group, updated in
 * place by a tight loop over the chunk's typed arrays (this is the hot path of a streaming
 * GROUP BY). The results follow @freshet/expr's semantics and result types (sum(int4) →
 * int8, sum(int8) → numeric, avg(int) → numeric, …); every state also counts its non-NULL
 * inputs so that retracting back to zero rows gives NULL again, and a float sum resets to
 * exactly 0 then (no drift from subtraction).
 */
import { type Column, type DataType, type Datum, Decimal, Interval, Repr, SqlError, SqlState, type StreamChunk, T, compareDatum } from '@freshet/common';
import type { AggGroup } from './group';
import type { AggCallRunner } from './call';

/**
 * A number-typed int sum stays a JS number while it is exact: with |sum| ≤ LIMIT before
 * adding an int32, the result is < 2^53. Past it the slot switches to bigint for good.
 */
const SAFE_SUM_LIMIT = 2 ** 53 - 2 ** 32;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

abstract class ValueCall implements AggCallRunner {
  constructor(
    readonly returnType: DataType,
    /** First slot index in AggGroup.acc. */
    protected readonly offset: number,
    /** Input column, or -1 for count(*). */
    protected readonly column: number,
  ) {}
  abstract readonly slots: number;
  abstract initSlots(acc: unknown[]): void;
  abstract apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void;
  abstract result(g: AggGroup): Datum;
  stateTables() {
    return [];
  }
}

/** count(*) and count(x). */
export class CountCall extends ValueCall {
  readonly slots = 1;
  initSlots(acc: unknown[]): void {
    acc[this.offset] = 0;
  }
  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const o = this.offset;
    if (this.column < 0) {
      for (let i = 0; i < n; i++) {
        const s = signs[i];
        if (s === 0) continue;
        const acc = groups[i]!.acc;
        acc[o] = (acc[o] as number) + s;
      }
      return;
    }
    const col = chunk.columns[this.column];
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0 || col.isNull(i)) continue;
      const acc = groups[i]!.acc;
      acc[o] = (acc[o] as number) + s;
    }
  }
  result(g: AggGroup): Datum {
    return BigInt(g.acc[this.offset] as number);
  }
}

export type SumKind = 'int' | 'int64' | 'float' | 'decimal' | 'interval';

export function sumKindOf(t: DataType): SumKind | undefined {
  switch (t.kind) {
    case 'int16':
    case 'int32':
      return 'int';
    case 'int64':
    case 'serial':
      return 'int64';
    case 'float32':
    case 'float64':
      return 'float';
    case 'decimal':
      return 'decimal';
    case 'interval':
      return 'interval';
    default:
      return undefined;
  }
}

/** sum(x) and avg(x): slots [sum, non-NULL count]. */
export class SumAvgCall extends ValueCall {
  readonly slots = 2;
  protected readonly kind: SumKind;

  constructor(
    returnType: DataType,
    offset: number,
    column: number,
    argType: DataType,
    private readonly avg: boolean,
    /**
     * A partial sum of the two-phase local agg (agg/partial.ts): a chunk's non-NULL count
     * may pass through 0 (U- before U+) with the sum still meaningful, so no reset there.
     */
    private readonly partial = false,
  ) {
    super(returnType, offset, column);
    const k = sumKindOf(argType);
    if (!k) throw new Error(`stream agg: no value state for ${avg ? 'avg' : 'sum'} over ${argType.kind}`);
    this.kind = k;
  }

  static supports(argType: DataType): boolean {
    return sumKindOf(argType) !== undefined;
  }

  protected zero(): unknown {
    switch (this.kind) {
      case 'int64':
        return 0n;
      case 'decimal':
        return Decimal.ZERO;
      case 'interval':
        return Interval.ZERO;
      default:
        return 0;
    }
  }

  initSlots(acc: unknown[]): void {
    acc[this.offset] = this.zero();
    acc[this.offset + 1] = 0;
  }

  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const col = chunk.columns[this.column];
    const o = this.offset;
    const nulls = col.nulls;
    if (col.repr === Repr.Number) {
      const vals = col.values as Float64Array;
      const exactInt = this.kind === 'int';
      for (let i = 0; i < n; i++) {
        const s = signs[i];
        if (s === 0 || (nulls !== null && nulls[i] === 1)) continue;
        const acc = groups[i]!.acc;
        const sum = acc[o];
        if (typeof sum === 'number') {
          const next = s > 0 ? sum + vals[i] : sum - vals[i];
          acc[o] = exactInt && (next > SAFE_SUM_LIMIT || next < -SAFE_SUM_LIMIT) ? BigInt(next) : next;
        } else {
          acc[o] = s > 0 ? (sum as bigint) + BigInt(vals[i]) : (sum as bigint) - BigInt(vals[i]);
        }
        this.count(acc, s);
      }
      return;
    }
    if (col.repr === Repr.BigInt) {
      const vals = col.values as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const s = signs[i];
        if (s === 0 || (nulls !== null && nulls[i] === 1)) continue;
        const acc = groups[i]!.acc;
        acc[o] = s > 0 ? (acc[o] as bigint) + vals[i] : (acc[o] as bigint) - vals[i];
        this.count(acc, s);
      }
      return;
    }
    const vals = col.values as Datum[];
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      const v = vals[i];
      if (s === 0 || v === null) continue;
      const acc = groups[i]!.acc;
      if (this.kind === 'decimal') acc[o] = s > 0 ? (acc[o] as Decimal).add(v as Decimal) : (acc[o] as Decimal).sub(v as Decimal);
      else acc[o] = s > 0 ? (acc[o] as Interval).add(v as Interval) : (acc[o] as Interval).sub(v as Interval);
      this.count(acc, s);
    }
  }

  private count(acc: unknown[], s: number): void {
    const c = (acc[this.offset + 1] as number) + s;
    acc[this.offset + 1] = c;
    if (c === 0 && !this.partial) acc[this.offset] = this.zero();
  }

  result(g: AggGroup): Datum {
    const n = g.acc[this.offset + 1] as number;
    if (n === 0) return null;
    const sum = g.acc[this.offset];
    switch (this.kind) {
      case 'int':
      case 'int64': {
        const b = typeof sum === 'bigint' ? sum : BigInt(sum as number);
        if (this.avg) return Decimal.fromBigInt(b).div(Decimal.fromInt(n));
        if (this.returnType.kind === 'decimal') return Decimal.fromBigInt(b);
        if (b < INT64_MIN || b > INT64_MAX) throw new SqlError(SqlState.NumericValueOutOfRange, 'Numeric out of range');
        return b;
      }
      case 'float': {
        const f = sum as number;
        if (this.avg) return f / n;
        return this.returnType.kind === 'float32' ? Math.fround(f) : f;
      }
      case 'decimal':
        return this.avg ? (sum as Decimal).div(Decimal.fromInt(n)) : (sum as Decimal);
      case 'interval':
        return this.avg ? (sum as Interval).div(n) : (sum as Interval);
    }
  }
}

/** bool_and / bool_or: slots [TRUE count, FALSE count]. */
export class BoolCall extends ValueCall {
  readonly slots = 2;
  constructor(
    offset: number,
    column: number,
    private readonly isAnd: boolean,
  ) {
    super(T.Boolean, offset, column);
  }
  initSlots(acc: unknown[]): void {
    acc[this.offset] = 0;
    acc[this.offset + 1] = 0;
  }
  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const col: Column = chunk.columns[this.column];
    const vals = col.values as Uint8Array;
    const o = this.offset;
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0 || col.isNull(i)) continue;
      const acc = groups[i]!.acc;
      const slot = vals[i] === 1 ? o : o + 1;
      acc[slot] = (acc[slot] as number) + s;
    }
  }
  result(g: AggGroup): Datum {
    const t = g.acc[this.offset] as number;
    const f = g.acc[this.offset + 1] as number;
    if (t + f === 0) return null;
    return this.isAnd ? f === 0 : t > 0;
  }
}

/**
 * min / max over an append-only input: slot [the extreme so far, or NULL]. With no deletes
 * the extreme can only improve, so one value per group is the whole state (RisingWave's
 * append-only min/max). A retraction means the planner's append-only proof was wrong.
 */
export class AppendOnlyExtremeCall extends ValueCall {
  readonly slots: number;
  /** Numbers compare with `<` except floats (NaN sorts last, as in PG and `compareDatum`). */
  private readonly plainNumbers: boolean;

  /**
   * `expiring` (MAX only): the input may retract, but only values at or below a growing bound
   * and all of them at once (AggCallDesc.expiresInOrder). A second slot counts the values
   * covered; while it is above zero the maximum is still among them, and at zero it is gone.
   */
  constructor(
    returnType: DataType,
    offset: number,
    column: number,
    private readonly argType: DataType,
    private readonly isMax: boolean,
    private readonly expiring = false,
  ) {
    super(returnType, offset, column);
    this.plainNumbers = argType.kind !== 'float32' && argType.kind !== 'float64';
    this.slots = expiring ? 2 : 1;
  }

  initSlots(acc: unknown[]): void {
    acc[this.offset] = null;
    if (this.expiring) acc[this.offset + 1] = 0;
  }

  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const col = chunk.columns[this.column];
    const o = this.offset;
    const nulls = col.nulls;
    const max = this.isMax;
    const typed = this.plainNumbers && (col.repr === Repr.Number || col.repr === Repr.BigInt);
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0 || (nulls !== null && nulls[i] === 1)) continue;
      const acc = groups[i]!.acc;
      if (s < 0) {
        if (!this.expiring) throw new Error(`append-only ${max ? 'max' : 'min'}: the input retracted a row`);
        if (!typed && col.get(i) === null) continue;
        const left = (acc[o + 1] as number) + s;
        acc[o + 1] = left;
        if (left <= 0) acc[o] = null;
        continue;
      }
      const cur = acc[o];
      if (typed) {
        if (this.expiring) acc[o + 1] = (acc[o + 1] as number) + s;
        const v = (col.values as Float64Array | BigInt64Array)[i];
        if (cur === null || (max ? v > (cur as number | bigint) : v < (cur as number | bigint))) acc[o] = v;
        continue;
      }
      const v = col.get(i);
      if (v === null) continue; // object columns keep NULLs in the values, not in `nulls`
      if (this.expiring) acc[o + 1] = (acc[o + 1] as number) + s;
      if (cur === null) acc[o] = v;
      else {
        const c = compareDatum(this.argType, v, cur as Datum);
        if (max ? c > 0 : c < 0) acc[o] = v;
      }
    }
  }

  result(g: AggGroup): Datum {
    return g.acc[this.offset] as Datum;
  }
}
