/**
 * LIMIT / OFFSET. The counts are bigint expressions that may not read the row: constants,
 * parameters or uncorrelated subqueries. They are evaluated when the query runs, so a
 * prepared `LIMIT $1` works; negative values are rejected then.
 */
import { SqlError, SqlState, T } from '@freshet/common';
import type { Expr } from '../planner/expr';
import { forEachChild } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { PgNode } from './ast';
import { coerce } from './coerce';
import type { BindContext } from './context';
import { bindExpr } from './expr';
import { Level, Scope } from './scope';

/** RisingWave reports LIMIT/OFFSET problems inside an "Expr error". */
export const EXPR_ERROR = 'Expr error';

function bindCount(bc: BindContext, node: PgNode, what: string): Expr | null {
  const env = { bc, level: new Level(new Scope([]), null), scope: new Scope([]), aggs: null, windows: null, clause: what };
  const e = bindExpr(env, node);
  const check = (x: Expr) => {
    if (x.kind === 'table_fn') {
      throw new SqlError(SqlState.SyntaxError, `expects an integer or expression that can be evaluated to an integer after ${what}, but found non-const expression`, {
        context: [EXPR_ERROR],
      });
    }
    forEachChild(x, check);
  };
  check(e);
  if (e.kind === 'literal' && e.value === null) return null;
  if (e.type.kind === 'jsonb' || e.type.kind === 'boolean') {
    throw new SqlError(SqlState.DatatypeMismatch, `expects an integer or expression that can be evaluated to an integer after ${what}`, { context: [EXPR_ERROR] });
  }
  return coerce(bc, e, T.Int64, 'assign');
}

export function bindLimit(bc: BindContext, plan: PlanNode, stmt: PgNode): PlanNode {
  const limit = stmt.limitCount ? bindCount(bc, stmt.limitCount, 'LIMIT') : null;
  const offset = stmt.limitOffset ? bindCount(bc, stmt.limitOffset, 'OFFSET') : null;
  if (!limit && !offset) return plan;
  if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') {
    if (plan.kind !== 'sort') throw new SqlError(SqlState.SyntaxError, 'WITH TIES cannot be specified without ORDER BY clause');
    return { kind: 'limit', input: plan, limit, offset, schema: plan.schema, withTies: true };
  }
  return { kind: 'limit', input: plan, limit, offset, schema: plan.schema };
}
