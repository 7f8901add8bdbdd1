/** ORDER BY items: direction and NULLS placement (PostgreSQL defaults: NULLS LAST for ASC). */
import type { Expr } from '../planner/expr';
import type { SortItem } from '../planner/plan';
import type { PgNode } from './ast';
import { resolveUnknown } from './coerce';
import { type ExprEnv, bindExpr } from './expr';

export function sortDirection(sb: PgNode): { desc: boolean; nullsFirst: boolean } {
  const desc = sb.sortby_dir === 'SORTBY_DESC';
  const nulls = sb.sortby_nulls as string | undefined;
  const nullsFirst = nulls === 'SORTBY_NULLS_FIRST' ? true : nulls === 'SORTBY_NULLS_LAST' ? false : desc;
  return { desc, nullsFirst };
}

/** Binds `ORDER BY` items as plain expressions (aggregate ORDER BY, window ORDER BY). */
export function bindSortItems(env: ExprEnv, items: PgNode[]): SortItem[] {
  return items.map((item) => {
    const sb = item.SortBy;
    if (sb.useOp) throw new Error('ORDER BY … USING is not supported');
    const expr: Expr = resolveUnknown(env.bc, bindExpr(env, sb.node));
    return { expr, ...sortDirection(sb) };
  });
}
