/**
 * What a materialized view may contain, checked on the optimized plan before stream
 * planning: subqueries that decorrelation left as expressions are rejected, except
 * uncorrelated scalar subqueries in WHERE / HAVING and in the select list (joined as a
 * one-row side); parameters
 * are rejected; the clock may be read only in temporal filters (temporal.ts).
 */
import { notSupported } from '@freshet/common';
import { type Expr, conjuncts, exprAny } from '../planner/expr';
import { type PlanNode, inputsOf } from '../planner/plan';
import { nodeExprs } from '../planner/walk';
import { TIME_FUNCTIONS, temporalConjunct } from './temporal';
import { isNowSeries } from './to-stream-now';
import { notInSubquery } from './to-stream-subquery';

const readsClockOrSubquery = (e: Expr) => exprAny(e, (x) => x.kind === 'subquery' || x.kind === 'param' || (x.kind === 'call' && TIME_FUNCTIONS.has(x.fn.name)));

/**
 * Rejects what the stream engine cannot maintain, on the optimized plan: subqueries that
 * decorrelation left as expressions, parameters, and clock reads outside temporal filters.
 */
export function checkStreamablePlan(p: PlanNode): void {
  // `generate_series(const, NOW(), const)` in FROM: a growing series (to-stream-now.ts).
  if (isNowSeries(p)) return;
  const inFilter = p.kind === 'filter';
  const scalarAllowed = inFilter || p.kind === 'project';
  const exprs = p.kind === 'filter' ? conjuncts(p.predicate).filter((c) => temporalConjunct(c) === null) : nodeExprs(p);
  for (const e of exprs) {
    // A WHERE conjunct `x NOT IN (uncorrelated subquery)` is planned as joins (to-stream-subquery.ts).
    const notIn = inFilter ? notInSubquery(e) : null;
    if (notIn && !readsClockOrSubquery(notIn.test)) checkStreamablePlan(notIn.plan);
    else checkStreamableExpr(e, scalarAllowed);
  }
  for (const i of inputsOf(p)) checkStreamablePlan(i);
}

/** An uncorrelated scalar subquery: in a WHERE / HAVING or a select list it is joined as a one-row side. */
export const isScalarSubquery = (x: Expr): x is Extract<Expr, { kind: 'subquery' }> => x.kind === 'subquery' && x.mode === 'scalar' && x.correlated.length === 0;

function checkStreamableExpr(e: Expr, scalarAllowed: boolean): void {
  exprAny(e, (x) => {
    if (scalarAllowed && isScalarSubquery(x)) {
      checkStreamablePlan(x.plan);
      return false;
    }
    if (x.kind === 'subquery') throw notSupported('subqueries in a streaming query', 'Rewrite the subquery as a join.');
    if (x.kind === 'param') throw notSupported('parameters in CREATE MATERIALIZED VIEW');
    if (x.kind === 'call' && TIME_FUNCTIONS.has(x.fn.name)) {
      throw notSupported(`${x.fn.name}() in a materialized view outside a temporal filter`, 'NOW() may appear only in WHERE conditions like `ts > NOW() - INTERVAL \'1 hour\'`.');
    }
    return false;
  });
}
