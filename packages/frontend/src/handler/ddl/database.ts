/**
 * CREATE DATABASE name [WITH OWNER …] and DROP DATABASE [IF EXISTS] name. The session's
 * own database cannot be dropped (55006, as PostgreSQL).
 */
import { SqlError, SqlState } from '@freshet/common';
import type { PgNode, PgStatement } from '@freshet/sql';
import { duplicateName } from '../../catalog/catalog';
import { type DdlContext, DdlState, inBatch } from './context';
import { defElemOptions } from './pg-nodes';

export async function createDatabase(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.CreatedbStmt as PgNode;
  const name: string = node.dbname;
  const opts = defElemOptions(node.options);
  const owner = opts.owner ?? ctx.user;
  const user = ctx.catalog.getUser(ctx.user);
  if (user && !user.superuser && !user.createDb) {
    throw new SqlError(SqlState.InsufficientPrivilege, 'permission denied to create database');
  }
  if (!ctx.catalog.getUser(owner)) throw new SqlError(SqlState.UndefinedObject, `user not found: ${owner}`);
  if (ctx.catalog.getDatabase(name)) {
    if (node.if_not_exists) {
      ctx.notice(`database "${name}" already exists, skipping`);
      return 'CREATE_DATABASE';
    }
    throw duplicateName('database', name);
  }
  await inBatch(ctx, (batch) => ctx.catalog.createDatabase(name, owner, batch));
  return 'CREATE_DATABASE';
}

export async function dropDatabase(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.DropdbStmt as PgNode;
  const name: string = node.dbname;
  if (!ctx.catalog.getDatabase(name)) {
    if (node.missing_ok) {
      ctx.notice(`database "${name}" does not exist, skipping`);
      return 'DROP_DATABASE';
    }
    throw new SqlError(SqlState.UndefinedDatabase, `database not found: ${name}`);
  }
  if (name === ctx.database) {
    throw new SqlError(DdlState.ObjectInUse, 'cannot drop the currently open database');
  }
  await inBatch(ctx, (batch) => ctx.catalog.dropDatabase(name, batch));
  return 'DROP_DATABASE';
}
