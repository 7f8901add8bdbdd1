/**
 * The table a DML statement writes: resolution (only tables are writable), its scan and
 * scope for WHERE/SET/RETURNING, and column DEFAULT / generated expressions bound from
 * their stored SQL text.
 */
import { SqlError, SqlState, T } from '@freshet/common';
import { parseSql } from '@freshet/sql';
import type { RelationCatalog } from '../catalog/model';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import type { PgNode } from './ast';
import { coerce } from './coerce';
import type { BindContext } from './context';
import { type ExprEnv, bindExpr } from './expr';
import { figureColname } from './names';
import { relationPlan, resolveRelation } from './relation';
import { Level, Scope } from './scope';

export interface DmlTarget {
  rel: RelationCatalog;
  scan: PlanNode;
  scope: Scope;
  level: Level;
}

export function bindDmlTarget(bc: BindContext, rangeVar: PgNode, verb: string): DmlTarget {
  const rel = resolveRelation(bc, (rangeVar.schemaname as string | undefined) ?? null, rangeVar.relname as string);
  // RisingWave's wording for writes into an MV.
  if (rel.kind === 'materialized_view') throw new SqlError(SqlState.WrongObjectType, `cannot change materialized view "${rel.name}"`);
  if (rel.kind !== 'table') {
    throw new SqlError(SqlState.WrongObjectType, `cannot ${verb} ${rel.kind} "${rel.name}"`);
  }
  const alias = (rangeVar.alias?.aliasname as string | undefined) ?? rel.name;
  const scan = relationPlan(bc, rel);
  const scope = new Scope(rel.columns.map((c) => ({ name: c.name, type: c.type, table: alias, schema: rel.schema, hidden: c.hidden })));
  return { rel, scan, scope, level: new Level(scope, null) };
}

function exprFromText(text: string): PgNode {
  const stmt = parseSql(`SELECT ${text}`)[0];
  if (!stmt || stmt.kind !== 'pg') throw new SqlError(SqlState.InternalError, `bad stored expression: ${text}`);
  return stmt.node.SelectStmt.targetList[0].ResTarget.val;
}

/** The DEFAULT of column `i` (NULL if none), typed as the column. */
export function defaultValue(bc: BindContext, rel: RelationCatalog, i: number): Expr {
  const c = rel.columns[i];
  if (!c.defaultExpr) return { kind: 'literal', value: null, type: c.type };
  const scope = new Scope([]);
  const env: ExprEnv = { bc, level: new Level(scope, null), scope, aggs: null, windows: null, clause: 'DEFAULT' };
  return coerce(bc, bindExpr(env, exprFromText(c.defaultExpr)), c.type, 'assign');
}

/** Generated column `i` computed over the physical row. */
export function generatedValue(bc: BindContext, target: DmlTarget, i: number): Expr {
  const c = target.rel.columns[i];
  const env: ExprEnv = { bc, level: target.level, scope: target.scope, aggs: null, windows: null, clause: 'generated column' };
  return coerce(bc, bindExpr(env, exprFromText(c.generatedExpr!)), c.type, 'assign');
}

/** RETURNING list over the physical row. */
/**
 * The RETURNING targets of an INSERT/UPDATE/DELETE node: PostgreSQL 17's parse tree holds
 * them in `returningClause.exprs` (older ones in `returningList`).
 */
export function returningTargets(n: PgNode): PgNode[] | undefined {
  return (n.returningClause?.exprs ?? n.returningList) as PgNode[] | undefined;
}

export function bindReturning(bc: BindContext, target: DmlTarget, list: PgNode[] | undefined): { exprs: Expr[]; names: string[] } | null {
  if (!list || list.length === 0) return null;
  const env: ExprEnv = { bc, level: target.level, scope: target.scope, aggs: null, windows: null, clause: 'RETURNING' };
  const exprs: Expr[] = [];
  const names: string[] = [];
  for (const t of list) {
    const rt = t.ResTarget;
    const val = rt.val as PgNode;
    if (val.ColumnRef && val.ColumnRef.fields.some((f: PgNode) => 'A_Star' in f)) {
      target.rel.columns.forEach((c, i) => {
        if (c.hidden) return;
        exprs.push({ kind: 'column', index: i, type: c.type });
        names.push(c.name);
      });
      continue;
    }
    const e = bindExpr(env, val);
    exprs.push(e.type.kind === 'unknown' ? coerce(bc, e, T.Varchar, 'implicit') : e);
    names.push(rt.name ?? figureColname(val));
  }
  return { exprs, names };
}
