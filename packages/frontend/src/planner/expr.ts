/**
 * Bound scalar expressions: readonly trees discriminated by `kind`, typed, with column
 * references resolved to positions in the input row of the plan node that evaluates them.
 * query/compile-expr.ts turns them into closures once per execution.
 */
import { type DataType, type Datum, T } from '@freshet/common';
import type { ScalarImpl, TableFunctionImpl } from '@freshet/expr';
import type { PlanNode } from './plan';

export type Expr =
  | ColumnRef
  | OuterRef
  | Literal
  | Param
  | Call
  | Cast
  | BoolOp
  | Not
  | IsNull
  | IsBool
  | Case
  | Coalesce
  | InList
  | Subquery
  | ArrayExpr
  | RowExpr
  | FieldAccess
  | Subscript
  | TableFnCall
  | Placeholder;

export interface ColumnRef {
  readonly kind: 'column';
  readonly index: number;
  readonly type: DataType;
}

/** A column of an enclosing query's row (correlated subquery); depth 1 = the nearest. */
export interface OuterRef {
  readonly kind: 'outer';
  readonly depth: number;
  readonly index: number;
  readonly type: DataType;
}

export interface Literal {
  readonly kind: 'literal';
  readonly value: Datum;
  readonly type: DataType;
}

/** `$n` (index = n - 1); its type is inferred from context when not given. */
export interface Param {
  readonly kind: 'param';
  readonly index: number;
  readonly type: DataType;
}

export interface Call {
  readonly kind: 'call';
  readonly fn: ScalarImpl;
  readonly args: readonly Expr[];
  readonly type: DataType;
}

export interface Cast {
  readonly kind: 'cast';
  readonly arg: Expr;
  readonly type: DataType;
}

export interface BoolOp {
  readonly kind: 'and' | 'or';
  readonly args: readonly Expr[];
  readonly type: DataType;
}

export interface Not {
  readonly kind: 'not';
  readonly arg: Expr;
  readonly type: DataType;
}

export interface IsNull {
  readonly kind: 'is_null';
  readonly arg: Expr;
  readonly negated: boolean;
  readonly type: DataType;
}

/** IS [NOT] TRUE / FALSE / UNKNOWN; IS [NOT] DISTINCT FROM is `distinct` with `right`. */
export interface IsBool {
  readonly kind: 'is_bool';
  readonly arg: Expr;
  readonly test: 'true' | 'false' | 'unknown';
  readonly negated: boolean;
  readonly type: DataType;
}

export interface Case {
  readonly kind: 'case';
  readonly whens: readonly { readonly cond: Expr; readonly result: Expr }[];
  readonly else: Expr | null;
  readonly type: DataType;
}

export interface Coalesce {
  readonly kind: 'coalesce';
  readonly args: readonly Expr[];
  readonly type: DataType;
}

/** `arg [NOT] IN (list…)`: `eq` compares arg with each element (three-valued). */
export interface InList {
  readonly kind: 'in_list';
  readonly arg: Expr;
  readonly list: readonly Expr[];
  readonly eq: ScalarImpl;
  readonly negated: boolean;
  readonly type: DataType;
}

/**
 * A subquery used as a value. `plan` may reference the row where the subquery is evaluated
 * through OuterRef(depth 1…). scalar: one column, at most one row (NULL if none).
 * exists: any row. in/any/all: `test op column` over the rows (three-valued).
 * array: ARRAY(subquery).
 */
export interface Subquery {
  readonly kind: 'subquery';
  readonly mode: 'scalar' | 'exists' | 'any' | 'all' | 'array';
  readonly plan: PlanNode;
  readonly test: Expr | null;
  /** For any/all: compares (test, subquery column). */
  readonly cmp: ScalarImpl | null;
  /** Outer references escaping the subquery (relative to where it is evaluated, depth 1 = this row). */
  readonly correlated: readonly { readonly depth: number; readonly index: number; readonly type: DataType }[];
  readonly type: DataType;
}

export interface ArrayExpr {
  readonly kind: 'array';
  readonly elems: readonly Expr[];
  readonly type: DataType;
}

export interface RowExpr {
  readonly kind: 'row';
  readonly fields: readonly Expr[];
  readonly type: DataType;
}

export interface FieldAccess {
  readonly kind: 'field';
  readonly arg: Expr;
  readonly index: number;
  readonly type: DataType;
}

/** `arr[i]` (1-based) or `arr[lo:hi]` when `upper` is set (slice). */
export interface Subscript {
  readonly kind: 'subscript';
  readonly arg: Expr;
  readonly index: Expr | null;
  readonly upper: Expr | null;
  readonly slice: boolean;
  readonly type: DataType;
}

/** A set-returning function in a select list; only valid directly under ProjectSet. */
export interface TableFnCall {
  readonly kind: 'table_fn';
  readonly fn: TableFunctionImpl;
  readonly args: readonly Expr[];
  readonly type: DataType;
}

/**
 * Binder-internal: an aggregate or window call collected while binding a select list,
 * replaced by a column of the Agg/Window node's output before planning finishes.
 */
export interface Placeholder {
  readonly kind: 'placeholder';
  /** 'grouping': a GROUPING(…) call, resolved against the grouping sets. */
  readonly slot: 'agg' | 'window' | 'grouping';
  readonly index: number;
  readonly type: DataType;
}

/** A structural identity for expressions (GROUP BY matching, aggregate dedup). */
const subqueryIds = new WeakMap<object, number>();
let nextSubqueryId = 1;

