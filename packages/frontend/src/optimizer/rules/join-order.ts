import type { PlanNode } from '../../planner/plan';

export function orderJoins(plan: PlanNode): PlanNode {
  return plan;
}
