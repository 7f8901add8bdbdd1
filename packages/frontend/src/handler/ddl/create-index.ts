/**
 * CREATE INDEX [IF NOT EXISTS] [name] ON rel (col [ASC|DESC] [NULLS …], …) [INCLUDE (…)].
 * Records the index in the catalog; building and maintaining index data is the query
 * engine's part. As in RisingWave, an index without INCLUDE covers every column of the
 * relation, and it always carries the relation's primary key to find the base row.
 *
 * The index relation's columns are: key columns, included columns, then any base pk
 * column not already present (hidden); its pk is the key columns followed by the base pk.
 */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import type { PgNode, PgStatement } from '@freshet/sql';
import { kindName, relationExists } from '../../catalog/catalog';
import type { ColumnDesc, RelationCatalog } from '../../catalog/model';
import { type DdlContext, displayName, inBatch, resolveRelation } from './context';
import { defElemOptions, rangeVarName } from './pg-nodes';

export async function createIndex(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.IndexStmt as PgNode;
  if (node.unique) throw notSupported('CREATE UNIQUE INDEX');
  if (node.whereClause) throw notSupported('partial index (CREATE INDEX … WHERE)');
  if (node.accessMethod && node.accessMethod !== 'btree') throw notSupported(`index access method ${node.accessMethod}`);
  const baseName = rangeVarName(node.relation);
  const base = resolveRelation(ctx, baseName);
  if (!base) throw new SqlError(SqlState.UndefinedTable, `table not found: ${displayName(baseName)}`);
  if (base.kind !== 'table' && base.kind !== 'materialized_view') {
    throw new SqlError(SqlState.WrongObjectType, `"${base.name}" is a ${kindName(base.kind)}; indexes can only be created on tables and materialized views`);
  }

  const colIndex = (name: string): number => {
    const i = base.columns.findIndex((c) => c.name === name && !c.hidden);
    if (i < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${name}" does not exist`);
    return i;
  };
  const keys = ((node.indexParams ?? []) as PgNode[]).map((p) => {
    const e = p.IndexElem;
    if (!e.name) throw notSupported('index on an expression');
    const desc = e.ordering === 'SORTBY_DESC';
    const nullsFirst = e.nulls_ordering === 'SORTBY_NULLS_DEFAULT' || !e.nulls_ordering ? desc : e.nulls_ordering === 'SORTBY_NULLS_FIRST';
    return { column: colIndex(e.name), desc, nullsFirst };
  });
  if (new Set(keys.map((k) => k.column)).size !== keys.length) {
    throw new SqlError(SqlState.DuplicateColumn, 'index key columns must be distinct');
  }
  const keySet = new Set(keys.map((k) => k.column));
  const include = node.indexIncludingParams
    ? ((node.indexIncludingParams as PgNode[]).map((p) => colIndex(p.IndexElem.name)).filter((c) => !keySet.has(c)) as number[])
    : base.columns.map((c, i) => (c.hidden || keySet.has(i) ? -1 : i)).filter((i) => i >= 0);

  const name = node.idxname ?? defaultIndexName(ctx, base, keys.map((k) => base.columns[k.column].name));
  const existing = ctx.catalog.getRelation(ctx.database, base.schema, name);
  if (existing) {
    if (node.if_not_exists) {
      ctx.notice(`relation "${name}" already exists, skipping`);
      return 'CREATE_INDEX';
    }
    throw relationExists(existing.kind, name);
  }

  const order = [...keys.map((k) => k.column), ...include];
  for (const p of base.pk) if (!order.includes(p)) order.push(p);
  const visible = keys.length + include.length;
  const columns: ColumnDesc[] = order.map((c, i) => ({ ...base.columns[c], hidden: i >= visible || base.columns[c].hidden }));
  const pkCols = [...keys.map((k) => k.column), ...base.pk.filter((p) => !keySet.has(p))];
  const rec: RelationCatalog = {
    id: ctx.catalog.nextId(),
    kind: 'index',
    database: ctx.database,
    schema: base.schema,
    name,
    owner: ctx.user,
    columns,
    pk: pkCols.map((c) => order.indexOf(c)),
    appendOnly: base.appendOnly,
    onConflict: 'overwrite',
    definition: stmt.text,
    withOptions: { ...defElemOptions(node.options), ...(stmt.rw?.withOptions ?? {}) },
    dependsOn: [base.id],
    index: { on: base.id, keys, include },
    createdAt: Date.now(),
  };
  await inBatch(ctx, (batch) => ctx.catalog.addRelation(rec, batch));
  return 'CREATE_INDEX';
}

/** PostgreSQL's choice: `<table>_<col>[_<col>…]_idx`, numbered if taken. */
function defaultIndexName(ctx: DdlContext, base: RelationCatalog, cols: string[]): string {
  const stem = `${base.name}_${cols.join('_')}_idx`;
  let name = stem;
  for (let n = 1; ctx.catalog.getRelation(ctx.database, base.schema, name); n++) name = `${stem}${n}`;
  return name;
}
