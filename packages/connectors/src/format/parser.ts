/**
 * `FORMAT … ENCODE …` → a RecordParser. Configuration errors are SqlErrors at creation
 * (they belong to CREATE SOURCE); per-message problems become ParseErrors (partition,
 * offset, reason) so the source can count, log and skip them without stopping.
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { SourceColumn } from '../api';
import { CsvRowParser } from './csv';
import { InexactInteger } from './exact-json';
import { includeDatum } from './include';
import { FALLBACK, FlatJsonRowDecoder } from './json-fast';
import { buildRow, parseJsonObject } from './json-row';
import { MessageError, type ParsedChange, type ParseError, type ParseOutcome, type ParserSpec, type RecordParser, type SourceMessage } from './types';

const NOTHING: ParseOutcome = Object.freeze({ ok: true, change: null });

/** One message → its change; `exact` re-reads JSON keeping integers beyond 2^53 exact. */
type Decoder = (msg: SourceMessage, exact: boolean) => ParsedChange | null;

export function createRecordParser(spec: ParserSpec): RecordParser {
  const format = (spec.format ?? 'plain').toLowerCase();
  const encode = spec.encode.toLowerCase();
  const tz = spec.timeZone ?? 'UTC';
  const columns = spec.columns;
  const decode = decoderFor(format, encode, spec, tz);
  const parse = (msg: SourceMessage): ParsedChange | null | ParseError => {
    try {
      try {
        return decode(msg, false);
      } catch (e) {
        if (!(e instanceof InexactInteger)) throw e;
        return decode(msg, true); // a BIGINT beyond 2^53: read this message exactly
      }
    } catch (e) {
      const reason = e instanceof MessageError ? e.message : e instanceof InexactInteger ? 'integer out of range' : `unexpected ${(e as Error)?.message ?? String(e)}`;
      return { partition: msg.partition, offset: msg.offset, reason };
    }
  };
  const parser: RecordParser = {
    parse(msg: SourceMessage): ParseOutcome {
      const c = parse(msg);
      if (c === null) return NOTHING;
      return 'reason' in c ? { ok: false, error: c } : { ok: true, change: c };
    },
  };
  if (format === 'plain') {
    parser.parseRow = (msg) => {
      const c = parse(msg);
      return c === null || 'reason' in c ? c : c.row;
    };
  }
  return parser;

  function decoderFor(format: string, encode: string, spec: ParserSpec, tz: string): Decoder {
    const combo = `${format} ${encode}`;
    switch (combo) {
      case 'plain json': {
        const fast = new FlatJsonRowDecoder(columns, spec.readColumns, tz);
        return (msg, exact) => {
          const value = msg.value;
          if (value === null || value.length === 0) return null;
          if (!exact) {
            const row = fast.decode(msg, value);
            if (row !== FALLBACK) return { op: 'insert', row };
          }
          return { op: 'insert', row: buildRow(columns, parseJsonObject(value, 'message', exact), msg, 'default', tz, spec.readColumns) };
        };
      }
      case 'upsert json':
        return upsertJson(columns, tz);
      case 'debezium json':
        return debeziumJson(columns, tz);
      case 'plain csv': {
        const opts = spec.options ?? {};
        const delimiter = unquoteDelimiter(opts.delimiter ?? ',');
        const withoutHeader = (opts.without_header ?? 'false').toLowerCase() === 'true';
        const csv = new CsvRowParser(columns, delimiter, !withoutHeader, tz);
        return (msg) => {
          const row = csv.parse(msg);
          return row === null ? null : { op: 'insert', row };
        };
      }
      case 'plain bytes': {
        const payload = columns.filter((c) => !c.include);
        if (payload.length !== 1 || payload[0].type.kind !== 'bytea') {
          throw new SqlError(SqlState.InvalidParameterValue, 'ENCODE BYTES needs exactly one non-INCLUDE column, of type bytea');
        }
        return (msg) => ({ op: 'insert', row: columns.map((c) => (c.include ? includeDatum(c, msg) : msg.value === null ? null : new Uint8Array(msg.value))) });
      }
      default:
        throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: FORMAT ${format.toUpperCase()} ENCODE ${encode.toUpperCase()}`);
    }
  }
}

function unquoteDelimiter(d: string): string {
  const v = d === '\\t' ? '\t' : d;
  if (v.length !== 1) throw new SqlError(SqlState.InvalidParameterValue, `CSV delimiter must be one character, got '${d}'`);
  return v;
}

/**
 * FORMAT UPSERT ENCODE JSON: the key identifies the row. A value is an upsert; an empty or
 * null value deletes by key. The key reaches the row through `INCLUDE KEY AS col`
 * (RisingWave's form, the primary key), or — without it — as a JSON object whose fields
 * fill the key columns.
 */
function upsertJson(columns: readonly SourceColumn[], tz: string): Decoder {
  const hasKeyColumn = columns.some((c) => c.include?.what.toLowerCase() === 'key');
  return (msg, exact) => {
    if (msg.key === null) throw new MessageError('upsert message without a key');
    if (msg.value === null || msg.value.length === 0) {
      const keyObj = hasKeyColumn ? null : parseJsonObject(msg.key, 'key', exact);
      return { op: 'delete', row: buildRow(columns, keyObj, msg, 'default', tz) };
    }
    return { op: 'upsert', row: buildRow(columns, parseJsonObject(msg.value, 'message', exact), msg, 'default', tz) };
  };
}

/**
 * FORMAT DEBEZIUM ENCODE JSON: `{before, after, op}`, bare or inside `{schema, payload}`.
 * c and r insert `after`, u upserts `after` (keeping `before` when present), d deletes
 * `before`. Tombstones (null value) and non-row events are skipped.
 */
function debeziumJson(columns: readonly SourceColumn[], tz: string): Decoder {
  const image = (obj: Record<string, unknown>, field: string, msg: SourceMessage): Row => {
    const v = obj[field];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MessageError(`Debezium event without "${field}"`);
    return buildRow(columns, v as Record<string, unknown>, msg, 'debezium', tz);
  };
  return (msg, exact) => {
    if (msg.value === null || msg.value.length === 0) return null;
    let event = parseJsonObject(msg.value, 'message', exact);
    if (typeof event.payload === 'object' && event.payload !== null && !Array.isArray(event.payload)) event = event.payload as Record<string, unknown>;
    switch (event.op) {
      case 'c':
      case 'r':
        return { op: 'insert', row: image(event, 'after', msg) };
      case 'u': {
        const hasBefore = typeof event.before === 'object' && event.before !== null;
        return hasBefore ? { op: 'upsert', row: image(event, 'after', msg), before: image(event, 'before', msg) } : { op: 'upsert', row: image(event, 'after', msg) };
      }
      case 'd':
        return { op: 'delete', row: image(event, 'before', msg) };
      case 't':
      case 'm':
        return null; // truncate and logical-decoding messages carry no row
      default:
        throw new MessageError(`Debezium event with unknown op ${JSON.stringify(event.op)}`);
    }
  };
}
