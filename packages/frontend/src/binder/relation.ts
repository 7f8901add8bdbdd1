/**
 * FROM items: tables/MVs (scans), views (their stored query, bound again), CTEs, derived
 * tables, table functions (generate_series, unnest, …), TUMBLE/HOP time windows, and
 * joins (join.ts). Comma-separated items are cross joins; the optimizer turns WHERE
 * equalities into join keys.
 */
import { type Datum, Interval, SqlError, SqlState, T, notSupported } from '@freshet/common';
import { type TableFunctionImpl, isTableFunction, resolveTableFunction } from '@freshet/expr';
import { parseSql } from '@freshet/sql';
import type { RelationCatalog } from '../catalog/model';
import { systemRelationPlan } from '../catalog/system';
import { attachSourceReader } from '../stream-planner/sources';
import { type Expr, col } from '../planner/expr';
import type { Field, PlanNode } from '../planner/plan';
import { type PgNode, nodeType, sval } from './ast';
import { coerce } from './coerce';
import { BindContext } from './context';
import { type ExprEnv, bindExpr } from './expr';
import { bindJoin } from './join';
import { bindQuery } from './query';
import { Level, Scope, type ScopeField } from './scope';
import { selectUserFunction, userFunctionCandidates, userTableFunction } from './udf';
import { bindLateralFunction } from './lateral';

export interface BoundRelation {
  plan: PlanNode;
  scope: Scope;
  /** Relation names visible in this FROM item (duplicate detection). */
  names: string[];
}

const EMPTY_ROW: PlanNode = { kind: 'values', rows: [[]], schema: [] };

export function bindFrom(bc: BindContext, items: PgNode[], level: Level): BoundRelation {
  if (items.length === 0) return { plan: EMPTY_ROW, scope: new Scope([]), names: [] };
  let acc = bindTableRef(bc, items[0], level);
  for (let i = 1; i < items.length; i++) {
    const item = items[i];
    // A function item may read the items before it (implicitly LATERAL, lateral.ts).
    const lateral = nodeType(item) === 'RangeFunction' ? bindLateralFunction(bc, item.RangeFunction, acc, level) : null;
    acc = lateral ?? crossJoin(acc, bindTableRef(bc, item, level));
  }
  return acc;
}

export function checkDuplicateNames(left: string[], right: string[]): void {
  for (const n of right) {
    if (left.includes(n)) throw new SqlError(SqlState.DuplicateObject, `table name "${n}" specified more than once`);
  }
}

function crossJoin(left: BoundRelation, right: BoundRelation): BoundRelation {
  checkDuplicateNames(left.names, right.names);
  return {
    plan: { kind: 'join', joinType: 'inner', left: left.plan, right: right.plan, condition: null, schema: [...left.plan.schema, ...right.plan.schema] },
    scope: left.scope.concat(right.scope),
    names: [...left.names, ...right.names],
  };
}

export function bindTableRef(bc: BindContext, node: PgNode, level: Level): BoundRelation {
  const t = nodeType(node);
  const n = node[t];
  switch (t) {
    case 'RangeVar':
      return bindRangeVar(bc, n);
    case 'RangeSubselect': {
      if (n.lateral) throw notSupported('LATERAL subqueries');
      // A derived table cannot see its siblings, only enclosing query levels.
      const plan = bindQuery(bc, n.subquery, level.parent);
      return aliased(plan, n.alias, null);
    }
    case 'RangeFunction':
      return bindRangeFunction(bc, n, level);
    case 'JoinExpr':
      return bindJoin(bc, n, level);
    default:
      throw notSupported(`FROM item ${t}`);
  }
}

/** Applies `AS alias(c1, c2…)` to a relation's output. */
export function aliased(plan: PlanNode, alias: PgNode | undefined, defaultName: string | null, schemaName: string | null = null): BoundRelation {
  const name = alias?.aliasname ?? defaultName;
  const colnames = ((alias?.colnames as PgNode[] | undefined) ?? []).map(sval);
  const visible = plan.schema.filter((f) => !f.hidden).length;
  if (colnames.length > visible) {
    throw new SqlError(SqlState.InvalidColumnReference, `table "${name}" has ${visible} columns available but ${colnames.length} columns specified`);
  }
  let v = 0;
  const fields: ScopeField[] = plan.schema.map((f) => {
    const renamed = !f.hidden && v < colnames.length ? colnames[v++] : f.name;
    return { name: renamed, type: f.type, table: name, schema: schemaName, hidden: f.hidden };
  });
  const schema: Field[] = fields.map((f) => ({ name: f.name, type: f.type, table: f.table, hidden: f.hidden }));
  return { plan: { ...plan, schema } as PlanNode, scope: new Scope(fields), names: name ? [name] : [] };
}

