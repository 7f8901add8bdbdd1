/**
 * CREATE [OR REPLACE] VIEW v [(cols)] AS query. The view stores the query text (bound
 * again whenever the view is used) and its output columns, which the query engine
 * computes through `DdlContext.describeQuery`. Dependencies are the catalog relations
 * the query names, so DROP of a base table can refuse while the view exists.
 */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import { type PgNode, type PgStatement, tokenize } from '@freshet/sql';
import { relationExists } from '../../catalog/catalog';
import type { ColumnDesc, RelationCatalog } from '../../catalog/model';
import { type DdlContext, displayName, inBatch, targetSchema } from './context';
import { defElemOptions, rangeVarName, strVal } from './pg-nodes';

export async function createView(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.ViewStmt as PgNode;
  const qn = rangeVarName(node.view);
  if (node.view.relpersistence === 't') throw notSupported('CREATE TEMPORARY VIEW');
  if (node.withCheckOption && node.withCheckOption !== 'NO_CHECK_OPTION') throw notSupported('CREATE VIEW … WITH CHECK OPTION');
  const schema = targetSchema(ctx, qn);
  const existing = ctx.catalog.getRelation(ctx.database, schema, qn.name);
  if (existing && !(node.replace && existing.kind === 'view')) throw relationExists(existing.kind, displayName(qn));
  if (!ctx.describeQuery) throw new SqlError(SqlState.InternalError, 'CREATE VIEW needs the query engine (DdlContext.describeQuery is not wired)');

  const query = queryText(stmt.text);
  const output = ctx.describeQuery(query);
  const aliases = ((node.aliases ?? []) as PgNode[]).map(strVal);
  if (aliases.length > output.length) {
    throw new SqlError(SqlState.SyntaxError, 'CREATE VIEW specifies more column names than columns');
  }
  const columns: ColumnDesc[] = output.map((c, i) => ({ name: aliases[i] ?? c.name, type: c.type, hidden: false, notNull: false }));
  const rec: RelationCatalog = {
    id: existing?.id ?? ctx.catalog.nextId(),
    kind: 'view',
    database: ctx.database,
    schema,
    name: qn.name,
    owner: existing?.owner ?? ctx.user,
    columns,
    pk: [],
    appendOnly: false,
    onConflict: 'overwrite',
    definition: stmt.text,
    query,
    withOptions: { ...defElemOptions(node.options), ...(stmt.rw?.withOptions ?? {}) },
    dependsOn: referencedRelations(ctx, node.query).filter((id) => id !== existing?.id),
    createdAt: existing?.createdAt ?? Date.now(),
  };
  await inBatch(ctx, (batch) => (existing ? ctx.catalog.updateRelation(rec, batch) : ctx.catalog.addRelation(rec, batch)));
  return 'CREATE_VIEW';
}

/** The text after the top-level AS of `CREATE VIEW name [(cols)] [WITH (…)] AS query`. */
export function queryText(text: string): string {
  const toks = tokenize(text);
  let depth = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t.type === 'punct' && t.value === '(') depth++;
    else if (t.type === 'punct' && t.value === ')') depth--;
    else if (depth === 0 && t.type === 'word' && t.upper === 'AS' && i + 1 < toks.length) return text.slice(toks[i + 1].start).trim();
  }
  throw new SqlError(SqlState.SyntaxError, 'CREATE VIEW without AS query');
}

/**
 * Ids of catalog relations a query names (RangeVars), CTE names excluded. Names that do not
 * resolve are skipped: describeQuery has already rejected a query naming a missing relation.
 */
export function referencedRelations(ctx: DdlContext, query: PgNode): number[] {
  const ctes = new Set<string>();
  const refs: PgNode[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    if (n === null || typeof n !== 'object') return;
    const obj = n as PgNode;
    if (obj.CommonTableExpr) ctes.add(obj.CommonTableExpr.ctename);
    if (obj.RangeVar) refs.push(obj.RangeVar);
    for (const k in obj) walk(obj[k]);
  };
  walk(query);
  const ids = new Set<number>();
  for (const rv of refs) {
    if (!rv.schemaname && ctes.has(rv.relname)) continue;
    const rel = ctx.catalog.resolveRelation(ctx.database, ctx.searchPath, rv.schemaname ?? null, rv.relname, ctx.user);
    if (rel && rel.database === ctx.database) ids.add(rel.id);
  }
  return [...ids];
}
