/**
 * Two-phase aggregation (RisingWave's local/global split) for the decomposable calls:
 * count, sum and avg. The local phase (executor/stateless-local-agg.ts) folds one chunk
 * per group with the ordinary value runners (value-calls.ts) and emits their accumulator
 * slots as columns, signed (a chunk's deletes subtract); the global hash/simple agg merges
 * those columns with the runners here (`AggCallDesc.merge`).
 *
 * Partial columns per call:
 * - count(*) / count(x): [count int8];
 * - sum(x) / avg(x): [sum, non-NULL count int8], the sum being int8 for int2/int4 x,
 *   numeric for int8 x (a chunk of int8 can overflow int8), float8 for floats (no float4
 *   rounding per chunk), numeric, interval.
 *
 * Carrying the non-NULL count (RisingWave carries only the partial sum) keeps results
 * exactly those of the single-phase agg under retractions: a group whose non-NULL inputs
 * all left sums to NULL again, and the sum resets to an exact zero.
 */
import { type ColumnBuilder, type DataType, type Datum, Decimal, type Interval, Repr, type StreamChunk, T } from '@freshet/common';
import type { AggCallDesc, AggCallRunner } from './call';
import type { AggGroup } from './group';
import { CountCall, SumAvgCall, type SumKind, sumKindOf } from './value-calls';

/** True when `name(argTypes)` has a partial form (a stateless local phase). */
export function partialAggSupported(name: string, argTypes: readonly DataType[]): boolean {
  if (name === 'count') return argTypes.length <= 1;
  return (name === 'sum' || name === 'avg') && argTypes.length === 1 && sumKindOf(argTypes[0]) !== undefined;
}

const PARTIAL_SUM_TYPE: Record<SumKind, DataType> = { int: T.Int64, int64: T.Decimal, float: T.Float64, decimal: T.Decimal, interval: T.Interval };

/** The partial columns of a call (see the file comment). */
export function partialTypes(name: string, argTypes: readonly DataType[]): DataType[] {
  if (name === 'count') return [T.Int64];
  return [PARTIAL_SUM_TYPE[sumKindOf(argTypes[0])!], T.Int64];
}

/** A call of the local phase: its runner over the raw input, and how its slots become partial columns. */
export class PartialCall {
  readonly runner: AggCallRunner;
  readonly types: DataType[];
  private readonly sumKind: SumKind | undefined;

  constructor(
    readonly desc: AggCallDesc,
    private readonly offset: number,
    inputTypes: readonly DataType[],
  ) {
    const { impl, args } = desc;
    const argTypes = args.map((c) => inputTypes[c]);
    if (!partialAggSupported(impl.name, argTypes)) throw new Error(`stream agg: ${impl.name} has no partial form`);
    this.types = partialTypes(impl.name, argTypes);
    if (impl.name === 'count') {
      this.runner = new CountCall(T.Int64, offset, args.length === 0 ? -1 : args[0]);
      this.sumKind = undefined;
    } else {
      this.runner = new SumAvgCall(this.types[0], offset, args[0], argTypes[0], false, true);
      this.sumKind = sumKindOf(argTypes[0]);
    }
  }

  /** Appends the group's partial values to `out` (one builder per partial column, from `at`). */
  write(acc: readonly unknown[], out: readonly ColumnBuilder[], at: number): void {
    const o = this.offset;
    if (this.sumKind === undefined) {
      out[at].push(BigInt(acc[o] as number));
      return;
    }
    const sum = acc[o];
    let v: Datum;
    if (this.sumKind === 'int') v = typeof sum === 'bigint' ? sum : BigInt(sum as number);
    else if (this.sumKind === 'int64') v = Decimal.fromBigInt(sum as bigint);
    else v = sum as Datum;
    out[at].push(v);
    out[at + 1].push(BigInt(acc[o + 1] as number));
  }
}

/** count of the global phase: the sum of the partial counts (RisingWave's `sum0(count)`). */
class MergeCountCall extends CountCall {
  override apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const o = this.offset;
    const vals = chunk.columns[this.column].values as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      const acc = groups[i]!.acc;
      acc[o] = (acc[o] as number) + s * Number(vals[i]);
    }
  }
}

/** sum / avg of the global phase: partial sums and partial non-NULL counts added up. */
class MergeSumAvgCall extends SumAvgCall {
  constructor(
    returnType: DataType,
    offset: number,
    sumColumn: number,
    private readonly countColumn: number,
    partialType: DataType,
    avg: boolean,
  ) {
    super(returnType, offset, sumColumn, partialType, avg);
  }

  override apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void {
    const o = this.offset;
    const col = chunk.columns[this.column];
    const counts = chunk.columns[this.countColumn].values as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const s = signs[i];
      if (s === 0) continue;
      const acc = groups[i]!.acc;
      const sum = acc[o];
      if (col.repr === Repr.BigInt) {
        const v = (col.values as BigInt64Array)[i];
        acc[o] = s > 0 ? (sum as bigint) + v : (sum as bigint) - v;
      } else if (col.repr === Repr.Number) {
        const v = (col.values as Float64Array)[i];
        acc[o] = s > 0 ? (sum as number) + v : (sum as number) - v;
      } else {
        const v = (col.values as Datum[])[i];
        if (this.kind === 'decimal') acc[o] = s > 0 ? (sum as Decimal).add(v as Decimal) : (sum as Decimal).sub(v as Decimal);
        else acc[o] = s > 0 ? (sum as Interval).add(v as Interval) : (sum as Interval).sub(v as Interval);
      }
      const c = (acc[o + 1] as number) + s * Number(counts[i]);
      acc[o + 1] = c;
      if (c === 0) acc[o] = this.zero();
    }
  }
}

/**
 * The runner merging a call's partial columns (`desc.args`: [count] or [sum, count], as
 * `partialTypes` lays them out), with the original call's result type.
 */
export function createMergeRunner(desc: AggCallDesc, offset: number, inputTypes: readonly DataType[]): AggCallRunner {
  const { impl, args } = desc;
  if (impl.name === 'count' && args.length === 1) return new MergeCountCall(impl.returnType, offset, args[0]);
  if ((impl.name === 'sum' || impl.name === 'avg') && args.length === 2) {
    return new MergeSumAvgCall(impl.returnType, offset, args[0], args[1], inputTypes[args[0]], impl.name === 'avg');
  }
  throw new Error(`stream agg: cannot merge partial results of ${impl.name} over ${args.length} columns`);
}
