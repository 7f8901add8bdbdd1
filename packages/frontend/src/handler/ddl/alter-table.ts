/**
 * ALTER TABLE … ADD COLUMN / DROP COLUMN, and ALTER TABLE|VIEW|INDEX … RENAME COLUMN.
 * Adding or dropping a column rewrites every stored row in the same batch as the catalog
 * change, in commit order with concurrent DML (`WriteBatch.rewriteTable`). Expressions are
 * not evaluated here, so ADD COLUMN with a DEFAULT or generated expression is accepted only
 * while the table is empty (0A000 otherwise). Streaming jobs read a table in the layout
 * they were planned against and are re-planned from their SQL at a restart, so a column is
 * not added under a materialized view or sink that reads or writes the table, nor to a
 * table a connector feeds (0A000: RisingWave keeps such jobs on the old columns). Views
 * store their query as text, so renames of columns that views read are refused.
 */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import { type PgNode, type PgStatement, resolveTypeName } from '@freshet/sql';
import { hasAnyRow } from '@freshet/storage';
import { describeRelations, kindName } from '../../catalog/catalog';
import type { ColumnDesc, RelationCatalog, RelationKind } from '../../catalog/model';
import { type DdlContext, displayName, inBatch, resolveRelation } from './context';
import { checkColumnName } from './create-table';
import { dropWithDependents } from './drop-relation';
import { deparseExpr, rangeVarName } from './pg-nodes';

const RENAMABLE: Record<string, RelationKind> = { OBJECT_TABLE: 'table', OBJECT_VIEW: 'view', OBJECT_INDEX: 'index' };

export async function alterTable(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.AlterTableStmt as PgNode;
  const qn = rangeVarName(node.relation);
  const rel = resolveRelation(ctx, qn);
  if (!rel || rel.kind !== 'table') {
    if (node.missing_ok) {
      ctx.notice(`relation "${displayName(qn)}" does not exist, skipping`);
      return 'ALTER_TABLE';
    }
    throw new SqlError(SqlState.UndefinedTable, `table not found: ${displayName(qn)}`);
  }
  const cmds = ((node.cmds ?? []) as PgNode[]).map((c) => c.AlterTableCmd);
  if (cmds.length !== 1) throw notSupported('ALTER TABLE with several actions');
  const cmd = cmds[0];
  if (cmd.subtype !== 'AT_AddColumn' && cmd.subtype !== 'AT_DropColumn') throw notSupported(`ALTER TABLE ${String(cmd.subtype).replace(/^AT_/, '')}`);
  // No DML on the table runs from here until the new columns and rows are committed.
  await ctx.tableLocks?.exclusive(rel.id);
  try {
    // As it is now that the statements before us are done (one may have been another ALTER).
    const now = ctx.catalog.getRelationById(rel.id);
    if (!now) throw new SqlError(SqlState.UndefinedTable, `table not found: ${displayName(qn)}`);
    if (cmd.subtype === 'AT_AddColumn') await addColumn(ctx, stmt, now, cmd);
    else await dropColumn(ctx, now, cmd);
  } finally {
    ctx.tableLocks?.release(rel.id, true);
  }
  return 'ALTER_TABLE';
}

