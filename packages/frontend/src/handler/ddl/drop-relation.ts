/**
 * DROP TABLE / VIEW / INDEX [IF EXISTS] name [, …] [CASCADE | RESTRICT].
 * All objects of one statement are dropped in one batch. A table's own indexes go with
 * it; other dependents (views) block the drop unless CASCADE, as in RisingWave, which
 * reports it as "Permission denied" — we keep those words and add PostgreSQL's SQLSTATE.
 */
import { SqlError, SqlState, notSupported } from '@freshet/common';
import type { PgNode, PgStatement } from '@freshet/sql';
import type { WriteBatch } from '@freshet/storage';
import { describeRelations, kindName } from '../../catalog/catalog';
import type { RelationCatalog, RelationKind } from '../../catalog/model';
import { type DdlContext, displayName, inBatch, resolveRelation } from './context';
import { nameListName } from './pg-nodes';

const KIND_OF: Record<string, { kind: RelationKind; tag: string; keyword: string }> = {
  OBJECT_TABLE: { kind: 'table', tag: 'DROP_TABLE', keyword: 'TABLE' },
  OBJECT_VIEW: { kind: 'view', tag: 'DROP_VIEW', keyword: 'VIEW' },
  OBJECT_INDEX: { kind: 'index', tag: 'DROP_INDEX', keyword: 'INDEX' },
  OBJECT_MATVIEW: { kind: 'materialized_view', tag: 'DROP_MATERIALIZED_VIEW', keyword: 'MATERIALIZED VIEW' },
};

const DROP_KEYWORD: Record<RelationKind, string> = {
  table: 'DROP TABLE',
  view: 'DROP VIEW',
  materialized_view: 'DROP MATERIALIZED VIEW',
  index: 'DROP INDEX',
  source: 'DROP SOURCE',
  sink: 'DROP SINK',
};

export function isRelationDrop(removeType: string): boolean {
  return removeType in KIND_OF;
}

export async function dropRelations(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.DropStmt as PgNode;
  const what = KIND_OF[node.removeType];
  if (!what) throw notSupported(`DROP ${String(node.removeType).replace(/^OBJECT_/, '')}`);
  const cascade = node.behavior === 'DROP_CASCADE';
  const targets: RelationCatalog[] = [];
  for (const obj of (node.objects ?? []) as PgNode[]) {
    const qn = nameListName(obj.List?.items ?? [obj]);
    const rel = resolveRelation(ctx, qn);
    if (!rel) {
      if (node.missing_ok) {
        ctx.notice(`${kindName(what.kind)} "${displayName(qn)}" does not exist, skipping`);
        continue;
      }
      throw new SqlError(SqlState.UndefinedTable, `${kindName(what.kind)} not found: ${displayName(qn)}`);
    }
    if (rel.kind !== what.kind) {
      throw new SqlError(SqlState.WrongObjectType, `"${displayName(qn)}" is not a ${kindName(what.kind)}`, {
        hint: `Use ${DROP_KEYWORD[rel.kind]} to remove a ${kindName(rel.kind)}.`,
      });
    }
    targets.push(rel);
  }
  if (targets.length > 0) {
    await inBatch(ctx, (batch) => {
      const dropped = new Set<number>();
      for (const rel of targets) dropWithDependents(ctx, batch, rel, cascade, dropped);
    });
  }
  return what.tag;
}

/**
 * Drops `rel` and what depends on it. Without CASCADE, any dependent other than the
 * relation's own indexes is an error naming the dependents.
 */
export function dropWithDependents(ctx: DdlContext, batch: WriteBatch, rel: RelationCatalog, cascade: boolean, dropped: Set<number>): void {
  if (dropped.has(rel.id)) return;
  const deps = ctx.catalog.dependentsTransitive(rel.id).filter((d) => !dropped.has(d.id));
  if (!cascade) {
    const blocking = deps.filter((d) => !(d.kind === 'index' && d.index?.on === rel.id));
    if (blocking.length > 0) {
      throw new SqlError(
        SqlState.DependentObjectsStillExist,
        `Permission denied: cannot drop ${kindName(rel.kind)} ${rel.name} because other objects depend on it: ${describeRelations(blocking)}`,
        { hint: `Use ${DROP_KEYWORD[rel.kind]} … CASCADE to drop the dependent objects too.` },
      );
    }
  }
  // Deepest dependents first, so no record ever points at a dropped relation.
  for (const d of deps) {
    if (dropped.has(d.id)) continue;
    ctx.catalog.dropRelation(d.id, batch);
    dropped.add(d.id);
  }
  ctx.catalog.dropRelation(rel.id, batch);
  dropped.add(rel.id);
}
