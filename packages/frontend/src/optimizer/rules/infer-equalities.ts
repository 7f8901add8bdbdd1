/**
 * Transitive equality inference across a join: with the equi-join conjunct `l.a = r.b`
 * and a conjunct pinning one side, `l.a = v` (v a literal or `$n`, possibly cast), the
 * other side gets `r.b = v` too. The serving query
 * `… FROM u LEFT JOIN s USING (k) WHERE u.k = $1` then filters `s` by `s.k = $1`, which the
 * point-lookup rule turns into a key or index lookup instead of a full scan of `s`.
 *
 * Why it is safe: every row the pinned side keeps has `l.a = v`, and a row of the other
 * side joins only if `l.a = r.b` is true, so `r.b = v`; rows of the other side failing it
 * never join. Filtering them out first changes nothing — as long as that side's unmatched
 * rows are not themselves output, so the target side must be one the join may filter:
 *   pinned left → right: inner, left, semi, anti (an anti join only asks whether a match exists);
 *   pinned right → left: inner, right, semi (a left row that cannot match is dropped anyway).
 * A full join preserves both sides: nothing is inferred.
 *
 * Only plain `=` between two columns of the same type qualifies (`IS NOT DISTINCT FROM`
 * matches NULLs, so it is not an equality here; a cast on either side may not be injective
 * and is skipped), conjuncts only (never across OR), and the pinned value must have the
 * column's exact type so the inferred `=` is the same operator.
 */
import { typeEquals } from '@freshet/common';
import { type Expr, exprKey } from '../../planner/expr';
import type { JoinKind } from '../../planner/plan';

const INFER_TO_RIGHT = new Set<JoinKind>(['inner', 'left', 'semi', 'anti']);
const INFER_TO_LEFT = new Set<JoinKind>(['inner', 'right', 'semi']);

/** A value fixed before any row is read: a literal or a parameter, through casts. */
export function isPinnedValue(e: Expr): boolean {
  while (e.kind === 'cast') e = e.arg;
  return e.kind === 'literal' || e.kind === 'param';
}

/** `column = column` (plain `=`, both sides the same type): the two column positions. */
function columnEquality(c: Expr): [number, number] | null {
  if (c.kind !== 'call' || c.fn.name !== 'equal' || c.args.length !== 2) return null;
  const [a, b] = c.args;
  if (a.kind !== 'column' || b.kind !== 'column' || !typeEquals(a.type, b.type)) return null;
  return [a.index, b.index];
}

/** `column = value` (either way round, same type): the column position and the value. */
function pinnedColumn(c: Expr): { index: number; value: Expr } | null {
  if (c.kind !== 'call' || c.fn.name !== 'equal' || c.args.length !== 2) return null;
  const [a, b] = c.args;
  const [column, value] = a.kind === 'column' ? [a, b] : b.kind === 'column' ? [b, a] : [null, null];
  if (!column || column.kind !== 'column' || !value || !isPinnedValue(value) || !typeEquals(column.type, value.type)) return null;
  return { index: column.index, value };
}

/**
 * Conjuncts implied for each side of a join (all over the join's row, left columns then
 * right): `toLeft` / `toRight` are the conjuncts that will filter each side, `cond` the
 * join condition's conjuncts over both sides. Returns only new conjuncts.
 */
export function inferAcrossJoin(
  joinType: JoinKind,
  lw: number,
  toLeft: readonly Expr[],
  toRight: readonly Expr[],
  cond: readonly Expr[],
): { left: Expr[]; right: Expr[] } {
  const left: Expr[] = [];
  const right: Expr[] = [];
  const toR = INFER_TO_RIGHT.has(joinType);
  const toL = INFER_TO_LEFT.has(joinType);
  if (!toR && !toL) return { left, right };
  const seen = new Set([...toLeft, ...toRight].map(exprKey));
  const pins = (side: readonly Expr[]) => side.map(pinnedColumn).filter((p) => p !== null);
  const leftPins = toR ? pins(toLeft) : [];
  const rightPins = toL ? pins(toRight) : [];
  for (const c of cond) {
    const eq = columnEquality(c);
    if (!eq || c.kind !== 'call') continue;
    const [i, j] = eq;
    if (i < lw === j < lw) continue;
    const [l, r] = i < lw ? [i, j] : [j, i];
    const add = (from: { index: number; value: Expr }[], src: number, dst: number, into: Expr[]) => {
      for (const p of from) {
        if (p.index !== src) continue;
        const inferred: Expr = { kind: 'call', fn: c.fn, args: [{ kind: 'column', index: dst, type: c.args[0].type }, p.value], type: c.type };
        const key = exprKey(inferred);
        if (seen.has(key)) continue;
        seen.add(key);
        into.push(inferred);
      }
    };
    add(leftPins, l, r, right);
    add(rightPins, r, l, left);
  }
  return { left, right };
}
