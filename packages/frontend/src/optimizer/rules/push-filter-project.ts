import type { PlanNode } from '../../planner/plan';

export function pushFilterThroughProject(plan: PlanNode): PlanNode {
  return plan;
}
