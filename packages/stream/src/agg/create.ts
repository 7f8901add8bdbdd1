/** Chooses the strategy for an aggregate call (see call.ts). */
import type { StreamChunk } from '@freshet/common';
import type { AggBuildContext, AggCallDesc, AggCallRunner } from './call';
import type { AggGroup } from './group';
import { DistinctDedup } from './distinct';
import { createMergeRunner } from './partial';
import { ExtremeCall, RecomputeCall } from './materialized-calls';
import { AppendOnlyExtremeCall, BoolCall, CountCall, SumAvgCall } from './value-calls';

export interface BuiltAggCall {
  readonly desc: AggCallDesc;
  readonly runner: AggCallRunner;
  /** Present for DISTINCT calls whose result can depend on duplicates. */
  readonly dedup: DistinctDedup | null;
  /** FILTER column or -1. */
  readonly filter: number;
}

/** Builds the runner for `desc`, owning `AggGroup.acc` slots from `offset`. */
export function createAggCall(desc: AggCallDesc, offset: number, ctx: AggBuildContext): BuiltAggCall {
  const { impl, args } = desc;
  if (desc.merge) return { desc, runner: createMergeRunner(desc, offset, ctx.inputTypes), dedup: null, filter: -1 };
  const name = impl.name;
  const argTypes = args.map((c) => ctx.inputTypes[c]);
  let runner: AggCallRunner;
  let dedupUseful = true;
  if (name === 'count' && args.length <= 1) {
    runner = new CountCall(impl.returnType, offset, args.length === 0 ? -1 : args[0]);
  } else if ((name === 'sum' || name === 'avg') && args.length === 1 && SumAvgCall.supports(argTypes[0])) {
    runner = new SumAvgCall(impl.returnType, offset, args[0], argTypes[0], name === 'avg');
  } else if ((name === 'bool_and' || name === 'bool_or' || name === 'every') && args.length === 1) {
    runner = new BoolCall(offset, args[0], name !== 'bool_or');
    dedupUseful = false;
  } else if ((name === 'min' || name === 'max') && args.length === 1 && desc.appendOnly) {
    runner = new AppendOnlyExtremeCall(impl.returnType, offset, args[0], argTypes[0], name === 'max');
    dedupUseful = false;
  } else if (name === 'max' && args.length === 1 && desc.expiresInOrder) {
    runner = new AppendOnlyExtremeCall(impl.returnType, offset, args[0], argTypes[0], true, true);
    dedupUseful = false;
  } else if ((name === 'min' || name === 'max') && args.length === 1) {
    const shareKey = ExtremeCall.sharingKey(args[0], desc.filter ?? -1);
    const owner = ctx.extremes?.get(shareKey) ?? null;
    const extreme = new ExtremeCall(impl.returnType, offset, args[0], argTypes[0], name === 'max', ctx.groupTypes, ctx.tables, owner);
    if (owner === null) ctx.extremes?.set(shareKey, extreme);
    runner = extreme;
    dedupUseful = false;
  } else {
    runner = new RecomputeCall(impl, args, desc.orderBy ?? [], ctx.inputTypes, ctx.groupTypes, ctx.tables);
  }
  const dedup = desc.distinct && dedupUseful && args.length > 0 ? new DistinctDedup(args, ctx.inputTypes, ctx.groupTypes, ctx.tables) : null;
  return { desc, runner, dedup, filter: desc.filter ?? -1 };
}

/**
 * Folds a chunk into every call. `signs[i]` is row i's multiplicity change; a call with
 * FILTER or DISTINCT gets its own copy (in `scratch`) with the rows it skips zeroed.
 */
export function foldCalls(
  calls: readonly BuiltAggCall[],
  chunk: StreamChunk,
  groups: readonly (AggGroup | undefined)[],
  signs: Int8Array,
  scratch: Int8Array,
  n: number,
): void {
  const cols = chunk.columns;
  for (let c = 0; c < calls.length; c++) {
    const call = calls[c];
    let s = signs;
    if (call.filter >= 0 || call.dedup !== null) {
      s = scratch;
      s.set(signs.subarray(0, n));
      if (call.filter >= 0) {
        const f = cols[call.filter];
        const fv = f.values as Uint8Array;
        for (let i = 0; i < n; i++) if (s[i] !== 0 && (fv[i] !== 1 || (f.nulls !== null && f.nulls[i] === 1))) s[i] = 0;
      }
      if (call.dedup !== null) call.dedup.filter(chunk, groups, s, n);
    }
    call.runner.apply(chunk, groups, s, n);
  }
}
