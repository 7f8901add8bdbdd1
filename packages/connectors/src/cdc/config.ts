/**
 * RisingWave's `postgres-cdc` WITH options → a connection and replication config.
 *
 * Shared source (`CREATE SOURCE pg WITH (connector='postgres-cdc', hostname, port, username,
 * password, database.name, schema.name, slot.name, publication.name)`) has no `table.name`;
 * each `CREATE TABLE t (…) FROM pg TABLE 'schema.table'` gets the source's options plus
 * `schema.name`/`table.name` (`cdcTableOptions`). A single-table source or table names its
 * table with `table.name` (optionally `schema.table`).
 */
import { SqlError, SqlState } from '@freshet/common';
import { OptionReader, invalidOption } from '../options';

export const CDC_CONNECTOR = 'postgres-cdc';

export interface PgCdcConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly schema: string;
  /** Undefined for a shared source: its tables name theirs. */
  readonly table: string | undefined;
  readonly slot: string;
  readonly publication: string;
  /** `publication.create.enable` (default true): create/extend the publication when needed. */
  readonly createPublication: boolean;
}

/** Options this connector knows (others are rejected so a typo is not silently ignored). */
const KNOWN = new Set([
  'connector', 'hostname', 'port', 'username', 'password', 'database.name', 'schema.name', 'table.name',
  'slot.name', 'publication.name', 'publication.create.enable', 'ssl.mode', 'ssl.root.cert',
  'auto.schema.change', 'transactional', 'source_rate_limit', 'debezium.max.queue.size',
]);

export function pgCdcConfig(options: Readonly<Record<string, string>>): PgCdcConfig {
  const r = new OptionReader(options, CDC_CONNECTOR);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key) && !key.startsWith('debezium.')) {
      throw new SqlError(SqlState.InvalidParameterValue, `unknown option ${key} for connector '${CDC_CONNECTOR}'`);
    }
  }
  const port = r.nonNegativeInt('port') ?? 5432;
  if (port < 1 || port > 65535) throw invalidOption('port', options.port, 'a TCP port');
  const ssl = (r.string('ssl.mode') ?? 'disabled').toLowerCase();
  if (ssl !== 'disabled' && ssl !== 'disable' && ssl !== 'preferred' && ssl !== 'prefer') {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: postgres-cdc ssl.mode = '${ssl}'`);
  }
  let schema = r.string('schema.name') || 'public';
  let table = r.string('table.name') || undefined;
  if (table?.includes('.')) [schema, table] = splitQualified(table);
  const database = r.required('database.name');
  const slot = r.string('slot.name') || defaultSlotName(database, schema, table);
  if (!/^[a-z0-9_]{1,63}$/.test(slot)) {
    throw invalidOption('slot.name', slot, 'lower-case letters, digits and underscores (a PostgreSQL replication slot name)');
  }
  return {
    host: r.required('hostname'),
    port,
    user: r.required('username'),
    password: r.required('password'),
    database,
    schema,
    table,
    slot,
    publication: r.string('publication.name') || 'rw_publication',
    createPublication: r.bool('publication.create.enable') ?? true,
  };
}

/** `'public.t'` → `['public', 't']` (quotes allowed around either part). */
export function splitQualified(name: string): [string, string] {
  const parts = name.match(/"[^"]*"|[^.]+/g)?.map((p) => p.replace(/^"|"$/g, '')) ?? [];
  if (parts.length !== 2) throw invalidOption('table.name', name, "'schema.table' or 'table'");
  return [parts[0], parts[1]];
}

function defaultSlotName(database: string, schema: string, table: string | undefined): string {
  return `freshet_${[database, schema, table ?? 'all'].join('_')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
}

/**
 * WITH options of `CREATE TABLE t (…) FROM <shared source> TABLE 'schema.table'`: the
 * source's connection options and that table. A replication slot serves one reader, so each
 * table of a shared source gets its own slot, `<slot.name>_<schema>_<table>`.
 */
export function cdcTableOptions(sourceOptions: Readonly<Record<string, string>>, tableRef: string): Record<string, string> {
  const [schema, table] = tableRef.includes('.') ? splitQualified(tableRef) : [sourceOptions['schema.name'] || 'public', tableRef];
  const base = pgCdcConfig(sourceOptions);
  const slot = `${base.slot}_${schema}_${table}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
  return { ...sourceOptions, 'schema.name': schema, 'table.name': table, 'slot.name': slot };
}

/** PostgreSQL connection settings for `pg` clients (text output in ISO / UTC forms parseDatum reads). */
export function pgClientConfig(c: PgCdcConfig): { host: string; port: number; user: string; password: string; database: string; options: string; connectionTimeoutMillis: number } {
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    options: '-c datestyle=ISO -c timezone=UTC -c intervalstyle=postgres -c extra_float_digits=3 -c bytea_output=hex',
    connectionTimeoutMillis: 5000,
  };
}
