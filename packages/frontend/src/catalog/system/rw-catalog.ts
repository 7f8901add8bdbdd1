/**
 * RisingWave's rw_catalog basics: one table per object kind plus rw_relations and
 * rw_columns, with RisingWave's column names (ids are our catalog ids).
 */
import { type DataType, T, listOf, typeName, typeOid } from '@freshet/common';
import type { RelationCatalog, RelationKind } from '../model';
import type { StreamingJobInfo } from './session-info';
import { formatJobProgress } from './streaming-jobs';
import { type SystemContext, attributes, systemTable } from './table';
import { PG_TYPES, pgTypeByOid } from './type-info';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;
const TZ = T.Timestamptz;

const RELATION_COLUMNS = [
  ['id', I], ['name', V], ['schema_id', I], ['owner', I], ['definition', V], ['created_at', TZ],
] as const;

function relationRow(ctx: SystemContext, rel: RelationCatalog) {
  return {
    id: rel.id,
    name: rel.name,
    schema_id: ctx.namespaceOid(rel.schema),
    owner: ctx.userOid(rel.owner),
    definition: rel.definition,
    created_at: rel.createdAt ? rel.createdAt * 1000 : null,
  };
}

/** Per-kind extra columns (RisingWave's): rw_tables.append_only, rw_indexes.primary_table_id, rw_sources.connector. */
const KIND_COLUMNS: Partial<Record<RelationKind, readonly (readonly [string, typeof I])[]>> = {
  table: [['append_only', B]],
  index: [['primary_table_id', I]],
  source: [['connector', V]],
};

function kindTable(name: string, oid: number, kind: RelationKind) {
  return systemTable({
    schema: 'rw_catalog',
    name,
    oid,
    columns: [...RELATION_COLUMNS, ...(KIND_COLUMNS[kind] ?? [])],
    *rows(ctx: SystemContext) {
      for (const rel of ctx.userRelations(kind)) {
        yield { ...relationRow(ctx, rel), append_only: rel.appendOnly, primary_table_id: rel.index?.on ?? null, connector: rel.connector?.connector ?? null };
      }
    },
  });
}

export const rwTables = kindTable('rw_tables', 90_200, 'table');
export const rwMaterializedViews = kindTable('rw_materialized_views', 90_201, 'materialized_view');
export const rwViews = kindTable('rw_views', 90_202, 'view');
export const rwIndexes = kindTable('rw_indexes', 90_203, 'index');
export const rwSources = kindTable('rw_sources', 90_204, 'source');
export const rwSinks = kindTable('rw_sinks', 90_205, 'sink');

const RELATION_TYPE: Record<RelationKind, string> = {
  table: 'table',
  view: 'view',
  materialized_view: 'materialized view',
  index: 'index',
  source: 'source',
  sink: 'sink',
};

export const rwRelations = systemTable({
  schema: 'rw_catalog',
  name: 'rw_relations',
  oid: 90_206,
  columns: [['id', I], ['name', V], ['relation_type', V], ['schema_id', I], ['owner', I], ['definition', V]],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      const system = ctx.systemTableOf(rel);
      yield { ...relationRow(ctx, rel), relation_type: system ? 'system table' : RELATION_TYPE[rel.kind] };
    }
  },
});

export const rwColumns = systemTable({
  schema: 'rw_catalog',
  name: 'rw_columns',
  oid: 90_207,
  columns: [
    ['relation_id', I], ['name', V], ['position', I], ['is_hidden', B], ['is_primary_key', B],
    ['data_type', V], ['type_oid', I], ['udt_type', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      const pk = new Set(rel.kind === 'table' ? rel.pk : []);
      const visible = new Map(attributes(rel).map((a) => [a.index, a.attnum]));
      let hiddenPos = visible.size;
      for (let i = 0; i < rel.columns.length; i++) {
        const c = rel.columns[i];
        const oid = typeOid(c.type);
        yield {
          relation_id: rel.id,
          name: c.name,
          position: visible.get(i) ?? ++hiddenPos,
          is_hidden: c.hidden,
          is_primary_key: pk.has(i),
          data_type: typeName(c.type),
          type_oid: oid,
          udt_type: pgTypeByOid(oid)?.typname ?? null,
        };
      }
    }
  },
});

