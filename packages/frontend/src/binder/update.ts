/**
 * UPDATE t SET c = e, (a, b) = (…) | (SELECT …) [WHERE …] [RETURNING …]. The plan scans
 * the table, filters, and projects each row's new physical row. Primary-key columns may
 * not be assigned (RisingWave's rule).
 */
import { type DataType, SqlError, SqlState, T, notSupported, structOf, typeName, withContext } from '@freshet/common';
import type { Expr } from '../planner/expr';
import type { PlanNode } from '../planner/plan';
import { escapingOuterRefs } from '../planner/walk';
import { type PgNode, nodeType } from './ast';
import { coerce } from './coerce';
import type { BindContext } from './context';
import { bindDmlTarget, bindReturning, returningTargets, defaultValue } from './dml-target';
import { type ExprEnv, bindExpr, toBoolean } from './expr';
import { bindSubqueryPlan } from './subquery';

export function bindUpdate(bc: BindContext, n: PgNode): PlanNode {
  if (n.fromClause && (n.fromClause as PgNode[]).length > 0) throw notSupported('UPDATE … FROM');
  if (n.withClause) throw notSupported('WITH in UPDATE');
  const target = bindDmlTarget(bc, n.relation, 'update');
  const rel = target.rel;
  const env: ExprEnv = { bc, level: target.level, scope: target.scope, aggs: null, windows: null, clause: 'UPDATE' };
  let input: PlanNode = target.scan;
  if (n.whereClause) {
    const predicate = toBoolean({ ...env, clause: 'WHERE' }, bindExpr({ ...env, clause: 'WHERE' }, n.whereClause), 'WHERE');
    input = { kind: 'filter', input, predicate, schema: input.schema };
  }

  const assigned = new Map<number, Expr>();
  const columnIndex = (name: string): number => {
    if (name === '_rw_timestamp') throw new SqlError(SqlState.FeatureNotSupported, 'update modifying column `_rw_timestamp` is unsupported');
    const i = rel.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${name}" of relation "${rel.name}" does not exist`);
    if (assigned.has(i)) throw new SqlError(SqlState.SyntaxError, `multiple assignments to the same column "${name}"`);
    if (rel.pk.includes(i) && !rel.columns[i].hidden) throw new SqlError(SqlState.FeatureNotSupported, 'update modifying the PK column is unsupported');
    if (rel.columns[i].hidden || rel.columns[i].generatedExpr) throw new SqlError(SqlState.SyntaxError, `column "${name}" can only be updated to DEFAULT`);
    return i;
  };
  const assign = (i: number, e: Expr) => assigned.set(i, coerce(bc, e, rel.columns[i].type, 'assign'));

  // Multi-column sources, keyed by the MultiAssignRef source node (shared by its columns).
  const multi = new Map<PgNode, Expr[]>();
  const targets = n.targetList as PgNode[];
  // The columns assigned together with target j: `(a, b) = …` lists them consecutively.
  const multiColumns = (j: number, m: PgNode) => targets.slice(j - (m.colno as number) + 1, j - (m.colno as number) + 1 + (m.ncolumns as number)).map((t) => t.ResTarget.name as string);
  for (const [j, t] of targets.entries()) {
    const rt = t.ResTarget;
    const name = rt.name as string;
    const val = rt.val as PgNode;
    const vt = nodeType(val);
    if (vt === 'MultiAssignRef') {
      const m = val.MultiAssignRef;
      let values = multi.get(m.source);
      if (!values) {
        values = bindMultiSource(env, m.source, m.ncolumns as number);
        multi.set(m.source, values);
      }
      const i = columnIndex(name);
      const v = values[(m.colno as number) - 1];
      if (nodeType(m.source) === 'RowExpr') assign(i, v.kind === 'literal' && v.value === DEFAULT_MARK ? defaultValue(bc, rel, i) : v);
      else {
        try {
          assign(i, v);
        } catch (e) {
          throw e instanceof SqlError ? structCastContext(e, v, name, multiColumns(j, m), rel) : e;
        }
      }
    } else if (vt === 'SetToDefault') {
      const i = columnIndex(name);
      assigned.set(i, defaultValue(bc, rel, i));
    } else {
      assign(columnIndex(name), bindExpr(env, val));
    }
  }

  const exprs = rel.columns.map((c, i): Expr => assigned.get(i) ?? { kind: 'column', index: i, type: c.type });
  const schema = rel.columns.map((c) => ({ name: c.name, type: c.type, table: rel.name, hidden: c.hidden }));
  const projected: PlanNode = { kind: 'project', input, exprs, schema };
  const ret = bindReturning(bc, target, returningTargets(n));
  return {
    kind: 'update',
    table: rel,
    input: projected,
    returning: ret?.exprs ?? null,
    schema: ret ? ret.names.map((name, i) => ({ name, type: ret.exprs[i].type, table: null })) : [],
  };
}