export function exprKey(e: Expr): string {
  return JSON.stringify(e, (k, v) => {
    if (v && typeof v === 'object' && v.kind === 'subquery') {
      let id = subqueryIds.get(v);
      if (id === undefined) subqueryIds.set(v, (id = nextSubqueryId++));
      return `subquery#${id}`;
    }
    if (typeof v === 'bigint') return `${v}n`;
    if (k === 'fn' && v && typeof v === 'object') return { name: v.name, argTypes: v.argTypes };
    return v;
  });
}

export const lit = (value: Datum, type: DataType): Literal => ({ kind: 'literal', value, type });
export const col = (index: number, type: DataType): ColumnRef => ({ kind: 'column', index, type });
export const TRUE = lit(true, T.Boolean);

/** Calls `f` on each direct child expression (not descending into subquery plans). */
export function forEachChild(e: Expr, f: (c: Expr) => void): void {
  switch (e.kind) {
    case 'call':
    case 'coalesce':
    case 'and':
    case 'or':
    case 'table_fn':
      e.args.forEach(f);
      return;
    case 'array':
      e.elems.forEach(f);
      return;
    case 'row':
      e.fields.forEach(f);
      return;
    case 'cast':
    case 'not':
    case 'is_null':
    case 'is_bool':
    case 'field':
      f(e.arg);
      return;
    case 'subscript':
      f(e.arg);
      if (e.index) f(e.index);
      if (e.upper) f(e.upper);
      return;
    case 'case':
      for (const w of e.whens) {
        f(w.cond);
        f(w.result);
      }
      if (e.else) f(e.else);
      return;
    case 'in_list':
      f(e.arg);
      e.list.forEach(f);
      return;
    case 'subquery':
      if (e.test) f(e.test);
      return;
    default:
      return;
  }
}

/** Rebuilds `e` with each direct child replaced by `f(child)`. */
export function mapChildren(e: Expr, f: (c: Expr) => Expr): Expr {
  switch (e.kind) {
    case 'call':
    case 'coalesce':
    case 'and':
    case 'or':
    case 'table_fn':
      return { ...e, args: e.args.map(f) } as Expr;
    case 'array':
      return { ...e, elems: e.elems.map(f) };
    case 'row':
      return { ...e, fields: e.fields.map(f) };
    case 'cast':
    case 'not':
    case 'is_null':
    case 'is_bool':
    case 'field':
      return { ...e, arg: f(e.arg) } as Expr;
    case 'subscript':
      return { ...e, arg: f(e.arg), index: e.index && f(e.index), upper: e.upper && f(e.upper) };
    case 'case':
      return { ...e, whens: e.whens.map((w) => ({ cond: f(w.cond), result: f(w.result) })), else: e.else && f(e.else) };
    case 'in_list':
      return { ...e, arg: f(e.arg), list: e.list.map(f) };
    case 'subquery':
      return { ...e, test: e.test && f(e.test) };
    default:
      return e;
  }
}

/** Bottom-up rewrite. */
export function transformExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  return f(mapChildren(e, (c) => transformExpr(c, f)));
}

/** Input columns referenced by `e` (not counting references inside subquery plans). */
export function collectColumns(e: Expr, into: Set<number> = new Set()): Set<number> {
  if (e.kind === 'column') into.add(e.index);
  else if (e.kind === 'subquery') {
    for (const c of e.correlated) if (c.depth === 1) into.add(c.index);
    if (e.test) collectColumns(e.test, into);
  } else forEachChild(e, (c) => collectColumns(c, into));
  return into;
}

/**
 * Remaps column references (`map(i)` = new index). Callers must not remap expressions
 * holding correlated subqueries (`hasCorrelatedSubquery`): their plans address this row
 * through OuterRefs, which are not rewritten.
 */
export function remapColumns(e: Expr, map: (i: number) => number): Expr {
  return transformExpr(e, (x) => (x.kind === 'column' ? { ...x, index: map(x.index) } : x));
}

/** True if `e` contains a subquery that reads the row it is evaluated on. */
export function hasCorrelatedSubquery(e: Expr): boolean {
  if (e.kind === 'subquery' && e.correlated.length > 0) return true;
  let found = false;
  forEachChild(e, (c) => {
    if (!found && hasCorrelatedSubquery(c)) found = true;
  });
  return found;
}

/** True if `e` contains any subquery. */
export function hasSubquery(e: Expr): boolean {
  if (e.kind === 'subquery') return true;
  let found = false;
  forEachChild(e, (c) => {
    if (!found && hasSubquery(c)) found = true;
  });
  return found;
}

export function isConst(e: Expr): boolean {
  if (e.kind === 'literal') return true;
  if (e.kind === 'column' || e.kind === 'outer' || e.kind === 'param' || e.kind === 'subquery' || e.kind === 'table_fn' || e.kind === 'placeholder') return false;
  let ok = true;
  forEachChild(e, (c) => {
    if (ok && !isConst(c)) ok = false;
  });
  return ok;
}

/** Splits a predicate into its AND-ed conjuncts. */
export function conjuncts(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.kind === 'and') return e.args.flatMap((a) => conjuncts(a));
  return [e];
}

export function andAll(es: readonly Expr[]): Expr | null {
  if (es.length === 0) return null;
  if (es.length === 1) return es[0];
  return { kind: 'and', args: es, type: T.Boolean };
}

/** True if `pred` holds for `e` or any descendant (not descending into subquery plans). */
export function exprAny(e: Expr, pred: (x: Expr) => boolean): boolean {
  if (pred(e)) return true;
  let found = false;
  forEachChild(e, (c) => {
    if (!found && exprAny(c, pred)) found = true;
  });
  return found;
}
