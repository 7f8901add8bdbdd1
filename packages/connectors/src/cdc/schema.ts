/**
 * The upstream table's columns and primary key, for a CDC source declared without a column
 * list (the seeds' `CREATE SOURCE transactions WITH (connector = 'postgres-cdc', …,
 * table.name = 'transactions')`). PostgreSQL types map as RisingWave's CDC maps them:
 *
 * | PostgreSQL | Freshet |
 * |---|---|
 * | smallint / integer / bigint (and serials) | smallint / integer / bigint |
 * | numeric | numeric |  real / double precision | real / double precision |
 * | boolean | boolean |
 * | text, varchar, char, name, uuid, citext, enums, other types | varchar (their text) |
 * | date, time, timestamp, timestamptz, interval | the same |
 * | json, jsonb | jsonb |  bytea | bytea |
 * | one-dimensional arrays of the above | lists |
 */
import { type DataType, T, listOf } from '@freshet/common';
import type { SourceColumn } from '../api';
import type { PgCdcConfig } from './config';
import { withClient } from './upstream';

export interface UpstreamTable {
  readonly columns: SourceColumn[];
  /** Primary-key column names (the replica identity index when there is no primary key). */
  readonly primaryKey: string[];
}

const SCALARS: Record<string, DataType> = {
  int2: T.Int16, int4: T.Int32, int8: T.Int64, numeric: T.Decimal, float4: T.Float32, float8: T.Float64, bool: T.Boolean,
  date: T.Date, time: T.Time, timestamp: T.Timestamp, timestamptz: T.Timestamptz, interval: T.Interval,
  json: T.Jsonb, jsonb: T.Jsonb, bytea: T.Bytea,
};

/** Freshet type of an upstream type (`typname`; arrays start with `_`). */
export function mapPgType(typname: string): DataType {
  if (typname.startsWith('_')) return listOf(mapPgType(typname.slice(1)));
  return SCALARS[typname] ?? T.Varchar;
}

/** Reads the table's columns (in order) and key; undefined when the table does not exist. */
export async function describeUpstreamTable(c: PgCdcConfig): Promise<UpstreamTable | undefined> {
  return withClient(c, async (client) => {
    const cols = await client.query(
      `SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid JOIN pg_namespace n ON n.oid = r.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
       WHERE n.nspname = $1 AND r.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [c.schema, c.table],
    );
    if (cols.rows.length === 0) return undefined;
    const key = await client.query(
      `SELECT a.attname FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace n ON n.oid = r.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true
         JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.attnum
       WHERE n.nspname = $1 AND r.relname = $2 AND (i.indisprimary OR i.indisreplident)
       ORDER BY i.indisprimary DESC, k.ord`,
      [c.schema, c.table],
    );
    const names = [...new Set((key.rows as { attname: string }[]).map((r) => r.attname))];
    return {
      columns: (cols.rows as { attname: string; typname: string }[]).map((r) => ({ name: r.attname, type: mapPgType(r.typname) })),
      primaryKey: names,
    };
  });
}
