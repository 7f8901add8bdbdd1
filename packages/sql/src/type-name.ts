/**
 * libpg-query TypeName nodes → Freshet DataType, with RisingWave's names and aliases.
 * PostgreSQL's grammar already normalizes SQL-standard spellings (`integer`, `double
 * precision`, `float(p)`, `timestamp with time zone`, `character varying`, `decimal`) to
 * `pg_catalog.<internal name>`; user-written internal names (`int4`, `float8`, `text`)
 * arrive unqualified. Both forms are handled. Type modifiers (`varchar(10)`,
 * `numeric(10,2)`, `timestamp(3)`, interval fields) are accepted and ignored, as
 * RisingWave does.
 */
import { type DataType, SqlError, SqlState, T, listOf, structOf } from '@freshet/common';
import type { PgNode, RwExtras } from './statement';
import { STRUCT_PLACEHOLDER_PREFIX } from './front/struct-types';

const BY_NAME: Record<string, DataType> = {
  int2: T.Int16,
  smallint: T.Int16,
  int4: T.Int32,
  int: T.Int32,
  integer: T.Int32,
  int8: T.Int64,
  bigint: T.Int64,
  float4: T.Float32,
  real: T.Float32,
  float8: T.Float64,
  float: T.Float64,
  'double precision': T.Float64,
  // RisingWave accepts a bare `double` (PostgreSQL needs `double precision`).
  double: T.Float64,
  numeric: T.Decimal,
  decimal: T.Decimal,
  varchar: T.Varchar,
  text: T.Varchar,
  string: T.Varchar,
  bpchar: T.Varchar,
  char: T.Varchar,
  character: T.Varchar,
  'character varying': T.Varchar,
  name: T.Varchar,
  bytea: T.Bytea,
  date: T.Date,
  time: T.Time,
  'time without time zone': T.Time,
  timestamp: T.Timestamp,
  'timestamp without time zone': T.Timestamp,
  timestamptz: T.Timestamptz,
  'timestamp with time zone': T.Timestamptz,
  interval: T.Interval,
  jsonb: T.Jsonb,
  json: T.Jsonb,
  serial: T.Serial,
  bool: T.Boolean,
  boolean: T.Boolean,
};

/** Types PostgreSQL has but RisingWave rejects as unsupported rather than unknown. */
const UNSUPPORTED = new Set(['timetz', 'time with time zone']);

function sval(n: any): string {
  return n?.String?.sval ?? n?.sval ?? '';
}

/** `typeNameNode` is a TypeName node, with or without its `{TypeName: …}` wrapper. */
export function resolveTypeName(typeNameNode: PgNode, rw?: RwExtras): DataType {
  const tn: any = typeNameNode?.TypeName ?? typeNameNode;
  const names: string[] = (tn?.names ?? []).map(sval);
  if (names.length === 0) throw new SqlError(SqlState.UndefinedObject, 'type "" does not exist');
  let base = baseType(names, tn, rw);
  const dims = (tn.arrayBounds ?? []).length;
  for (let i = 0; i < dims; i++) base = listOf(base);
  return base;
}

function baseType(names: string[], tn: any, rw: RwExtras | undefined): DataType {
  const last = names[names.length - 1];
  const schema = names.length > 1 ? names[names.length - 2] : null;
  if (last.startsWith(STRUCT_PLACEHOLDER_PREFIX) && schema === null) {
    const def = rw?.structTypes?.[last];
    if (def) return structOf(def.fields.map((f) => ({ name: f.name, type: resolveTypeName(f.typeName, rw) })));
  }
  if (schema === null || schema === 'pg_catalog') {
    if (last === 'float4' && schema === 'pg_catalog') return T.Float32;
    // `float(p)` written as plain `float` keeps its typmod only when unqualified.
    if (last === 'float' && schema === null) return floatWithPrecision(tn);
    if (UNSUPPORTED.has(last)) {
      throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: unsupported data type: ${last}`);
    }
    const t = BY_NAME[last];
    if (t) return t;
  }
  throw new SqlError(SqlState.UndefinedObject, `type "${names.filter((n) => n !== 'pg_catalog').join('.')}" does not exist`);
}

/** PostgreSQL: float(1..24) is real, float(25..53) double; outside that is an error. */
function floatWithPrecision(tn: any): DataType {
  const mod = tn.typmods?.[0]?.A_Const;
  if (!mod) return T.Float64;
  const p = mod.ival?.ival ?? 0;
  if (p < 1) throw new SqlError(SqlState.InvalidParameterValue, 'precision for type float must be at least 1 bit');
  if (p > 53) throw new SqlError(SqlState.InvalidParameterValue, 'precision for type float must be less than 54 bits');
  return p <= 24 ? T.Float32 : T.Float64;
}
