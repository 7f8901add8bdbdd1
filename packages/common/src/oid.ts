/**
 * PostgreSQL type OIDs and sizes, as RisingWave reports them in RowDescription,
 * ParameterDescription and pg_type: varchar is 1043, serial travels as int8, structs as
 * `record`, and a list uses its element's array type.
 */
import { listOf, T, type DataType } from './types';

interface OidEntry {
  type: DataType;
  oid: number;
  arrayOid: number;
  size: number;
}

const ENTRIES: OidEntry[] = [
  { type: T.Boolean, oid: 16, arrayOid: 1000, size: 1 },
  { type: T.Bytea, oid: 17, arrayOid: 1001, size: -1 },
  { type: T.Int64, oid: 20, arrayOid: 1016, size: 8 },
  { type: T.Int16, oid: 21, arrayOid: 1005, size: 2 },
  { type: T.Int32, oid: 23, arrayOid: 1007, size: 4 },
  { type: T.Float32, oid: 700, arrayOid: 1021, size: 4 },
  { type: T.Float64, oid: 701, arrayOid: 1022, size: 8 },
  { type: T.Varchar, oid: 1043, arrayOid: 1015, size: -1 },
  { type: T.Date, oid: 1082, arrayOid: 1182, size: 4 },
  { type: T.Time, oid: 1083, arrayOid: 1183, size: 8 },
  { type: T.Timestamp, oid: 1114, arrayOid: 1115, size: 8 },
  { type: T.Timestamptz, oid: 1184, arrayOid: 1185, size: 8 },
  { type: T.Interval, oid: 1186, arrayOid: 1187, size: 16 },
  { type: T.Decimal, oid: 1700, arrayOid: 1231, size: -1 },
  { type: T.Jsonb, oid: 3802, arrayOid: 3807, size: -1 },
  { type: T.Serial, oid: 20, arrayOid: 1016, size: 8 },
  { type: T.Unknown, oid: 705, arrayOid: 0, size: -2 },
];

const BY_KIND = new Map<string, OidEntry>(ENTRIES.map((e) => [e.type.kind, e]));

export const RECORD_OID = 2249;
export const RECORD_ARRAY_OID = 2287;

/** Extra OIDs a client may send in Parse that map onto our types. */
const ALIAS_OIDS: Record<number, DataType> = {
  18: T.Varchar, // "char"
  19: T.Varchar, // name
  25: T.Varchar, // text
  1042: T.Varchar, // bpchar
  114: T.Jsonb, // json
  26: T.Int64, // oid
  1009: listOf(T.Varchar), // text[]
  1014: listOf(T.Varchar), // bpchar[]
  199: listOf(T.Jsonb), // json[]
};

const BY_OID = new Map<number, DataType>();
for (const e of ENTRIES) {
  if (e.type.kind === 'serial') continue;
  BY_OID.set(e.oid, e.type);
  if (e.arrayOid) BY_OID.set(e.arrayOid, listOf(e.type));
}
for (const [oid, t] of Object.entries(ALIAS_OIDS)) BY_OID.set(Number(oid), t);

/** The pg_type OID for a type (lists: the innermost element's array type; structs: record). */
export function typeOid(t: DataType): number {
  switch (t.kind) {
    case 'list': {
      let e: DataType = t.elem;
      while (e.kind === 'list') e = e.elem;
      if (e.kind === 'struct') return RECORD_ARRAY_OID;
      return BY_KIND.get(e.kind)!.arrayOid;
    }
    case 'struct':
      return RECORD_OID;
    default:
      return BY_KIND.get(t.kind)!.oid;
  }
}

/** The type for a pg_type OID (parameter types in Parse), or undefined if unsupported. */
export function typeFromOid(oid: number): DataType | undefined {
  return BY_OID.get(oid);
}

/** pg_type.typlen: fixed width in bytes, -1 for variable length (-2 for unknown, like PG). */
export function typeSize(t: DataType): number {
  if (t.kind === 'list' || t.kind === 'struct') return -1;
  return BY_KIND.get(t.kind)!.size;
}
