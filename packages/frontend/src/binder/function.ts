/**
 * Function calls: scalar functions, aggregates (collected for the Agg node), window
 * functions (collected for the Window node), set-returning functions in a select list,
 * and the session functions the binder answers itself (current_database(), pg_typeof …).
 */
import type { FrameBound, FrameExclusion, FrameUnit, WindowFrame } from '@freshet/batch';
import { type DataType, SqlError, SqlState, T, notSupported, typeName } from '@freshet/common';
import { VERSION_STRING, hasScalar, isAggregate, isTableFunction, resolveAggregate, resolveScalar, resolveTableFunction } from '@freshet/expr';
import { resolveSystemFunction } from '../catalog/system';
import type { Expr } from '../planner/expr';
import type { SortItem, WindowCall, WindowFnKind } from '../planner/plan';
import { type PgNode, intConst, nodeType, sval } from './ast';
import { coerce, resolveUnknown } from './coerce';
import { type ExprEnv, bindExpr, currentSchema, toBoolean } from './expr';
import { bindSortItems } from './order-by';
import { nowImpl } from './synthetic';
import { bindUserFunctionCall, userFunctionCandidates } from './udf';

const RANKING: Record<string, WindowFnKind> = {
  row_number: 'row_number',
  rank: 'rank',
  dense_rank: 'dense_rank',
  percent_rank: 'percent_rank',
  cume_dist: 'cume_dist',
  ntile: 'ntile',
  lag: 'lag',
  lead: 'lead',
  first_value: 'first_value',
  last_value: 'last_value',
};

/** Function names that are spelled differently in the catalog of scalar functions. */
const ALIASES: Record<string, string> = { substring: 'substr', ceiling: 'ceil', char_length: 'length', character_length: 'length' };

export function funcName(n: PgNode): string {
  const parts = (n.funcname as PgNode[]).map(sval);
  return parts[parts.length - 1].toLowerCase();
}

export function bindFuncCall(env: ExprEnv, n: PgNode): Expr {
  const name = funcName(n);
  if (n.over) return bindWindowCall(env, n, name);
  if (n.agg_star || isAggregate(name)) {
    if (!(name === 'count' && n.agg_star) && !isAggregate(name)) {
      throw new SqlError(SqlState.WrongObjectType, `${name}(*) specified, but ${name} is not an aggregate function`);
    }
    return bindAggCall(env, n, name);
  }
  if (n.agg_filter || n.agg_order || n.agg_distinct) {
    throw new SqlError(SqlState.WrongObjectType, `${name} is not an aggregate function`);
  }
  const argNodes = (n.args as PgNode[] | undefined) ?? [];
  const special = bindSessionFunction(env, name, argNodes);
  if (special) return special;
  const udfs = userFunctionCandidates(env, n.funcname as PgNode[]);
  if (udfs.length > 0) return bindUserFunctionCall(env, udfs, argNodes);
  const args = argNodes.map((a) => bindExpr(env, a));
  const system = resolveSystemFunction(env.bc.query, name, args.map((a) => a.type));
  if (system) return { kind: 'call', fn: system, args: args.map((a, i) => coerce(env.bc, a, system.argTypes[i], 'implicit')), type: system.returnType };
  if (isTableFunction(name) && !hasScalar(name)) {
    const fn = resolveTableFunction(name, args.map((a) => a.type));
    const coerced = args.map((a, i) => coerce(env.bc, a, fn.argTypes[i] ?? a.type, 'implicit'));
    if (fn.returnTypes.length !== 1) throw notSupported(`set-returning function ${name} with several columns in a select list`);
    return { kind: 'table_fn', fn, args: coerced, type: fn.returnTypes[0] };
  }
  const resolved = hasScalar(name) ? name : (ALIASES[name] ?? name);
  const fn = resolveScalar(resolved, args.map((a) => a.type));
  const coerced = args.map((a, i) => coerce(env.bc, a, fn.argTypes[i] ?? a.type, 'implicit'));
  return { kind: 'call', fn, args: coerced, type: fn.returnType };
}

