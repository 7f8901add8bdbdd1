/**
 * Keys and values of key-value sinks (Redis), as RisingWave's sink encoders write them:
 *
 * - `ENCODE JSON`: a JSON object of the columns in order — the key holds the primary-key
 *   columns (`{"user_id":1}`), the value every visible column — with RisingWave's JSON
 *   encoding of each type (format/json-encode.ts: decimals as strings, timestamps as epoch
 *   milliseconds, timestamptz as RFC 3339 UTC, dates as days from CE, …).
 * - `ENCODE TEMPLATE`: `key_format` / `value_format` strings such as `user:{user_id}`, each
 *   `{column}` replaced by the column's text (as SELECT prints it; NULL as `NULL`).
 *   Every `{…}` must name a column — of the primary key for `key_format` — as RisingWave's
 *   `check_string_format` demands.
 *
 * Also the sink's primary key: `primary_key = 'a,b'`, or the upstream's unique key.
 */
import { type Datum, SqlError, SqlState, formatDatum } from '@freshet/common';
import { type ByteWriter, writeJsonValue } from '../format/json-bytes';
import { encodeJsonValue } from '../format/json-encode';
import { missingOption } from '../options';
import type { ExternalSinkSpec, SinkColumn } from './api';

export interface RowEncoder {
  encode(row: readonly Datum[]): string;
  /** The same text as UTF-8 appended to `out`: for sinks that send bytes (Redis), no string built. */
  encodeInto(row: readonly Datum[], out: ByteWriter): void;
}

/** `{"a":…,"b":…}` of the columns at `indices`, with the quoted names computed once. */
export function jsonEncoder(columns: readonly SinkColumn[], indices: readonly number[]): RowEncoder {
  const prefixes = indices.map((i, k) => (k === 0 ? '{' : ',') + JSON.stringify(columns[i].name) + ':');
  const types = indices.map((i) => columns[i].type);
  const prefixBytes = prefixes.map((p) => Buffer.from(p, 'utf8'));
  const at = [...indices];
  const n = at.length;
  if (n === 0) return { encode: () => '{}', encodeInto: (_row, out) => out.utf8('{}') };
  return {
    encode(row) {
      let s = '';
      for (let k = 0; k < n; k++) s += prefixes[k] + encodeJsonValue(types[k], row[at[k]]);
      return s + '}';
    },
    encodeInto(row, out) {
      for (let k = 0; k < n; k++) {
        out.raw(prefixBytes[k]);
        writeJsonValue(out, types[k], row[at[k]]);
      }
      out.byte(0x7d); // }
    },
  };
}

/** A compiled `key_format` / `value_format`: literal text and column slots. */
export function templateEncoder(
  option: string,
  template: string,
  columns: readonly SinkColumn[],
  allowed: readonly number[],
  timeZone: string,
): RowEncoder {
  const literals: string[] = [];
  const slots: number[] = [];
  const re = /\{([^}]*)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template)) !== null) {
    const name = m[1];
    const at = allowed.find((i) => columns[i].name === name);
    if (at === undefined) {
      const where = columns.some((c) => !c.hidden && c.name === name) ? ' (a key_format may only use primary key columns)' : '';
      throw new SqlError(SqlState.InvalidParameterValue, `Can't find field(${JSON.stringify(name)}) in ${option}${where}`);
    }
    literals.push(template.slice(last, m.index));
    slots.push(at);
    last = re.lastIndex;
  }
  if (slots.length === 0) throw new SqlError(SqlState.InvalidParameterValue, `Can't find {} in ${option}: it must name at least one column, e.g. 'user:{id}'`);
  literals.push(template.slice(last));
  const encode = (row: readonly Datum[]): string => {
    let s = literals[0];
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k];
      const d = row[i];
      s += (d === null ? 'NULL' : formatDatum(columns[i].type, d, timeZone)) + literals[k + 1];
    }
    return s;
  };
  return { encode, encodeInto: (row, out) => out.utf8(encode(row)) };
}

/** Indices of the columns the target sees (not the hidden stream-key carriers). */
export function visibleColumns(spec: ExternalSinkSpec): number[] {
  return spec.columns.flatMap((c, i) => (c.hidden ? [] : [i]));
}

/**
 * The sink's primary key: `primary_key` (comma-separated column names), else the
 * upstream's unique key when the user can see all of it. `required` connectors refuse a
 * sink without one.
 */
export function sinkPrimaryKey(spec: ExternalSinkSpec, required: boolean): number[] {
  const named = spec.options.primary_key;
  if (named !== undefined && named.trim() !== '') {
    return named.split(',').map((n) => {
      const name = n.trim();
      const i = spec.columns.findIndex((c) => !c.hidden && c.name === name);
      if (i < 0) {
        throw new SqlError(SqlState.InvalidParameterValue, `Sink primary key column not found: ${name}. Please use ',' as the delimiter for different primary key columns.`);
      }
      return i;
    });
  }
  if (spec.streamKey.length > 0 && spec.streamKey.every((i) => !spec.columns[i].hidden)) return [...spec.streamKey];
  if (required) throw missingOption(spec.connector, 'primary_key');
  return [];
}

/** FORMAT … ENCODE … as given, checked against what a connector supports. */
export function formatEncode(spec: ExternalSinkSpec, formats: readonly string[], encodes: readonly string[], defaults: { format: string; encode: string }) {
  const format = spec.format ?? defaults.format;
  const encode = spec.encode ?? defaults.encode;
  if (!formats.includes(format) || !encodes.includes(encode)) {
    throw new SqlError(
      SqlState.FeatureNotSupported,
      `Feature is not yet implemented: ${spec.connector} sink FORMAT ${format.toUpperCase()} ENCODE ${encode.toUpperCase()}`,
      { hint: `Supported: FORMAT ${formats.map((f) => f.toUpperCase()).join(' | ')} ENCODE ${encodes.map((e) => e.toUpperCase()).join(' | ')}.` },
    );
  }
  return { format, encode };
}

/** An option from ENCODE (…) or WITH (…), under any of its spellings. */
export function formatOption(spec: ExternalSinkSpec, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = spec.encodeOptions[n] ?? spec.options[n];
    if (v !== undefined) return v;
  }
  return undefined;
}
