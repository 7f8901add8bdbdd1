/**
 * Subqueries used as values (SubLink): scalar, EXISTS, IN / op ANY / op ALL, ARRAY(…).
 * The subquery is bound one level below the current one, with the current clause's scope
 * as its outer scope; references to it become OuterRefs that the executor resolves
 * against the row being evaluated.
 */
import { SqlError, SqlState, T, listOf, notSupported } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import { escapingOuterRefs } from '../planner/walk';
import { type PgNode, nodeType, sval } from './ast';
import { coerce, unify } from './coerce';
import { type ExprEnv, bindExpr, opFunctionName } from './expr';
import { bindQuery } from './query';
import { Level } from './scope';

export function bindSubqueryPlan(env: ExprEnv, select: PgNode): PlanNode {
  return bindQuery(env.bc, select, new Level(env.scope, env.level.parent));
}

export function bindSubLink(env: ExprEnv, n: PgNode): Expr {
  let plan = bindSubqueryPlan(env, n.subselect);
  const type = n.subLinkType as string;
  const oneColumn = () => {
    if (plan.schema.length !== 1) throw new SqlError(SqlState.SyntaxError, 'Subquery must return only one column');
    return plan.schema[0].type.kind === 'unknown' ? T.Varchar : plan.schema[0].type;
  };
  switch (type) {
    case 'EXISTS_SUBLINK':
      return { kind: 'subquery', mode: 'exists', plan, test: null, cmp: null, correlated: escapingOuterRefs(plan), type: T.Boolean };
    case 'EXPR_SUBLINK': {
      const t = oneColumn();
      return { kind: 'subquery', mode: 'scalar', plan, test: null, cmp: null, correlated: escapingOuterRefs(plan), type: t };
    }
    case 'ARRAY_SUBLINK': {
      const t = oneColumn();
      return { kind: 'subquery', mode: 'array', plan, test: null, cmp: null, correlated: escapingOuterRefs(plan), type: listOf(t) };
    }
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK': {
      if (n.testexpr && nodeType(n.testexpr) === 'RowExpr') throw notSupported('row comparison with a subquery');
      const colType = oneColumn();
      const names = (n.operName as PgNode[] | undefined)?.map(sval) ?? ['='];
      const op = names[names.length - 1];
      const fnName = opFunctionName(op);
      if (!fnName) throw new SqlError(SqlState.UndefinedFunction, `operator does not exist: ${op}`);
      let test = bindExpr(env, n.testexpr);
      const colRef: Expr = { kind: 'column', index: 0, type: colType };
      const t = unify(env.bc, [test, colRef], type === 'ANY_SUBLINK' ? 'IN' : 'ALL');
      test = coerce(env.bc, test, t, 'implicit');
      if (colType.kind !== t.kind) {
        plan = { kind: 'project', input: plan, exprs: [coerce(env.bc, colRef, t, 'implicit')], schema: [{ ...plan.schema[0], type: t }] };
      }
      const cmp = resolveScalar(fnName, [t, t]);
      return {
        kind: 'subquery',
        mode: type === 'ANY_SUBLINK' ? 'any' : 'all',
        plan,
        test,
        cmp,
        correlated: escapingOuterRefs(plan),
        type: T.Boolean,
      };
    }
    default:
      throw notSupported(`subquery kind ${type}`);
  }
}