function bindSessionFunction(env: ExprEnv, name: string, args: PgNode[]): Expr | null {
  const q = env.bc.query;
  const str = (v: string | null): Expr => ({ kind: 'literal', value: v, type: T.Varchar });
  switch (name) {
    case 'pg_typeof': {
      if (args.length !== 1) return null;
      const e = bindExpr(env, args[0]);
      return str(e.type.kind === 'unknown' ? 'unknown' : typeName(e.type));
    }
    case 'current_database':
    case 'current_catalog':
      return args.length === 0 ? str(q.database) : null;
    case 'current_schema':
      return args.length === 0 ? str(currentSchema(env.bc)) : null;
    case 'current_user':
    case 'session_user':
    case 'user':
      return args.length === 0 ? str(q.user) : null;
    case 'version':
      return args.length === 0 ? str(VERSION_STRING) : null;
    case 'now':
    case 'current_timestamp':
    case 'transaction_timestamp':
    case 'statement_timestamp':
      return args.length === 0 ? { kind: 'call', fn: nowImpl, args: [], type: T.Timestamptz } : null;
    case 'current_setting': {
      if (args.length < 1 || !q.sessionVar) return null;
      const e = bindExpr(env, args[0]);
      if (e.kind !== 'literal' || typeof e.value !== 'string') return null;
      const v = q.sessionVar(e.value.toLowerCase());
      if (v === undefined) throw new SqlError(SqlState.UndefinedObject, `unrecognized configuration parameter "${e.value}"`);
      return str(v);
    }
    default:
      return null;
  }
}

function bindAggCall(env: ExprEnv, n: PgNode, name: string): Expr {
  if (!env.aggs) {
    const where = env.clause;
    throw new SqlError(SqlState.GroupingError, `aggregate functions are not allowed in ${where}`);
  }
  // Arguments are evaluated per input row: no nested aggregates or windows.
  const inner: ExprEnv = { ...env, aggs: null, windows: null, clause: 'aggregate function calls' };
  let args = ((n.args as PgNode[] | undefined) ?? []).map((a) => bindExpr(inner, a));
  const distinct = !!n.agg_distinct;
  const fn = resolveAggregate(name, args.map((a) => a.type), { appendOnly: true });
  args = args.map((a, i) => resolveUnknown(env.bc, coerce(env.bc, a, fn.argTypes[i] ?? a.type, 'implicit')));
  const orderBy: SortItem[] = n.agg_order ? bindSortItems(inner, n.agg_order as PgNode[]) : [];
  const filter = n.agg_filter ? toBoolean(inner, bindExpr(inner, n.agg_filter), 'FILTER') : null;
  return env.aggs.add({ fn, args, distinct, orderBy, filter, type: fn.returnType });
}

function bindWindowCall(env: ExprEnv, n: PgNode, name: string): Expr {
  if (!env.windows) throw new SqlError(SqlState.WindowingError, `window functions are not allowed in ${env.clause}`);
  const over = n.over as PgNode;
  if (over.refname || over.name) throw notSupported('named windows');
  // Window arguments see the post-aggregation row: aggregates are allowed inside.
  const inner: ExprEnv = { ...env, windows: null, clause: 'window function calls' };
  const args = ((n.args as PgNode[] | undefined) ?? []).map((a) => bindExpr(inner, a));
  const partitionBy = ((over.partitionClause as PgNode[] | undefined) ?? []).map((p) => resolveUnknown(env.bc, bindExpr(inner, p)));
  const orderBy = over.orderClause ? bindSortItems(inner, over.orderClause as PgNode[]) : [];
  const frame = frameOf(over);
  const filter = n.agg_filter ? toBoolean(inner, bindExpr(inner, n.agg_filter), 'FILTER') : null;
  const kind = RANKING[name];
  let call: WindowCall;
  if (kind) {
    let type: DataType;
    let bound = args;
    switch (kind) {
      case 'row_number':
      case 'rank':
      case 'dense_rank':
        type = T.Int64;
        break;
      case 'percent_rank':
      case 'cume_dist':
        type = T.Float64;
        break;
      case 'ntile':
        type = T.Int32;
        bound = args.map((a) => coerce(env.bc, a, T.Int32, 'implicit'));
        break;
      default: {
        if (args.length === 0) throw new SqlError(SqlState.UndefinedFunction, `function ${name}() does not exist`);
        type = resolveUnknown(env.bc, args[0]).type;
        bound = [resolveUnknown(env.bc, args[0])];
        if (args[1]) bound.push(coerce(env.bc, args[1], T.Int32, 'implicit'));
        if (args[2]) bound.push(coerce(env.bc, args[2], type, 'implicit'));
      }
    }
    call = { kind, agg: null, args: bound, filter, partitionBy, orderBy, frame, type };
  } else if (isAggregate(name) || n.agg_star) {
    const agg = resolveAggregate(name, args.map((a) => a.type), {});
    const coerced = args.map((a, i) => resolveUnknown(env.bc, coerce(env.bc, a, agg.argTypes[i] ?? a.type, 'implicit')));
    call = { kind: 'agg', agg, args: coerced, filter, partitionBy, orderBy, frame, type: agg.returnType };
  } else {
    throw new SqlError(SqlState.WrongObjectType, `function ${name} is not a window function`);
  }
  return env.windows.add(call);
}

