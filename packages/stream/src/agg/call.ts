/**
 * Aggregate calls as the stream hash/simple agg runs them. The planner describes a call
 * (`AggCallDesc`: the resolved function plus input column indices — arguments, FILTER and
 * ORDER BY are projected into columns upstream, as in RisingWave), and `createAggCall`
 * picks a strategy:
 *
 * - value (count, sum, avg, bool_and, bool_or): a few accumulator slots per group, kept in
 *   the group and persisted in the agg's intermediate-state table; O(1) per row;
 * - extreme (min, max): the group's values as a counted multiset in pages read by key
 *   (state/paged-multiset.ts), so the result is its first or last value and stays right when
 *   the current extreme is deleted; over an append-only input just the extreme, in an
 *   accumulator slot (value-calls.ts `AppendOnlyExtremeCall`);
 * - recompute (string_agg, array_agg, every other aggregate of @freshet/expr): the group's
 *   inputs as a counted multiset in a state table ordered by (ORDER BY columns, arguments);
 *   on flush a dirty group's result is recomputed by feeding them, in order, to a fresh
 *   `AggState` from the resolved `AggImpl`.
 *
 * DISTINCT puts a dedup table in front of any strategy (see distinct.ts). FILTER becomes a
 * per-row sign of 0.
 */
import type { Column, DataType, Datum, StreamChunk } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import type { AggGroup } from './group';
import type { ExtremeCall } from './materialized-calls';

export interface AggOrderItem {
  readonly column: number;
  readonly desc?: boolean;
  readonly nullsFirst?: boolean;
}

export interface AggCallDesc {
  /** The resolved aggregate (`resolveAggregate(name, argTypes, …)`). */
  readonly impl: AggImpl;
  /** Input columns holding the arguments, already of `impl.argTypes`. Empty for count(*). */
  readonly args: readonly number[];
  readonly distinct?: boolean;
  /** A boolean input column: the row counts only where it is TRUE (FILTER (WHERE …)). */
  readonly filter?: number | null;
  /** ORDER BY inside the call (string_agg, array_agg). */
  readonly orderBy?: readonly AggOrderItem[];
  /**
   * Two-phase aggregation, global side: `args` are the partial columns of a stateless
   * local agg (agg/partial.ts) — [count] or [sum, non-NULL count] — not raw inputs.
   */
  readonly merge?: boolean;
  /**
   * The agg's input only ever inserts (the planner proved it, e.g. a source through
   * projections and filters): min/max then keep just the current extreme per group, as
   * RisingWave's append-only min/max do, instead of every value in a state table.
   */
  readonly appendOnly?: boolean;
  /**
   * The argument column retracts only as a temporal filter's lower bound passes it, over an
   * otherwise append-only input (the planner's expiring-column.ts): every retraction takes
   * all values at or below a growing bound, so MAX keeps the current maximum and a count of
   * the values it covers, and forgets it only when the count drops to zero.
   */
  readonly expiresInOrder?: boolean;
}

/**
 * A call's runtime. `apply` folds a chunk in: `groups[i]` is row i's group and `signs[i]`
 * its multiplicity change (+1, -1, or 0 to skip: invisible, filtered out, or a duplicate
 * under DISTINCT). `result` computes the output for a group at flush time.
 */
export interface AggCallRunner {
  readonly returnType: DataType;
  /** Accumulator slots this call owns in `AggGroup.acc`, from `offset`. */
  readonly slots: number;
  initSlots(acc: unknown[]): void;
  apply(chunk: StreamChunk, groups: readonly (AggGroup | undefined)[], signs: Int8Array, n: number): void;
  result(g: AggGroup): Datum;
  stateTables(): StateTable[];
}

/** Shared context for building runners. */
export interface AggBuildContext {
  readonly inputTypes: readonly DataType[];
  readonly groupTypes: readonly DataType[];
  readonly tables: StateTableAllocator;
  /**
   * The aggregate's MIN/MAX multisets built so far, by `ExtremeCall.sharingKey`: a later
   * call over the same values reads one of them instead of keeping its own (absent: none shared).
   */
  readonly extremes?: Map<string, ExtremeCall>;
}

export function argColumns(chunk: StreamChunk, args: readonly number[]): Column[] {
  const out = new Array<Column>(args.length);
  for (let j = 0; j < args.length; j++) out[j] = chunk.columns[args[j]];
  return out;
}