export const rwSchemas = systemTable({
  schema: 'rw_catalog',
  name: 'rw_schemas',
  oid: 90_208,
  columns: [['id', I], ['name', V], ['owner', I]],
  *rows(ctx: SystemContext) {
    for (const s of ctx.catalog.listSchemas(ctx.database)) yield { id: s.id, name: s.name, owner: ctx.userOid(s.owner) };
  },
});

export const rwDatabases = systemTable({
  schema: 'rw_catalog',
  name: 'rw_databases',
  oid: 90_209,
  columns: [['id', I], ['name', V], ['owner', I]],
  *rows(ctx: SystemContext) {
    for (const d of ctx.catalog.listDatabases()) yield { id: d.id, name: d.name, owner: ctx.userOid(d.owner) };
  },
});

export const rwUsers = systemTable({
  schema: 'rw_catalog',
  name: 'rw_users',
  oid: 90_210,
  columns: [['id', I], ['name', V], ['is_super', B], ['create_db', B], ['create_user', B], ['can_login', B]],
  *rows(ctx: SystemContext) {
    for (const u of ctx.catalog.listUsers()) {
      yield { id: u.id, name: u.name, is_super: u.superuser, create_db: u.createDb, create_user: u.superuser, can_login: u.canLogin };
    }
  },
});

export const rwTypes = systemTable({
  schema: 'rw_catalog',
  name: 'rw_types',
  oid: 90_211,
  columns: [['id', I], ['name', V], ['input_oid', V], ['typelem', I], ['typarray', I]],
  rows: () => PG_TYPES.map((t) => ({ id: t.oid, name: t.typname, input_oid: t.typinput, typelem: t.typelem, typarray: t.typarray })),
});

/** The streaming jobs of the current database (all of them: the engine is server-wide). */
function jobsOf(ctx: SystemContext): StreamingJobInfo[] {
  return (ctx.q.session?.streamingJobs?.() ?? []).filter((j) => j.database === ctx.database);
}

const msToMicros = (ms: number | null) => (ms === null ? null : ms * 1000);

/** RisingWave's rw_streaming_jobs (`id` too, as newer releases name the job column). */
export const rwStreamingJobs = systemTable({
  schema: 'rw_catalog',
  name: 'rw_streaming_jobs',
  oid: 90_212,
  columns: [
    ['job', I], ['name', V], ['status', V], ['parallelism', V], ['max_parallelism', I], ['resource_group', V], ['id', I],
  ],
  *rows(ctx: SystemContext) {
    for (const j of jobsOf(ctx)) {
      // One process runs every job on one thread: a fixed parallelism of 1.
      yield { job: j.id, name: j.name, status: j.status, parallelism: 'FIXED(1)', max_parallelism: 1, resource_group: 'default', id: j.id };
    }
  },
});

/** RisingWave's rw_ddl_progress: the CREATE statements whose backfill is running. */
export const rwDdlProgress = systemTable({
  schema: 'rw_catalog',
  name: 'rw_ddl_progress',
  oid: 90_213,
  columns: [['ddl_id', T.Int64], ['ddl_statement', V], ['create_type', V], ['progress', V], ['initialized_at', TZ]],
  *rows(ctx: SystemContext) {
    for (const j of jobsOf(ctx)) {
      if (!j.backfill) continue;
      yield {
        ddl_id: BigInt(j.id), ddl_statement: j.definition, create_type: 'FOREGROUND',
        progress: formatJobProgress(j.backfill), initialized_at: j.backfill.startedAt * 1000,
      };
    }
  },
});

