/**
 * Correlated subqueries that decorrelation leaves run once per row, and only Filter and
 * Project lower onto the ApplyExecutor, which runs them inside the executor tree where
 * they pause and can be cancelled (query/lower.ts, batch/executor/apply.ts). This rule
 * moves every expression holding one out of the other operators that evaluate
 * expressions per row:
 * - aggregate arguments, ORDER BY keys and group keys, window arguments and keys,
 *   ProjectSet items: computed by a Project of their own below the operator (the whole
 *   expression moves, so a CASE around the subquery still guards it), and referenced from
 *   the operator as a column. An argument under FILTER (WHERE f) moves as
 *   `CASE WHEN f THEN arg END`: it must not be evaluated for rows the filter drops.
 * - conjuncts of an inner join's condition: a Filter over the join.
 * The moved expression is evaluated on the same row as before, so its outer references
 * keep their meaning. Whatever stays (outer-join conditions, …) is drained inline.
 */
import { type Expr, andAll, col, conjuncts, hasCorrelatedSubquery } from '../../planner/expr';
import type { Field, PlanNode } from '../../planner/plan';
import { transformPlan } from './transform';

export function isolateCorrelatedSubqueries(plan: PlanNode): PlanNode {
  return transformPlan(plan, (p) => {
    switch (p.kind) {
      case 'agg':
      case 'window':
      case 'project_set':
        return hoistBelow(p);
      case 'join':
        return p.joinType === 'inner' ? filterAboveJoin(p) : p;
      default:
        return p;
    }
  });
}

/** Collects the expressions moved into a Project over `input`, appended after its columns. */
class Hoist {
  readonly moved: Expr[] = [];
  constructor(private readonly input: PlanNode) {}

  /** `e` itself, or a reference to the new column computing it. */
  take = (e: Expr): Expr => {
    if (!hasCorrelatedSubquery(e)) return e;
    this.moved.push(e);
    return col(this.input.schema.length + this.moved.length - 1, e.type);
  };

  project(): PlanNode {
    const input = this.input;
    const fields: Field[] = this.moved.map((e, i) => ({ name: `__subquery_${i}`, type: e.type, table: null, hidden: true }));
    return {
      kind: 'project',
      input,
      exprs: [...input.schema.map((f, i) => col(i, f.type)), ...this.moved],
      schema: [...input.schema, ...fields],
    };
  }
}

function hoistBelow(p: Extract<PlanNode, { kind: 'agg' | 'window' | 'project_set' }>): PlanNode {
  const h = new Hoist(p.input);
  const take = h.take;
  let node: PlanNode;
  switch (p.kind) {
    case 'agg':
      node = {
        ...p,
        groupKeys: p.groupKeys.map(take),
        aggs: p.aggs.map((a) => {
          const guard = a.filter;
          const takeGuarded = guard ? (e: Expr) => (hasCorrelatedSubquery(e) ? take(guarded(guard, e)) : e) : take;
          return { ...a, args: a.args.map(takeGuarded), orderBy: a.orderBy.map((o) => ({ ...o, expr: takeGuarded(o.expr) })), filter: guard && take(guard) };
        }),
      };
      break;
    case 'window':
      node = {
        ...p,
        calls: p.calls.map((c) => ({
          ...c,
          args: c.filter ? c.args.map((e) => (hasCorrelatedSubquery(e) ? take(guarded(c.filter!, e)) : e)) : c.args.map(take),
          filter: c.filter && take(c.filter),
          partitionBy: c.partitionBy.map(take),
          orderBy: c.orderBy.map((o) => ({ ...o, expr: take(o.expr) })),
        })),
      };
      break;
    case 'project_set':
      node = { ...p, exprs: p.exprs.map((e) => (e.kind === 'table_fn' ? { ...e, args: e.args.map(take) } : take(e))) };
      break;
  }
  if (h.moved.length === 0) return p;
  const input = h.project();
  if (node.kind !== 'window') return { ...node, input } as PlanNode;
  // A window's output is its input's columns, then one per call: drop the moved ones again.
  const w = p.input.schema.length;
  const k = h.moved.length;
  const windowFields = [...input.schema, ...p.schema.slice(w)];
  const window: PlanNode = { ...node, input, schema: windowFields };
  const keep = [...p.schema.keys()].map((i) => (i < w ? i : i + k));
  return { kind: 'project', input: window, exprs: keep.map((i) => col(i, windowFields[i].type)), schema: p.schema };
}

/** `CASE WHEN cond THEN e END`: e evaluated only where the FILTER condition holds. */
function guarded(cond: Expr, e: Expr): Expr {
  return { kind: 'case', whens: [{ cond, result: e }], else: null, type: e.type };
}

function filterAboveJoin(p: Extract<PlanNode, { kind: 'join' }>): PlanNode {
  const parts = conjuncts(p.condition);
  const moved = parts.filter(hasCorrelatedSubquery);
  if (moved.length === 0) return p;
  const join: PlanNode = { ...p, condition: andAll(parts.filter((c) => !hasCorrelatedSubquery(c))) };
  return { kind: 'filter', input: join, predicate: andAll(moved)!, schema: p.schema };
}
