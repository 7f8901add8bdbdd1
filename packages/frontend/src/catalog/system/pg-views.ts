/** PostgreSQL's convenience views over relations: pg_tables, pg_views, pg_matviews, pg_indexes. */
import { T } from '@freshet/common';
import { indexDefinition, primaryKeyIndexDefinition, primaryKeyName, viewDefinition } from './definitions';
import { type SystemContext, indexedRelationIds, primaryKeyAttnums, systemTable } from './table';

const V = T.Varchar;
const B = T.Boolean;

export const pgTables = systemTable({
  schema: 'pg_catalog',
  name: 'pg_tables',
  oid: 90_010,
  relkind: 'v',
  columns: [
    ['schemaname', V], ['tablename', V], ['tableowner', V], ['tablespace', V],
    ['hasindexes', B], ['hasrules', B], ['hastriggers', B], ['rowsecurity', B],
  ],
  *rows(ctx: SystemContext) {
    const indexed = indexedRelationIds(ctx);
    for (const rel of ctx.relations()) {
      const system = ctx.systemTableOf(rel);
      if (system ? system.relkind !== 'r' : rel.kind !== 'table') continue;
      yield {
        schemaname: rel.schema, tablename: rel.name, tableowner: rel.owner,
        hasindexes: indexed.has(rel.id), hasrules: false, hastriggers: false, rowsecurity: false,
      };
    }
  },
});

export const pgViews = systemTable({
  schema: 'pg_catalog',
  name: 'pg_views',
  oid: 90_011,
  relkind: 'v',
  columns: [['schemaname', V], ['viewname', V], ['viewowner', V], ['definition', V]],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      const system = ctx.systemTableOf(rel);
      if (system ? system.relkind !== 'v' : rel.kind !== 'view') continue;
      yield { schemaname: rel.schema, viewname: rel.name, viewowner: rel.owner, definition: system ? null : viewDefinition(rel) };
    }
  },
});

export const pgMatviews = systemTable({
  schema: 'pg_catalog',
  name: 'pg_matviews',
  oid: 90_012,
  relkind: 'v',
  columns: [
    ['schemaname', V], ['matviewname', V], ['matviewowner', V], ['tablespace', V],
    ['hasindexes', B], ['ispopulated', B], ['definition', V],
  ],
  *rows(ctx: SystemContext) {
    const indexed = indexedRelationIds(ctx);
    for (const rel of ctx.userRelations('materialized_view')) {
      yield {
        schemaname: rel.schema, matviewname: rel.name, matviewowner: rel.owner,
        hasindexes: indexed.has(rel.id), ispopulated: true, definition: viewDefinition(rel),
      };
    }
  },
});

export const pgIndexes = systemTable({
  schema: 'pg_catalog',
  name: 'pg_indexes',
  oid: 90_013,
  relkind: 'v',
  columns: [['schemaname', V], ['tablename', V], ['indexname', V], ['tablespace', V], ['indexdef', V]],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations('table')) {
      if (primaryKeyAttnums(rel).length === 0) continue;
      yield { schemaname: rel.schema, tablename: rel.name, indexname: primaryKeyName(rel), indexdef: primaryKeyIndexDefinition(rel) };
    }
    for (const rel of ctx.userRelations('index')) {
      const base = rel.index ? ctx.catalog.getRelationById(rel.index.on) : undefined;
      if (!base) continue;
      yield { schemaname: rel.schema, tablename: base.name, indexname: rel.name, indexdef: indexDefinition(ctx.catalog, rel) };
    }
  },
});

export const PG_VIEWS_GROUP = [pgTables, pgViews, pgMatviews, pgIndexes];
