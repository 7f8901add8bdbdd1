/** DELETE FROM t [WHERE …] [RETURNING …]: scan, filter, delete by primary key. */
import { notSupported } from '@freshet/common';
import type { PlanNode } from '../planner/plan';
import type { PgNode } from './ast';
import type { BindContext } from './context';
import { bindDmlTarget, bindReturning, returningTargets } from './dml-target';
import { type ExprEnv, bindExpr, toBoolean } from './expr';

export function bindDelete(bc: BindContext, n: PgNode): PlanNode {
  if (n.usingClause && (n.usingClause as PgNode[]).length > 0) throw notSupported('DELETE … USING');
  if (n.withClause) throw notSupported('WITH in DELETE');
  const target = bindDmlTarget(bc, n.relation, 'delete from');
  let input: PlanNode = target.scan;
  if (n.whereClause) {
    const env: ExprEnv = { bc, level: target.level, scope: target.scope, aggs: null, windows: null, clause: 'WHERE' };
    const predicate = toBoolean(env, bindExpr(env, n.whereClause), 'WHERE');
    input = { kind: 'filter', input, predicate, schema: input.schema };
  }
  const ret = bindReturning(bc, target, returningTargets(n));
  return {
    kind: 'delete',
    table: target.rel,
    input,
    returning: ret?.exprs ?? null,
    schema: ret ? ret.names.map((name, i) => ({ name, type: ret.exprs[i].type, table: null })) : [],
  };
}
