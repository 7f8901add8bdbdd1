/**
 * information_schema: tables, columns, schemata, views, table_constraints and
 * key_column_usage, over the current database's relations. As in RisingWave, `tables`
 * also lists materialized views, and data_type is the type's SQL name (`integer[]` for
 * arrays). Sources and sinks are listed as PostgreSQL lists foreign tables ('FOREIGN').
 */
import { T, typeName, typeOid } from '@freshet/common';
import type { RelationCatalog } from '../model';
import { primaryKeyName, viewDefinition } from './definitions';
import { type SystemContext, attributes, primaryKeyAttnums, systemTable } from './table';
import { pgTypeByOid } from './type-info';

const I = T.Int32;
const V = T.Varchar;

/** information_schema.tables.table_type, or undefined for relations it does not list. */
function tableType(ctx: SystemContext, rel: RelationCatalog): string | undefined {
  const system = ctx.systemTableOf(rel);
  if (system) return system.relkind === 'r' ? 'SYSTEM TABLE' : 'VIEW';
  switch (rel.kind) {
    case 'table':
      return 'BASE TABLE';
    case 'view':
      return 'VIEW';
    case 'materialized_view':
      return 'MATERIALIZED VIEW';
    case 'source':
    case 'sink':
      return 'FOREIGN';
    default:
      return undefined;
  }
}

export const infoTables = systemTable({
  schema: 'information_schema',
  name: 'tables',
  oid: 90_100,
  relkind: 'v',
  columns: [
    ['table_catalog', V], ['table_schema', V], ['table_name', V], ['table_type', V],
    ['self_referencing_column_name', V], ['reference_generation', V], ['user_defined_type_catalog', V],
    ['user_defined_type_schema', V], ['user_defined_type_name', V], ['is_insertable_into', V], ['is_typed', V],
    ['commit_action', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      const type = tableType(ctx, rel);
      if (!type) continue;
      yield {
        table_catalog: ctx.database, table_schema: rel.schema, table_name: rel.name, table_type: type,
        is_insertable_into: type === 'BASE TABLE' ? 'YES' : 'NO', is_typed: 'NO',
      };
    }
  },
});

export const infoColumns = systemTable({
  schema: 'information_schema',
  name: 'columns',
  oid: 90_101,
  relkind: 'v',
  columns: [
    ['table_catalog', V], ['table_schema', V], ['table_name', V], ['column_name', V], ['ordinal_position', I],
    ['column_default', V], ['is_nullable', V], ['data_type', V], ['character_maximum_length', I],
    ['numeric_precision', I], ['numeric_scale', I], ['datetime_precision', I], ['collation_name', V],
    ['udt_catalog', V], ['udt_schema', V], ['udt_name', V], ['is_identity', V], ['is_generated', V],
    ['generation_expression', V], ['is_updatable', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      if (!tableType(ctx, rel)) continue;
      const pk = new Set(primaryKeyAttnums(rel));
      for (const a of attributes(rel)) {
        const c = a.column;
        const t = c.type;
        yield {
          table_catalog: ctx.database,
          table_schema: rel.schema,
          table_name: rel.name,
          column_name: c.name,
          ordinal_position: a.attnum,
          column_default: c.defaultExpr ?? null,
          is_nullable: c.notNull || pk.has(a.attnum) ? 'NO' : 'YES',
          data_type: typeName(t),
          numeric_precision: PRECISION[t.kind] ?? null,
          numeric_scale: t.kind === 'int16' || t.kind === 'int32' || t.kind === 'int64' ? 0 : null,
          datetime_precision: t.kind === 'timestamp' || t.kind === 'timestamptz' || t.kind === 'time' ? 6 : null,
          udt_catalog: ctx.database,
          udt_schema: 'pg_catalog',
          udt_name: pgTypeByOid(typeOid(t))?.typname ?? null,
          is_identity: 'NO',
          is_generated: c.generatedExpr !== undefined ? 'ALWAYS' : 'NEVER',
          generation_expression: c.generatedExpr ?? null,
          is_updatable: rel.kind === 'table' ? 'YES' : 'NO',
        };
      }
    }
  },
});