/** The freshness columns shared by MVs and sinks (see rwMvFreshness). */
const FRESHNESS_COLUMNS: [string, DataType][] = [
  ['id', I], ['schema_name', V], ['name', V], ['status', V], ['committed_epoch', T.Int64], ['committed_at', TZ],
  ['source_changed_at', TZ], ['output_changed_at', TZ], ['lag_ms', T.Int64], ['rows_in', T.Int64], ['rows_out', T.Int64],
];

function freshnessRow(j: StreamingJobInfo) {
  return {
    id: j.id,
    schema_name: j.schema,
    name: j.name,
    status: j.status,
    committed_epoch: BigInt(j.committedEpoch),
    committed_at: msToMicros(j.committedAt),
    source_changed_at: msToMicros(j.sourceChangedAt),
    output_changed_at: msToMicros(j.outputChangedAt),
    lag_ms: BigInt(Math.round(j.lagMs)),
    rows_in: BigInt(j.rowsIn),
    rows_out: BigInt(j.rowsOut),
  };
}

/**
 * Freshet's freshness view, one row per MV: the epoch it last committed and that epoch's
 * barrier time (the MV shows its sources as of then), the latest change of its sources
 * and of its own rows, how old the oldest source change it does not show yet is (lag_ms,
 * 0 when it is current), and rows in (backfill + upstream changes) and out (changes
 * written). "Did the features change, and are they fresh?" in one query.
 */
export const rwMvFreshness = systemTable({
  schema: 'rw_catalog',
  name: 'rw_mv_freshness',
  oid: 90_214,
  relkind: 'v',
  columns: [...FRESHNESS_COLUMNS, ['row_count', T.Int64]],
  *rows(ctx: SystemContext) {
    for (const j of jobsOf(ctx)) {
      if (j.kind !== 'materialized_view') continue;
      yield { ...freshnessRow(j), row_count: j.rowCount === null ? null : BigInt(j.rowCount) };
    }
  },
});

/**
 * The same per sink: rows out are the changes handed to the sink (its log store, or the
 * target for sinks into tables and blackhole), committed_epoch the last barrier that
 * reached it. Delivery to an external target follows from its log (docs/connectors.md).
 */
export const rwSinkFreshness = systemTable({
  schema: 'rw_catalog',
  name: 'rw_sink_freshness',
  oid: 90_216,
  relkind: 'v',
  columns: FRESHNESS_COLUMNS,
  *rows(ctx: SystemContext) {
    for (const j of jobsOf(ctx)) if (j.kind === 'sink') yield freshnessRow(j);
  },
});

/** User-defined functions (CREATE FUNCTION), as RisingWave lists them: `type` scalar or table. */
export const rwFunctions = systemTable({
  schema: 'rw_catalog',
  name: 'rw_functions',
  oid: 90_215,
  columns: [
    ['id', I], ['name', V], ['schema_id', I], ['owner', I], ['type', V], ['arg_type_ids', listOf(I)],
    ['return_type_id', I], ['language', V], ['link', V], ['acl', V],
  ],
  *rows(ctx: SystemContext) {
    for (const f of ctx.catalog.listFunctions(ctx.database)) {
      yield {
        id: f.id, name: f.name, schema_id: ctx.namespaceOid(f.schema), owner: ctx.userOid(f.owner),
        type: f.tableColumns ? 'table' : 'scalar', arg_type_ids: f.argTypes.map(typeOid),
        // A table function returns rows of its columns: a single column's type, else record (2249).
        return_type_id: f.tableColumns ? (f.tableColumns.length === 1 ? typeOid(f.tableColumns[0].type) : 2249) : typeOid(f.returnType!),
        language: f.language, link: null, acl: null,
      };
    }
  },
});

export const RW_CATALOG_GROUP = [
  rwTables, rwMaterializedViews, rwViews, rwIndexes, rwSources, rwSinks, rwRelations, rwColumns, rwSchemas, rwDatabases, rwUsers, rwTypes,
  rwStreamingJobs, rwDdlProgress, rwMvFreshness, rwSinkFreshness, rwFunctions,
];
