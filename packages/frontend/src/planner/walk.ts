/** Generic traversals over plans and the expressions they hold. */
import type { Expr } from './expr';
import { forEachChild } from './expr';
import type { PlanNode } from './plan';
import { inputsOf } from './plan';

/** The expressions a node evaluates (over its own input row). */
export function nodeExprs(p: PlanNode): Expr[] {
  switch (p.kind) {
    case 'filter':
      return [p.predicate];
    case 'project':
    case 'project_set':
      return [...p.exprs];
    case 'agg':
      return [...p.groupKeys, ...p.aggs.flatMap((a) => [...a.args, ...(a.filter ? [a.filter] : []), ...a.orderBy.map((o) => o.expr)])];
    case 'join':
      return p.condition ? [p.condition] : [];
    case 'sort':
      return p.keys.map((k) => k.expr);
    case 'distinct':
      return p.on ? [...p.on] : [];
    case 'window':
      return p.calls.flatMap((c) => [...c.args, ...(c.filter ? [c.filter] : []), ...c.partitionBy, ...c.orderBy.map((o) => o.expr)]);
    case 'table_function':
      return [...p.args];
    case 'values':
      return p.rows.flat();
    case 'get':
      return [...p.key];
    case 'limit':
      return [...(p.limit ? [p.limit] : []), ...(p.offset ? [p.offset] : [])];
    case 'insert':
    case 'update':
    case 'delete':
      return p.returning ? [...p.returning] : [];
    default:
      return [];
  }
}

export interface OuterUse {
  depth: number;
  index: number;
  type: Expr['type'];
}

/**
 * Outer references that escape `plan` (a subquery's plan): depth is relative to the row the
 * subquery is evaluated on (1 = that row, 2 = its enclosing query's row, …).
 */
export function escapingOuterRefs(plan: PlanNode): OuterUse[] {
  return collectOuterRefs([], [plan]);
}

/** Outer references in `e` (evaluated over some plan node's row), including inside its subqueries. */
export function exprOuterRefs(e: Expr): OuterUse[] {
  return collectOuterRefs([e], []);
}

function collectOuterRefs(exprs: Expr[], plans: PlanNode[]): OuterUse[] {
  const found = new Map<string, OuterUse>();
  const visitExpr = (e: Expr, nesting: number) => {
    if (e.kind === 'outer') {
      if (e.depth > nesting) {
        const depth = e.depth - nesting;
        found.set(`${depth}:${e.index}`, { depth, index: e.index, type: e.type });
      }
      return;
    }
    if (e.kind === 'subquery') visitPlan(e.plan, nesting + 1);
    forEachChild(e, (c) => visitExpr(c, nesting));
  };
  const visitPlan = (p: PlanNode, nesting: number) => {
    for (const e of nodeExprs(p)) visitExpr(e, nesting);
    for (const i of inputsOf(p)) visitPlan(i, nesting);
  };
  for (const e of exprs) visitExpr(e, 0);
  for (const p of plans) visitPlan(p, 0);
  return [...found.values()];
}
