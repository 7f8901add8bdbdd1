/**
 * Compiles a bound expression into a closure `(row) => Datum`, once per execution. AND,
 * OR, CASE and COALESCE evaluate lazily. Subqueries are memoized by the values of the
 * outer columns they read. An uncorrelated one is an init plan, run once by the async
 * driver before the statement (see InitPlan). A correlated one, compiled for an
 * ApplyExecutor (`underApply`), asks its CorrelatedSubplan for the rows of the current
 * row, and the Apply runs the plan inside the executor tree, pausing and cancellable;
 * anywhere else (join conditions, aggregate arguments, …) it is drained synchronously
 * with the current row pushed as the outer row.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, StructValue, internalError } from '@freshet/common';
import { CorrelatedSubplan, type ExecRuntime, type Evaluator, type Executor, type HashKey, compositeKey, drainSync, singleKey } from '@freshet/batch';
import { type EvalContext, type ScalarImpl, arrayAccess, arraySlice, castDatum } from '@freshet/expr';
import type { Expr, Subquery } from '../planner/expr';
import type { PlanNode } from '../planner/plan';

export type LowerFn = (p: PlanNode) => Executor;

/**
 * An uncorrelated subquery's plan, run once before the statement's main plan by the async
 * driver (so it can be cancelled and lets other connections run), instead of being
 * drained synchronously from inside an expression. `outcome` is filled by that run; an
 * error is kept and raised only if the subquery's value is actually used (a CASE branch
 * never taken must not fail the statement).
 */
export interface InitPlan {
  readonly exec: Executor;
  /** Rows needed: 2 for scalar (to detect a second row), 1 for EXISTS, else all (0). */
  readonly maxRows: number;
  outcome: { rows: Row[] } | { error: unknown } | null;
}

const MEMO_LIMIT = 100_000;

/**
 * `underApply`: the evaluator runs inside an ApplyExecutor, which catches SubplanNeeded
 * and runs correlated subplans itself; otherwise they are drained inline.
 */
export function compileExpr(e: Expr, rt: ExecRuntime, lower: LowerFn, initPlans?: InitPlan[], underApply = false): Evaluator {
  const c = (x: Expr) => compileExpr(x, rt, lower, initPlans, underApply);
  switch (e.kind) {
    case 'column': {
      const i = e.index;
      return (row) => row[i];
    }
    case 'outer': {
      const { depth, index } = e;
      return () => rt.outer[rt.outer.length - depth][index];
    }
    case 'literal': {
      const v = e.value;
      return () => v;
    }
    case 'param': {
      const i = e.index;
      return () => rt.params[i] ?? null;
    }
    case 'call': {
      const fn = e.fn;
      const args = e.args.map(c);
      const n = args.length;
      const ctx = rt.evalCtx;
      if (n === 0) return () => fn.eval([], ctx);
      if (n === 1) {
        const a0 = args[0];
        return (row) => fn.eval([a0(row)], ctx);
      }
      if (n === 2) {
        const [a0, a1] = args;
        return (row) => fn.eval([a0(row), a1(row)], ctx);
      }
      return (row) => {
        const vals = new Array(n);
        for (let i = 0; i < n; i++) vals[i] = args[i](row);
        return fn.eval(vals, ctx);
      };
    }
    case 'cast': {
      const arg = c(e.arg);
      const from = e.arg.type;
      const to = e.type;
      return (row) => {
        const v = arg(row);
        return v === null ? null : castDatum(from, to, v, rt.evalCtx);
      };
    }
    case 'and': {
      const args = e.args.map(c);
      return (row) => {
        let sawNull = false;
        for (const a of args) {
          const v = a(row);
          if (v === false) return false;
          if (v === null) sawNull = true;
        }
        return sawNull ? null : true;
      };
    }
    case 'or': {
      const args = e.args.map(c);
      return (row) => {
        let sawNull = false;
        for (const a of args) {
          const v = a(row);
          if (v === true) return true;
          if (v === null) sawNull = true;
        }
        return sawNull ? null : false;
      };
    }
    case 'not': {
      const arg = c(e.arg);
      return (row) => {
        const v = arg(row);
        return v === null ? null : !v;
      };
    }
    case 'is_null': {
      const arg = c(e.arg);
      return e.negated ? (row) => arg(row) !== null : (row) => arg(row) === null;
    }
    case 'is_bool': {
      const arg = c(e.arg);
      const want = e.test === 'true' ? true : e.test === 'false' ? false : null;
      const neg = e.negated;
      return (row) => (arg(row) === want) !== neg;
    }
    case 'case': {
      const conds = e.whens.map((w) => c(w.cond));
      const results = e.whens.map((w) => c(w.result));
      const otherwise = e.else ? c(e.else) : () => null;
      return (row) => {
        for (let i = 0; i < conds.length; i++) if (conds[i](row) === true) return results[i](row);
        return otherwise(row);
      };
    }
    case 'coalesce': {
      const args = e.args.map(c);
      return (row) => {
        for (const a of args) {
          const v = a(row);
          if (v !== null) return v;
        }
        return null;
      };
    }
    case 'in_list':
      return compileInList(e, rt, c);
    case 'subquery':
      return compileSubquery(e, rt, lower, c, initPlans, underApply);
    case 'array': {
      const elems = e.elems.map(c);
      return (row) => elems.map((x) => x(row));
    }
    case 'row': {
      const fields = e.fields.map(c);
      return (row) => new StructValue(fields.map((f) => f(row)));
    }
    case 'field': {
      const arg = c(e.arg);
      const i = e.index;
      return (row) => {
        const v = arg(row) as StructValue | null;
        return v === null ? null : v.fields[i];
      };
    }
    case 'subscript': {
      const arg = c(e.arg);
      const idx = e.index ? c(e.index) : null;
      const upper = e.upper ? c(e.upper) : null;
      if (!e.slice) {
        return (row) => {
          const v = arg(row) as Datum[] | null;
          const i = idx!(row);
          return v === null || i === null ? null : arrayAccess(v, i as number);
        };
      }
      return (row) => {
        const v = arg(row) as Datum[] | null;
        if (v === null) return null;
        const lo = idx ? idx(row) : null;
        const hi = upper ? upper(row) : null;
        return arraySlice(v, lo as number | null, hi as number | null);
      };
    }
    case 'table_fn':
      throw new SqlError(SqlState.FeatureNotSupported, `set-returning function ${e.fn.name} is not allowed here`);
    case 'placeholder':
      throw internalError('unresolved aggregate/window placeholder');
  }
}

