/**
 * A simple SELECT (no set operation): FROM → WHERE → GROUP BY/aggregates → HAVING →
 * window functions → select list (with set-returning functions) → DISTINCT [ON] →
 * ORDER BY → LIMIT/OFFSET. ORDER BY may name output columns (by alias or ordinal) or
 * any expression over the FROM row; such extra keys are computed as hidden columns and
 * dropped at the end.
 */
import { SqlError, SqlState, T, notSupported } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import { type Expr, col, exprKey, forEachChild, lit, mapChildren } from '../planner/expr';
import type { AggCall, Field, PlanNode, SortItem, WindowCall } from '../planner/plan';
import { type PgNode, intConst, nodeType, sval } from './ast';
import { resolveUnknown } from './coerce';
import { AggCollector, WindowCollector } from './collectors';
import type { BindContext } from './context';
import { type ExprEnv, bindExpr, fieldAccess, toBoolean } from './expr';
import { figureColname } from './names';
import { sortDirection } from './order-by';
import { bindLimit } from './limit';
import { bindFrom } from './relation';
import { Level, Scope } from './scope';

interface SelectItem {
  expr: Expr;
  name: string;
}

export interface SelectOptions {
  /** Keep untyped literal outputs as `unknown` (INSERT … SELECT, set operations, VALUES). */
  keepUnknown?: boolean;
}

