/**
 * A query expression: WITH, then a SELECT, VALUES or set operation, with ORDER BY /
 * LIMIT applying to the whole (simple SELECTs handle their own ORDER BY, which may see
 * the FROM row).
 */
import { SqlError, SqlState } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { PlanNode, SortItem } from '../planner/plan';
import { type PgNode, intConst, nodeType, sval } from './ast';
import { resolveUnknown } from './coerce';
import type { BindContext } from './context';
import { bindWith } from './cte';
import { bindLimit } from './limit';
import { sortDirection } from './order-by';
import type { Level } from './scope';
import { bindSelect } from './select';
import { bindSetOp } from './set-op';
import { bindValues } from './values';

export interface QueryOptions {
  /** Keep untyped literal outputs as `unknown` for the caller to type (INSERT, UNION). */
  keepUnknown?: boolean;
}

export function bindQuery(bc: BindContext, node: PgNode, parent: Level | null, opts: QueryOptions = {}): PlanNode {
  const stmt = nodeType(node) === 'SelectStmt' ? node.SelectStmt : node;
  const pushed = stmt.withClause ? bindWith(bc, stmt.withClause, parent) : false;
  try {
    if (stmt.op && stmt.op !== 'SETOP_NONE') {
      return finishQuery(bc, bindSetOp(bc, stmt, parent, opts), stmt, opts);
    }
    if (stmt.valuesLists) return finishQuery(bc, bindValues(bc, stmt.valuesLists, parent), stmt, opts);
    return bindSelect(bc, stmt, parent, opts);
  } finally {
    if (pushed) bc.popCtes();
  }
}

/** ORDER BY (output names/ordinals only) and LIMIT over a set operation or VALUES. */
function finishQuery(bc: BindContext, plan: PlanNode, stmt: PgNode, opts: QueryOptions): PlanNode {
  const sorts = (stmt.sortClause as PgNode[] | undefined) ?? [];
  if (!opts.keepUnknown && plan.schema.some((f) => f.type.kind === 'unknown')) {
    const exprs = plan.schema.map((f, i) => resolveUnknown(bc, { kind: 'column', index: i, type: f.type } as Expr));
    plan = { kind: 'project', input: plan, exprs, schema: plan.schema.map((f, i) => ({ ...f, type: exprs[i].type })) };
  }
  if (sorts.length > 0) {
    const keys: SortItem[] = sorts.map((s) => {
      const sb = s.SortBy;
      const index = outputColumn(plan, sb.node);
      return { expr: { kind: 'column', index, type: plan.schema[index].type }, ...sortDirection(sb) };
    });
    plan = { kind: 'sort', input: plan, keys, schema: plan.schema };
  }
  return bindLimit(bc, plan, stmt);
}

function outputColumn(plan: PlanNode, node: PgNode): number {
  const ord = intConst(node);
  if (ord !== undefined) {
    if (ord < 1 || ord > plan.schema.length) throw new SqlError(SqlState.InvalidColumnReference, `ORDER BY position ${ord} is not in select list`);
    return ord - 1;
  }
  if (nodeType(node) === 'ColumnRef') {
    const fields = node.ColumnRef.fields as PgNode[];
    const name = sval(fields[fields.length - 1]);
    const i = plan.schema.findIndex((f) => f.name === name);
    if (i >= 0 && fields.length === 1) return i;
  }
  throw new SqlError(
    SqlState.InvalidColumnReference,
    'invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only result column names or positions can be used',
  );
}
