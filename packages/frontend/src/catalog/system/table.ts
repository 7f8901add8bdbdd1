/**
 * The shape of a virtual system table: fixed columns plus a row generator that reads the
 * live catalog when the query runs (not when it is planned), so a prepared statement over
 * pg_class sees tables created after it was prepared.
 */
import type { DataType, Datum } from '@freshet/common';
import type { QueryContext } from '../../binder/context';
import type { ColumnDesc, RelationCatalog, RelationKind } from '../model';
import { PG_CATALOG } from '../catalog';

export type SystemSchema = 'pg_catalog' | 'information_schema' | 'rw_catalog';

export interface SystemTable {
  readonly schema: SystemSchema;
  readonly name: string;
  /** pg_class oid: PostgreSQL's own for its catalogs, a fixed number below 100000 otherwise. */
  readonly oid: number;
  /** pg_class.relkind: PostgreSQL's catalog tables are 'r', its system views 'v'. */
  readonly relkind: 'r' | 'v';
  readonly columns: readonly (readonly [name: string, type: DataType])[];
  rows(ctx: SystemContext): Iterable<Datum[]>;
}

/** Declares a table; `rows` returns objects keyed by column name (missing keys are NULL). */
export function systemTable(def: {
  schema: SystemSchema;
  name: string;
  oid: number;
  relkind?: 'r' | 'v';
  columns: readonly (readonly [string, DataType])[];
  rows: (ctx: SystemContext) => Iterable<Record<string, Datum>>;
}): SystemTable {
  const names = def.columns.map(([n]) => n);
  return {
    schema: def.schema,
    name: def.name,
    oid: def.oid,
    relkind: def.relkind ?? 'r',
    columns: def.columns,
    *rows(ctx) {
      for (const r of def.rows(ctx)) {
        const out: Datum[] = new Array(names.length);
        for (let i = 0; i < names.length; i++) out[i] = r[names[i]] ?? null;
        yield out;
      }
    },
  };
}

/**
 * The pg_class.relkind of a catalog relation. Sources and sinks are foreign tables ('f'):
 * psql, JDBC and GUI tools list and describe those (RisingWave leaves them out of
 * pg_class); pg-foreign.ts gives their connector and options.
 */
export const RELKIND: Record<RelationKind, string> = {
  table: 'r',
  view: 'v',
  materialized_view: 'm',
  index: 'i',
  source: 'f',
  sink: 'f',
};

/** A visible column with its PostgreSQL attnum (1-based, hidden columns skipped). */
export interface Attribute {
  readonly column: ColumnDesc;
  /** Index into RelationCatalog.columns. */
  readonly index: number;
  readonly attnum: number;
}

/**
 * One query's view of the catalog for the row generators: the session's database and
 * user, with lookups they share (namespace and owner oids, user relations + system ones).
 */
export class SystemContext {
  private schemaIds?: Map<string, number>;

  constructor(
    readonly q: QueryContext,
    /** The system tables registered in this catalog, by their relation record (registry.ts). */
    private readonly system: ReadonlyMap<RelationCatalog, SystemTable>,
  ) {}

  systemTableOf(rel: RelationCatalog): SystemTable | undefined {
    return this.system.get(rel);
  }

  get catalog() {
    return this.q.catalog;
  }

  get database(): string {
    return this.q.database;
  }

  /** pg_namespace.oid of a schema of the current database (0 if it does not exist). */
  namespaceOid(schema: string): number {
    if (!this.schemaIds) {
      this.schemaIds = new Map(this.catalog.listSchemas(this.database).map((s) => [s.name, s.id]));
    }
    return this.schemaIds.get(schema) ?? 0;
  }

  pgCatalogOid(): number {
    return this.namespaceOid(PG_CATALOG);
  }

  /** A user's oid by name (0 for unknown owners, e.g. a dropped user). */
  userOid(name: string): number {
    return this.catalog.getUser(name)?.id ?? 0;
  }

  /** The current database's relations, then the system relations. */
  relations(): RelationCatalog[] {
    return [...this.catalog.listRelations(this.database), ...this.system.keys()];
  }

  /** User relations of the current database only. */
  userRelations(kind?: RelationKind): RelationCatalog[] {
    return this.catalog.listRelations(this.database, undefined, kind);
  }
}

export function attributes(rel: RelationCatalog): Attribute[] {
  const out: Attribute[] = [];
  rel.columns.forEach((column, index) => {
    if (!column.hidden) out.push({ column, index, attnum: out.length + 1 });
  });
  return out;
}

/** attnum of RelationCatalog.columns[index], or 0 if the column is hidden. */
export function attnumOf(rel: RelationCatalog, index: number): number {
  let n = 0;
  for (let i = 0; i <= index && i < rel.columns.length; i++) if (!rel.columns[i].hidden) n++;
  return rel.columns[index] && !rel.columns[index].hidden ? n : 0;
}

/** The relation's primary key as attnums, or [] when it is the hidden row id. */
export function primaryKeyAttnums(rel: RelationCatalog): number[] {
  if (rel.kind !== 'table' || rel.pk.length === 0) return [];
  const nums = rel.pk.map((i) => attnumOf(rel, i));
  return nums.includes(0) ? [] : nums;
}

/** Relation ids with an index: a declared primary key or a CREATE INDEX (relhasindex, hasindexes). */
export function indexedRelationIds(ctx: SystemContext): Set<number> {
  const out = new Set<number>();
  for (const r of ctx.userRelations()) {
    if (r.kind === 'index' && r.index) out.add(r.index.on);
    else if (primaryKeyAttnums(r).length > 0) out.add(r.id);
  }
  return out;
}
