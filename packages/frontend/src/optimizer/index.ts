/**
 * The rule pipeline, applied in order to a bound plan before lowering: constant folding,
 * subquery decorrelation (EXISTS/IN → semi/anti joins, correlated scalar aggregates →
 * left joins), predicate pushdown (WHERE conjuncts into scans and join conditions), join
 * ordering, merging of stacked projections, and point-lookup detection. Subqueries left as expressions get the same
 * treatment for their own plans; correlated ones are then isolated into Filter/Project
 * nodes, which run them per row inside the executor tree (ApplyExecutor).
 */
import type { PlanNode } from '../planner/plan';
import { transformExpr } from '../planner/expr';
import { foldConstants } from './rules/fold-constants';
import { decorrelate } from './rules/decorrelate';
import { orderJoins } from './rules/join-order';
import { pushPredicates } from './rules/push-predicates';
import { mergeProjects } from './rules/merge-projects';
import { isolateCorrelatedSubqueries } from './rules/isolate-subqueries';
import { type IndexesOf, pointLookup } from './rules/point-lookup';
export type { IndexesOf } from './rules/point-lookup';
import { mapNodeExprs, transformPlan } from './rules/transform';
import type { EvalContext } from '@freshet/expr';

/**
 * `indexesOf`: the secondary indexes of a relation, for index lookups — batch queries only
 * (a streaming job reads its inputs whole, so MV plans are optimized without it).
 */
export function optimize(plan: PlanNode, ctx: EvalContext, indexesOf?: IndexesOf): PlanNode {
  let p = foldConstants(plan, ctx);
  p = optimizeRelational(p);
  p = pointLookup(p, indexesOf);
  return p;
}

function optimizeRelational(plan: PlanNode): PlanNode {
  let p = decorrelate(plan);
  p = pushPredicates(p);
  p = orderJoins(p);
  p = mergeProjects(p);
  p = isolateCorrelatedSubqueries(p);
  return optimizeSubqueries(p);
}

/** Runs the relational rules on the plans of subqueries that remain expressions. */
function optimizeSubqueries(plan: PlanNode): PlanNode {
  return transformPlan(plan, (p) =>
    mapNodeExprs(p, (e) => transformExpr(e, (x) => (x.kind === 'subquery' ? { ...x, plan: optimizeRelational(x.plan) } : x))),
  );
}