function compileInList(e: Extract<Expr, { kind: 'in_list' }>, rt: ExecRuntime, c: (x: Expr) => Evaluator): Evaluator {
  const arg = c(e.arg);
  const neg = e.negated;
  const t = e.arg.type;
  if (e.list.every((x) => x.kind === 'literal')) {
    const keys = new Set<HashKey>();
    let hasNull = false;
    for (const x of e.list) {
      const v = (x as { value: Datum }).value;
      if (v === null) hasNull = true;
      else keys.add(singleKey(t, v));
    }
    return (row) => {
      const v = arg(row);
      if (v === null) return null;
      if (keys.has(singleKey(t, v))) return !neg;
      return hasNull ? null : neg;
    };
  }
  const items = e.list.map(c);
  const eq = e.eq;
  return (row) => {
    const v = arg(row);
    if (v === null) return null;
    let sawNull = false;
    for (const it of items) {
      const r = eq.eval([v, it(row)], rt.evalCtx);
      if (r === true) return !neg;
      if (r === null) sawNull = true;
    }
    return sawNull ? null : neg;
  };
}

/**
 * What a subquery yields, cached per correlation key. For `= ANY` / `<> ALL` also the set
 * of its values; for ordering comparisons (`> ALL`, `<= ANY`, …) the one value that
 * decides them (see `extremeOf`); `hasNull`: a NULL among the values.
 */
type SubResult = { rows: Row[]; keys?: Set<HashKey>; hasNull?: boolean; extreme?: Datum };

const ORDERING = new Set(['less_than', 'less_than_or_equal', 'greater_than', 'greater_than_or_equal']);

/**
 * `x > ALL (S)` holds iff x > max(S), `x > ANY (S)` iff x > min(S) (mirrored for <), so
 * one comparison per row replaces a scan of S. The extreme is found with the comparison
 * itself; NULLs in S are tracked apart, as they only turn a definite answer into NULL.
 */
function extremeOf(rows: Row[], cmp: ScalarImpl, all: boolean, ctx: EvalContext): { extreme: Datum; hasNull: boolean } {
  const greater = cmp.name.startsWith('greater');
  // Keep the maximum for > ALL and < ANY, the minimum for > ANY and < ALL.
  const wantMax = all === greater;
  let m: Datum = null;
  let hasNull = false;
  for (const r of rows) {
    const v = r[0];
    if (v === null) {
      hasNull = true;
      continue;
    }
    if (m === null || (greater === wantMax ? cmp.eval([v, m], ctx) : cmp.eval([m, v], ctx)) === true) m = v;
  }
  return { extreme: m, hasNull };
}