function bindRangeVar(bc: BindContext, n: PgNode): BoundRelation {
  const name = n.relname as string;
  const schema = (n.schemaname as string | undefined) ?? null;
  if (schema === null) {
    const cte = bc.findCte(name);
    if (cte) return aliased(cte.plan, n.alias, name);
  }
  const rel = resolveRelation(bc, schema, name);
  let plan = relationPlan(bc, rel);
  // `rel FOR SYSTEM_TIME AS OF PROCTIME()` (recorded by the front pass at the RangeVar).
  if (plan.kind === 'scan' && bc.rw?.temporalJoins?.some((t) => t.location === n.location)) plan = { ...plan, temporal: true };
  return aliased(plan, n.alias, rel.name, rel.schema);
}

export function resolveRelation(bc: BindContext, schema: string | null, name: string): RelationCatalog {
  const q = bc.query;
  const rel = q.catalog.resolveRelation(q.database, q.searchPath, schema, name, q.user);
  if (!rel) throw new SqlError(SqlState.UndefinedTable, `table or source not found: ${schema ? `${schema}.` : ''}${name}`);
  bc.dependsOn.add(rel.id);
  return rel;
}

/** The plan reading a relation: a scan for stored relations, the bound query for views. */
export function relationPlan(bc: BindContext, rel: RelationCatalog): PlanNode {
  const system = systemRelationPlan(bc.query, rel);
  if (system) return system;
  switch (rel.kind) {
    case 'table':
    case 'materialized_view':
      return scanPlan(rel);
    case 'index':
      return indexPlan(bc, rel);
    case 'view':
      return viewPlan(bc, rel);
    case 'source':
      // Batch reads of a source go through a reader attached now (stream-planner/sources.ts);
      // a streaming job turns the scan into a source executor instead.
      attachSourceReader(bc.query.catalog, bc.query.storage, rel);
      return scanPlan(rel);
    default:
      throw new SqlError(SqlState.WrongObjectType, `"${rel.name}" is a ${rel.kind}, not a table`);
  }
}

function scanPlan(rel: RelationCatalog): PlanNode {
  return {
    kind: 'scan',
    table: rel,
    columns: rel.columns.map((_, i) => i),
    schema: rel.columns.map((c) => ({ name: c.name, type: c.type, table: rel.name, hidden: c.hidden })),
  };
}

/**
 * Reading an index by name (RisingWave allows it): its columns — keys, included columns,
 * then the base primary key (create-index.ts) — projected from the indexed relation, which
 * holds the same rows.
 */
function indexPlan(bc: BindContext, rel: RelationCatalog): PlanNode {
  const { on, keys, include } = rel.index!;
  const base = bc.query.catalog.getRelationById(on);
  if (!base) throw new SqlError(SqlState.UndefinedTable, `the relation of index ${rel.name} does not exist`);
  const order = [...keys.map((k) => k.column), ...include];
  for (const p of base.pk) if (!order.includes(p)) order.push(p);
  return {
    kind: 'project',
    input: relationPlan(bc, base),
    exprs: order.map((c) => col(c, base.columns[c].type)),
    schema: rel.columns.map((c) => ({ name: c.name, type: c.type, table: rel.name, hidden: c.hidden })),
  };
}

function viewPlan(bc: BindContext, rel: RelationCatalog): PlanNode {
  const stmts = parseSql(rel.query ?? '');
  const stmt = stmts[0];
  if (!stmt || stmt.kind !== 'pg') throw new SqlError(SqlState.InternalError, `view ${rel.name} has no query`);
  const inner = new BindContext(bc.query, [], stmt.rw);
  const plan = bindQuery(inner, stmt.node, null);
  for (const id of inner.dependsOn) bc.dependsOn.add(id);
  const visible = rel.columns.filter((c) => !c.hidden);
  if (visible.length !== plan.schema.length) return plan;
  return { ...plan, schema: plan.schema.map((f, i) => ({ ...f, name: visible[i].name, table: rel.name })) } as PlanNode;
}

function bindRangeFunction(bc: BindContext, n: PgNode, level: Level): BoundRelation {
  if (n.lateral) throw notSupported('LATERAL functions');
  const fns = n.functions as PgNode[];
  if (fns.length !== 1) throw notSupported('ROWS FROM with several functions');
  const call = fns[0].List.items[0] as PgNode;
  if (nodeType(call) !== 'FuncCall') throw notSupported('this function in FROM');
  const fc = call.FuncCall;
  const parts = (fc.funcname as PgNode[]).map(sval);
  const name = parts[parts.length - 1].toLowerCase();
  const argNodes = (fc.args as PgNode[] | undefined) ?? [];
  if (name === 'tumble' || name === 'hop') return bindTimeWindow(bc, name, argNodes, n.alias, level);
  const env: ExprEnv = { bc, level: new Level(new Scope([]), level.parent), scope: new Scope([]), aggs: null, windows: null, clause: 'FROM' };
  const udfs = userFunctionCandidates(env, fc.funcname as PgNode[]);
  if (udfs.length > 0 && udfs.some((f) => f.tableColumns)) {
    const { f, args } = selectUserFunction(env, udfs, argNodes.map((a) => bindExpr(env, a)));
    if (f.tableColumns) return tableFunctionRelation(userTableFunction(f), args, n, f.name);
  }
  if (udfs.length > 0 || !isTableFunction(name)) return scalarFunctionRelation(env, call, n.alias as PgNode | undefined, name);
  const args = argNodes.map((a) => bindExpr(env, a));
  const fn = resolveTableFunction(name, args.map((a) => a.type));
  const coerced = args.map((a, i) => coerce(bc, a, fn.argTypes[i] ?? a.type, 'implicit'));
  return tableFunctionRelation(fn, coerced, n, name);
}

