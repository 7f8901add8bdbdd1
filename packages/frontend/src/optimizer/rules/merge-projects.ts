/**
 * Collapses a projection over a projection into one, substituting the inner expressions
 * (join reordering and the binder both stack projections). Skipped when that would
 * evaluate a non-trivial inner expression more than once per row, or when an outer
 * expression holds a correlated subquery (its plan addresses the inner projection's
 * output by position).
 */
import { type Expr, exprAny, forEachChild, hasCorrelatedSubquery, transformExpr } from '../../planner/expr';
import type { PlanNode, Project } from '../../planner/plan';
import { transformPlan } from './transform';

export function mergeProjects(plan: PlanNode): PlanNode {
  return transformPlan(plan, (p) => (p.kind === 'project' && p.input.kind === 'project' ? merge(p, p.input) : p));
}

function merge(outer: Project, inner: Project): PlanNode {
  if (outer.exprs.some(hasCorrelatedSubquery)) return outer;
  if (inner.exprs.some((e) => exprAny(e, (x) => x.kind === 'table_fn'))) return outer;
  const uses = new Array<number>(inner.exprs.length).fill(0);
  const count = (e: Expr) => {
    if (e.kind === 'column') uses[e.index]++;
    else forEachChild(e, count);
  };
  outer.exprs.forEach(count);
  if (uses.some((n, i) => n > 1 && !isTrivial(inner.exprs[i]))) return outer;
  const exprs = outer.exprs.map((e) => transformExpr(e, (x) => (x.kind === 'column' ? inner.exprs[x.index] : x)));
  return { ...outer, input: inner.input, exprs };
}

function isTrivial(e: Expr): boolean {
  return e.kind === 'column' || e.kind === 'literal' || e.kind === 'param' || e.kind === 'outer';
}
