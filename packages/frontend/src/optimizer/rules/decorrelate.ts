/**
 * Subquery decorrelation: subqueries that would run once per outer row become joins.
 * - A WHERE conjunct `[NOT] EXISTS (… WHERE corr AND rest)` becomes a semi (anti) join of
 *   the filtered rows with `… WHERE rest` on `corr`, the correlated conjuncts with their
 *   outer references turned into columns of the left side.
 * - A WHERE conjunct `x op ANY (SELECT e …)` (IN) becomes a semi join on `x op e AND corr`:
 *   in a WHERE clause false and NULL both drop the row, so the three-valued result does
 *   not matter. (NOT IN is not rewritten: its NULL semantics need the row-wise path.)
 * - A correlated scalar subquery `(SELECT f(agg…) FROM … WHERE inner = outer AND rest)`
 *   in a filter or projection becomes a LEFT join with the aggregation grouped by the
 *   inner side of the correlated equalities; each outer row meets at most one group. An
 *   outer row without a group gets NULL aggregates, which is what the aggregation of no
 *   rows gives as long as every aggregate's empty result is NULL (not count), so `f` over
 *   them yields the same value.
 * Anything else (correlation below a join, in a projection, non-equality correlation of
 * a scalar subquery, …) is left to the executor, which evaluates subqueries memoized per
 * distinct outer values.
 */
import type { DataType } from '@freshet/common';
import { type Expr, type Subquery, andAll, col, conjuncts, exprAny, hasSubquery, transformExpr } from '../../planner/expr';
import type { Agg, Field, PlanNode } from '../../planner/plan';
import { escapingOuterRefs, exprOuterRefs, nodeExprs } from '../../planner/walk';
import { transformPlan } from './transform';

export function decorrelate(plan: PlanNode): PlanNode {
  return transformPlan(plan, (p) => (p.kind === 'filter' ? rewriteFilter(p.input, p.predicate) : p.kind === 'project' ? rewriteProject(p) : p));
}

/** Rows of `width` columns: the first `width` of `input`'s. */
function trimTo(input: PlanNode, fields: readonly Field[]): PlanNode {
  if (input.schema.length === fields.length) return input;
  return { kind: 'project', input, exprs: fields.map((f, i) => col(i, f.type)), schema: fields };
}

function rewriteFilter(input: PlanNode, predicate: Expr): PlanNode {
  const fields = input.schema;
  const rest: Expr[] = [];
  let changed = false;
  for (const c of conjuncts(predicate)) {
    const j = asSemiJoin(input, c);
    if (j) {
      input = j;
      changed = true;
    } else rest.push(c);
  }
  // Semi/anti joins keep the left row as is, so the remaining conjuncts still apply.
  const state = { input };
  const preds = rest.map((c) => replaceScalarSubqueries(c, state));
  if (!changed && state.input === input) return { kind: 'filter', input, predicate, schema: fields };
  const filtered: PlanNode = preds.length > 0 ? { kind: 'filter', input: state.input, predicate: andAll(preds)!, schema: state.input.schema } : state.input;
  return trimTo(filtered, fields);
}

function rewriteProject(p: Extract<PlanNode, { kind: 'project' }>): PlanNode {
  const state = { input: p.input };
  const exprs = p.exprs.map((e) => replaceScalarSubqueries(e, state));
  return state.input === p.input ? p : { ...p, input: state.input, exprs };
}

// ---------------------------------------------------------------------------------------
// Shared analysis

/** Drops operators that cannot change whether (or which values) a subquery yields. */
function peelForSemi(plan: PlanNode): { body: PlanNode; outputs: readonly Expr[] | null } {
  let p = plan;
  while (p.kind === 'sort' || (p.kind === 'distinct' && !p.on)) p = p.input;
  if (p.kind === 'project') return { body: p.input, outputs: p.exprs };
  return { body: p, outputs: null };
}

/** References an enclosing row at any depth, directly or inside a nested subquery. */
function readsOuter(e: Expr): boolean {
  return exprOuterRefs(e).length > 0;
}

/**
 * Splits a subquery body `Filter(pred, x)` into the uncorrelated plan (`x` filtered by the
 * uncorrelated conjuncts) and the correlated conjuncts, which must read only the row the
 * subquery is evaluated on (depth 1), outside any nested subquery. Null if the body is
 * correlated anywhere else.
 */
function splitCorrelated(body: PlanNode): { plan: PlanNode; corr: Expr[] } | null {
  if (body.kind !== 'filter') return escapingOuterRefs(body).length === 0 ? { plan: body, corr: [] } : null;
  if (escapingOuterRefs(body.input).length > 0) return null;
  const corr: Expr[] = [];
  const rest: Expr[] = [];
  for (const c of conjuncts(body.predicate)) {
    const refs = exprOuterRefs(c);
    if (refs.length === 0) rest.push(c);
    else if (refs.every((r) => r.depth === 1) && !hasSubquery(c)) corr.push(c);
    else return null;
  }
  const plan: PlanNode = rest.length > 0 ? { kind: 'filter', input: body.input, predicate: andAll(rest)!, schema: body.input.schema } : body.input;
  return { plan, corr };
}