function compileSubquery(
  e: Subquery,
  rt: ExecRuntime,
  lower: LowerFn,
  c: (x: Expr) => Evaluator,
  initPlans: InitPlan[] | undefined,
  underApply: boolean,
): Evaluator {
  const exec = lower(e.plan);
  const corr = e.correlated;
  const corrTypes: DataType[] = corr.map((x) => x.type);
  const limit = e.mode === 'scalar' ? 2 : e.mode === 'exists' ? 1 : Infinity;
  const colType = e.plan.schema[0]?.type;
  const hashable = (e.mode === 'any' && e.cmp?.name === 'equal') || (e.mode === 'all' && e.cmp?.name === 'not_equal');
  // Composite and JSON values can compare as NULL even when non-null: no shortcut there.
  const ordered =
    (e.mode === 'any' || e.mode === 'all') && ORDERING.has(e.cmp!.name) && colType !== undefined && !['list', 'struct', 'jsonb'].includes(colType.kind);

  const run = (row: Row): SubResult => {
    rt.outer.push(row);
    let rows: Row[];
    try {
      rows = drainSync(exec, limit);
    } finally {
      rt.outer.pop();
    }
    return toResult(rows);
  };
  const toResult = (rows: Row[]): SubResult => {
    const res: SubResult = { rows };
    if (ordered) {
      const { extreme, hasNull } = extremeOf(rows, e.cmp!, e.mode === 'all', rt.evalCtx);
      res.extreme = extreme;
      res.hasNull = hasNull;
    }
    if (hashable) {
      res.keys = new Set();
      res.hasNull = false;
      for (const r of rows) {
        if (r[0] === null) res.hasNull = true;
        else res.keys.add(singleKey(colType, r[0]));
      }
    }
    return res;
  };

  let get: (row: Row) => SubResult;
  if (corr.length === 0) {
    let cached: SubResult | null = null;
    const init: InitPlan = { exec, maxRows: limit === Infinity ? 0 : limit, outcome: null };
    initPlans?.push(init);
    const fromInit = (row: Row): SubResult => {
      const o = init.outcome;
      if (!o) return run(row);
      if ('error' in o) throw o.error;
      return toResult(o.rows);
    };
    get = (row) => (cached ??= fromInit(row));
  } else {
    const memo = new Map<HashKey, SubResult>();
    const vals: Datum[] = new Array(corr.length);
    let compute = run;
    if (underApply) {
      const subplan = new CorrelatedSubplan(exec, limit, rt);
      compute = (row) => toResult(subplan.rowsFor(row));
    }
    get = (row) => {
      for (let i = 0; i < corr.length; i++) {
        const { depth, index } = corr[i];
        vals[i] = depth === 1 ? row[index] : rt.outer[rt.outer.length - (depth - 1)][index];
      }
      const k = compositeKey(corrTypes, vals);
      let r = memo.get(k);
      if (!r) {
        if (memo.size >= MEMO_LIMIT) memo.clear();
        r = compute(row);
        memo.set(k, r);
      }
      return r;
    };
  }

  switch (e.mode) {
    case 'exists':
      return (row) => get(row).rows.length > 0;
    case 'scalar':
      return (row) => {
        const rows = get(row).rows;
        if (rows.length > 1) throw new SqlError(SqlState.CardinalityViolation, 'Scalar subquery produced more than one row');
        return rows.length === 0 ? null : rows[0][0];
      };
    case 'array':
      return (row) => get(row).rows.map((r) => r[0]);
    case 'any':
    case 'all': {
      const test = c(e.test!);
      const cmp = e.cmp!;
      const any = e.mode === 'any';
      return (row) => {
        const res = get(row);
        if (res.rows.length === 0) return !any;
        const v = test(row);
        if (v === null) return null;
        if (res.extreme !== undefined) {
          // Every value is NULL: no comparison is definite.
          if (res.extreme === null) return null;
          const r = cmp.eval([v, res.extreme], rt.evalCtx);
          // ANY: true decides; ALL: false decides. Otherwise a NULL in S makes it unknown.
          if (r === any) return any;
          return res.hasNull || r === null ? null : !any;
        }
        if (res.keys) {
          const found = res.keys.has(singleKey(colType, v));
          // ANY(=): found → true; ALL(<>): found → false.
          if (found) return any;
          return res.hasNull ? null : !any;
        }
        let sawNull = false;
        for (const r of res.rows) {
          const x = cmp.eval([v, r[0]], rt.evalCtx);
          if (x === null) sawNull = true;
          else if (x === any) return any;
        }
        return sawNull ? null : !any;
      };
    }
  }
}
