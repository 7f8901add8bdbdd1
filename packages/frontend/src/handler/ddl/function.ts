/**
 * CREATE [OR REPLACE] FUNCTION and DROP FUNCTION, for RisingWave's embedded forms:
 *
 *   CREATE FUNCTION f(a int, b int) RETURNS int LANGUAGE sql AS $$SELECT a + b$$;
 *   CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'select $1 + 1';
 *   CREATE FUNCTION f(a int) RETURNS int RETURN a + 1;
 *   CREATE FUNCTION f(a int) RETURNS int LANGUAGE javascript AS $$ return a + 1; $$;
 *   CREATE FUNCTION s(n int) RETURNS TABLE (x int) LANGUAGE javascript AS $$ yield 1; $$;
 *
 * The body is checked at CREATE: a SQL body is bound through a call with typed NULL
 * arguments (unknown names, wrong types and a return type that does not fit fail here),
 * a JavaScript body is compiled. External functions (`USING LINK`, Python, Java, Rust,
 * WebAssembly) are not supported. Functions persist as catalog records (catalog/func/<id>).
 */
import { SqlError, SqlState, typeName } from '@freshet/common';
import { UdfState, checkJsTypes, compileJsScalar, compileJsTable } from '@freshet/expr';
import { type PgNode, type PgStatement, parseSql, resolveTypeName } from '@freshet/sql';
import { Deparser } from 'pgsql-deparser';
import type { FunctionCatalog, RelationCatalog } from '../../catalog/model';
import { parseSqlFunctionBody } from '../../binder/udf';
import { type DdlContext, displayName, inBatch, targetSchema } from './context';
import { nameListName, strVal } from './pg-nodes';

const LANGUAGES = new Set(['sql', 'javascript']);

export async function createFunction(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.CreateFunctionStmt as PgNode;
  if (node.is_procedure) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: CREATE PROCEDURE');
  const qn = nameListName(node.funcname as PgNode[]);
  const schema = targetSchema(ctx, qn);
  const argNames: string[] = [];
  const argTypes = [];
  const tableColumns: { name: string; type: ReturnType<typeof resolveTypeName> }[] = [];
  for (const p of (node.parameters ?? []) as PgNode[]) {
    const fp = p.FunctionParameter;
    const type = resolveTypeName(fp.argType, stmt.rw);
    if (fp.mode === 'FUNC_PARAM_TABLE') tableColumns.push({ name: fp.name, type });
    else if (fp.mode === 'FUNC_PARAM_DEFAULT' || fp.mode === 'FUNC_PARAM_IN') {
      if (fp.defexpr) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: argument defaults');
      argNames.push(fp.name ?? '');
      argTypes.push(type);
    } else throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: ${String(fp.mode).replace(/^FUNC_PARAM_/, '')} arguments`);
  }
  const options = new Map<string, PgNode>();
  for (const o of (node.options ?? []) as PgNode[]) options.set(o.DefElem.defname, o.DefElem.arg);
  const sqlBody = node.sql_body as PgNode | undefined;
  const language = options.has('language') ? strVal(options.get('language')!).toLowerCase() : sqlBody ? 'sql' : '';
  if (!language) throw new SqlError(SqlState.SyntaxError, 'no language specified');
  if (!LANGUAGES.has(language)) {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: LANGUAGE ${language} (SQL and JavaScript functions are supported)`);
  }
  let body: string;
  if (sqlBody) {
    if (!sqlBody.ReturnStmt) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: BEGIN ATOMIC function bodies');
    body = `SELECT ${Deparser.deparse(sqlBody.ReturnStmt.returnval)}`;
  } else {
    const as = options.get('as');
    const items = (as?.List?.items ?? []) as PgNode[];
    if (items.length !== 1) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: functions defined outside the statement (AS … USING LINK)');
    body = strVal(items[0]);
  }
  const returnsTable = tableColumns.length > 0;
  const returnType = returnsTable ? undefined : resolveTypeName(node.returnType, stmt.rw);
  if (!returnsTable && node.returnType?.setof) {
    throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: RETURNS SETOF (use RETURNS TABLE (…))');
  }
  if (argNames.some((n, i) => n !== '' && argNames.indexOf(n) !== i)) {
    throw new SqlError(UdfState.InvalidFunctionDefinition, 'parameter name used more than once');
  }
  const rec: FunctionCatalog = {
    id: 0,
    database: ctx.database,
    schema,
    name: qn.name,
    owner: ctx.user,
    argNames,
    argTypes,
    returnType,
    tableColumns: returnsTable ? tableColumns : undefined,
    language: language as FunctionCatalog['language'],
    body,
    definition: stmt.text,
    createdAt: Date.now(),
  };
  const signature = `${qn.name}(${argTypes.map(typeName).join(', ')})`;
  const existing = ctx.catalog.getFunctions(ctx.database, schema, qn.name).find((f) => sameTypes(f, rec));
  if (existing && !node.replace) throw new SqlError('42723' /* duplicate_function */, `function ${signature} already exists`);
  if (language === 'javascript') {
    if (returnsTable) compileJsTable({ ...rec, tableColumns });
    else compileJsScalar({ ...rec, returnType });
  } else {
    if (returnsTable) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: SQL functions returning a table');
    parseSqlFunctionBody(body);
  }
  await inBatch(ctx, (batch) => {
    if (existing) ctx.catalog.dropFunction(existing.id, batch);
    rec.id = ctx.catalog.nextId();
    ctx.catalog.addFunction(rec, batch);
    try {
      if (language === 'sql') checkSqlBody(ctx, rec);
    } catch (e) {
      // Undo the in-memory change; the batch is never committed.
      ctx.catalog.dropFunction(rec.id, ctx.storage.newBatch());
      if (existing) ctx.catalog.addFunction(existing, ctx.storage.newBatch());
      throw e;
    }
  });
  return 'CREATE_FUNCTION';
}

