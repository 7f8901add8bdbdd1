/**
 * Fast path for `INSERT INTO t [(cols)] VALUES (…), (…)` whose cells are all parameters
 * or literals (no RETURNING): the statement shape of batched ingestion, e.g. a prepared
 * 1,000-row INSERT bound once per batch. The general path lowers the plan into an
 * executor tree on every execution — one compiled closure per cell, thousands per
 * batch — and then pulls the rows through it; here the plan is reduced once, at prepare,
 * to "cell j of row i is parameter p / literal v", and each execution builds the physical
 * rows directly and writes them through the same TableWriter (NOT NULL, `_row_id`,
 * ON CONFLICT) into one batch, committed as the general path commits it.
 *
 * Every other INSERT (casts, DEFAULT expressions, functions, SELECT, RETURNING) keeps
 * the general path; so do UPDATE and DELETE.
 */
import type { Datum, Row } from '@freshet/common';
import { TableWriter } from '@freshet/batch';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import { writeTargetOf } from './lower';
import type { ExecuteOptions, PreparedQuery, QueryContext, QueryExecution } from './prepare';

/** Per cell: a parameter index (≥ 0), or -1 with the literal in `literals`. */
interface CellTable {
  readonly width: number;
  /** rows × width, row-major. */
  readonly params: Int32Array;
  readonly literals: Datum[];
}

function cellTable(rows: readonly (readonly Expr[])[]): CellTable | null {
  const width = rows.length > 0 ? rows[0].length : 0;
  const params = new Int32Array(rows.length * width);
  const literals: Datum[] = new Array(rows.length * width).fill(null);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== width) return null;
    for (let j = 0; j < width; j++) {
      const e = r[j];
      const at = i * width + j;
      if (e.kind === 'param') params[at] = e.index;
      else if (e.kind === 'literal') {
        params[at] = -1;
        literals[at] = e.value;
      } else return null;
    }
  }
  return { width, params, literals };
}

/**
 * `prepared` with the INSERT VALUES fast path as its `execute` when the plan qualifies,
 * else `prepared` itself.
 */
export function withInsertFastPath(prepared: PreparedQuery, ctx: QueryContext): PreparedQuery {
  const plan: PlanNode = prepared.plan;
  if (plan.kind !== 'insert' || plan.returning !== null || plan.input.kind !== 'values') return prepared;
  const cells = cellTable(plan.input.rows);
  if (cells === null || cells.width !== plan.table.columns.length) return prepared;
  const table = plan.table;
  const onConflict = plan.onConflict;
  return {
    paramTypes: prepared.paramTypes,
    fields: prepared.fields,
    plan,
    execute: (params: Datum[], opts: ExecuteOptions): QueryExecution => {
      const storage = (opts.ctx ?? ctx).storage;
      let affected = 0;
      let done = false;
      return {
        async next() {
          if (!done) {
            done = true;
            const batch = storage.newBatch();
            const writer = new TableWriter(writeTargetOf(table, storage, onConflict), storage, batch);
            affected = writeRows(cells, params, writer);
            if (!batch.isEmpty) await storage.commit(batch);
          }
          return { rows: [], done: true };
        },
        tag: () => `INSERT 0 ${affected}`,
        close() {},
      };
    },
  };
}

/** Builds each physical row from the cells and inserts it; returns the rows written. */
function writeRows(cells: CellTable, params: readonly Datum[], writer: TableWriter): number {
  const { width, params: idx, literals } = cells;
  let affected = 0;
  for (let at = 0; at < idx.length; at += width) {
    const row: Row = new Array(width);
    for (let j = 0; j < width; j++) {
      const p = idx[at + j];
      row[j] = p >= 0 ? (params[p] ?? null) : literals[at + j];
    }
    if (writer.insert(row) !== null) affected++;
  }
  return affected;
}
