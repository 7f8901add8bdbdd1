/**
 * Predicate pushdown. Filters are split into conjuncts and each is moved as close to the
 * rows it reads as the operators allow:
 * - through projections (column references replaced by the projected expressions),
 *   sorts, DISTINCT and, for conjuncts over group keys only, aggregations;
 * - into joins: conjuncts over one side go to that side (where the join type preserves
 *   the meaning), conjuncts over both sides of an inner join become its condition, where
 *   lowering turns equalities into hash keys. Single-side conjuncts of a join condition
 *   are pushed into that side the same way;
 * - equalities implied through an equi-join (`l.a = r.b` with `l.a = $1` gives `r.b = $1`)
 *   are added to the side the join type lets be filtered (infer-equalities.ts);
 * - an outer join whose null-extended side is rejected by a filter above it (`b.x = 1`
 *   over `a LEFT JOIN b`) is an inner join, and is treated as one.
 * Conjuncts that cannot move (correlated subqueries, volatile functions) stay in a Filter
 * where they were.
 */
import { type Expr, andAll, collectColumns, hasSubquery, transformExpr } from '../../planner/expr';
import { type Join, type JoinKind, type PlanNode, inputsOf, withInputs } from '../../planner/plan';
import { isMovable, isVolatile, shiftColumns, sideOf, splitConjuncts } from './predicates';
import { inferAcrossJoin } from './infer-equalities';

export function pushPredicates(plan: PlanNode): PlanNode {
  return push(plan, []);
}

function filterOver(input: PlanNode, preds: readonly Expr[]): PlanNode {
  const predicate = andAll(preds);
  return predicate ? { kind: 'filter', input, predicate, schema: input.schema } : input;
}

/** `plan` with `preds` (over its output row) applied, as deep as they can go. */
function push(p: PlanNode, preds: Expr[]): PlanNode {
  switch (p.kind) {
    case 'filter':
      return push(p.input, [...preds, ...splitConjuncts(p.predicate)]);
    case 'project':
      return pushThroughMapping(p, preds, p.exprs, (input) => ({ ...p, input }));
    case 'agg':
      // With grouping sets (an Expand input) a key column is NULL in some sets: not a plain key.
      if (p.groupKeys.length === 0 || p.input.kind === 'expand') return keepAll(p, preds);
      return pushThroughMapping(p, preds, p.groupKeys, (input) => ({ ...p, input }));
    case 'sort':
      return pushThrough(p, preds);
    case 'distinct':
      // DISTINCT ON keeps the first row of each group: filtering first could pick another.
      return p.on ? keepAll(p, preds) : pushThrough(p, preds);
    case 'join':
      return pushJoin(p, preds);
    default:
      return keepAll(p, preds);
  }
}

/** Optimizes the inputs on their own and keeps `preds` in a Filter above `p`. */
function keepAll(p: PlanNode, preds: Expr[]): PlanNode {
  const inputs = inputsOf(p);
  const mapped = inputs.map((i) => push(i, []));
  const node = mapped.some((m, i) => m !== inputs[i]) ? withInputs(p, mapped) : p;
  return filterOver(node, preds);
}

/** For operators whose output row is their input row (sort, distinct). */
function pushThrough(p: PlanNode & { input: PlanNode }, preds: Expr[]): PlanNode {
  const down = preds.filter(isMovable);
  const keep = preds.filter((c) => !isMovable(c));
  return filterOver({ ...p, input: push(p.input, down) } as PlanNode, keep);
}

/**
 * For operators whose leading output columns are expressions over the input (project
 * expressions, group keys): a conjunct over those columns only is rewritten in terms of
 * the input. Expressions holding subqueries or volatile calls are not duplicated.
 */
function pushThroughMapping(p: PlanNode, preds: Expr[], mapping: readonly Expr[], rebuild: (input: PlanNode) => PlanNode): PlanNode {
  const down: Expr[] = [];
  const keep: Expr[] = [];
  for (const c of preds) {
    const cols = collectColumns(c);
    const ok = isMovable(c) && [...cols].every((i) => i < mapping.length && inlinable(mapping[i]));
    if (ok) down.push(transformExpr(c, (x) => (x.kind === 'column' ? mapping[x.index] : x)));
    else keep.push(c);
  }
  const input = inputsOf(p)[0];
  return filterOver(rebuild(push(input, down)), keep);
}