/** A set-returning function in FROM: its columns (plus `ordinality`), named after the alias. */
function tableFunctionRelation(fn: TableFunctionImpl, coerced: Expr[], n: PgNode, name: string): BoundRelation {
  const alias = n.alias as PgNode | undefined;
  // PostgreSQL: a single-column function's column is named after the alias, else the function.
  const colNames = fn.returnTypes.length === 1 ? [alias?.aliasname ?? fn.columnNames[0] ?? name] : fn.columnNames;
  const schema: Field[] = fn.returnTypes.map((t, i) => ({ name: colNames[i], type: t, table: null }));
  if (n.ordinality) schema.push({ name: 'ordinality', type: T.Int64, table: null });
  const plan: PlanNode = { kind: 'table_function', fn, args: coerced, ordinality: !!n.ordinality, schema };
  return aliased(plan, alias, name);
}

/**
 * A scalar function in FROM (`FROM string_to_array(…) s`, as Grafana sends): one row
 * holding its value, in a column named after the alias (else the function), as PostgreSQL.
 */
function scalarFunctionRelation(env: ExprEnv, call: PgNode, alias: PgNode | undefined, name: string): BoundRelation {
  const value = bindExpr(env, call);
  const schema: Field[] = [{ name: alias?.aliasname ?? name, type: value.type, table: null }];
  return aliased({ kind: 'values', rows: [[value]], schema }, alias, name);
}

/** TUMBLE(t, ts, size [, offset]) and HOP(t, ts, slide, size [, offset]). */
function bindTimeWindow(bc: BindContext, name: string, args: PgNode[], alias: PgNode | undefined, level: Level): BoundRelation {
  const minArgs = name === 'tumble' ? 3 : 4;
  if (args.length < minArgs || args.length > minArgs + 1) {
    throw new SqlError(SqlState.UndefinedFunction, `wrong number of arguments for ${name}`);
  }
  const relNode = args[0];
  if (nodeType(relNode) !== 'ColumnRef') throw new SqlError(SqlState.SyntaxError, `the first argument of ${name} must be a relation name`);
  const relParts = (relNode.ColumnRef.fields as PgNode[]).map(sval);
  const input = bindRangeVar(bc, { relname: relParts[relParts.length - 1], schemaname: relParts.length > 1 ? relParts[0] : undefined });
  const env: ExprEnv = { bc, level: new Level(input.scope, level.parent), scope: input.scope, aggs: null, windows: null, clause: name.toUpperCase() };
  const timeExpr = bindExpr(env, args[1]);
  if (timeExpr.kind !== 'column' || (timeExpr.type.kind !== 'timestamp' && timeExpr.type.kind !== 'timestamptz')) {
    throw new SqlError(SqlState.DatatypeMismatch, `the time column of ${name} must be a timestamp or timestamptz column`);
  }
  const constInterval = (node: PgNode, what: string): number => {
    const e = coerce(bc, bindExpr({ ...env, scope: new Scope([]) }, node), T.Interval, 'implicit');
    if (e.kind !== 'literal' || e.value === null) throw new SqlError(SqlState.InvalidParameterValue, `${what} must be a constant interval`);
    return intervalMicros(e.value, what);
  };
  let slide: number;
  let size: number;
  let offset = 0;
  if (name === 'tumble') {
    size = constInterval(args[2], 'window size');
    slide = size;
    if (args[3]) offset = constInterval(args[3], 'window offset');
  } else {
    slide = constInterval(args[2], 'window slide');
    size = constInterval(args[3], 'window size');
    if (args[4]) offset = constInterval(args[4], 'window offset');
  }
  if (slide <= 0 || size <= 0) {
    throw new SqlError(SqlState.InvalidParameterValue, `window ${slide <= 0 ? 'slide' : 'size'} must be positive`);
  }
  const t = timeExpr.type;
  const schema: Field[] = [
    ...input.plan.schema,
    { name: 'window_start', type: t, table: null },
    { name: 'window_end', type: t, table: null },
  ];
  const plan: PlanNode = { kind: 'hop_window', input: input.plan, timeCol: timeExpr.index, slideUs: slide, sizeUs: size, offsetUs: offset, schema };
  const tableName = alias?.aliasname ?? name;
  return aliased(plan, alias, input.names[0] ?? tableName);
}

function intervalMicros(v: Datum, what: string): number {
  const iv = v as Interval;
  if (iv.months !== 0) throw new SqlError(SqlState.InvalidParameterValue, `${what} must not contain months or years`);
  return iv.days * 86_400_000_000 + iv.micros;
}

