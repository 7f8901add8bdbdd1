/** Plan rewriting helpers shared by the rules. */
import type { Expr } from '../../planner/expr';
import { type PlanNode, inputsOf, withInputs } from '../../planner/plan';

/** Bottom-up rewrite of every node. */
export function transformPlan(p: PlanNode, f: (p: PlanNode) => PlanNode): PlanNode {
  const inputs = inputsOf(p);
  const mapped = inputs.map((i) => transformPlan(i, f));
  const changed = mapped.some((m, i) => m !== inputs[i]);
  return f(changed ? withInputs(p, mapped) : p);
}

/** Rewrites every expression held by a node (not its inputs). */
export function mapNodeExprs(p: PlanNode, f: (e: Expr) => Expr): PlanNode {
  switch (p.kind) {
    case 'filter':
      return { ...p, predicate: f(p.predicate) };
    case 'project':
    case 'project_set':
      return { ...p, exprs: p.exprs.map(f) };
    case 'agg':
      return {
        ...p,
        groupKeys: p.groupKeys.map(f),
        aggs: p.aggs.map((a) => ({ ...a, args: a.args.map(f), filter: a.filter && f(a.filter), orderBy: a.orderBy.map((o) => ({ ...o, expr: f(o.expr) })) })),
      };
    case 'join':
      return { ...p, condition: p.condition && f(p.condition) };
    case 'sort':
      return { ...p, keys: p.keys.map((k) => ({ ...k, expr: f(k.expr) })) };
    case 'limit':
      return { ...p, limit: p.limit && f(p.limit), offset: p.offset && f(p.offset) };
    case 'distinct':
      return { ...p, on: p.on && p.on.map(f) };
    case 'window':
      return {
        ...p,
        calls: p.calls.map((c) => ({
          ...c,
          args: c.args.map(f),
          filter: c.filter && f(c.filter),
          partitionBy: c.partitionBy.map(f),
          orderBy: c.orderBy.map((o) => ({ ...o, expr: f(o.expr) })),
        })),
      };
    case 'table_function':
      return { ...p, args: p.args.map(f) };
    case 'values':
      return { ...p, rows: p.rows.map((r) => r.map(f)) };
    case 'get':
      return { ...p, key: p.key.map(f) };
    case 'insert':
    case 'update':
    case 'delete':
      return { ...p, returning: p.returning && p.returning.map(f) };
    default:
      return p;
  }
}
