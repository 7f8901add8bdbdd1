/**
 * Scalar expression binding: libpg-query expression nodes → typed `Expr` over the input
 * row of the clause being bound. Column names resolve in the clause's scope first, then
 * in enclosing query levels (correlated references).
 */
import { type DataType, Decimal, SqlError, SqlState, T, listOf, notSupported, structOf } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import { resolveTypeName } from '@freshet/sql';
import { bindRegCast, regTypeOf } from '../catalog/system';
import type { Expr } from '../planner/expr';
import type { PgNode } from './ast';
import { intervalLiteral, nodeType, sval } from './ast';
import { coerce, parseLiteral, resolveUnknown, unify, unifyAndCoerce } from './coerce';
import type { BindContext } from './context';
import type { AggCollector, WindowCollector } from './collectors';
import { bindFuncCall } from './function';
import { isDistinctImpl, greatestLeastImpl } from './synthetic';
import { Level, Scope } from './scope';
import { bindSubLink } from './subquery';

export interface ExprEnv {
  readonly bc: BindContext;
  /** The query level being bound (its parent chain gives outer scopes). */
  readonly level: Level;
  /** Columns visible to this expression. */
  readonly scope: Scope;
  /** Where aggregate calls go; null where they are not allowed (WHERE, ON, GROUP BY). */
  readonly aggs: AggCollector | null;
  readonly windows: WindowCollector | null;
  /** Clause name for error messages (`WHERE`, `JOIN/ON`, …). */
  readonly clause: string;
  /**
   * Inside an inlined SQL function body (udf.ts): argument names and `$n` stand for the
   * call's bound arguments; `depth` counts nested inlining.
   */
  readonly udf?: { readonly names: readonly string[]; readonly args: readonly Expr[]; readonly depth: number };
}

const BINARY_OPS: Record<string, string> = {
  '+': 'add',
  '-': 'subtract',
  '*': 'multiply',
  '/': 'divide',
  '%': 'modulus',
  '^': 'pow_op',
  '=': 'equal',
  '<>': 'not_equal',
  '!=': 'not_equal',
  '<': 'less_than',
  '<=': 'less_than_or_equal',
  '>': 'greater_than',
  '>=': 'greater_than_or_equal',
  '||': 'concat_op',
  '~': 'regexp_match_op',
  '~*': 'regexp_match_op_ci',
  '!~': 'regexp_not_match_op',
  '!~*': 'regexp_not_match_op_ci',
  '->': 'jsonb_access',
  '->>': 'jsonb_access_str',
  '#>': 'jsonb_extract_path',
  '#>>': 'jsonb_extract_path_text',
  '@>': 'jsonb_contains',
  '<@': 'jsonb_contained',
  '?': 'jsonb_exists',
  '?|': 'jsonb_exists_any',
  '?&': 'jsonb_exists_all',
  '&': 'bitwise_and',
  '|': 'bitwise_or',
  '#': 'bitwise_xor',
  '<<': 'shift_left',
  '>>': 'shift_right',
  '~~': 'like',
  '~~*': 'ilike',
  '^@': 'starts_with',
};

const UNARY_OPS: Record<string, string> = { '-': 'neg', '~': 'bitwise_not', '@': 'abs_op', '|/': 'sqrt', '||/': 'cbrt' };

/** Operators written negated in the AST (`!~~` is NOT LIKE). */
const NEGATED_OPS: Record<string, string> = { '!~~': 'like', '!~~*': 'ilike' };

export function opFunctionName(op: string): string | undefined {
  return BINARY_OPS[op];
}

export function callScalar(env: ExprEnv, name: string, args: Expr[]): Expr {
  const fn = resolveScalar(name, args.map((a) => a.type));
  const coerced = args.map((a, i) => coerce(env.bc, a, fn.argTypes[i] ?? a.type, 'implicit'));
  return { kind: 'call', fn, args: coerced, type: fn.returnType };
}

