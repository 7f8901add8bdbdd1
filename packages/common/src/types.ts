/**
 * SQL data types. A DataType is a small immutable object discriminated by `kind`.
 * Scalar types are singletons (compare with `===` or by `kind`); list and struct
 * types are built with `listOf` / `structOf`.
 *
 * Naming follows RisingWave: `varchar` is the one string type (text is an alias),
 * `decimal` is numeric, `serial` is the hidden `_row_id` type.
 */
export type ScalarKind =
  | 'boolean'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'decimal'
  | 'varchar'
  | 'bytea'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'jsonb'
  | 'serial'
  /** The type of an untyped NULL literal or an unresolved string literal before coercion. */
  | 'unknown';

export interface ScalarType {
  readonly kind: ScalarKind;
}
export interface ListType {
  readonly kind: 'list';
  readonly elem: DataType;
}
export interface StructField {
  readonly name: string;
  readonly type: DataType;
}
export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly StructField[];
}
export type DataType = ScalarType | ListType | StructType;
export type TypeKind = DataType['kind'];

function scalar(kind: ScalarKind): ScalarType {
  return Object.freeze({ kind });
}

/** Scalar type singletons. */
export const T = Object.freeze({
  Boolean: scalar('boolean'),
  Int16: scalar('int16'),
  Int32: scalar('int32'),
  Int64: scalar('int64'),
  Float32: scalar('float32'),
  Float64: scalar('float64'),
  Decimal: scalar('decimal'),
  Varchar: scalar('varchar'),
  Bytea: scalar('bytea'),
  Date: scalar('date'),
  Time: scalar('time'),
  Timestamp: scalar('timestamp'),
  Timestamptz: scalar('timestamptz'),
  Interval: scalar('interval'),
  Jsonb: scalar('jsonb'),
  Serial: scalar('serial'),
  Unknown: scalar('unknown'),
});

const SCALARS: Record<ScalarKind, ScalarType> = {
  boolean: T.Boolean,
  int16: T.Int16,
  int32: T.Int32,
  int64: T.Int64,
  float32: T.Float32,
  float64: T.Float64,
  decimal: T.Decimal,
  varchar: T.Varchar,
  bytea: T.Bytea,
  date: T.Date,
  time: T.Time,
  timestamp: T.Timestamp,
  timestamptz: T.Timestamptz,
  interval: T.Interval,
  jsonb: T.Jsonb,
  serial: T.Serial,
  unknown: T.Unknown,
};

export function scalarType(kind: ScalarKind): ScalarType {
  return SCALARS[kind];
}

export function listOf(elem: DataType): ListType {
  return Object.freeze({ kind: 'list', elem });
}

export function structOf(fields: StructField[]): StructType {
  return Object.freeze({ kind: 'struct', fields: Object.freeze(fields.map((f) => Object.freeze({ ...f }))) });
}

export function typeEquals(a: DataType, b: DataType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'list') return typeEquals(a.elem, (b as ListType).elem);
  if (a.kind === 'struct') {
    const bf = (b as StructType).fields;
    if (a.fields.length !== bf.length) return false;
    for (let i = 0; i < bf.length; i++) {
      if (a.fields[i].name !== bf[i].name || !typeEquals(a.fields[i].type, bf[i].type)) return false;
    }
    return true;
  }
  return true;
}

export function isNumericKind(kind: TypeKind): boolean {
  return (
    kind === 'int16' ||
    kind === 'int32' ||
    kind === 'int64' ||
    kind === 'serial' ||
    kind === 'float32' ||
    kind === 'float64' ||
    kind === 'decimal'
  );
}

export function isIntegerKind(kind: TypeKind): boolean {
  return kind === 'int16' || kind === 'int32' || kind === 'int64' || kind === 'serial';
}

/**
 * The name RisingWave prints for a type (DESCRIBE, error messages, pg_typeof):
 * `integer`, `bigint`, `character varying`, `timestamp with time zone`, `integer[]`, `struct<a integer>`.
 */
export function typeName(t: DataType): string {
  switch (t.kind) {
    case 'boolean':
      return 'boolean';
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'float32':
      return 'real';
    case 'float64':
      return 'double precision';
    case 'decimal':
      return 'numeric';
    case 'varchar':
      return 'character varying';
    case 'bytea':
      return 'bytea';
    case 'date':
      return 'date';
    case 'time':
      return 'time without time zone';
    case 'timestamp':
      return 'timestamp without time zone';
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'interval':
      return 'interval';
    case 'jsonb':
      return 'jsonb';
    case 'serial':
      return 'serial';
    case 'unknown':
      return 'unknown';
    case 'list':
      return `${typeName(t.elem)}[]`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name} ${typeName(f.type)}`).join(', ')}>`;
  }
}