export function bindSelect(bc: BindContext, stmt: PgNode, parent: Level | null, opts: SelectOptions = {}): PlanNode {
  const level = new Level(new Scope([]), parent);
  const from = bindFrom(bc, (stmt.fromClause as PgNode[] | undefined) ?? [], level);
  level.scope = from.scope;
  let plan = from.plan;
  const scope = from.scope;
  const base: Omit<ExprEnv, 'clause'> = { bc, level, scope, aggs: null, windows: null };

  if (stmt.whereClause) {
    const env: ExprEnv = { ...base, clause: 'WHERE' };
    const predicate = toBoolean(env, bindExpr(env, stmt.whereClause), 'WHERE');
    plan = { kind: 'filter', input: plan, predicate, schema: plan.schema };
  }

  const aggs = new AggCollector();
  const windows = new WindowCollector();
  const selEnv: ExprEnv = { ...base, aggs, windows, clause: 'SELECT' };
  const items = bindTargets(selEnv, (stmt.targetList as PgNode[] | undefined) ?? []);

  // GROUP BY keys are over the FROM row; they may name select items by ordinal or alias.
  const groupEnv: ExprEnv = { ...base, clause: 'GROUP BY' };
  const grouping = bindGroupBy(groupEnv, (stmt.groupClause as PgNode[] | undefined) ?? [], items);

  let having: Expr | null = null;
  if (stmt.havingClause) {
    const env: ExprEnv = { ...base, aggs, windows: null, clause: 'HAVING' };
    having = toBoolean(env, bindExpr(env, stmt.havingClause), 'HAVING');
  }

  // ORDER BY: output ordinals/aliases refer to items; other expressions become hidden items.
  const orderEnv: ExprEnv = { ...base, aggs, windows, clause: 'ORDER BY' };
  const distinct = stmt.distinctClause as PgNode[] | undefined;
  const isDistinct = !!distinct && distinct.length > 0 && distinct.every((d) => Object.keys(d).length === 0);
  const extras: Expr[] = [];
  const resolveOutputRef = (node: PgNode, what: string): number => {
    const ord = intConst(node);
    if (ord !== undefined) {
      if (ord < 1 || ord > items.length) throw new SqlError(SqlState.InvalidColumnReference, `${what} position ${ord} is not in select list`);
      return ord - 1;
    }
    if (nodeType(node) === 'ColumnRef' && node.ColumnRef.fields.length === 1 && nodeType(node.ColumnRef.fields[0]) === 'String') {
      const name = sval(node.ColumnRef.fields[0]);
      const matches = items.map((it, i) => (it.name === name ? i : -1)).filter((i) => i >= 0);
      if (matches.length === 1 || (matches.length > 1 && scope.resolve([name]) === null)) return matches[0];
    }
    const e = resolveUnknown(bc, bindExpr(orderEnv, node));
    const key = exprKey(e);
    const same = items.findIndex((it) => exprKey(it.expr) === key);
    if (same >= 0) return same;
    if (isDistinct) throw new SqlError(SqlState.InvalidColumnReference, 'for SELECT DISTINCT, ORDER BY expressions must appear in select list');
    extras.push(e);
    return items.length + extras.length - 1;
  };
  const sortRefs = ((stmt.sortClause as PgNode[] | undefined) ?? []).map((s) => ({ index: resolveOutputRef(s.SortBy.node, 'ORDER BY'), ...sortDirection(s.SortBy) }));
  const distinctOn = distinct && !isDistinct ? distinct.map((d) => resolveOutputRef(d, 'DISTINCT ON')) : null;

  // Aggregation.
  const needsAgg = aggs.calls.length > 0 || grouping !== null || having !== null;
  let itemExprs = items.map((i) => i.expr);
  let extraExprs = extras;
  let windowCalls = windows.calls;
  if (needsAgg) {
    const keys = grouping?.keys ?? [];
    const groupSets = grouping?.sets ?? null;
    const aggPlan = buildAgg(plan, keys, groupSets, aggs.calls);
    plan = aggPlan.plan;
    const groupingValue = (index: number) => groupingMask(bc, aggs.groupings[index], keys, groupSets);
    const rewrite = (e: Expr) => rewritePostAgg(e, keys, aggPlan.aggOffset, scope, groupingValue);
    itemExprs = itemExprs.map(rewrite);
    extraExprs = extraExprs.map(rewrite);
    windowCalls = windowCalls.map((w) => mapWindowCall(w, rewrite));
    if (having) {
      const predicate = rewrite(having);
      plan = { kind: 'filter', input: plan, predicate, schema: plan.schema };
    }
  } else {
    for (const e of [...itemExprs, ...extraExprs]) assertNoPlaceholder(e, 'agg');
    if (aggs.groupings.length > 0) throw groupingArgError();
  }

  // Window functions: one Window node per distinct (PARTITION BY, ORDER BY).
  if (windowCalls.length > 0) {
    const slots: number[] = new Array(windowCalls.length);
    const groups = new Map<string, number[]>();
    windowCalls.forEach((w, i) => {
      const k = w.partitionBy.map(exprKey).join(',') + '|' + w.orderBy.map((o) => `${exprKey(o.expr)}:${o.desc}:${o.nullsFirst}`).join(',');
      const g = groups.get(k);
      if (g) g.push(i);
      else groups.set(k, [i]);
    });
    for (const idxs of groups.values()) {
      const width = plan.schema.length;
      const calls = idxs.map((i) => windowCalls[i]);
      idxs.forEach((i, j) => (slots[i] = width + j));
      plan = {
        kind: 'window',
        input: plan,
        calls,
        schema: [...plan.schema, ...calls.map((c, j) => ({ name: `window_${width + j}`, type: c.type, table: null }))],
      };
    }
    const rw = (e: Expr): Expr =>
      e.kind === 'placeholder' && e.slot === 'window' ? { kind: 'column', index: slots[e.index], type: e.type } : mapChildren(e, rw);
    itemExprs = itemExprs.map(rw);
    extraExprs = extraExprs.map(rw);
  }

  if (!opts.keepUnknown) itemExprs = itemExprs.map((e) => resolveUnknown(bc, e));
  const outFields: Field[] = [
    ...items.map((it, i) => ({ name: it.name, type: itemExprs[i].type, table: null })),
    ...extraExprs.map((e, i) => ({ name: `__order_${i}`, type: e.type, table: null, hidden: true })),
  ];
  const all = [...itemExprs, ...extraExprs];
  const hasSrf = all.some((e) => e.kind === 'table_fn');
  const nested = (e: Expr) => (e.kind === 'table_fn' ? e.args.some(containsSrf) : containsSrf(e));
  if (all.some(nested)) plan = hoistNestedSrfs(plan, all, outFields);
  else {
    for (const e of all) assertNoNestedSrf(e, e.kind === 'table_fn');
    plan = { kind: hasSrf ? 'project_set' : 'project', input: plan, exprs: all, schema: outFields };
  }

  if (sortRefs.length > 0) {
    const keys: SortItem[] = sortRefs.map((s) => ({ expr: { kind: 'column', index: s.index, type: outFields[s.index].type }, desc: s.desc, nullsFirst: s.nullsFirst }));
    plan = { kind: 'sort', input: plan, keys, schema: plan.schema };
  }
  if (isDistinct) plan = { kind: 'distinct', input: plan, on: null, schema: plan.schema };
  else if (distinctOn) {
    const on = distinctOn.map((i): Expr => ({ kind: 'column', index: i, type: outFields[i].type }));
    plan = { kind: 'distinct', input: plan, on, schema: plan.schema };
  }
  plan = bindLimit(bc, plan, stmt);
  if (extraExprs.length > 0) {
    const visible = outFields.slice(0, items.length);
    plan = { kind: 'project', input: plan, exprs: visible.map((f, i) => ({ kind: 'column', index: i, type: f.type })), schema: visible };
  }
  return plan;
}

