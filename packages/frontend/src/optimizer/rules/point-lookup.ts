import type { PlanNode } from '../../planner/plan';

export function pointLookup(plan: PlanNode): PlanNode {
  return plan;
}