/** An expression over the subquery's row (with depth-1 outer refs) → over `outer ++ inner`. */
function toJoinRow(e: Expr, outerWidth: number): Expr {
  return transformExpr(e, (x) => (x.kind === 'column' ? { ...x, index: x.index + outerWidth } : x.kind === 'outer' ? col(x.index, x.type) : x));
}

// ---------------------------------------------------------------------------------------
// EXISTS / IN → semi and anti joins

function asSemiJoin(input: PlanNode, c: Expr): PlanNode | null {
  let negated = false;
  let e = c;
  if (e.kind === 'not' && e.arg.kind === 'subquery' && e.arg.mode === 'exists') {
    negated = true;
    e = e.arg;
  }
  if (e.kind !== 'subquery' || (e.mode !== 'exists' && e.mode !== 'any')) return null;
  // An uncorrelated EXISTS runs once anyway.
  if (e.mode === 'exists' && e.correlated.length === 0) return null;
  if (e.correlated.some((r) => r.depth !== 1)) return null;
  const lw = input.schema.length;
  const { body, outputs } = peelForSemi(e.plan);
  const split = splitCorrelated(body);
  if (!split) return null;
  const conds = split.corr.map((x) => toJoinRow(x, lw));
  const right = split.plan;
  if (e.mode === 'any') {
    if (!e.test || !e.cmp || hasSubquery(e.test) || readsOuter(e.test)) return null;
    // The compared value: the subquery's output column, over its body row.
    const value = outputs ? outputs[0] : col(0, body.schema[0].type);
    if (hasSubquery(value) || readsOuter(value)) return null;
    conds.unshift({ kind: 'call', fn: e.cmp, args: [e.test, toJoinRow(value, lw)], type: e.type });
  }
  return { kind: 'join', joinType: negated ? 'anti' : 'semi', left: input, right: decorrelate(right), condition: andAll(conds), schema: input.schema };
}

// ---------------------------------------------------------------------------------------
// Correlated scalar aggregates → LEFT join with a grouped aggregation

/** Replaces decorrelatable scalar subqueries in `e`, growing `state.input` by a left join each. */
function replaceScalarSubqueries(e: Expr, state: { input: PlanNode }): Expr {
  if (!exprAny(e, (x) => x.kind === 'subquery' && x.mode === 'scalar' && x.correlated.length > 0)) return e;
  return transformExpr(e, (x) => {
    if (x.kind !== 'subquery' || x.mode !== 'scalar' || x.correlated.length === 0) return x;
    const r = scalarAggJoin(state.input, x);
    if (!r) return x;
    state.input = r.join;
    return r.value;
  });
}

function emptyAggIsNull(agg: Agg): boolean {
  return agg.aggs.every((a) => a.fn.create().result() === null);
}

function scalarAggJoin(input: PlanNode, sq: Subquery): { join: PlanNode; value: Expr } | null {
  if (sq.correlated.some((r) => r.depth !== 1)) return null;
  const project = sq.plan.kind === 'project' ? sq.plan : null;
  const agg = project ? project.input : sq.plan;
  if (agg.kind !== 'agg' || agg.groupKeys.length !== 0 || !emptyAggIsNull(agg)) return null;
  if (project && project.exprs.some((x) => hasSubquery(x) || readsOuter(x))) return null;
  if (nodeExprs(agg).some(readsOuter)) return null;
  const split = splitCorrelated(agg.input);
  if (!split || split.corr.length === 0) return null;

  // Each correlated conjunct must be `inner = outer`.
  const lw = input.schema.length;
  const innerKeys: Expr[] = [];
  const conds: Expr[] = [];
  for (const c of split.corr) {
    if (c.kind !== 'call' || c.fn.name !== 'equal' || c.args.length !== 2) return null;
    const innerAt = c.args.findIndex((a) => !readsOuter(a));
    const outerAt = 1 - innerAt;
    if (innerAt < 0 || exprAny(c.args[outerAt], (x) => x.kind === 'column')) return null;
    const k = innerKeys.length;
    innerKeys.push(c.args[innerAt]);
    const args = [...c.args];
    args[innerAt] = col(lw + k, c.args[innerAt].type);
    args[outerAt] = toJoinRow(c.args[outerAt], lw);
    conds.push({ ...c, args });
  }
  const m = innerKeys.length;
  const keyFields: Field[] = innerKeys.map((k, i) => ({ name: `corr_${i}`, type: k.type, table: null }));
  const aggFields = agg.schema;
  const grouped: PlanNode = { kind: 'agg', input: decorrelate(split.plan), groupKeys: innerKeys, aggs: agg.aggs, schema: [...keyFields, ...aggFields] };
  const join: PlanNode = { kind: 'join', joinType: 'left', left: input, right: grouped, condition: andAll(conds), schema: [...input.schema, ...grouped.schema] };
  const aggCol = (j: number, type: DataType) => col(lw + m + j, type);
  const value = project ? transformExpr(project.exprs[0], (x) => (x.kind === 'column' ? aggCol(x.index, x.type) : x)) : aggCol(0, agg.schema[0].type);
  return { join, value };
}