function bindTargets(env: ExprEnv, targets: PgNode[]): SelectItem[] {
  const items: SelectItem[] = [];
  for (const t of targets) {
    const rt = t.ResTarget;
    const val = rt.val as PgNode;
    const vt = nodeType(val);
    if (vt === 'ColumnRef' && nodeType(val.ColumnRef.fields[val.ColumnRef.fields.length - 1]) === 'A_Star') {
      items.push(...expandStar(env, val.ColumnRef));
      continue;
    }
    if (vt === 'A_Indirection' && nodeType(val.A_Indirection.indirection[val.A_Indirection.indirection.length - 1]) === 'A_Star') {
      const inner = { A_Indirection: { ...val.A_Indirection, indirection: val.A_Indirection.indirection.slice(0, -1) } };
      const base = inner.A_Indirection.indirection.length > 0 ? bindExpr(env, inner) : bindExpr(env, val.A_Indirection.arg);
      if (base.type.kind !== 'struct') throw new SqlError(SqlState.DatatypeMismatch, 'type is not composite');
      for (const f of base.type.fields) items.push({ expr: fieldAccess(base, f.name), name: f.name });
      continue;
    }
    items.push({ expr: bindExpr(env, val), name: rt.name ?? figureColname(val) });
  }
  return items;
}

function expandStar(env: ExprEnv, ref: PgNode): SelectItem[] {
  const parts = (ref.fields as PgNode[]).slice(0, -1).map(sval);
  const excepts = env.bc.rw?.starExcepts?.find((x) => x.location === ref.location)?.columns ?? [];
  const excluded = new Set<number>();
  for (const ex of excepts) {
    const i = env.scope.resolve(ex);
    if (i === null) throw new SqlError(SqlState.UndefinedColumn, `column "${ex.join('.')}" does not exist`);
    excluded.add(i);
  }
  const table = parts.length > 0 ? parts[parts.length - 1] : null;
  if (table !== null && !env.scope.hasTable(table)) {
    throw new SqlError(SqlState.UndefinedTable, `missing FROM-clause entry for table "${table}"`);
  }
  const out: SelectItem[] = [];
  env.scope.fields.forEach((f, i) => {
    if (f.hidden || excluded.has(i)) return;
    if (table === null ? f.qualifiedOnly : f.table !== table) return;
    out.push({ expr: { kind: 'column', index: i, type: f.type }, name: f.name });
  });
  if (table === null && env.scope.fields.length === 0) {
    throw new SqlError(SqlState.SyntaxError, 'SELECT * with no tables specified is not valid');
  }
  return out;
}

interface Grouping {
  keys: Expr[];
  /** Grouping sets as key-index lists; null for a plain GROUP BY. */
  sets: number[][] | null;
}

function bindGroupBy(env: ExprEnv, clause: PgNode[], items: SelectItem[]): Grouping | null {
  if (clause.length === 0) return null;
  const keys: Expr[] = [];
  const keyIndex = (node: PgNode): number => {
    const e = bindGroupItem(env, node, items);
    const k = exprKey(e);
    const found = keys.findIndex((x) => exprKey(x) === k);
    if (found >= 0) return found;
    keys.push(e);
    return keys.length - 1;
  };
  let sets: number[][] | null = null;
  // Each clause element contributes a list of alternative sets; the result is their cross product.
  let product: number[][] = [[]];
  for (const node of clause) {
    let alternatives: number[][];
    if (nodeType(node) === 'GroupingSet') {
      const gs = node.GroupingSet;
      const content = (gs.content as PgNode[] | undefined) ?? [];
      const elems = content.map((c) => (nodeType(c) === 'RowExpr' ? (c.RowExpr.args as PgNode[]).map(keyIndex) : nodeType(c) === 'GroupingSet' ? flatSet(c, keyIndex) : [keyIndex(c)]));
      switch (gs.kind as string) {
        case 'GROUPING_SET_ROLLUP':
          alternatives = [];
          for (let i = elems.length; i >= 0; i--) alternatives.push(elems.slice(0, i).flat());
          break;
        case 'GROUPING_SET_CUBE': {
          alternatives = [];
          for (let mask = (1 << elems.length) - 1; mask >= 0; mask--) alternatives.push(elems.filter((_, i) => mask & (1 << (elems.length - 1 - i))).flat());
          break;
        }
        case 'GROUPING_SET_SETS':
          alternatives = content.map((c, i) => (nodeType(c) === 'GroupingSet' && c.GroupingSet.kind === 'GROUPING_SET_EMPTY' ? [] : elems[i]));
          break;
        case 'GROUPING_SET_EMPTY':
          alternatives = [[]];
          break;
        default:
          throw notSupported(`grouping set ${gs.kind}`);
      }
      sets = [];
    } else alternatives = [[keyIndex(node)]];
    const next: number[][] = [];
    for (const p of product) for (const a of alternatives) next.push([...new Set([...p, ...a])]);
    product = next;
  }
  if (sets) sets = product;
  return { keys, sets };
}

