/**
 * Explicit joins: [INNER|LEFT|RIGHT|FULL] JOIN … ON / USING / NATURAL. With USING (and
 * NATURAL) the shared columns are merged into one unqualified column (COALESCE of both
 * sides for FULL joins), listed first by `*`; each side's copy stays reachable qualified.
 */
import { SqlError, SqlState, T, notSupported } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { JoinKind, PlanNode } from '../planner/plan';
import { type PgNode, nodeType, sval } from './ast';
import { bindLateralFunction } from './lateral';
import { coerce, unify } from './coerce';
import type { BindContext } from './context';
import { type ExprEnv, bindExpr, callScalar, toBoolean } from './expr';
import { type BoundRelation, bindTableRef, checkDuplicateNames } from './relation';
import { type Level, Scope, type ScopeField } from './scope';

const JOIN_TYPES: Record<string, JoinKind> = { JOIN_INNER: 'inner', JOIN_LEFT: 'left', JOIN_RIGHT: 'right', JOIN_FULL: 'full' };

export function bindJoin(bc: BindContext, n: PgNode, level: Level): BoundRelation {
  const joinType = JOIN_TYPES[n.jointype as string];
  if (!joinType) throw notSupported(`join type ${n.jointype}`);
  const left = bindTableRef(bc, n.larg, level);
  if (joinType === 'inner' && !n.usingClause && !n.isNatural && nodeType(n.rarg) === 'RangeFunction') {
    // `t CROSS JOIN unnest(t.arr)` / `t JOIN f(t.x) ON …`: a function reading the left side.
    const lateral = bindLateralFunction(bc, n.rarg.RangeFunction, left, level);
    if (lateral) {
      if (!n.quals) return withAlias(lateral, n.alias);
      const env: ExprEnv = { bc, level, scope: lateral.scope, aggs: null, windows: null, clause: 'JOIN/ON' };
      const condition = toBoolean(env, bindExpr(env, n.quals), 'JOIN/ON');
      return withAlias({ ...lateral, plan: { kind: 'filter', input: lateral.plan, predicate: condition, schema: lateral.plan.schema } }, n.alias);
    }
  }
  const right = bindTableRef(bc, n.rarg, level);
  checkDuplicateNames(left.names, right.names);
  const scope = left.scope.concat(right.scope);
  const lw = left.plan.schema.length;
  const schema = [...left.plan.schema, ...right.plan.schema];
  const env: ExprEnv = { bc, level, scope, aggs: null, windows: null, clause: 'JOIN/ON' };

  let usingNames: string[] | null = null;
  if (n.usingClause) usingNames = (n.usingClause as PgNode[]).map(sval);
  else if (n.isNatural) {
    const rightNames = new Set(right.scope.fields.filter((f) => !f.hidden && !f.qualifiedOnly).map((f) => f.name));
    usingNames = left.scope.fields.filter((f) => !f.hidden && !f.qualifiedOnly && rightNames.has(f.name)).map((f) => f.name);
  }

  if (!usingNames) {
    const condition = n.quals ? toBoolean(env, bindExpr(env, n.quals), 'JOIN/ON') : null;
    const plan: PlanNode = { kind: 'join', joinType, left: left.plan, right: right.plan, condition, schema };
    return withAlias({ plan, scope, names: [...left.names, ...right.names] }, n.alias);
  }

  // USING: equality on each named column, then a projection merging them.
  const pairs = usingNames.map((name) => {
    const l = left.scope.resolve([name]);
    const r = right.scope.resolve([name]);
    if (l === null || r === null) {
      throw new SqlError(SqlState.UndefinedColumn, `column "${name}" specified in USING clause does not exist in ${l === null ? 'left' : 'right'} table`);
    }
    const le: Expr = { kind: 'column', index: l, type: left.scope.fields[l].type };
    const re: Expr = { kind: 'column', index: lw + r, type: right.scope.fields[r].type };
    const t = unify(bc, [le, re], 'JOIN/USING');
    return { name, l, r, le: coerce(bc, le, t, 'implicit'), re: coerce(bc, re, t, 'implicit'), type: t };
  });
  const conds = pairs.map((p) => callScalar(env, 'equal', [p.le, p.re]));
  const condition: Expr | null = conds.length === 0 ? null : conds.length === 1 ? conds[0] : { kind: 'and', args: conds, type: T.Boolean };
  const join: PlanNode = { kind: 'join', joinType, left: left.plan, right: right.plan, condition, schema };
  const merged: Expr[] = pairs.map((p) =>
    joinType === 'full' ? { kind: 'coalesce', args: [p.le, p.re], type: p.type } : joinType === 'right' ? p.re : p.le,
  );
  const usedLeft = new Set(pairs.map((p) => p.l));
  const usedRight = new Set(pairs.map((p) => p.r));
  const fields: ScopeField[] = [
    ...pairs.map((p) => ({ name: p.name, type: p.type, table: null })),
    ...left.scope.fields.map((f, i) => (usedLeft.has(i) ? { ...f, qualifiedOnly: true } : f)),
    ...right.scope.fields.map((f, i) => (usedRight.has(i) ? { ...f, qualifiedOnly: true } : f)),
  ];
  const exprs: Expr[] = [...merged, ...schema.map((f, i): Expr => ({ kind: 'column', index: i, type: f.type }))];
  const plan: PlanNode = {
    kind: 'project',
    input: join,
    exprs,
    schema: fields.map((f) => ({ name: f.name, type: f.type, table: f.table, hidden: f.hidden })),
  };
  return withAlias({ plan, scope: new Scope(fields), names: [...left.names, ...right.names] }, n.alias);
}

function withAlias(rel: BoundRelation, alias: PgNode | undefined): BoundRelation {
  if (!alias) return rel;
  const name = alias.aliasname as string;
  const colnames = ((alias.colnames as PgNode[] | undefined) ?? []).map(sval);
  let v = 0;
  const fields = rel.scope.fields
    .filter((f) => !f.qualifiedOnly)
    .map((f) => ({ ...f, table: name, name: !f.hidden && v < colnames.length ? colnames[v++] : f.name }));
  const keep = rel.scope.fields.map((f, i) => (f.qualifiedOnly ? -1 : i)).filter((i) => i >= 0);
  const plan: PlanNode = {
    kind: 'project',
    input: rel.plan,
    exprs: keep.map((i): Expr => ({ kind: 'column', index: i, type: rel.scope.fields[i].type })),
    schema: fields.map((f) => ({ name: f.name, type: f.type, table: name, hidden: f.hidden })),
  };
  return { plan, scope: new Scope(fields), names: [name] };
}
