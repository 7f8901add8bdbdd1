/**
 * The types pg_type lists: every Freshet type (OIDs, lengths from @freshet/common, so
 * RowDescription and pg_type always agree), their array types, and the few PostgreSQL
 * types clients look up by OID although values never have them (text, name, oid, …).
 * Also answers format_type() and ::regtype.
 */
import { type DataType, T, listOf, typeOid, typeSize } from '@freshet/common';

export interface PgTypeInfo {
  readonly oid: number;
  readonly typname: string;
  readonly typlen: number;
  readonly typbyval: boolean;
  /** 'b' base, 'p' pseudo. */
  readonly typtype: string;
  readonly typcategory: string;
  readonly typelem: number;
  readonly typarray: number;
  readonly typinput: string;
  readonly typoutput: string;
  readonly typreceive: string;
  readonly typsend: string;
  readonly typalign: string;
  readonly typstorage: string;
  readonly typcollation: number;
  /** What format_type() prints. */
  readonly formatted: string;
}

const DEFAULT_COLLATION = 100;

interface BaseSpec {
  name: string;
  /** Freshet's type, when values can have it: oid and length come from @freshet/common. */
  type?: DataType;
  oid?: number;
  arrayOid?: number;
  len?: number;
  category: string;
  formatted: string;
  /** I/O function prefix (`int4` → int4in/int4out/int4recv/int4send). */
  io?: string;
  typtype?: string;
  elem?: number;
  align?: string;
  collatable?: boolean;
}

const BASES: BaseSpec[] = [
  { name: 'bool', type: T.Boolean, category: 'B', formatted: 'boolean', io: 'bool', align: 'c' },
  { name: 'bytea', type: T.Bytea, category: 'U', formatted: 'bytea', io: 'bytea' },
  { name: 'char', oid: 18, arrayOid: 1002, len: 1, category: 'Z', formatted: '"char"', io: 'char', align: 'c', collatable: false },
  { name: 'name', oid: 19, arrayOid: 1003, len: 64, category: 'S', formatted: 'name', io: 'name', align: 'c', collatable: true },
  { name: 'int8', type: T.Int64, category: 'N', formatted: 'bigint', io: 'int8', align: 'd' },
  { name: 'int2', type: T.Int16, category: 'N', formatted: 'smallint', io: 'int2', align: 's' },
  { name: 'int2vector', oid: 22, arrayOid: 1006, len: -1, category: 'A', formatted: 'int2vector', io: 'int2vector', elem: 21 },
  { name: 'int4', type: T.Int32, category: 'N', formatted: 'integer', io: 'int4' },
  { name: 'regproc', oid: 24, arrayOid: 1008, len: 4, category: 'N', formatted: 'regproc', io: 'regproc' },
  { name: 'text', oid: 25, arrayOid: 1009, len: -1, category: 'S', formatted: 'text', io: 'text', collatable: true },
  { name: 'oid', oid: 26, arrayOid: 1028, len: 4, category: 'N', formatted: 'oid', io: 'oid' },
  { name: 'oidvector', oid: 30, arrayOid: 1013, len: -1, category: 'A', formatted: 'oidvector', io: 'oidvector', elem: 26 },
  { name: 'json', oid: 114, arrayOid: 199, len: -1, category: 'U', formatted: 'json', io: 'json' },
  { name: 'float4', type: T.Float32, category: 'N', formatted: 'real', io: 'float4' },
  { name: 'float8', type: T.Float64, category: 'N', formatted: 'double precision', io: 'float8', align: 'd' },
  { name: 'unknown', type: T.Unknown, category: 'X', formatted: 'unknown', io: 'unknown', typtype: 'p', align: 'c' },
  { name: 'bpchar', oid: 1042, arrayOid: 1014, len: -1, category: 'S', formatted: 'character', io: 'bpchar', collatable: true },
  { name: 'varchar', type: T.Varchar, category: 'S', formatted: 'character varying', io: 'varchar', collatable: true },
  { name: 'date', type: T.Date, category: 'D', formatted: 'date', io: 'date' },
  { name: 'time', type: T.Time, category: 'D', formatted: 'time without time zone', io: 'time', align: 'd' },
  { name: 'timestamp', type: T.Timestamp, category: 'D', formatted: 'timestamp without time zone', io: 'timestamp', align: 'd' },
  { name: 'timestamptz', type: T.Timestamptz, category: 'D', formatted: 'timestamp with time zone', io: 'timestamptz', align: 'd' },
  { name: 'interval', type: T.Interval, category: 'T', formatted: 'interval', io: 'interval', align: 'd' },
  { name: 'numeric', type: T.Decimal, category: 'N', formatted: 'numeric', io: 'numeric' },
  { name: 'regclass', oid: 2205, arrayOid: 2210, len: 4, category: 'N', formatted: 'regclass', io: 'regclass' },
  { name: 'regtype', oid: 2206, arrayOid: 2211, len: 4, category: 'N', formatted: 'regtype', io: 'regtype' },
  { name: 'record', oid: 2249, arrayOid: 2287, len: -1, category: 'P', formatted: 'record', io: 'record', typtype: 'p', align: 'd' },
  { name: 'void', oid: 2278, arrayOid: 0, len: 4, category: 'P', formatted: 'void', io: 'void', typtype: 'p' },
  { name: 'jsonb', type: T.Jsonb, category: 'U', formatted: 'jsonb', io: 'jsonb' },
];

