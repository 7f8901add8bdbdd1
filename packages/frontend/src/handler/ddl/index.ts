/**
 * DDL entry point: `executeDdl(ctx, stmt)` runs a DDL statement and returns its command
 * tag (RisingWave's StatementType names: CREATE_TABLE, DROP_VIEW, UPDATE_USER, …).
 * `isDdl(stmt)` tells the session whether a statement belongs here.
 */
import { notSupported } from '@freshet/common';
import type { PgNode, Statement } from '@freshet/sql';
import type { DdlContext } from './context';
import { createTable } from './create-table';
import { createView } from './create-view';
import { createIndex } from './create-index';
import { dropRelations, isRelationDrop } from './drop-relation';
import { createSchema, dropSchemas } from './schema';
import { createDatabase, dropDatabase } from './database';
import { alterUser, createUser, dropUsers, renameUser } from './user';
import { alterTable, renameColumn } from './alter-table';
import { createFunction, dropFunctions } from './function';
import { isRelationRename, renameRelationTo } from './rename';

export type { DdlContext, QualifiedName } from './context';
export { ROW_ID_COLUMN } from './create-table';

const HANDLED = new Set([
  'CreateStmt',
  'ViewStmt',
  'IndexStmt',
  'DropStmt',
  'CreateSchemaStmt',
  'CreatedbStmt',
  'DropdbStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'DropRoleStmt',
  'AlterTableStmt',
  'RenameStmt',
  'CreateFunctionStmt',
]);

export function isDdl(stmt: Statement): boolean {
  return stmt.kind === 'pg' && HANDLED.has(Object.keys(stmt.node)[0]);
}

export async function executeDdl(ctx: DdlContext, stmt: Statement): Promise<string> {
  if (stmt.kind !== 'pg') throw notSupported(`${stmt.kind.replace(/_/g, ' ').toUpperCase()}`);
  const type = Object.keys(stmt.node)[0];
  const body = stmt.node[type] as PgNode;
  switch (type) {
    case 'CreateStmt':
      return createTable(ctx, stmt);
    case 'ViewStmt':
      return createView(ctx, stmt);
    case 'IndexStmt':
      return createIndex(ctx, stmt);
    case 'DropStmt':
      if (body.removeType === 'OBJECT_SCHEMA') return dropSchemas(ctx, stmt);
      if (isRelationDrop(body.removeType)) return dropRelations(ctx, stmt);
      if (body.removeType === 'OBJECT_FUNCTION') return dropFunctions(ctx, stmt);
      throw notSupported(`DROP ${String(body.removeType).replace(/^OBJECT_/, '')}`);
    case 'CreateSchemaStmt':
      return createSchema(ctx, stmt);
    case 'CreatedbStmt':
      return createDatabase(ctx, stmt);
    case 'DropdbStmt':
      return dropDatabase(ctx, stmt);
    case 'CreateRoleStmt':
      return createUser(ctx, stmt);
    case 'AlterRoleStmt':
      return alterUser(ctx, stmt);
    case 'DropRoleStmt':
      return dropUsers(ctx, stmt);
    case 'AlterTableStmt':
      return alterTable(ctx, stmt);
    case 'CreateFunctionStmt':
      return createFunction(ctx, stmt);
    case 'RenameStmt':
      if (body.renameType === 'OBJECT_ROLE') return renameUser(ctx, stmt);
      return isRelationRename(body) ? renameRelationTo(ctx, stmt) : renameColumn(ctx, stmt);
    default:
      throw notSupported(type.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase());
  }
}
