/**
 * The rule pipeline, applied in order to a bound plan before lowering:
 * constant folding, subquery decorrelation (EXISTS/IN → semi/anti joins), join ordering
 * with predicate placement, and point-lookup detection.
 */
import type { PlanNode } from '../planner/plan';
import { foldConstants } from './rules/fold-constants';
import { decorrelate } from './rules/decorrelate';
import { orderJoins } from './rules/join-order';
import { pushFilterThroughProject } from './rules/push-filter-project';
import { pointLookup } from './rules/point-lookup';
import type { EvalContext } from '@freshet/expr';

export function optimize(plan: PlanNode, ctx: EvalContext): PlanNode {
  let p = foldConstants(plan, ctx);
  p = decorrelate(p);
  p = pushFilterThroughProject(p);
  p = orderJoins(p);
  p = pointLookup(p);
  return p;
}