async function addColumn(ctx: DdlContext, stmt: PgStatement, rel: RelationCatalog, cmd: PgNode): Promise<void> {
  const def = cmd.def.ColumnDef;
  const name: string = def.colname;
  if (rel.columns.some((c) => c.name === name)) {
    if (cmd.missing_ok) {
      ctx.notice(`column "${name}" of relation "${rel.name}" already exists, skipping`);
      return;
    }
    throw new SqlError(SqlState.DuplicateColumn, `column "${name}" of relation "${rel.name}" already exists`);
  }
  checkColumnName(name);
  const col: ColumnDesc = { name, type: resolveTypeName(def.typeName, stmt.rw), hidden: false, notNull: !!def.is_not_null };
  for (const c of (def.constraints ?? []) as PgNode[]) {
    const con = c.Constraint;
    if (con.contype === 'CONSTR_NOTNULL') col.notNull = true;
    else if (con.contype === 'CONSTR_DEFAULT') col.defaultExpr = deparseExpr(con.raw_expr);
    else if (con.contype === 'CONSTR_GENERATED') col.generatedExpr = deparseExpr(con.raw_expr);
    else if (con.contype !== 'CONSTR_NULL') throw notSupported(`ALTER TABLE ADD COLUMN with constraint ${con.contype}`);
  }
  const jobs = ctx.catalog.dependents(rel.id).filter((d) => d.kind === 'materialized_view' || d.kind === 'sink');
  if (jobs.length > 0) {
    throw notSupported(`ALTER TABLE ADD COLUMN on table ${rel.name} used by ${describeRelations(jobs)}`, 'Add the column before creating them, or drop them and create them again.');
  }
  if (rel.connector) throw notSupported(`ALTER TABLE ADD COLUMN on table ${rel.name}, which connector ${rel.connector.connector} feeds`);
  // Right after a restart the rows may still be loading, and under a memory limit they are
  // read from disk: the size may not count them all yet. DML waits on the table's lock, so
  // no row arrives between this check and the rewrite.
  if (await hasAnyRow(ctx.storage.table(rel.id))) {
    if (col.defaultExpr !== undefined || col.generatedExpr !== undefined) {
      throw notSupported('ALTER TABLE ADD COLUMN with a DEFAULT or generated expression on a non-empty table');
    }
    if (col.notNull) throw new SqlError(SqlState.NotNullViolation, `column "${name}" of relation "${rel.name}" contains null values`);
  }
  // New columns go before the trailing hidden columns (`_row_id`), as RisingWave shows them.
  let at = rel.columns.length;
  while (at > 0 && rel.columns[at - 1].hidden) at--;
  const columns = [...rel.columns.slice(0, at), col, ...rel.columns.slice(at)];
  const next: RelationCatalog = { ...rel, columns, pk: rel.pk.map((p) => (p >= at ? p + 1 : p)) };
  await inBatch(ctx, (batch) => {
    ctx.catalog.updateRelation(next, batch);
    batch.rewriteTable(rel.id, (r) => [...r.slice(0, at), null, ...r.slice(at)]);
    updateIndexesOf(ctx, rel.id, (ix) => shiftIndex(ix, at, +1), batch);
  });
}

async function dropColumn(ctx: DdlContext, rel: RelationCatalog, cmd: PgNode): Promise<void> {
  const name: string = cmd.name;
  const at = rel.columns.findIndex((c) => c.name === name && !c.hidden);
  if (at < 0) {
    if (cmd.missing_ok) {
      ctx.notice(`column "${name}" of relation "${rel.name}" does not exist, skipping`);
      return;
    }
    throw new SqlError(SqlState.UndefinedColumn, `column "${name}" of relation "${rel.name}" does not exist`);
  }
  if (rel.pk.includes(at)) throw new SqlError(SqlState.FeatureNotSupported, `cannot drop primary key column "${name}"`);
  if (rel.watermarks?.some((w) => w.column === at)) throw notSupported(`dropping column "${name}", which the WATERMARK of table ${rel.name} is on`);
  if (rel.versionColumns?.includes(at)) throw notSupported(`dropping column "${name}", a version column of table ${rel.name}`);
  if (rel.connector) throw notSupported(`ALTER TABLE DROP COLUMN on table ${rel.name}, which connector ${rel.connector.connector} feeds`);
  const cascade = cmd.behavior === 'DROP_CASCADE';
  const deps = ctx.catalog.dependents(rel.id).filter((d) => d.kind !== 'index' || d.index!.keys.some((k) => k.column === at) || d.index!.include.includes(at));
  if (deps.length > 0 && !cascade) {
    throw new SqlError(
      SqlState.DependentObjectsStillExist,
      `cannot drop column ${name} of table ${rel.name} because other objects depend on it: ${describeRelations(deps)}`,
      { hint: 'Use DROP ... CASCADE to drop the dependent objects too.' },
    );
  }
  const columns = rel.columns.filter((_, i) => i !== at);
  const shift = (c: number) => (c > at ? c - 1 : c);
  const next: RelationCatalog = {
    ...rel,
    columns,
    pk: rel.pk.map(shift),
    ...(rel.watermarks ? { watermarks: rel.watermarks.map((w) => ({ ...w, column: shift(w.column) })) } : {}),
    ...(rel.versionColumns ? { versionColumns: rel.versionColumns.map(shift) } : {}),
  };
  await inBatch(ctx, (batch) => {
    const dropped = new Set<number>();
    for (const d of deps) dropWithDependents(ctx, batch, d, true, dropped);
    ctx.catalog.updateRelation(next, batch);
    batch.rewriteTable(rel.id, (r) => r.filter((_, i) => i !== at));
    updateIndexesOf(ctx, rel.id, (ix) => shiftIndex(ix, at, -1), batch);
  });
}

