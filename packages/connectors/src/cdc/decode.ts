/**
 * pgoutput tuples (column name → text, as the upstream type's output function writes it)
 * into rows of the Freshet table's columns. Upstream text is PostgreSQL's own text format
 * (the connection sets DateStyle ISO, TimeZone UTC, IntervalStyle postgres, hex bytea),
 * which `parseDatum` reads for every type Freshet has: int2/4/8, numeric, float4/8, bool,
 * text/varchar/char, date, time, timestamp, timestamptz, interval, jsonb/json, bytea and
 * one-dimensional arrays of those. Columns the upstream row lacks are NULL.
 */
import { type Datum, type Row, parseDatum } from '@freshet/common';
import type { SourceColumn } from '../api';

/** Text tuple as pgoutput hands it over: `undefined` is an unchanged TOAST value it did not send. */
export type TextTuple = Record<string, string | null | undefined>;

/** Reads one upstream table's tuples into rows of `columns` (names matched exactly, then case-insensitively). */
export class TupleDecoder {
  constructor(private readonly columns: readonly SourceColumn[]) {}

  /** `null` when a value is an unchanged TOAST datum pgoutput did not send (see README). */
  row(tuple: TextTuple): Row | null {
    const out: Datum[] = new Array(this.columns.length);
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i];
      let v = tuple[c.name];
      if (v === undefined && !(c.name in tuple)) v = findInsensitive(tuple, c.name);
      else if (v === undefined) return null;
      out[i] = v === null || v === undefined ? null : parseDatum(c.type, v, 'UTC');
    }
    return out;
  }

  /** A delete's row: only the key columns pgoutput sent are set. */
  keyRow(tuple: TextTuple): Row {
    return this.columns.map((c) => {
      const v = c.name in tuple ? tuple[c.name] : findInsensitive(tuple, c.name);
      return v === null || v === undefined ? null : parseDatum(c.type, v, 'UTC');
    });
  }
}

function findInsensitive(tuple: TextTuple, name: string): string | null | undefined {
  const lower = name.toLowerCase();
  for (const k in tuple) if (k.toLowerCase() === lower) return tuple[k];
  return null;
}
