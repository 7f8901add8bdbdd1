/**
 * CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role] and
 * DROP SCHEMA [IF EXISTS] name [, …] [CASCADE]. System schemas cannot be dropped.
 */
import { SqlError, SqlState } from '@freshet/common';
import type { PgNode, PgStatement } from '@freshet/sql';
import { SYSTEM_SCHEMAS, describeRelations, duplicateName } from '../../catalog/catalog';
import { type DdlContext, inBatch } from './context';
import { dropWithDependents } from './drop-relation';
import { strVal } from './pg-nodes';

export async function createSchema(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.CreateSchemaStmt as PgNode;
  if (node.schemaElts?.length) throw new SqlError(SqlState.FeatureNotSupported, 'Feature is not yet implemented: CREATE SCHEMA with schema elements');
  const owner: string = node.authrole?.rolename ?? ctx.user;
  const name: string = node.schemaname ?? owner;
  if (node.authrole?.rolename && !ctx.catalog.getUser(owner)) throw new SqlError(SqlState.UndefinedObject, `user not found: ${owner}`);
  if (ctx.catalog.getSchema(ctx.database, name)) {
    if (node.if_not_exists) {
      ctx.notice(`schema "${name}" already exists, skipping`);
      return 'CREATE_SCHEMA';
    }
    throw duplicateName('schema', name);
  }
  if (name.startsWith('pg_')) {
    throw new SqlError(SqlState.InvalidName, `unacceptable schema name "${name}"`, {
      detail: 'The prefix "pg_" is reserved for system schemas.',
    });
  }
  await inBatch(ctx, (batch) => ctx.catalog.createSchema(ctx.database, name, owner, batch));
  return 'CREATE_SCHEMA';
}

export async function dropSchemas(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.DropStmt as PgNode;
  const cascade = node.behavior === 'DROP_CASCADE';
  const names: string[] = ((node.objects ?? []) as PgNode[]).map((o) => (o.List ? o.List.items.map(strVal).pop() : strVal(o)));
  const present: string[] = [];
  for (const name of names) {
    if (!ctx.catalog.getSchema(ctx.database, name)) {
      if (node.missing_ok) {
        ctx.notice(`schema "${name}" does not exist, skipping`);
        continue;
      }
      throw new SqlError(SqlState.UndefinedSchema, `schema not found: ${name}`);
    }
    if (SYSTEM_SCHEMAS.has(name)) {
      throw new SqlError(SqlState.InsufficientPrivilege, `permission denied to drop schema "${name}": it is a system schema`);
    }
    present.push(name);
  }
  if (present.length === 0) return 'DROP_SCHEMA';
  await inBatch(ctx, (batch) => {
    const dropped = new Set<number>();
    for (const name of present) {
      const rels = ctx.catalog.listRelations(ctx.database, name).filter((r) => !dropped.has(r.id));
      if (rels.length > 0 && !cascade) {
        throw new SqlError(SqlState.DependentObjectsStillExist, `Permission denied: schema "${name}" is not empty: it contains ${describeRelations(rels)}`, {
          hint: 'Use DROP SCHEMA … CASCADE to drop the objects in it too.',
        });
      }
      for (const r of rels) dropWithDependents(ctx, batch, r, true, dropped);
      ctx.catalog.dropSchema(ctx.database, name, batch);
    }
  });
  return 'DROP_SCHEMA';
}
