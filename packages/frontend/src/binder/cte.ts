/** WITH: each CTE is bound once (later ones can read earlier ones) and read by name. */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import type { PlanNode } from '../planner/plan';
import { type PgNode, sval } from './ast';
import type { BindContext, CteDef } from './context';
import { changelogPlan } from './changelog';
import { bindQuery } from './query';
import type { Level } from './scope';

/** Binds the WITH clause and pushes its CTE frame; returns true (the caller pops it). */
export function bindWith(bc: BindContext, withClause: PgNode, parent: Level | null): boolean {
  if (withClause.recursive) throw notSupported('WITH RECURSIVE');
  const frame = new Map<string, CteDef>();
  bc.pushCtes(frame);
  for (const c of withClause.ctes as PgNode[]) {
    const cte = c.CommonTableExpr;
    const name = cte.ctename as string;
    if (frame.has(name)) throw new SqlError(SqlState.DuplicateObject, `WITH query name "${name}" specified more than once`);
    let plan: PlanNode = bindQuery(bc, cte.ctequery, parent);
    const cols = ((cte.aliascolnames as PgNode[] | undefined) ?? []).map(sval);
    if (cols.length > plan.schema.length) {
      throw new SqlError(SqlState.InvalidColumnReference, `WITH query "${name}" has ${plan.schema.length} columns available but ${cols.length} columns specified`);
    }
    if (bc.rw?.changelogCtes?.some((x) => x.location === cte.location)) plan = changelogPlan(plan, name);
    if (cols.length > 0) {
      plan = { ...plan, schema: plan.schema.map((f, i) => (i < cols.length ? { ...f, name: cols[i] } : f)) } as PlanNode;
    }
    frame.set(name, { name, plan, schema: plan.schema });
  }
  return true;
}
