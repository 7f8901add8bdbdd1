/**
 * Helpers for rules that move predicates between plan nodes. A conjunct can move only if
 * it can be re-addressed (no correlated subquery: its plan reads this row through
 * OuterRefs, which `remapColumns` does not rewrite) and evaluating it on a different set
 * of rows is unobservable (no volatile function).
 */
import { type Expr, andAll, collectColumns, conjuncts, exprAny, exprKey, hasCorrelatedSubquery, hasSubquery, remapColumns } from '../../planner/expr';
import { VOLATILE_FUNCTIONS } from '../../binder/synthetic';

export function isVolatile(e: Expr): boolean {
  return exprAny(e, (x) => x.kind === 'call' && VOLATILE_FUNCTIONS.has(x.fn.name));
}

export function isMovable(e: Expr): boolean {
  return !hasCorrelatedSubquery(e) && !isVolatile(e);
}

/** Which side(s) of a join row (left width `lw`) a conjunct reads. */
export type Side = 'none' | 'left' | 'right' | 'both';

export function sideOf(e: Expr, lw: number): Side {
  let l = false;
  let r = false;
  for (const i of collectColumns(e)) {
    if (i < lw) l = true;
    else r = true;
  }
  return l && r ? 'both' : l ? 'left' : r ? 'right' : 'none';
}

export function shiftColumns(e: Expr, delta: number): Expr {
  return delta === 0 ? e : remapColumns(e, (i) => i + delta);
}

/**
 * Splits a predicate into conjuncts, also pulling out conjuncts common to every branch
 * of an OR: `(a = b AND x) OR (a = b AND y)` → `a = b`, `x OR y`, so the shared part can
 * become a join key or move into a scan.
 */
export function splitConjuncts(e: Expr | null): Expr[] {
  return conjuncts(e).flatMap(factorOr);
}

function factorOr(e: Expr): Expr[] {
  if (e.kind !== 'or' || hasVolatileOrSubquery(e)) return [e];
  const branches = e.args.map((a) => conjuncts(a));
  const keyed = branches.map((b) => new Map(b.map((c) => [exprKey(c), c] as const)));
  const common = [...keyed[0].keys()].filter((k) => keyed.every((m) => m.has(k)));
  if (common.length === 0) return [e];
  const shared = new Set(common);
  const rests = branches.map((b) => b.filter((c) => !shared.has(exprKey(c))));
  // A branch left empty is TRUE, which makes the whole OR true.
  if (rests.some((r) => r.length === 0)) return common.map((k) => keyed[0].get(k)!);
  const or: Expr = { kind: 'or', args: rests.map((r) => andAll(r)!), type: e.type };
  return [...common.map((k) => keyed[0].get(k)!), or];
}

function hasVolatileOrSubquery(e: Expr): boolean {
  return isVolatile(e) || hasSubquery(e);
}