// PostgreSQL frameOptions bits (nodes/parsenodes.h).
const F = {
  NONDEFAULT: 0x1,
  RANGE: 0x2,
  ROWS: 0x4,
  GROUPS: 0x8,
  START_UNBOUNDED_PRECEDING: 0x20,
  END_UNBOUNDED_PRECEDING: 0x40,
  START_UNBOUNDED_FOLLOWING: 0x80,
  END_UNBOUNDED_FOLLOWING: 0x100,
  START_CURRENT_ROW: 0x200,
  END_CURRENT_ROW: 0x400,
  START_OFFSET_PRECEDING: 0x800,
  END_OFFSET_PRECEDING: 0x1000,
  START_OFFSET_FOLLOWING: 0x2000,
  END_OFFSET_FOLLOWING: 0x4000,
  EXCLUDE_CURRENT_ROW: 0x8000,
  EXCLUDE_GROUP: 0x10000,
  EXCLUDE_TIES: 0x20000,
};

/** The OVER clause's frame; undefined for the default one. */
function frameOf(over: PgNode): WindowFrame | undefined {
  const o = (over.frameOptions as number | undefined) ?? 0;
  if (!(o & F.NONDEFAULT)) return undefined;
  const unit: FrameUnit = o & F.ROWS ? 'rows' : o & F.GROUPS ? 'groups' : 'range';
  if (o & F.START_UNBOUNDED_FOLLOWING) throw new SqlError(SqlState.WindowingError, 'frame start cannot be UNBOUNDED FOLLOWING');
  if (o & F.END_UNBOUNDED_PRECEDING) throw new SqlError(SqlState.WindowingError, 'frame end cannot be UNBOUNDED PRECEDING');
  const off = (node: PgNode | undefined, which: 'starting' | 'ending') => {
    if (unit === 'range') throw notSupported('RANGE frames with offsets');
    const v = intConst(node);
    if (v === undefined) throw notSupported('non-constant frame offsets');
    if (v < 0) throw new SqlError(SqlState.InvalidPrecedingOrFollowingSize, `frame ${which} offset must not be negative`);
    return v;
  };
  let start: FrameBound;
  if (o & F.START_UNBOUNDED_PRECEDING) start = { kind: 'unbounded' };
  else if (o & F.START_CURRENT_ROW) start = { kind: 'current_row' };
  else if (o & F.START_OFFSET_PRECEDING) start = { kind: 'offset', offset: -off(over.startOffset, 'starting') };
  else start = { kind: 'offset', offset: off(over.startOffset, 'starting') };
  let end: FrameBound;
  if (o & F.END_UNBOUNDED_FOLLOWING) end = { kind: 'unbounded' };
  else if (o & F.END_OFFSET_PRECEDING) end = { kind: 'offset', offset: -off(over.endOffset, 'ending') };
  else if (o & F.END_OFFSET_FOLLOWING) end = { kind: 'offset', offset: off(over.endOffset, 'ending') };
  else end = { kind: 'current_row' };
  if (o & F.START_CURRENT_ROW && o & F.END_OFFSET_PRECEDING) {
    throw new SqlError(SqlState.WindowingError, 'frame starting from current row cannot have preceding rows');
  }
  if (o & F.START_OFFSET_FOLLOWING && (o & F.END_OFFSET_PRECEDING || o & F.END_CURRENT_ROW)) {
    throw new SqlError(SqlState.WindowingError, 'frame starting from following row cannot have preceding rows');
  }
  const exclude: FrameExclusion =
    o & F.EXCLUDE_CURRENT_ROW ? 'current_row' : o & F.EXCLUDE_GROUP ? 'group' : o & F.EXCLUDE_TIES ? 'ties' : 'no_others';
  return { unit, start, end, exclude };
}

export { nodeType };