function build(): PgTypeInfo[] {
  const out: PgTypeInfo[] = [];
  for (const b of BASES) {
    const oid = b.type ? typeOid(b.type) : b.oid!;
    const arrayOid = b.type ? (b.type.kind === 'unknown' ? 0 : typeOid(listOf(b.type))) : b.arrayOid!;
    const len = b.type ? typeSize(b.type) : b.len!;
    const io = b.io ?? b.name;
    const collatable = b.collatable ?? (b.type?.kind === 'varchar');
    out.push({
      oid,
      typname: b.name,
      typlen: len,
      typbyval: len > 0 && len <= 8,
      typtype: b.typtype ?? 'b',
      typcategory: b.category,
      typelem: b.elem ?? 0,
      typarray: arrayOid,
      typinput: `${io}in`,
      typoutput: `${io}out`,
      typreceive: `${io}recv`,
      typsend: `${io}send`,
      typalign: b.align ?? (len === 2 ? 's' : 'i'),
      typstorage: len === -1 ? 'x' : 'p',
      typcollation: collatable ? DEFAULT_COLLATION : 0,
      formatted: b.formatted,
    });
    if (arrayOid !== 0) {
      out.push({
        oid: arrayOid,
        typname: `_${b.name}`,
        typlen: -1,
        typbyval: false,
        typtype: 'b',
        typcategory: 'A',
        typelem: oid,
        typarray: 0,
        typinput: 'array_in',
        typoutput: 'array_out',
        typreceive: 'array_recv',
        typsend: 'array_send',
        typalign: b.align === 'd' ? 'd' : 'i',
        typstorage: 'x',
        typcollation: collatable ? DEFAULT_COLLATION : 0,
        formatted: `${b.formatted}[]`,
      });
    }
  }
  return out.sort((a, b) => a.oid - b.oid);
}

export const PG_TYPES: readonly PgTypeInfo[] = build();

const BY_OID = new Map(PG_TYPES.map((t) => [t.oid, t]));

/** Names ::regtype accepts besides typname (SQL spellings, Freshet/RisingWave aliases). */
const NAME_ALIASES: Record<string, string> = {
  boolean: 'bool',
  smallint: 'int2',
  integer: 'int4',
  int: 'int4',
  bigint: 'int8',
  real: 'float4',
  'double precision': 'float8',
  float: 'float8',
  decimal: 'numeric',
  'character varying': 'varchar',
  string: 'varchar',
  character: 'bpchar',
  '"char"': 'char',
  'time without time zone': 'time',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
};
const BY_NAME = new Map(PG_TYPES.map((t) => [t.typname, t]));

export function pgTypeByOid(oid: number): PgTypeInfo | undefined {
  return BY_OID.get(oid);
}

/** `integer[]`, `pg_catalog.int4`, `_int4`, `character varying` … → the type, if known. */
export function pgTypeByName(name: string): PgTypeInfo | undefined {
  let n = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if (n.startsWith('pg_catalog.')) n = n.slice('pg_catalog.'.length);
  n = n.replace(/\(.*\)/, '');
  if (n.endsWith('[]')) {
    const elem = pgTypeByName(n.slice(0, -2));
    return elem && elem.typarray ? BY_OID.get(elem.typarray) : undefined;
  }
  return BY_NAME.get(NAME_ALIASES[n] ?? n);
}

/** PostgreSQL's format_type(oid, typmod): SQL names, `character varying(10)`, `numeric(10,2)`. */
export function formatType(oid: number, typmod: number | null): string | null {
  const t = BY_OID.get(oid);
  if (!t) return '???';
  if (typmod === null || typmod < 0) return t.formatted;
  switch (t.typname) {
    case 'varchar':
    case 'bpchar':
      return typmod >= 4 ? `${t.formatted}(${typmod - 4})` : t.formatted;
    case 'numeric': {
      if (typmod < 4) return t.formatted;
      const m = typmod - 4;
      return `numeric(${(m >> 16) & 0xffff},${m & 0xffff})`;
    }
    default:
      return t.formatted;
  }
}
