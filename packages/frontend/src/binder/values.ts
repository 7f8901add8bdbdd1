/** VALUES lists: each column's type is the common type of its rows. */
import { SqlError, SqlState } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { PgNode } from './ast';
import { coerce, unify } from './coerce';
import type { BindContext } from './context';
import { type ExprEnv, bindExpr } from './expr';
import { Level, Scope } from './scope';

export function bindValues(bc: BindContext, lists: PgNode[], parent: Level | null): PlanNode {
  const scope = new Scope([]);
  const env: ExprEnv = { bc, level: new Level(scope, parent), scope, aggs: null, windows: null, clause: 'VALUES' };
  const rows: Expr[][] = lists.map((l) => ((l.List?.items as PgNode[] | undefined) ?? []).map((e) => bindExpr(env, e)));
  const width = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== width)) throw new SqlError(SqlState.SyntaxError, 'VALUES lists must all be the same length');
  const types = Array.from({ length: width }, (_, c) => {
    const col = rows.map((r) => r[c]);
    return col.every((e) => e.type.kind === 'unknown') ? col[0].type : unify(bc, col, 'VALUES');
  });
  const typed = rows.map((r) => r.map((e, c) => coerce(bc, e, types[c], 'implicit')));
  return {
    kind: 'values',
    rows: typed,
    schema: types.map((t, c) => ({ name: `column${c + 1}`, type: t, table: null })),
  };
}
