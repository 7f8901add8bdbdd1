/**
 * Every system table, and the two ways the rest of the frontend meets them:
 * `installSystemCatalog(catalog)` registers their relation records (so name resolution,
 * `'pg_class'::regclass` and pg_class itself see them), and `systemRelationPlan` gives the
 * binder a plan reading one: a table-function node whose rows are generated from the live
 * catalog each time the plan runs.
 */
import type { TableFunctionImpl } from '@freshet/expr';
import type { QueryContext } from '../../binder/context';
import type { PlanNode } from '../../planner/plan';
import type { Catalog } from '../catalog';
import type { RelationCatalog } from '../model';
import { INFORMATION_SCHEMA_GROUP } from './information-schema';
import { PG_CAST_GROUP } from './pg-cast';
import { PG_CLASS_GROUP } from './pg-class';
import { PG_FOREIGN_GROUP } from './pg-foreign';
import { PG_GLOBAL_GROUP } from './pg-global';
import { pgProc } from './pg-proc';
import { PG_RUNTIME_GROUP } from './pg-runtime';
import { pgType } from './pg-type';
import { PG_VIEWS_GROUP } from './pg-views';
import { RW_CATALOG_GROUP } from './rw-catalog';
import { rwCheckpointStatus } from './rw-checkpoints';
import { RW_SOURCE_ERRORS_GROUP } from './rw-source-errors';
import { SystemContext, type SystemTable } from './table';

export const SYSTEM_TABLES: readonly SystemTable[] = [
  pgType,
  ...PG_CLASS_GROUP,
  ...PG_FOREIGN_GROUP,
  ...PG_CAST_GROUP,
  ...PG_GLOBAL_GROUP,
  pgProc,
  ...PG_VIEWS_GROUP,
  ...PG_RUNTIME_GROUP,
  ...INFORMATION_SCHEMA_GROUP,
  ...RW_CATALOG_GROUP,
  rwCheckpointStatus,
  ...RW_SOURCE_ERRORS_GROUP,
];

const installed = new WeakMap<Catalog, Map<RelationCatalog, SystemTable>>();

/** Registers the system tables in `catalog` (idempotent). Call once at startup. */
export function installSystemCatalog(catalog: Catalog): void {
  if (installed.has(catalog)) return;
  const byRecord = new Map<RelationCatalog, SystemTable>();
  for (const t of SYSTEM_TABLES) {
    const rec: RelationCatalog = {
      id: t.oid,
      // Read-only and computed, so a view to everything that inspects kinds (no storage).
      kind: 'view',
      database: '',
      schema: t.schema,
      name: t.name,
      owner: 'root',
      columns: t.columns.map(([name, type]) => ({ name, type, hidden: false, notNull: false })),
      pk: [],
      appendOnly: false,
      onConflict: 'overwrite',
      definition: '',
      withOptions: {},
      dependsOn: [],
      createdAt: 0,
    };
    catalog.registerSystemRelation(rec);
    byRecord.set(rec, t);
  }
  installed.set(catalog, byRecord);
}

/** The system table behind a relation record, if it is one. */
export function systemTableOf(catalog: Catalog, rel: RelationCatalog): SystemTable | undefined {
  return installed.get(catalog)?.get(rel);
}

/** The plan reading `rel` if it is a system table, else undefined (the binder's hook). */
export function systemRelationPlan(q: QueryContext, rel: RelationCatalog): PlanNode | undefined {
  const byRecord = installed.get(q.catalog);
  const table = byRecord?.get(rel);
  if (!byRecord || !table) return undefined;
  const fn: TableFunctionImpl = {
    name: `${table.schema}.${table.name}`,
    argTypes: [],
    returnTypes: table.columns.map(([, type]) => type),
    columnNames: table.columns.map(([name]) => name),
    eval: () => table.rows(new SystemContext(q, byRecord)),
  };
  return {
    kind: 'table_function',
    fn,
    args: [],
    ordinality: false,
    schema: table.columns.map(([name, type]) => ({ name, type, table: rel.name })),
  };
}