export function not(e: Expr): Expr {
  return { kind: 'not', arg: e, type: T.Boolean };
}

export function toBoolean(env: ExprEnv, e: Expr, what: string): Expr {
  if (e.type.kind === 'boolean') return e;
  if (e.type.kind === 'unknown') return coerce(env.bc, e, T.Boolean, 'implicit');
  throw new SqlError(SqlState.DatatypeMismatch, `argument of ${what} must be type boolean, not type ${typeNameOf(e.type)}`);
}

function typeNameOf(t: DataType): string {
  return t.kind === 'list' ? `${typeNameOf(t.elem)}[]` : t.kind;
}

export function bindExpr(env: ExprEnv, node: PgNode): Expr {
  const type = nodeType(node);
  const n = node[type];
  switch (type) {
    case 'ColumnRef':
      return bindColumnRef(env, n);
    case 'A_Const':
      return bindConst(n);
    case 'ParamRef': {
      const index = (n.number as number) - 1;
      if (env.udf) {
        const arg = env.udf.args[index];
        if (!arg) throw new SqlError(SqlState.UndefinedParameter, `there is no parameter $${index + 1}`);
        return arg;
      }
      env.bc.noteParam(index);
      return { kind: 'param', index, type: env.bc.paramType(index) ?? T.Unknown };
    }
    case 'TypeCast':
      return bindTypeCast(env, n);
    case 'A_Expr':
      return bindAExpr(env, n);
    case 'BoolExpr': {
      const args = (n.args as PgNode[]).map((a) => toBoolean(env, bindExpr(env, a), n.boolop === 'AND_EXPR' ? 'AND' : n.boolop === 'OR_EXPR' ? 'OR' : 'NOT'));
      if (n.boolop === 'NOT_EXPR') return not(args[0]);
      return { kind: n.boolop === 'AND_EXPR' ? 'and' : 'or', args, type: T.Boolean };
    }
    case 'NullTest': {
      const arg = resolveUnknown(env.bc, bindExpr(env, n.arg));
      return { kind: 'is_null', arg, negated: n.nulltesttype === 'IS_NOT_NULL', type: T.Boolean };
    }
    case 'BooleanTest': {
      const arg = toBoolean(env, bindExpr(env, n.arg), 'IS TRUE');
      const t = n.booltesttype as string;
      const test = t.endsWith('TRUE') ? 'true' : t.endsWith('FALSE') ? 'false' : 'unknown';
      return { kind: 'is_bool', arg, test, negated: t.startsWith('IS_NOT'), type: T.Boolean };
    }
    case 'CaseExpr':
      return bindCase(env, n);
    case 'CoalesceExpr': {
      const args = unifyAndCoerce(env.bc, (n.args as PgNode[]).map((a) => bindExpr(env, a)), 'COALESCE');
      return { kind: 'coalesce', args, type: args[0].type };
    }
    case 'MinMaxExpr': {
      const args = unifyAndCoerce(env.bc, (n.args as PgNode[]).map((a) => bindExpr(env, a)), n.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
      const t = args[0].type;
      return { kind: 'call', fn: greatestLeastImpl(n.op === 'IS_GREATEST', t), args, type: t };
    }
    case 'FuncCall':
      return bindFuncCall(env, n);
    case 'SubLink':
      return bindSubLink(env, n);
    case 'A_ArrayExpr':
      return bindArray(env, n, null);
    case 'A_Indirection':
      return bindIndirection(env, n);
    case 'RowExpr': {
      // Untyped literals stay untyped inside the row (their field type reads as varchar), so
      // coercing the row to a struct type gives each the field's type, as PostgreSQL does.
      const fields = (n.args as PgNode[] | undefined ?? []).map((a) => {
        const e = bindExpr(env, a);
        return e.kind === 'literal' && e.type.kind === 'unknown' ? e : resolveUnknown(env.bc, e);
      });
      const type = structOf(fields.map((f, i) => ({ name: `f${i + 1}`, type: f.type.kind === 'unknown' ? T.Varchar : f.type })));
      return { kind: 'row', fields, type };
    }
    case 'SQLValueFunction':
      return bindSqlValueFunction(env, n);
    case 'CollateClause':
      return bindExpr(env, n.arg);
    case 'GroupingFunc': {
      if (!env.aggs) throw new SqlError(SqlState.GroupingError, `grouping operations are not allowed in ${env.clause}`);
      const args = (n.args as PgNode[]).map((a) => bindExpr(env, a));
      if (args.length > 31) throw new SqlError(SqlState.ProgramLimitExceeded, 'GROUPING must have fewer than 32 arguments');
      return env.aggs.addGrouping(args);
    }
    case 'SetToDefault':
      throw new SqlError(SqlState.SyntaxError, 'DEFAULT is not allowed in this context');
    default:
      throw notSupported(`expression ${type}`);
  }
}

function bindColumnRef(env: ExprEnv, n: PgNode): Expr {
  const fields = n.fields as PgNode[];
  if (fields.some((f) => nodeType(f) === 'A_Star')) {
    throw new SqlError(SqlState.SyntaxError, '* is not allowed here');
  }
  const parts = fields.map(sval);
  if (env.udf && parts.length === 1) {
    const at = env.udf.names.indexOf(parts[0]);
    if (at >= 0) return env.udf.args[at];
  }
  const local = env.scope.resolve(parts);
  if (local !== null) return { kind: 'column', index: local, type: env.scope.fields[local].type };
  let depth = 1;
  for (let lv = env.level.parent; lv; lv = lv.parent, depth++) {
    const i = lv.scope.resolve(parts);
    if (i !== null) return { kind: 'outer', depth, index: i, type: lv.scope.fields[i].type };
  }
  // `s.f` where s is a struct column: field access.
  if (parts.length >= 2) {
    const base = env.scope.resolve(parts.slice(0, -1));
    if (base !== null) {
      const t = env.scope.fields[base].type;
      if (t.kind === 'struct') return fieldAccess({ kind: 'column', index: base, type: t }, parts[parts.length - 1]);
    }
  }
  throw new SqlError(SqlState.UndefinedColumn, `column "${parts.join('.')}" does not exist`);
}

export function bindConst(n: PgNode): Expr {
  if (n.isnull) return { kind: 'literal', value: null, type: T.Unknown };
  if (n.ival !== undefined) return { kind: 'literal', value: n.ival.ival ?? 0, type: T.Int32 };
  if (n.fval !== undefined) {
    const text = n.fval.fval as string;
    if (/^-?\d+$/.test(text)) {
      const v = BigInt(text);
      if (v >= -(2n ** 63n) && v < 2n ** 63n) return { kind: 'literal', value: v, type: T.Int64 };
    }
    return { kind: 'literal', value: parseDecimal(text), type: T.Decimal };
  }
  if (n.sval !== undefined) return { kind: 'literal', value: n.sval.sval ?? '', type: T.Unknown };
  if (n.boolval !== undefined) return { kind: 'literal', value: n.boolval.boolval ?? false, type: T.Boolean };
  if (n.bsval !== undefined) throw notSupported('bit string literals');
  throw notSupported('constant');
}

function parseDecimal(text: string): Decimal {
  let s = text.toLowerCase();
  let exp = 0;
  const e = s.indexOf('e');
  if (e >= 0) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const neg = s.startsWith('-');
  if (neg) s = s.slice(1);
  const dot = s.indexOf('.');
  let digits = s;
  let scale = 0;
  if (dot >= 0) {
    digits = s.slice(0, dot) + s.slice(dot + 1);
    scale = s.length - dot - 1;
  }
  scale -= exp;
  let mantissa = BigInt(digits || '0');
  if (scale < 0) {
    mantissa *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return new Decimal(neg ? -mantissa : mantissa, scale);
}

function bindTypeCast(env: ExprEnv, n: PgNode): Expr {
  const reg = regTypeOf(n.typeName);
  if (reg) return bindRegCast(env.bc.query, reg, bindExpr(env, n.arg), (e, t) => coerce(env.bc, e, t, 'explicit'));
  const to = resolveTypeName(n.typeName, env.bc.rw);
  const argNode = n.arg as PgNode;
  // `interval '5' minute`: the qualifier gives the unit of a bare number.
  if (to.kind === 'interval' && nodeType(argNode) === 'A_Const' && argNode.A_Const.sval !== undefined) {
    const text = intervalLiteral(argNode.A_Const.sval.sval ?? '', n.typeName);
    return { kind: 'literal', value: parseLiteral(env.bc, to, text), type: to };
  }
  if (nodeType(argNode) === 'A_ArrayExpr' && to.kind === 'list') return bindArray(env, argNode.A_ArrayExpr, to);
  const arg = bindExpr(env, argNode);
  return coerce(env.bc, arg, to, 'explicit');
}

function bindArray(env: ExprEnv, n: PgNode, target: DataType | null): Expr {
  const elemNodes = (n.elements as PgNode[] | undefined) ?? [];
  const elemTarget = target && target.kind === 'list' ? target.elem : null;
  let elems = elemNodes.map((e) =>
    nodeType(e) === 'A_ArrayExpr' ? bindArray(env, e.A_ArrayExpr, elemTarget) : bindExpr(env, e),
  );
  let elemType: DataType;
  if (elemTarget) elemType = elemTarget;
  else if (elems.length === 0) throw new SqlError(SqlState.CannotCoerce, 'cannot determine type of empty array');
  else elemType = unify(env.bc, elems, 'ARRAY');
  elems = elems.map((e) => coerce(env.bc, e, elemType, target ? 'explicit' : 'implicit'));
  return { kind: 'array', elems, type: listOf(elemType) };
}

export function fieldAccess(arg: Expr, name: string): Expr {
  if (arg.type.kind !== 'struct') {
    throw new SqlError(SqlState.DatatypeMismatch, `column notation .${name} applied to type ${typeNameOf(arg.type)}, which is not a composite type`);
  }
  const idx = arg.type.fields.findIndex((f) => f.name === name);
  if (idx < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${name}" not found in data type ${typeNameOf(arg.type)}`);
  return { kind: 'field', arg, index: idx, type: arg.type.fields[idx].type };
}

function bindIndirection(env: ExprEnv, n: PgNode): Expr {
  let e = bindExpr(env, n.arg);
  for (const ind of n.indirection as PgNode[]) {
    const t = nodeType(ind);
    if (t === 'String') e = fieldAccess(e, sval(ind));
    else if (t === 'A_Indices') {
      const a = ind.A_Indices;
      if (e.type.kind !== 'list') throw new SqlError(SqlState.DatatypeMismatch, `cannot subscript type ${typeNameOf(e.type)} because it is not an array`);
      const idx = (x: PgNode | undefined) => (x ? coerce(env.bc, bindExpr(env, x), T.Int32, 'implicit') : null);
      if (a.is_slice) e = { kind: 'subscript', arg: e, index: idx(a.lidx), upper: idx(a.uidx), slice: true, type: e.type };
      else e = { kind: 'subscript', arg: e, index: idx(a.uidx), upper: null, slice: false, type: e.type.elem };
    } else if (t === 'A_Star') throw new SqlError(SqlState.SyntaxError, '(x).* is only allowed in a select list');
    else throw notSupported(`indirection ${t}`);
  }
  return e;
}

function bindCase(env: ExprEnv, n: PgNode): Expr {
  const operand = n.arg ? bindExpr(env, n.arg) : null;
  const conds: Expr[] = [];
  const results: Expr[] = [];
  for (const w of n.args as PgNode[]) {
    const cw = w.CaseWhen;
    const v = bindExpr(env, cw.expr);
    conds.push(operand ? callScalar(env, 'equal', [operand, v]) : toBoolean(env, v, 'CASE/WHEN'));
    results.push(bindExpr(env, cw.result));
  }
  const elseExpr = n.defresult ? bindExpr(env, n.defresult) : null;
  const all = elseExpr ? [...results, elseExpr] : results;
  const t = unify(env.bc, all, 'CASE');
  return {
    kind: 'case',
    whens: conds.map((cond, i) => ({ cond, result: coerce(env.bc, results[i], t, 'implicit') })),
    else: elseExpr ? coerce(env.bc, elseExpr, t, 'implicit') : null,
    type: t,
  };
}

function bindAExpr(env: ExprEnv, n: PgNode): Expr {
  const opName = sval((n.name as PgNode[])[(n.name as PgNode[]).length - 1]);
  switch (n.kind as string) {
    case 'AEXPR_OP': {
      if (!n.lexpr) {
        const arg = bindExpr(env, n.rexpr);
        if (opName === '+') return arg;
        const f = UNARY_OPS[opName];
        if (!f) throw new SqlError(SqlState.UndefinedFunction, `operator does not exist: ${opName} ${typeNameOf(arg.type)}`);
        return callScalar(env, f, [arg]);
      }
      const l = bindExpr(env, n.lexpr);
      const r = bindExpr(env, n.rexpr);
      const neg = NEGATED_OPS[opName];
      if (neg) return not(callScalar(env, neg, [l, r]));
      const f = BINARY_OPS[opName];
      if (!f) throw new SqlError(SqlState.UndefinedFunction, `operator does not exist: ${typeNameOf(l.type)} ${opName} ${typeNameOf(r.type)}`);
      if (f === 'jsonb_contains' && l.type.kind === 'list') return callScalar(env, 'array_contains', [l, r]);
      if (f === 'jsonb_contained' && l.type.kind === 'list') return callScalar(env, 'array_contained', [l, r]);
      return callScalar(env, f, [l, r]);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const l = bindExpr(env, n.lexpr);
      const r = bindExpr(env, n.rexpr);
      const neg = opName.startsWith('!');
      const e = callScalar(env, n.kind === 'AEXPR_LIKE' ? 'like' : 'ilike', [l, r]);
      return neg ? not(e) : e;
    }
    case 'AEXPR_SIMILAR':
      throw notSupported('SIMILAR TO');
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      let [l, r] = unifyAndCoerce(env.bc, [bindExpr(env, n.lexpr), bindExpr(env, n.rexpr)], 'IS DISTINCT FROM');
      const e: Expr = { kind: 'call', fn: isDistinctImpl(l.type), args: [l, r], type: T.Boolean };
      return n.kind === 'AEXPR_DISTINCT' ? e : not(e);
    }
    case 'AEXPR_NULLIF': {
      const l = bindExpr(env, n.lexpr);
      const r = bindExpr(env, n.rexpr);
      const eq = callScalar(env, 'equal', [l, r]);
      const lt = eq.kind === 'call' ? eq.args[0] : l;
      return { kind: 'case', whens: [{ cond: eq, result: { kind: 'literal', value: null, type: lt.type } }], else: lt, type: lt.type };
    }
    case 'AEXPR_IN': {
      const arg = bindExpr(env, n.lexpr);
      const list = (n.rexpr.List?.items ?? n.rexpr) as PgNode[];
      const items = list.map((x) => bindExpr(env, x));
      const all = unifyAndCoerce(env.bc, [arg, ...items], 'IN');
      const eq = resolveScalar('equal', [all[0].type, all[0].type]);
      return { kind: 'in_list', arg: all[0], list: all.slice(1), eq, negated: opName === '<>', type: T.Boolean };
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const x = bindExpr(env, n.lexpr);
      const [lo, hi] = (n.rexpr.List.items as PgNode[]).map((i) => bindExpr(env, i));
      const negated = (n.kind as string).includes('NOT');
      const between = (a: Expr, b: Expr): Expr => ({
        kind: 'and',
        args: [callScalar(env, 'greater_than_or_equal', [x, a]), callScalar(env, 'less_than_or_equal', [x, b])],
        type: T.Boolean,
      });
      let e = between(lo, hi);
      if ((n.kind as string).endsWith('SYM')) e = { kind: 'or', args: [e, between(hi, lo)], type: T.Boolean };
      return negated ? not(e) : e;
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return bindArrayAnyAll(env, n, opName, n.kind === 'AEXPR_OP_ANY');
    default:
      throw notSupported(`operator kind ${n.kind}`);
  }
}

/** `x op ANY(array)` / `x op ALL(array)`: a literal array becomes an OR/AND of comparisons. */
function bindArrayAnyAll(env: ExprEnv, n: PgNode, op: string, any: boolean): Expr {
  const f = BINARY_OPS[op];
  if (!f) throw new SqlError(SqlState.UndefinedFunction, `operator does not exist: ${op}`);
  const x = bindExpr(env, n.lexpr);
  if (nodeType(n.rexpr) === 'A_ArrayExpr') {
    const elems = ((n.rexpr.A_ArrayExpr.elements as PgNode[] | undefined) ?? []).map((e) => bindExpr(env, e));
    if (elems.length === 0) return { kind: 'literal', value: !any, type: T.Boolean };
    if (f === 'equal' && any) {
      const all = unifyAndCoerce(env.bc, [x, ...elems], 'ANY');
      const eq = resolveScalar('equal', [all[0].type, all[0].type]);
      return { kind: 'in_list', arg: all[0], list: all.slice(1), eq, negated: false, type: T.Boolean };
    }
    return { kind: any ? 'or' : 'and', args: elems.map((e) => callScalar(env, f, [x, e])), type: T.Boolean };
  }
  const arr = bindExpr(env, n.rexpr);
  return callScalar(env, any ? `${f}_any` : `${f}_all`, [x, arr]);
}

function bindSqlValueFunction(env: ExprEnv, n: PgNode): Expr {
  const q = env.bc.query;
  switch (n.op as string) {
    case 'SVFOP_CURRENT_USER':
    case 'SVFOP_SESSION_USER':
    case 'SVFOP_USER':
    case 'SVFOP_CURRENT_ROLE':
      return { kind: 'literal', value: q.user, type: T.Varchar };
    case 'SVFOP_CURRENT_CATALOG':
      return { kind: 'literal', value: q.database, type: T.Varchar };
    case 'SVFOP_CURRENT_SCHEMA':
      return { kind: 'literal', value: currentSchema(env.bc), type: T.Varchar };
    case 'SVFOP_CURRENT_TIMESTAMP':
    case 'SVFOP_CURRENT_TIMESTAMP_N':
      return bindFuncCall(env, { funcname: [{ String: { sval: 'now' } }], args: [] });
    case 'SVFOP_CURRENT_DATE':
      return coerce(env.bc, bindFuncCall(env, { funcname: [{ String: { sval: 'now' } }], args: [] }), T.Date, 'explicit');
    case 'SVFOP_LOCALTIMESTAMP':
    case 'SVFOP_LOCALTIMESTAMP_N':
      return coerce(env.bc, bindFuncCall(env, { funcname: [{ String: { sval: 'now' } }], args: [] }), T.Timestamp, 'explicit');
    case 'SVFOP_CURRENT_TIME':
    case 'SVFOP_LOCALTIME':
    case 'SVFOP_CURRENT_TIME_N':
    case 'SVFOP_LOCALTIME_N':
      return coerce(env.bc, coerce(env.bc, bindFuncCall(env, { funcname: [{ String: { sval: 'now' } }], args: [] }), T.Timestamp, 'explicit'), T.Time, 'explicit');
    default:
      throw notSupported(`${n.op}`);
  }
}

export function currentSchema(bc: BindContext): string | null {
  const q = bc.query;
  for (const s of q.searchPath) {
    const name = s === '$user' ? q.user : s;
    if (q.catalog.getSchema(q.database, name)) return name;
  }
  return null;
}
