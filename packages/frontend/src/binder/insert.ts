/**
 * INSERT … VALUES | SELECT | DEFAULT VALUES [ON CONFLICT DO NOTHING] [RETURNING]. The
 * input is turned into complete physical rows: listed columns get the source values
 * (assignment casts; untyped literals take the column type), other columns their DEFAULT
 * or NULL, generated columns their expression, and `_row_id` is left for the executor.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import { type PgNode, nodeType } from './ast';
import { coerce } from './coerce';
import type { BindContext } from './context';
import { bindDmlTarget, bindReturning, returningTargets, defaultValue, generatedValue } from './dml-target';
import { type ExprEnv, bindExpr } from './expr';
import { bindWith } from './cte';
import { bindQuery } from './query';
import { Level, Scope } from './scope';

export function bindInsert(bc: BindContext, n: PgNode): PlanNode {
  const pushed = n.withClause ? bindWith(bc, n.withClause, null) : false;
  try {
    return bindInsertInner(bc, n);
  } finally {
    if (pushed) bc.popCtes();
  }
}

function bindInsertInner(bc: BindContext, n: PgNode): PlanNode {
  const target = bindDmlTarget(bc, n.relation, 'insert into');
  const rel = target.rel;
  const cols = rel.columns;
  let targetCols: number[];
  if (n.cols) {
    targetCols = (n.cols as PgNode[]).map((c) => {
      const name = c.ResTarget.name as string;
      const i = cols.findIndex((col) => col.name === name && !col.hidden);
      if (i < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${name}" of relation "${rel.name}" does not exist`);
      if (cols[i].generatedExpr) throw new SqlError(SqlState.SyntaxError, `cannot insert a non-DEFAULT value into column "${name}"`);
      return i;
    });
    const dup = targetCols.find((c, i) => targetCols.indexOf(c) !== i);
    if (dup !== undefined) throw new SqlError(SqlState.DuplicateColumn, `column "${cols[dup].name}" specified more than once`);
  } else {
    targetCols = cols.map((c, i) => (c.hidden || c.generatedExpr ? -1 : i)).filter((i) => i >= 0);
  }

  // Source rows: per target column, an expression over the source row (or a constant).
  const physical = (sourceOf: (targetPos: number) => Expr | null): Expr[] =>
    cols.map((c, i) => {
      const pos = targetCols.indexOf(i);
      const v = pos >= 0 ? sourceOf(pos) : null;
      if (v) return v;
      if (c.hidden || c.generatedExpr) return { kind: 'literal', value: null, type: c.type };
      return defaultValue(bc, rel, i);
    });

  let input: PlanNode;
  const schema = cols.map((c) => ({ name: c.name, type: c.type, table: rel.name, hidden: c.hidden }));
  const select = n.selectStmt?.SelectStmt as PgNode | undefined;
  if (!select) {
    input = { kind: 'values', rows: [physical(() => null)], schema };
  } else if (select.valuesLists && !select.sortClause && !select.limitCount && !select.withClause) {
    const scope = new Scope([]);
    const env: ExprEnv = { bc, level: new Level(scope, null), scope, aggs: null, windows: null, clause: 'VALUES' };
    const rows = (select.valuesLists as PgNode[]).map((l) => {
      const items = (l.List?.items as PgNode[] | undefined) ?? [];
      if (items.length > targetCols.length) throw new SqlError(SqlState.SyntaxError, 'INSERT has more expressions than target columns');
      return physical((pos) => {
        const item = items[pos];
        if (!item) return null;
        const c = targetCols[pos];
        if (nodeType(item) === 'SetToDefault') return defaultValue(bc, rel, c);
        return coerce(bc, bindExpr(env, item), cols[c].type, 'assign');
      });
    });
    input = { kind: 'values', rows, schema };
  } else {
    const source = bindQuery(bc, n.selectStmt, null, { keepUnknown: true });
    if (source.schema.length > targetCols.length) throw new SqlError(SqlState.SyntaxError, 'INSERT has more expressions than target columns');
    const exprs = physical((pos) => {
      if (pos >= source.schema.length) return null;
      const c = targetCols[pos];
      return coerce(bc, { kind: 'column', index: pos, type: source.schema[pos].type }, cols[c].type, 'assign');
    });
    input = { kind: 'project', input: source, exprs, schema };
  }

  if (cols.some((c) => c.generatedExpr)) {
    const exprs = cols.map((c, i): Expr => (c.generatedExpr ? generatedValue(bc, target, i) : { kind: 'column', index: i, type: c.type }));
    input = { kind: 'project', input, exprs, schema };
  }

  let onConflict = rel.onConflict;
  const occ = n.onConflictClause as PgNode | undefined;
  if (occ) {
    if (occ.action === 'ONCONFLICT_NOTHING') onConflict = 'ignore';
    else throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: ON CONFLICT DO UPDATE');
  }
  const ret = bindReturning(bc, target, returningTargets(n));
  return {
    kind: 'insert',
    table: rel,
    input,
    onConflict,
    returning: ret?.exprs ?? null,
    schema: ret ? ret.names.map((name, i) => ({ name, type: ret.exprs[i].type, table: null })) : [],
  };
}

