/**
 * Server state as tables: pg_settings (this session's variables and the read-only server
 * settings), pg_stat_activity (every session, from QueryContext.session) and
 * pg_stat_user_tables (live row counts: Metabase and other tools show them as the
 * estimated size of each table and MV), plus an empty pg_extension.
 */
import { type Datum, T, listOf } from '@freshet/common';
import { type SystemContext, systemTable } from './table';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;
const TZ = T.Timestamptz;

/**
 * Read-only ("internal") settings PostgreSQL always reports, which drivers read from
 * pg_settings: pgjdbc's getImportedKeys/getIndexInfo need max_index_keys, and tools read
 * max_identifier_length and server_version_num.
 */
const INTERNAL_SETTINGS: readonly (readonly [string, string, string])[] = [
  ['block_size', '8192', 'Shows the size of a disk block.'],
  ['integer_datetimes', 'on', 'Shows whether datetimes are integer based.'],
  ['max_function_args', '100', 'Shows the maximum number of function arguments.'],
  ['max_identifier_length', '63', 'Shows the maximum identifier length.'],
  ['max_index_keys', '32', 'Shows the maximum number of index keys.'],
  ['server_encoding', 'UTF8', 'Shows the server (database) character set encoding.'],
  ['server_version_num', '130014', 'Shows the server version as an integer.'],
];

/** A read-only server setting by name (current_setting falls back to these), or undefined. */
export function internalSetting(name: string): string | undefined {
  const lower = name.toLowerCase();
  return INTERNAL_SETTINGS.find(([n]) => n === lower)?.[1];
}

export const pgSettings = systemTable({
  schema: 'pg_catalog',
  name: 'pg_settings',
  oid: 90_020,
  relkind: 'v',
  columns: [
    ['name', V], ['setting', V], ['unit', V], ['category', V], ['short_desc', V], ['extra_desc', V],
    ['context', V], ['vartype', V], ['source', V], ['min_val', V], ['max_val', V], ['enumvals', V],
    ['boot_val', V], ['reset_val', V], ['pending_restart', B],
  ],
  *rows(ctx: SystemContext): Iterable<Record<string, Datum>> {
    for (const [name, setting, description] of ctx.q.session?.settings() ?? []) {
      const vartype = setting === 'true' || setting === 'false' ? 'bool' : /^-?\d+$/.test(setting) ? 'integer' : 'string';
      yield {
        name, setting, category: 'Client Connection Defaults', short_desc: description, context: 'user', vartype,
        source: 'session', pending_restart: false,
      };
    }
    for (const [name, setting, description] of INTERNAL_SETTINGS) {
      yield {
        name, setting, category: 'Preset Options', short_desc: description, context: 'internal',
        vartype: /^\d+$/.test(setting) ? 'integer' : 'string', source: 'default', boot_val: setting, reset_val: setting,
        pending_restart: false,
      };
    }
  },
});

export const pgStatActivity = systemTable({
  schema: 'pg_catalog',
  name: 'pg_stat_activity',
  oid: 90_021,
  relkind: 'v',
  columns: [
    ['datid', I], ['datname', V], ['pid', I], ['leader_pid', I], ['usesysid', I], ['usename', V],
    ['application_name', V], ['client_addr', V], ['client_hostname', V], ['client_port', I],
    ['backend_start', TZ], ['xact_start', TZ], ['query_start', TZ], ['state_change', TZ],
    ['wait_event_type', V], ['wait_event', V], ['state', V], ['backend_xid', I], ['backend_xmin', I],
    ['query_id', T.Int64], ['query', V], ['backend_type', V],
  ],
  *rows(ctx: SystemContext) {
    for (const s of ctx.q.session?.activity() ?? []) {
      yield {
        datid: ctx.catalog.getDatabase(s.database)?.id ?? null,
        datname: s.database,
        pid: s.pid,
        usesysid: ctx.userOid(s.user),
        usename: s.user,
        application_name: s.applicationName,
        backend_start: s.backendStart * 1000,
        state: s.state,
        query: s.query,
        backend_type: 'client backend',
      };
    }
  },
});

/** Live row count of a table or MV (an MV is readable once its job runs); null if unknown. */
function liveRows(ctx: SystemContext, id: number): bigint | null {
  try {
    return BigInt(ctx.q.storage.table(id).size);
  } catch {
    return null;
  }
}

export const pgStatUserTables = systemTable({
  schema: 'pg_catalog',
  name: 'pg_stat_user_tables',
  oid: 90_022,
  relkind: 'v',
  columns: [
    ['relid', I], ['schemaname', V], ['relname', V], ['seq_scan', T.Int64], ['seq_tup_read', T.Int64], ['idx_scan', T.Int64],
    ['idx_tup_fetch', T.Int64], ['n_tup_ins', T.Int64], ['n_tup_upd', T.Int64], ['n_tup_del', T.Int64], ['n_tup_hot_upd', T.Int64],
    ['n_live_tup', T.Int64], ['n_dead_tup', T.Int64], ['n_mod_since_analyze', T.Int64], ['last_vacuum', TZ], ['last_autovacuum', TZ],
    ['last_analyze', TZ], ['last_autoanalyze', TZ], ['vacuum_count', T.Int64], ['autovacuum_count', T.Int64], ['analyze_count', T.Int64],
    ['autoanalyze_count', T.Int64],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations()) {
      if (rel.kind !== 'table' && rel.kind !== 'materialized_view') continue;
      yield { relid: rel.id, schemaname: rel.schema, relname: rel.name, n_live_tup: liveRows(ctx, rel.id), n_dead_tup: 0n };
    }
  },
});

/** Extensions: none (Grafana asks for timescaledb's version). */
export const pgExtension = systemTable({
  schema: 'pg_catalog',
  name: 'pg_extension',
  oid: 3079,
  columns: [
    ['oid', I], ['extname', V], ['extowner', I], ['extnamespace', I], ['extrelocatable', B], ['extversion', V],
    ['extconfig', listOf(I)], ['extcondition', listOf(V)],
  ],
  rows: () => [],
});

export const PG_RUNTIME_GROUP = [pgSettings, pgStatActivity, pgStatUserTables, pgExtension];
