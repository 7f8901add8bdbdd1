/**
 * Row → JSON text for sinks, as RisingWave's JsonEncoder writes it with a Kafka sink's
 * defaults: integers as exact numbers (int64 too), decimal as a string, timestamptz as
 * RFC 3339 UTC with microseconds (`2018-01-26T18:30:09.453000Z`), timestamp as epoch
 * milliseconds, date as days from the Common Era (0001-01-01 is 1), time as milliseconds
 * since midnight, interval as ISO 8601 (`P1Y1M2DT0H0M1S`), bytea as unpadded base64, jsonb
 * as a string holding the JSON, lists as arrays and structs as objects. Non-finite floats
 * are null (JSON has no NaN). The text is built directly: JSON.stringify cannot write bigints.
 */
import { type DataType, type Datum, type Decimal, type Interval, type Jsonb, type StructValue, formatDate, formatTime } from '@freshet/common';

/** Days from 0001-01-01 (day 1) to 1970-01-01. */
const CE_EPOCH_DAYS = 719_163;

export interface JsonColumn {
  readonly name: string;
  readonly type: DataType;
}

/** `{"col": value, …}` for the columns at `indices` (all columns when omitted). */
export function encodeJsonObject(columns: readonly JsonColumn[], row: readonly Datum[], indices?: readonly number[]): string {
  let out = '{';
  const n = indices ? indices.length : columns.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    if (k > 0) out += ',';
    out += JSON.stringify(columns[i].name) + ':' + encodeJsonValue(columns[i].type, row[i]);
  }
  return out + '}';
}

export function encodeJsonValue(t: DataType, d: Datum): string {
  if (d === null) return 'null';
  switch (t.kind) {
    case 'boolean':
      return d ? 'true' : 'false';
    case 'int16':
    case 'int32':
    case 'int64':
    case 'serial':
      return String(d);
    case 'float32':
    case 'float64':
      return Number.isFinite(d as number) ? JSON.stringify(d) : 'null';
    case 'decimal':
      return JSON.stringify((d as Decimal).toString());
    case 'varchar':
      return JSON.stringify(d);
    case 'bytea':
      return JSON.stringify(Buffer.from(d as Uint8Array).toString('base64').replace(/=+$/, ''));
    case 'date':
      return String((d as number) + CE_EPOCH_DAYS);
    case 'time':
      return String(Math.floor((d as number) / 1000));
    case 'timestamp':
      return String(Math.floor((d as number) / 1000));
    case 'timestamptz':
      return JSON.stringify(rfc3339Micros(d as number));
    case 'interval':
      return JSON.stringify(iso8601(d as Interval));
    case 'jsonb':
      return JSON.stringify(JSON.stringify((d as Jsonb).value));
    case 'list':
      return '[' + (d as Datum[]).map((e) => encodeJsonValue(t.elem, e)).join(',') + ']';
    case 'struct': {
      const fields = (d as StructValue).fields;
      return '{' + t.fields.map((f, i) => JSON.stringify(f.name) + ':' + encodeJsonValue(f.type, fields[i])).join(',') + '}';
    }
    default:
      return JSON.stringify(String(d));
  }
}

/** The date part of the last timestamptz encoded: a sink's rows mostly share today's. */
let lastDays = NaN;
let lastDate = '';

function rfc3339Micros(us: number): string {
  const days = Math.floor(us / 86_400_000_000);
  const tod = us - days * 86_400_000_000;
  const secs = Math.floor(tod / 1_000_000);
  const frac = String(Math.round(tod - secs * 1_000_000)).padStart(6, '0');
  if (days !== lastDays) {
    lastDate = formatDate(days);
    lastDays = days;
  }
  return `${lastDate}T${formatTime(secs * 1_000_000)}.${frac}Z`;
}

function iso8601(iv: Interval): string {
  const years = Math.trunc(iv.months / 12);
  const months = iv.months % 12;
  const us = iv.usecs();
  const hours = us / 3_600_000_000n;
  const minutes = (us % 3_600_000_000n) / 60_000_000n;
  const micros = us % 60_000_000n;
  const whole = micros / 1_000_000n;
  const frac = micros % 1_000_000n;
  const fracText = frac === 0n ? '' : '.' + String(frac < 0n ? -frac : frac).padStart(6, '0').replace(/0+$/, '');
  const sign = micros < 0n && whole === 0n ? '-' : '';
  return `P${years}Y${months}M${iv.days}DT${hours}H${minutes}M${sign}${whole}${fracText}S`;
}