const DEFAULT_MARK = '\u0000DEFAULT';

/**
 * RisingWave assigns `(a, b) = (SELECT …)` as one struct cast, so a failing column is
 * reported inside "cannot cast type <row> to struct<a …, b …>" and "cannot cast struct
 * field …" (an unnamed select item makes the row a `record` with fields f1, f2, …).
 */
function structCastContext(err: SqlError, v: Expr, column: string, columns: string[], rel: { columns: readonly { name: string; type: DataType }[] }): SqlError {
  if (v.kind !== 'field' || v.arg.kind !== 'subquery') return err;
  const inner = (v.arg.plan as Extract<PlanNode, { kind: 'project' }>).input.schema;
  const anonymous = inner.some((f) => f.name === '?column?');
  const fieldName = (k: number) => (anonymous ? `f${k + 1}` : inner[k].name);
  const source = anonymous ? 'record' : typeName(structOf(inner.map((f, k) => ({ name: fieldName(k), type: f.type.kind === 'unknown' ? T.Varchar : f.type }))));
  const target = typeName(structOf(columns.map((c) => ({ name: c, type: rel.columns.find((x) => x.name === c)!.type }))));
  return withContext(withContext(err, `cannot cast struct field "${fieldName(v.index)}" to struct field "${column}"`), `cannot cast type "${source}" to "${target}"`);
}

/** The values of `(a, b) = ROW(…)` or `(a, b) = (SELECT …)`. */
function bindMultiSource(env: ExprEnv, source: PgNode, ncolumns: number): Expr[] {
  const st = nodeType(source);
  if (st === 'RowExpr') {
    const args = source.RowExpr.args as PgNode[];
    if (args.length !== ncolumns) throw new SqlError(SqlState.SyntaxError, 'number of columns does not match number of values');
    return args.map((a) => (nodeType(a) === 'SetToDefault' ? { kind: 'literal', value: DEFAULT_MARK, type: T.Unknown } : bindExpr(env, a)));
  }
  if (st === 'SubLink' && (source.SubLink.subLinkType === 'MULTIEXPR_SUBLINK' || source.SubLink.subLinkType === 'EXPR_SUBLINK')) {
    const inner = bindSubqueryPlan(env, source.SubLink.subselect);
    if (inner.schema.length !== ncolumns) throw new SqlError(SqlState.SyntaxError, 'number of columns does not match number of values');
    // One scalar subquery producing a row; each assigned column reads one field.
    const rowType = structOf(inner.schema.map((f) => ({ name: f.name, type: f.type.kind === 'unknown' ? T.Varchar : f.type })));
    const plan: PlanNode = {
      kind: 'project',
      input: inner,
      exprs: [{ kind: 'row', fields: inner.schema.map((f, i): Expr => coerce(env.bc, { kind: 'column', index: i, type: f.type }, rowType.fields[i].type, 'implicit')), type: rowType }],
      schema: [{ name: 'row', type: rowType, table: null }],
    };
    const sub: Expr = { kind: 'subquery', mode: 'scalar', plan, test: null, cmp: null, correlated: escapingOuterRefs(plan), type: rowType };
    return rowType.fields.map((f, i): Expr => ({ kind: 'field', arg: sub, index: i, type: f.type }));
  }
  throw new SqlError(SqlState.SyntaxError, 'source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression');
}