function inlinable(e: Expr): boolean {
  return e.kind !== 'table_fn' && !hasSubquery(e) && !isVolatile(e);
}

function pushJoin(p: Join, preds: Expr[]): PlanNode {
  const lw = p.left.schema.length;
  const joinType = strengthen(p.joinType, preds, lw, p.schema.length);
  const toLeft: Expr[] = [];
  const toRight: Expr[] = [];
  const cond: Expr[] = [];
  const above: Expr[] = [];
  // Conjuncts from above, over the join's output row.
  for (const c of preds) {
    if (!isMovable(c)) {
      above.push(c);
      continue;
    }
    const side = sideOf(c, lw);
    if (joinType === 'semi' || joinType === 'anti') toLeft.push(c);
    else if (joinType === 'inner') (side === 'left' || side === 'none' ? toLeft : side === 'right' ? toRight : cond).push(c);
    else if (joinType === 'left' && (side === 'left' || side === 'none')) toLeft.push(c);
    else if (joinType === 'right' && (side === 'right' || side === 'none')) toRight.push(c);
    else above.push(c);
  }
  // Conjuncts of the join condition: a side that is not null-extended may be filtered first.
  for (const c of splitConjuncts(p.condition)) {
    const side = isMovable(c) ? sideOf(c, lw) : 'both';
    const filtersLeft = joinType === 'inner' || joinType === 'semi' || joinType === 'right';
    const filtersRight = joinType === 'inner' || joinType === 'semi' || joinType === 'left' || joinType === 'anti';
    if (side === 'left' && filtersLeft) toLeft.push(c);
    else if (side === 'right' && filtersRight) toRight.push(c);
    else cond.push(c);
  }
  const inferred = inferAcrossJoin(joinType, lw, toLeft, toRight, cond);
  toLeft.push(...inferred.left);
  toRight.push(...inferred.right);
  const left = push(p.left, toLeft);
  const right = push(p.right, toRight.map((c) => shiftColumns(c, -lw)));
  return filterOver({ ...p, joinType, left, right, condition: andAll(cond) }, above);
}

/**
 * An outer join under a filter that is never true for a null-extended row loses those
 * rows anyway: LEFT becomes INNER when the filter rejects NULLs in the right columns, etc.
 */
function strengthen(kind: JoinKind, preds: readonly Expr[], lw: number, width: number): JoinKind {
  if (kind !== 'left' && kind !== 'right' && kind !== 'full') return kind;
  const rejects = (lo: number, hi: number) => preds.some((c) => isMovable(c) && rejectsNulls(c, (i) => i >= lo && i < hi));
  const dropsNullRight = (kind === 'left' || kind === 'full') && rejects(lw, width);
  const dropsNullLeft = (kind === 'right' || kind === 'full') && rejects(0, lw);
  if (kind === 'left') return dropsNullRight ? 'inner' : kind;
  if (kind === 'right') return dropsNullLeft ? 'inner' : kind;
  if (dropsNullLeft && dropsNullRight) return 'inner';
  return dropsNullRight ? 'right' : dropsNullLeft ? 'left' : 'full';
}

/** True if `e` is NULL or false (a filter drops the row) whenever every column selected by `isNulled` is NULL. */
export function rejectsNulls(e: Expr, isNulled: (i: number) => boolean): boolean {
  switch (e.kind) {
    case 'and':
      return e.args.some((a) => rejectsNulls(a, isNulled));
    case 'or':
      return e.args.every((a) => rejectsNulls(a, isNulled));
    case 'is_null':
      return e.negated && yieldsNull(e.arg, isNulled);
    default:
      return yieldsNull(e, isNulled);
  }
}

/** True if `e` is certainly NULL whenever every column selected by `isNulled` is NULL. */
function yieldsNull(e: Expr, isNulled: (i: number) => boolean): boolean {
  switch (e.kind) {
    case 'column':
      return isNulled(e.index);
    case 'cast':
    case 'field':
    case 'not':
    case 'in_list':
      return yieldsNull(e.arg, isNulled);
    case 'call':
      return e.fn.strict && e.args.some((a) => yieldsNull(a, isNulled));
    case 'and':
    case 'or':
      return e.args.every((a) => yieldsNull(a, isNulled));
    default:
      return false;
  }
}
