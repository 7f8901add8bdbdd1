/**
 * SQL values ↔ JSON values (the `value` inside a Jsonb datum), and the text form of
 * JSON values PostgreSQL prints (`{"a": 1, "b": [1, 2]}`, ", " and ": " separators).
 */
import { Decimal, formatDatum, Jsonb, StructValue, type DataType, type Datum } from '@freshet/common';

/** to_jsonb semantics: numbers stay numbers, text stays text, rows become objects. */
export function toJsonValue(t: DataType, d: Datum, timeZone = 'UTC'): unknown {
  if (d === null) return null;
  switch (t.kind) {
    case 'jsonb':
      return (d as Jsonb).value;
    case 'boolean':
    case 'varchar':
      return d;
    case 'int16':
    case 'int32':
    case 'float32':
    case 'float64':
      return d;
    case 'int64':
    case 'serial':
      return Number(d);
    case 'decimal':
      return (d as Decimal).isFinite() ? (d as Decimal).toNumber() : (d as Decimal).toString();
    case 'list':
      return (d as Datum[]).map((e) => toJsonValue(t.elem, e, timeZone));
    case 'struct': {
      const o: Record<string, unknown> = {};
      t.fields.forEach((f, i) => (o[f.name] = toJsonValue(f.type, (d as StructValue).fields[i], timeZone)));
      return o;
    }
    case 'timestamp':
    case 'timestamptz':
      return formatDatum(t, d, timeZone).replace(' ', 'T');
    default:
      return formatDatum(t, d, timeZone);
  }
}

/** PostgreSQL's jsonb text output. */
export function jsonText(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) >= 1e21 ? BigInt(v).toString() : String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map(jsonText).join(', ') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).map((k) => JSON.stringify(k) + ': ' + jsonText(o[k])).join(', ') + '}';
}

/** ->> semantics: a JSON string unquoted, anything else as JSON text, JSON null as SQL NULL. */
export function jsonScalarText(v: unknown): string | null {
  if (v === null) return null;
  return typeof v === 'string' ? v : jsonText(v);
}

export function jsonTypeof(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
