/**
 * Rows → a Parquet file (apache-arrow builds the columns, parquet-wasm writes the file,
 * Snappy-compressed), for the S3 sink's `ENCODE PARQUET`. Column types as RisingWave's
 * file sink maps them to Arrow:
 *
 * | SQL | Parquet (Arrow) |
 * |---|---|
 * | boolean, smallint, integer, bigint, real, double | BOOLEAN, INT16, INT32, INT64, FLOAT, DOUBLE |
 * | numeric | DECIMAL(28, 10) (NaN and ±Infinity, which it cannot hold, are null) |
 * | varchar, bytea | STRING, BINARY |
 * | date, time, timestamp | DATE, TIME(µs), TIMESTAMP(µs) |
 * | timestamptz | TIMESTAMP(µs, UTC) |
 * | interval, jsonb, lists, structs | STRING: the value as SELECT prints it (jsonb: JSON text; lists and structs: their JSON encoding) |
 */
import type { Data, DataType as ArrowType, Field } from 'apache-arrow';
import { apacheArrow, parquetWasm } from '../libraries';
import { type DataType, type Datum, type Decimal, formatDatum } from '@freshet/common';
import { encodeJsonValue } from '../format/json-encode';
import type { SinkColumn } from './api';

export const PARQUET_DECIMAL_PRECISION = 28;
export const PARQUET_DECIMAL_SCALE = 10;

/** Reads column `c` of row `r` (the caller's buffered rows, without copying them). */
export type CellReader = (c: number, r: number) => Datum;

export function encodeParquet(columns: readonly SinkColumn[], indices: readonly number[], rowCount: number, cell: CellReader): Uint8Array {
  const { Field, Schema, RecordBatch, Struct, Table: ArrowTable, makeData, tableToIPC } = apacheArrow();
  const { Compression, Table: WasmTable, WriterPropertiesBuilder, writeParquet } = parquetWasm();
  const fields: Field[] = [];
  const children: Data[] = [];
  for (const c of indices) {
    const data = columnData(columns[c].type, rowCount, (r) => cell(c, r));
    fields.push(new Field(columns[c].name, data.type, true));
    children.push(data);
  }
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rowCount, nullCount: 0, children }));
  const ipc = tableToIPC(new ArrowTable([batch]), 'stream');
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setCreatedBy('freshet').build();
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}

function columnData(t: DataType, n: number, get: (r: number) => Datum): Data {
  const { Binary, Bool, DateDay, Float32, Float64, Int16, Int32, Int64, TimeMicrosecond, TimestampMicrosecond, Utf8, vectorFromArray } = apacheArrow();
  switch (t.kind) {
    case 'boolean':
      return vectorFromArray(Array.from({ length: n }, (_, r) => get(r) as boolean | null), new Bool()).data[0];
    case 'int16':
      return fixed(new Int16(), n, get, new Int16Array(n), (d) => d as number);
    case 'int32':
      return fixed(new Int32(), n, get, new Int32Array(n), (d) => d as number);
    case 'int64':
    case 'serial':
      return fixed(new Int64(), n, get, new BigInt64Array(n), (d) => d as bigint);
    case 'float32':
      return fixed(new Float32(), n, get, new Float32Array(n), (d) => d as number);
    case 'float64':
      return fixed(new Float64(), n, get, new Float64Array(n), (d) => d as number);
    case 'date':
      return fixed(new DateDay(), n, get, new Int32Array(n), (d) => d as number);
    case 'time':
      return fixed(new TimeMicrosecond(), n, get, new BigInt64Array(n), (d) => BigInt(Math.round(d as number)));
    case 'timestamp':
      return fixed(new TimestampMicrosecond(), n, get, new BigInt64Array(n), (d) => BigInt(Math.round(d as number)));
    case 'timestamptz':
      return fixed(new TimestampMicrosecond('+00:00'), n, get, new BigInt64Array(n), (d) => BigInt(Math.round(d as number)));
    case 'decimal':
      return decimalData(n, get);
    case 'varchar':
      return vectorFromArray(Array.from({ length: n }, (_, r) => get(r) as string | null), new Utf8()).data[0];
    case 'bytea':
      return vectorFromArray(Array.from({ length: n }, (_, r) => get(r) as Uint8Array | null), new Binary()).data[0];
    case 'list':
    case 'struct':
      return textData(n, get, (d) => encodeJsonValue(t, d));
    default:
      return textData(n, get, (d) => formatDatum(t, d, 'UTC'));
  }
}

type Fixed = Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array;

function fixed<A extends Fixed>(type: ArrowType, n: number, get: (r: number) => Datum, values: A, conv: (d: Datum) => A[number]): Data {
  let valid: Uint8Array | null = null;
  let nulls = 0;
  for (let r = 0; r < n; r++) {
    const d = get(r);
    if (d === null) {
      valid ??= allValid(n);
      valid[r >> 3] &= ~(1 << (r & 7));
      nulls++;
    } else {
      values[r] = conv(d);
    }
  }
  return apacheArrow().makeData({ type, length: n, nullCount: nulls, nullBitmap: valid, data: values } as never);
}

function allValid(n: number): Uint8Array {
  return new Uint8Array((n + 7) >> 3).fill(0xff);
}

function textData(n: number, get: (r: number) => Datum, text: (d: Datum) => string): Data {
  const { Utf8, vectorFromArray } = apacheArrow();
  return vectorFromArray(
    Array.from({ length: n }, (_, r) => {
      const d = get(r);
      return d === null ? null : text(d);
    }),
    new Utf8(),
  ).data[0];
}

const DECIMAL_LIMIT = 10n ** BigInt(PARQUET_DECIMAL_PRECISION);

/** Decimal128(28, 10): the unscaled value as 16 little-endian two's-complement bytes. */
function decimalData(n: number, get: (r: number) => Datum): Data {
  const words = new Uint32Array(n * 4);
  let valid: Uint8Array | null = null;
  let nulls = 0;
  for (let r = 0; r < n; r++) {
    const v = unscaled(get(r) as Decimal | null);
    if (v === null) {
      valid ??= allValid(n);
      valid[r >> 3] &= ~(1 << (r & 7));
      nulls++;
      continue;
    }
    let u = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++) {
      words[r * 4 + k] = Number(u & 0xffffffffn);
      u >>= 32n;
    }
  }
  const { Decimal: ArrowDecimal, makeData } = apacheArrow();
  const type = new ArrowDecimal(PARQUET_DECIMAL_SCALE, PARQUET_DECIMAL_PRECISION, 128);
  return makeData({ type, length: n, nullCount: nulls, nullBitmap: valid, data: words });
}

/** The value × 10^10, rounded half away from zero; null for NULL, NaN, ±Infinity or overflow. */
function unscaled(d: Decimal | null): bigint | null {
  if (d === null || d.special) return null;
  const shift = PARQUET_DECIMAL_SCALE - d.scale;
  let v: bigint;
  if (shift >= 0) v = d.mantissa * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    const q = d.mantissa / div;
    const rem = d.mantissa % div;
    const half = rem < 0n ? -rem * 2n >= div : rem * 2n >= div;
    v = half ? q + (d.mantissa < 0n ? -1n : 1n) : q;
  }
  return v >= DECIMAL_LIMIT || v <= -DECIMAL_LIMIT ? null : v;
}