function flatSet(node: PgNode, keyIndex: (n: PgNode) => number): number[] {
  const gs = node.GroupingSet;
  if (gs.kind === 'GROUPING_SET_EMPTY') return [];
  if (gs.kind !== 'GROUPING_SET_SIMPLE') throw notSupported('nested grouping sets');
  return (gs.content as PgNode[]).map(keyIndex);
}

function bindGroupItem(env: ExprEnv, node: PgNode, items: SelectItem[]): Expr {
  const ord = intConst(node);
  if (ord !== undefined) {
    if (ord < 1 || ord > items.length) throw new SqlError(SqlState.InvalidColumnReference, `GROUP BY position ${ord} is not in select list`);
    const e = items[ord - 1].expr;
    assertNoPlaceholder(e, 'agg');
    return resolveUnknown(env.bc, e);
  }
  if (nodeType(node) === 'ColumnRef' && node.ColumnRef.fields.length === 1) {
    const name = sval(node.ColumnRef.fields[0]);
    if (env.scope.resolve([name]) === null) {
      const item = items.find((it) => it.name === name);
      if (item) {
        assertNoPlaceholder(item.expr, 'agg');
        return resolveUnknown(env.bc, item.expr);
      }
    }
  }
  return resolveUnknown(env.bc, bindExpr(env, node));
}

/** Agg over `input`; with grouping sets, an Expand first nulls out the keys not in each set. */
function buildAgg(input: PlanNode, keys: Expr[], sets: number[][] | null, calls: AggCall[]): { plan: PlanNode; aggOffset: number } {
  const keyFields: Field[] = keys.map((k, i) => ({ name: `group_${i}`, type: k.type, table: null }));
  const aggFields: Field[] = calls.map((c, i) => ({ name: `agg_${i}`, type: c.type, table: null }));
  if (!sets) {
    return { plan: { kind: 'agg', input, groupKeys: keys, aggs: calls, schema: [...keyFields, ...aggFields] }, aggOffset: keys.length };
  }
  const width = input.schema.length;
  const projected: PlanNode = {
    kind: 'project',
    input,
    exprs: [...input.schema.map((f, i): Expr => ({ kind: 'column', index: i, type: f.type })), ...keys],
    schema: [...input.schema, ...keyFields],
  };
  const keyColumns = keys.map((_, i) => width + i);
  const expand: PlanNode = {
    kind: 'expand',
    input: projected,
    keyColumns,
    sets: sets.map((s) => s.map((k) => width + k)),
    schema: [...projected.schema, { name: 'grouping_set', type: T.Int32, table: null }],
  };
  const groupKeys: Expr[] = [...keys.map((k, i): Expr => ({ kind: 'column', index: width + i, type: k.type })), { kind: 'column', index: width + keys.length, type: T.Int32 }];
  return {
    plan: { kind: 'agg', input: expand, groupKeys, aggs: calls, schema: [...keyFields, { name: 'grouping_set', type: T.Int32, table: null }, ...aggFields] },
    aggOffset: keys.length + 1,
  };
}

/** Rewrites an expression over the FROM row into one over the Agg output row. */
function rewritePostAgg(e: Expr, keys: Expr[], aggOffset: number, scope: Scope, groupingValue: (index: number) => Expr): Expr {
  const keyStrs = keys.map(exprKey);
  const go = (x: Expr): Expr => {
    if (x.kind === 'placeholder') {
      if (x.slot === 'grouping') return groupingValue(x.index);
      return x.slot === 'agg' ? { kind: 'column', index: aggOffset + x.index, type: x.type } : x;
    }
    if (x.kind !== 'literal' && x.kind !== 'param') {
      const k = keyStrs.indexOf(exprKey(x));
      if (k >= 0) return { kind: 'column', index: k, type: x.type };
    }
    if (x.kind === 'column') {
      const f = scope.fields[x.index];
      const name = f ? (f.table ? `${f.table}.${f.name}` : f.name) : `#${x.index}`;
      throw new SqlError(SqlState.GroupingError, `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`);
    }
    if (x.kind === 'subquery' && x.correlated.some((c) => c.depth === 1)) {
      throw notSupported('correlated subqueries over grouped columns');
    }
    return mapChildren(x, go);
  };
  return go(e);
}

