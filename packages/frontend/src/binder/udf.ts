/**
 * Calls of user-defined functions (CREATE FUNCTION). A call resolves against the
 * overloads of the first schema on the search path that defines the name (RisingWave looks
 * user functions up before built-ins), with PostgreSQL's overload rules.
 *
 * SQL functions are inlined, as RisingWave does: the body's expression is bound with its
 * argument names (and `$n`) standing for the call's bound arguments, cast to the declared
 * types, and the result cast to the return type. The call site therefore plans and runs
 * like the expression written out — in batch queries and in streaming jobs alike.
 * JavaScript functions become ScalarImpl / TableFunctionImpl calls into their sandbox,
 * compiled once per catalog record.
 */
import { SqlError, SqlState, notSupported, typeName } from '@freshet/common';
import { type ScalarImpl, type TableFunctionImpl, compileJsScalar, compileJsTable, selectOverload } from '@freshet/expr';
import { parseSql } from '@freshet/sql';
import type { FunctionCatalog } from '../catalog/model';
import type { Expr } from '../planner/expr';
import { type PgNode, nodeType, sval } from './ast';
import { coerce, resolveUnknown } from './coerce';
import { type ExprEnv, bindExpr } from './expr';
import { Level, Scope } from './scope';

/** Inlining deeper than this is a function calling itself (directly or not). */
const MAX_INLINE_DEPTH = 32;

const sqlBodies = new WeakMap<FunctionCatalog, PgNode>();
const jsScalars = new WeakMap<FunctionCatalog, ScalarImpl>();
const jsTables = new WeakMap<FunctionCatalog, TableFunctionImpl>();

/** The user functions a call of `funcname` (a FuncCall's name list) may mean; [] if none. */
export function userFunctionCandidates(env: ExprEnv, funcname: PgNode[]): readonly FunctionCatalog[] {
  const parts = funcname.map(sval);
  if (parts.length > 3) return [];
  const q = env.bc.query;
  const schema = parts.length >= 2 ? parts[parts.length - 2] : null;
  return q.catalog.resolveFunctions(q.database, q.searchPath, schema, parts[parts.length - 1], q.user);
}

/** The overload of `candidates` the arguments select, and the arguments cast to its types. */
export function selectUserFunction(env: ExprEnv, candidates: readonly FunctionCatalog[], args: Expr[]): { f: FunctionCatalog; args: Expr[] } {
  const { def } = selectOverload(
    candidates[0].name,
    candidates.map((f) => ({ args: f.argTypes, f })),
    args.map((a) => a.type),
  );
  return { f: def.f, args: args.map((a, i) => coerce(env.bc, a, def.f.argTypes[i], 'implicit')) };
}

/** A scalar call of a user function (a table function here is a set-returning call). */
export function bindUserFunctionCall(env: ExprEnv, candidates: readonly FunctionCatalog[], argNodes: PgNode[]): Expr {
  const { f, args } = selectUserFunction(env, candidates, argNodes.map((a) => bindExpr(env, a)));
  if (f.tableColumns) {
    const fn = userTableFunction(f);
    if (fn.returnTypes.length !== 1) throw notSupported(`set-returning function ${f.name} with several columns in a select list`);
    return { kind: 'table_fn', fn, args, type: fn.returnTypes[0] };
  }
  if (f.language === 'javascript') {
    const fn = jsScalar(f);
    return { kind: 'call', fn, args, type: fn.returnType };
  }
  return inlineSqlFunction(env, f, args);
}

/** The TableFunctionImpl of a `RETURNS TABLE` user function (FROM clause or select list). */
export function userTableFunction(f: FunctionCatalog): TableFunctionImpl {
  if (f.language !== 'javascript') throw notSupported(`SQL functions returning a table (${f.name})`);
  let fn = jsTables.get(f);
  if (!fn) {
    fn = compileJsTable({ name: f.name, argNames: f.argNames, argTypes: f.argTypes, tableColumns: f.tableColumns, body: f.body });
    jsTables.set(f, fn);
  }
  return fn;
}

function jsScalar(f: FunctionCatalog): ScalarImpl {
  let fn = jsScalars.get(f);
  if (!fn) {
    fn = compileJsScalar({ name: f.name, argNames: f.argNames, argTypes: f.argTypes, returnType: f.returnType, body: f.body });
    jsScalars.set(f, fn);
  }
  return fn;
}

function inlineSqlFunction(env: ExprEnv, f: FunctionCatalog, args: Expr[]): Expr {
  const depth = (env.udf?.depth ?? 0) + 1;
  if (depth > MAX_INLINE_DEPTH) {
    throw new SqlError(SqlState.FeatureNotSupported, `SQL function ${f.name} is nested too deeply: recursive SQL functions are not supported`);
  }
  // The body sees its arguments and nothing of the caller's FROM clause.
  const scope = new Scope([]);
  const bodyEnv: ExprEnv = {
    bc: env.bc,
    level: new Level(scope, null),
    scope,
    aggs: null,
    windows: null,
    clause: `function ${f.name}`,
    udf: { names: f.argNames, args, depth },
  };
  const value = resolveUnknown(env.bc, bindExpr(bodyEnv, sqlBodyExpr(f)));
  try {
    return coerce(env.bc, value, f.returnType!, 'assign');
  } catch {
    throw new SqlError(
      SqlState.DatatypeMismatch,
      `return type mismatch in function ${f.name}: the body returns ${typeName(value.type)}, declared ${typeName(f.returnType!)}`,
    );
  }
}

/** The expression of a SQL function's `SELECT <expr>` body (parsed once per record). */
function sqlBodyExpr(f: FunctionCatalog): PgNode {
  let e = sqlBodies.get(f);
  if (!e) {
    e = parseSqlFunctionBody(f.body);
    sqlBodies.set(f, e);
  }
  return e;
}

const SELECT_EXTRAS = ['fromClause', 'whereClause', 'groupClause', 'havingClause', 'sortClause', 'limitCount', 'limitOffset', 'distinctClause', 'valuesLists', 'withClause', 'windowClause', 'lockingClause'];

/**
 * A SQL function body — one `SELECT <expression>` — as the expression node. Bodies with
 * FROM, several statements or several columns are refused (0A000).
 */
export function parseSqlFunctionBody(body: string): PgNode {
  const stmts = parseSql(body);
  const only = stmts.length === 1 && stmts[0].kind === 'pg' ? stmts[0].node : null;
  const sel = only && nodeType(only) === 'SelectStmt' ? only.SelectStmt : null;
  if (!sel || (sel.op && sel.op !== 'SETOP_NONE') || SELECT_EXTRAS.some((k) => sel[k] !== undefined) || (sel.targetList as PgNode[] | undefined)?.length !== 1) {
    throw notSupported('SQL function bodies other than one SELECT of one expression (no FROM)');
  }
  const target = (sel.targetList as PgNode[])[0].ResTarget;
  if (nodeType(target.val) === 'ColumnRef' && (target.val.ColumnRef.fields as PgNode[]).some((x) => nodeType(x) === 'A_Star')) {
    throw notSupported('SQL function bodies other than one SELECT of one expression (no FROM)');
  }
  return target.val;
}
