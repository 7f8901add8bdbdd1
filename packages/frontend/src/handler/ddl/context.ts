/**
 * What a DDL handler needs from the session, kept small so handlers are testable without
 * a server: the catalog and storage, the session's database / search_path / user, a way to
 * send NOTICEs, (for CREATE VIEW) the query engine's description of a query's output, and
 * (for ALTER TABLE) the table locks DML takes.
 */
import type { DataType } from '@freshet/common';
import { SqlError, SqlState } from '@freshet/common';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import type { Catalog } from '../../catalog/catalog';
import { SYSTEM_SCHEMAS, relationExists } from '../../catalog/catalog';
import type { RelationCatalog } from '../../catalog/model';
import type { TableLocks } from '../../session/table-locks';

export interface DdlContext {
  catalog: Catalog;
  storage: StorageEngine;
  /** The session's current database. */
  database: string;
  /** search_path entries as configured (`$user` unexpanded). */
  searchPath: string[];
  user: string;
  notice(msg: string): void;
  /**
   * Binds a query (SQL text) in this session's context and returns its output columns.
   * Wired by the session to the query engine; required for CREATE VIEW.
   */
  describeQuery?(sqlText: string): { name: string; type: DataType }[];
  /** Table locks against DML (../../session/table-locks.ts); absent where nothing else runs. */
  tableLocks?: Pick<TableLocks, 'exclusive' | 'release'>;
}

/** A qualified name from a RangeVar / name list: schema null when not written. */
export interface QualifiedName {
  schema: string | null;
  name: string;
}

/** Runs `fn` against a fresh batch and commits it (durably) before returning its result. */
export async function inBatch<R>(ctx: DdlContext, fn: (batch: WriteBatch) => R): Promise<R> {
  const batch = ctx.storage.newBatch();
  const r = fn(batch);
  await ctx.storage.commit(batch);
  return r;
}

/** The schema a CREATE of `qn` goes into; rejects system schemas and missing schemas. */
export function targetSchema(ctx: DdlContext, qn: QualifiedName): string {
  const schema = qn.schema ?? ctx.catalog.creationSchema(ctx.database, ctx.searchPath, ctx.user);
  if (schema === undefined) {
    throw new SqlError(SqlState.UndefinedSchema, 'no schema has been selected to create in');
  }
  if (SYSTEM_SCHEMAS.has(schema)) {
    throw new SqlError(
      SqlState.InsufficientPrivilege,
      `permission denied to write on "${schema}", System catalog modifications are currently disallowed.`,
    );
  }
  if (!ctx.catalog.getSchema(ctx.database, schema)) throw new SqlError(SqlState.UndefinedSchema, `schema not found: ${schema}`);
  return schema;
}

/**
 * The schema a CREATE puts `qn` in, once the name is known to be free there; null when it
 * is taken and IF NOT EXISTS says to skip (the notice is sent). Otherwise 42P07 naming it.
 */
export function newRelationSchema(ctx: DdlContext, qn: QualifiedName, ifNotExists: boolean): string | null {
  const schema = targetSchema(ctx, qn);
  const existing = ctx.catalog.getRelation(ctx.database, schema, qn.name);
  if (!existing) return schema;
  if (ifNotExists) {
    ctx.notice(`relation "${qn.name}" already exists, skipping`);
    return null;
  }
  throw relationExists(existing.kind, displayName(qn));
}

export function resolveRelation(ctx: DdlContext, qn: QualifiedName): RelationCatalog | undefined {
  return ctx.catalog.resolveRelation(ctx.database, ctx.searchPath, qn.schema, qn.name, ctx.user);
}

export function displayName(qn: QualifiedName): string {
  return qn.schema ? `${qn.schema}.${qn.name}` : qn.name;
}

/** SQLSTATEs the shared SqlState table does not list (yet). */
export const DdlState = {
  InvalidTableDefinition: '42P16',
  ReservedName: '42939',
  ObjectInUse: '55006',
} as const;
