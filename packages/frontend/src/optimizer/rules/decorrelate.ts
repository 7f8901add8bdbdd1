import type { PlanNode } from '../../planner/plan';

export function decorrelate(plan: PlanNode): PlanNode {
  return plan;
}