function sameTypes(a: FunctionCatalog, b: FunctionCatalog): boolean {
  return a.argTypes.length === b.argTypes.length && a.argTypes.every((t, i) => typeName(t) === typeName(b.argTypes[i]));
}

/** Binds a call of the new SQL function with typed NULLs: the body's errors surface now. */
function checkSqlBody(ctx: DdlContext, f: FunctionCatalog): void {
  if (!ctx.describeQuery) return;
  const args = f.argTypes.map((t) => `CAST(NULL AS ${typeName(t)})`).join(', ');
  ctx.describeQuery(`SELECT ${quoteIdent(f.schema)}.${quoteIdent(f.name)}(${args})`);
}

function quoteIdent(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

/** DROP FUNCTION [IF EXISTS] f [(types)], … */
export async function dropFunctions(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.DropStmt as PgNode;
  const targets: FunctionCatalog[] = [];
  for (const o of node.objects as PgNode[]) {
    const owa = o.ObjectWithArgs;
    const qn = nameListName(owa.objname as PgNode[]);
    const candidates = ctx.catalog.resolveFunctions(ctx.database, ctx.searchPath, qn.schema, qn.name, ctx.user);
    let matches: readonly FunctionCatalog[] = candidates;
    let shown = displayName(qn);
    if (!owa.args_unspecified) {
      const types = ((owa.objargs ?? []) as PgNode[]).map((t) => resolveTypeName(t.TypeName ?? t, stmt.rw));
      shown = `${displayName(qn)}(${types.map(typeName).join(', ')})`;
      matches = candidates.filter((f) => f.argTypes.length === types.length && f.argTypes.every((t, i) => typeName(t) === typeName(types[i])));
    }
    if (matches.length === 0) {
      if (node.missing_ok) {
        ctx.notice(`function ${shown}${owa.args_unspecified ? '()' : ''} does not exist, skipping`);
        continue;
      }
      // PostgreSQL's two wordings: without an argument list there is no signature to show.
      throw new SqlError(SqlState.UndefinedFunction, owa.args_unspecified ? `could not find a function named "${displayName(qn)}"` : `function ${shown} does not exist`);
    }
    if (matches.length > 1) {
      throw new SqlError(SqlState.AmbiguousFunction, `function name "${displayName(qn)}" is not unique`, {
        hint: 'Specify the argument list to select the function unambiguously.',
      });
    }
    targets.push(matches[0]);
  }
  for (const f of targets) {
    const users = relationsCalling(ctx, f);
    if (users.length > 0) {
      throw new SqlError(
        SqlState.DependentObjectsStillExist,
        `cannot drop function ${f.name} because other objects depend on it: ${users.map((r) => `${r.kind.replace('_', ' ')} ${r.name}`).join(', ')}`,
        { hint: `Drop them first${node.behavior === 'DROP_CASCADE' ? ' (CASCADE does not drop them for functions)' : ''}.` },
      );
    }
  }
  if (targets.length > 0) await inBatch(ctx, (batch) => targets.forEach((f) => ctx.catalog.dropFunction(f.id, batch)));
  return 'DROP_FUNCTION';
}

/**
 * Views, materialized views and sinks whose stored query calls `f` by name (they are
 * planned again from that text at restart, so the function must outlive them).
 */
function relationsCalling(ctx: DdlContext, f: FunctionCatalog): RelationCatalog[] {
  const out: RelationCatalog[] = [];
  for (const rel of ctx.catalog.listRelations(f.database)) {
    const text = rel.kind === 'sink' ? rel.definition : rel.query;
    if (!text || !text.toLowerCase().includes(f.name.toLowerCase())) continue;
    let calls = false;
    try {
      for (const s of parseSql(text)) if (s.kind === 'pg' && callsFunction(s.node, f)) calls = true;
    } catch {
      continue;
    }
    if (calls) out.push(rel);
  }
  return out;
}

function callsFunction(n: unknown, f: FunctionCatalog): boolean {
  if (Array.isArray(n)) return n.some((x) => callsFunction(x, f));
  if (!n || typeof n !== 'object') return false;
  const fc = (n as PgNode).FuncCall;
  if (fc) {
    const parts = (fc.funcname as PgNode[]).map(strVal);
    if (parts[parts.length - 1] === f.name && (parts.length < 2 || parts[parts.length - 2] === f.schema)) return true;
  }
  return Object.values(n as PgNode).some((v) => callsFunction(v, f));
}