/**
 * ALTER TABLE|VIEW|INDEX name RENAME [COLUMN] a TO b (renaming the relation itself is
 * rename.ts). Dependents store their SQL as text naming the column, so it is refused while
 * anything but an index reads the relation.
 */
export async function renameColumn(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.RenameStmt as PgNode;
  const kind = node.renameType === 'OBJECT_COLUMN' ? RENAMABLE[node.relationType] : undefined;
  if (!kind) throw notSupported(`ALTER ${String(node.renameType).replace(/^OBJECT_/, '')} … RENAME`);
  const tag = `ALTER_${kind.toUpperCase()}`;
  const qn = rangeVarName(node.relation);
  const rel = resolveRelation(ctx, qn);
  if (!rel || rel.kind !== kind) {
    if (node.missing_ok) {
      ctx.notice(`relation "${displayName(qn)}" does not exist, skipping`);
      return tag;
    }
    throw new SqlError(SqlState.UndefinedTable, `${kindName(kind)} not found: ${displayName(qn)}`);
  }
  const readers = ctx.catalog.dependents(rel.id).filter((d) => d.kind !== 'index');
  if (readers.length > 0) {
    throw notSupported(`renaming columns of ${kindName(rel.kind)} ${rel.name} while ${describeRelations(readers)} depend on it`);
  }
  const at = rel.columns.findIndex((c) => c.name === node.subname && !c.hidden);
  if (at < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${node.subname}" does not exist`);
  if (rel.columns.some((c) => c.name === node.newname)) {
    throw new SqlError(SqlState.DuplicateColumn, `column "${node.newname}" of relation "${rel.name}" already exists`);
  }
  checkColumnName(node.newname);
  const columns = rel.columns.map((c, i) => (i === at ? { ...c, name: node.newname } : c));
  await inBatch(ctx, (batch) => {
    ctx.catalog.updateRelation({ ...rel, columns }, batch);
    updateIndexesOf(ctx, rel.id, (ix) => ({ ...ix, columns: ix.columns.map((c) => (c.name === node.subname ? { ...c, name: node.newname } : c)) }), batch);
  });
  return tag;
}

function updateIndexesOf(ctx: DdlContext, baseId: number, f: (ix: RelationCatalog) => RelationCatalog, batch: Parameters<typeof ctx.catalog.updateRelation>[1]): void {
  for (const ix of ctx.catalog.dependents(baseId)) {
    if (ix.kind === 'index' && ix.index?.on === baseId) ctx.catalog.updateRelation(f(ix), batch);
  }
}

/** Renumbers base-column references of an index after a column was inserted/removed at `at`. */
function shiftIndex(ix: RelationCatalog, at: number, delta: 1 | -1): RelationCatalog {
  const move = (c: number) => (delta > 0 ? (c >= at ? c + 1 : c) : c > at ? c - 1 : c);
  const index = ix.index!;
  return { ...ix, index: { ...index, keys: index.keys.map((k) => ({ ...k, column: move(k.column) })), include: index.include.map(move) } };
}