/** information_schema.columns.numeric_precision (binary digits for floats, as PostgreSQL). */
const PRECISION: Record<string, number> = { int16: 16, int32: 32, int64: 64, float32: 24, float64: 53 };

export const infoSchemata = systemTable({
  schema: 'information_schema',
  name: 'schemata',
  oid: 90_102,
  relkind: 'v',
  columns: [
    ['catalog_name', V], ['schema_name', V], ['schema_owner', V], ['default_character_set_catalog', V],
    ['default_character_set_schema', V], ['default_character_set_name', V], ['sql_path', V],
  ],
  *rows(ctx: SystemContext) {
    for (const s of ctx.catalog.listSchemas(ctx.database)) {
      yield { catalog_name: ctx.database, schema_name: s.name, schema_owner: s.owner };
    }
  },
});

export const infoViews = systemTable({
  schema: 'information_schema',
  name: 'views',
  oid: 90_103,
  relkind: 'v',
  columns: [
    ['table_catalog', V], ['table_schema', V], ['table_name', V], ['view_definition', V], ['check_option', V],
    ['is_updatable', V], ['is_insertable_into', V], ['is_trigger_updatable', V], ['is_trigger_deletable', V],
    ['is_trigger_insertable_into', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations('view')) {
      yield {
        table_catalog: ctx.database, table_schema: rel.schema, table_name: rel.name, view_definition: viewDefinition(rel),
        check_option: 'NONE', is_updatable: 'NO', is_insertable_into: 'NO',
        is_trigger_updatable: 'NO', is_trigger_deletable: 'NO', is_trigger_insertable_into: 'NO',
      };
    }
  },
});

/** Declared primary keys: the only constraints Freshet has (NOT NULL is a column property). */
function* primaryKeys(ctx: SystemContext) {
  for (const rel of ctx.userRelations('table')) {
    const key = primaryKeyAttnums(rel);
    if (key.length > 0) yield { rel, key, name: primaryKeyName(rel) };
  }
}

export const infoTableConstraints = systemTable({
  schema: 'information_schema',
  name: 'table_constraints',
  oid: 90_104,
  relkind: 'v',
  columns: [
    ['constraint_catalog', V], ['constraint_schema', V], ['constraint_name', V], ['table_catalog', V], ['table_schema', V],
    ['table_name', V], ['constraint_type', V], ['is_deferrable', V], ['initially_deferred', V], ['enforced', V], ['nulls_distinct', V],
  ],
  *rows(ctx: SystemContext) {
    for (const { rel, name } of primaryKeys(ctx)) {
      yield {
        constraint_catalog: ctx.database, constraint_schema: rel.schema, constraint_name: name, table_catalog: ctx.database,
        table_schema: rel.schema, table_name: rel.name, constraint_type: 'PRIMARY KEY', is_deferrable: 'NO',
        initially_deferred: 'NO', enforced: 'YES',
      };
    }
  },
});

export const infoKeyColumnUsage = systemTable({
  schema: 'information_schema',
  name: 'key_column_usage',
  oid: 90_105,
  relkind: 'v',
  columns: [
    ['constraint_catalog', V], ['constraint_schema', V], ['constraint_name', V], ['table_catalog', V], ['table_schema', V],
    ['table_name', V], ['column_name', V], ['ordinal_position', I], ['position_in_unique_constraint', I],
  ],
  *rows(ctx: SystemContext) {
    for (const { rel, key, name } of primaryKeys(ctx)) {
      const attrs = attributes(rel);
      for (let i = 0; i < key.length; i++) {
        yield {
          constraint_catalog: ctx.database, constraint_schema: rel.schema, constraint_name: name, table_catalog: ctx.database,
          table_schema: rel.schema, table_name: rel.name, column_name: attrs[key[i] - 1].column.name, ordinal_position: i + 1,
        };
      }
    }
  },
});

export const INFORMATION_SCHEMA_GROUP = [infoTables, infoColumns, infoSchemata, infoViews, infoTableConstraints, infoKeyColumnUsage];