function groupingArgError(): SqlError {
  return new SqlError(SqlState.GroupingError, 'arguments to GROUPING must be grouping expressions of the associated query level');
}

/**
 * GROUPING(a, b, …) over the Agg output row: bit (n-1-i) is set when argument i is not
 * in the row's grouping set. With grouping sets the set is identified by the ordinal
 * column after the keys; a plain GROUP BY has one set holding every key (always 0).
 */
function groupingMask(bc: BindContext, args: readonly Expr[], keys: readonly Expr[], sets: readonly (readonly number[])[] | null): Expr {
  const keyStrs = keys.map(exprKey);
  const argKeys = args.map((a) => {
    const k = keyStrs.indexOf(exprKey(resolveUnknown(bc, a)));
    if (k < 0) throw groupingArgError();
    return k;
  });
  const mask = (set: readonly number[]) => argKeys.reduce((m, k, i) => (set.includes(k) ? m : m | (1 << (argKeys.length - 1 - i))), 0);
  if (!sets) return lit(0, T.Int32);
  const ordinal = col(keys.length, T.Int32);
  const eq = resolveScalar('equal', [T.Int32, T.Int32]);
  return {
    kind: 'case',
    whens: sets.map((set, i) => ({ cond: { kind: 'call', fn: eq, args: [ordinal, lit(i, T.Int32)], type: T.Boolean }, result: lit(mask(set), T.Int32) })),
    else: null,
    type: T.Int32,
  };
}

function mapWindowCall(w: WindowCall, f: (e: Expr) => Expr): WindowCall {
  return {
    ...w,
    args: w.args.map(f),
    filter: w.filter && f(w.filter),
    partitionBy: w.partitionBy.map(f),
    orderBy: w.orderBy.map((o) => ({ ...o, expr: f(o.expr) })),
  };
}

function assertNoPlaceholder(e: Expr, slot: 'agg' | 'window'): void {
  if (e.kind === 'placeholder' && e.slot === slot) {
    throw new SqlError(SqlState.GroupingError, 'aggregate functions are not allowed in GROUP BY');
  }
  forEachChild(e, (c) => assertNoPlaceholder(c, slot));
}

function containsSrf(e: Expr): boolean {
  if (e.kind === 'table_fn') return true;
  let found = false;
  forEachChild(e, (c) => (found ||= containsSrf(c)));
  return found;
}

/**
 * Set-returning functions inside expressions (`(_pg_expandarray(indkey)).n`, as JDBC's
 * getPrimaryKeys sends) or inside another SRF's arguments (`unnest(regexp_matches(…))`):
 * as PostgreSQL and RisingWave plan them, ProjectSets in layers — the first emits the input
 * columns and each innermost SRF call (in lockstep), the next the SRFs over those, … — and
 * a Project on top computes the select list with every SRF call replaced by its column.
 */
function hoistNestedSrfs(input: PlanNode, exprs: readonly Expr[], schema: Field[]): PlanNode {
  let plan = input;
  let current = exprs;
  for (;;) {
    const width = plan.schema.length;
    const srfs: Expr[] = [];
    const keys: string[] = [];
    // Innermost SRFs (no SRF in their arguments) become columns of this layer.
    const lift = (e: Expr): Expr => {
      if (e.kind !== 'table_fn' || e.args.some(containsSrf)) return mapChildren(e, lift);
      const key = exprKey(e);
      let i = keys.indexOf(key);
      if (i < 0) {
        i = srfs.length;
        srfs.push(e);
        keys.push(key);
      }
      return col(width + i, e.type);
    };
    const next = current.map(lift);
    if (srfs.length === 0) break;
    plan = {
      kind: 'project_set',
      input: plan,
      exprs: [...plan.schema.map((f, i) => col(i, f.type)), ...srfs],
      schema: [...plan.schema, ...srfs.map((e, i) => ({ name: `srf_${width + i}`, type: e.type, table: null }))],
    };
    current = next;
  }
  return { kind: 'project', input: plan, exprs: current, schema };
}

function assertNoNestedSrf(e: Expr, top: boolean): void {
  if (e.kind === 'table_fn' && !top) throw notSupported('set-returning functions nested in expressions');
  forEachChild(e, (c) => assertNoNestedSrf(c, false));
}

