/**
 * Executors for the watermark-related stream nodes (see to-stream-watermark.ts): the
 * watermark filter, the eowc sort, and the hash agg variants (state cleaning by watermark,
 * EMIT ON WINDOW CLOSE as the agg followed by an eowc sort on its window key).
 */
import {
  type AggCallDesc,
  EowcOverWindowExecutor,
  EowcSortExecutor,
  ProjectExecutor,
  WatermarkProjectExecutor,
  type DerivedWatermark,
  type Executor,
  HashAggExecutor,
  type StateTableAllocator,
  type StreamExpr,
  WatermarkFilterExecutor,
  WatermarkHashAggExecutor,
} from '@freshet/stream';
import type { Datum, Row } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { StreamAgg, StreamEowcOverWindow, StreamEowcSort, StreamProject, StreamWatermarkFilter } from './plan';
import { monotoneInput, outputWatermarks } from './to-stream-watermark';

export function connectWatermarkFilter(input: Executor, n: StreamWatermarkFilter, expr: StreamExpr): Executor {
  return input.connect(new WatermarkFilterExecutor({ types: input.types, column: n.column, expr }));
}

export function connectEowcSort(input: Executor, n: StreamEowcSort, tables: StateTableAllocator): Executor {
  return input.connect(new EowcSortExecutor({ types: input.types, sortColumn: n.sortColumn, pk: n.input.streamKey, tables }));
}

/** A GROUP BY: the plain hash agg, or with watermark cleaning, then the EOWC buffer if asked for. */
export function connectHashAgg(input: Executor, n: StreamAgg, calls: readonly AggCallDesc[], tables: StateTableAllocator): Executor {
  const opts = { inputTypes: input.types, groupKey: n.groupKey, calls, tables, rowCountColumn: n.rowCountColumn };
  const agg = input.connect(
    n.cleanState && n.windowKey !== undefined ? new WatermarkHashAggExecutor({ ...opts, cleanKey: n.windowKey }) : new HashAggExecutor(opts),
  );
  if (!n.eowc || n.windowKey === undefined) return agg;
  const pk = n.groupKey.map((_, k) => k);
  return agg.connect(new EowcSortExecutor({ types: agg.types, sortColumn: n.windowKey, pk, tables }));
}

export function connectEowcOverWindow(input: Executor, n: StreamEowcOverWindow): Executor {
  const callTypes = n.schema.slice(input.types.length).map((f) => f.type);
  return input.connect(new EowcOverWindowExecutor({ types: input.types, partitionBy: n.partitionKey, orderColumn: n.orderColumn, calls: n.calls, callTypes }));
}

/**
 * A projection; computed columns monotone in a watermarked input column carry its
 * watermark (mapped through the expression, evaluated on a row holding just that value).
 */
export function connectProject(input: Executor, n: StreamProject, streamExpr: (e: Expr) => StreamExpr, evaluator: (e: Expr) => (row: Row) => Datum): Executor {
  const exprs = n.exprs.map(streamExpr);
  const inWm = outputWatermarks(n.input);
  const derived: DerivedWatermark[] = [];
  if (inWm.size > 0) {
    n.exprs.forEach((e, output) => {
      const from = e.kind === 'column' ? null : monotoneInput(e, inWm);
      if (from === null) return;
      const f = evaluator(e);
      const row: Datum[] = new Array(input.types.length).fill(null);
      derived.push({ output, input: from, map: (v) => ((row[from] = v), f(row)) });
    });
  }
  return input.connect(derived.length > 0 ? new WatermarkProjectExecutor(exprs, derived) : new ProjectExecutor(exprs));
}
