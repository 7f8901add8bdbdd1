/**
 * Runtime representation of SQL values ("datums"). A datum's meaning depends on its
 * static DataType, which always travels beside it (in a schema or a column), so the
 * JS representation is chosen for speed rather than self-description:
 *
 * | type         | JS value                                                        |
 * |--------------|-----------------------------------------------------------------|
 * | NULL         | `null` (never `undefined`)                                     |
 * | boolean      | `boolean`                                                       |
 * | int16, int32 | `number` (integral)                                             |
 * | int64,serial | `bigint` (exact over the full signed 64-bit range)              |
 * | float32/64   | `number` (float32 values are rounded with Math.fround)          |
 * | decimal      | `Decimal` (bigint mantissa + scale, NaN/±Infinity)              |
 * | varchar      | `string`                                                        |
 * | bytea        | `Uint8Array`                                                    |
 * | date         | `number`: days since 1970-01-01 (may be negative)               |
 * | time         | `number`: microseconds since midnight                           |
 * | timestamp    | `number`: microseconds since 1970-01-01 00:00:00 (no zone)      |
 * | timestamptz  | `number`: microseconds since the Unix epoch, UTC                |
 * | interval     | `Interval` {months, days, micros}                               |
 * | jsonb        | `Jsonb` wrapper (so JSON null differs from SQL NULL)            |
 * | list (T[])   | `Datum[]`                                                       |
 * | struct       | `StructValue`                                                   |
 *
 * Timestamps as float64 microseconds are exact within ±285 years of 1970 and keep
 * millisecond precision far beyond; this trades the last microsecond on extreme
 * dates for typed-array columns and cheap arithmetic on the hot path.
 */
import type { Decimal } from './decimal';
import type { Interval } from './interval';

export class Jsonb {
  /** A parsed JSON value: null | boolean | number | string | Jsonb-free arrays/objects. */
  constructor(readonly value: unknown) {}
}

export class StructValue {
  constructor(readonly fields: Datum[]) {}
}

export type Datum =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Decimal
  | Interval
  | Jsonb
  | StructValue
  | Datum[];

export type Row = Datum[];
