/**
 * Order-sensitive aggregates that keep their input rows in arrival order: string_agg,
 * array_agg, jsonb_agg, jsonb_object_agg, first_value, last_value. The caller feeds rows
 * in the call's ORDER BY order; a retraction removes the earliest equal row, which is
 * what a sliding window frame (and a streaming delete of an identical row) needs.
 */
import { datumEquals, Jsonb, listOf, SqlError, SqlState, T, type DataType, type Datum } from '@freshet/common';
import type { AggState } from '../types';
import { toJsonValue } from '../scalar/json-convert';
import { agg, type AggDef } from './def';

class ListState implements AggState {
  readonly rows: Datum[][] = [];
  constructor(
    private readonly types: DataType[],
    private readonly skipNullFirstArg: boolean,
    private readonly finish: (rows: Datum[][]) => Datum,
  ) {}
  add(args: Datum[]): void {
    if (this.skipNullFirstArg && args[0] === null) return;
    this.rows.push(args.slice());
  }
  retract(args: Datum[]): void {
    if (this.skipNullFirstArg && args[0] === null) return;
    const i = this.rows.findIndex((r) => r.every((v, k) => (v === null ? args[k] === null : args[k] !== null && datumEquals(this.types[k], v, args[k]))));
    if (i >= 0) this.rows.splice(i, 1);
  }
  result(): Datum {
    return this.finish(this.rows);
  }
}

function stringAgg(rows: Datum[][]): Datum {
  if (rows.length === 0) return null;
  let out = rows[0][0] as string;
  for (let i = 1; i < rows.length; i++) out += ((rows[i][1] as string | null) ?? '') + (rows[i][0] as string);
  return out;
}

function list(types: DataType[], skipNull: boolean, finish: (rows: Datum[][]) => Datum) {
  return () => new ListState(types, skipNull, finish);
}

export const orderedListAggregates: AggDef[] = [
  agg('string_agg', [T.Varchar, T.Varchar], T.Varchar, (t) => list(t, true, stringAgg), { orderSensitive: true }),
  agg('string_agg', [T.Bytea, T.Bytea], T.Bytea, (t) =>
    list(t, true, (rows) => {
      if (rows.length === 0) return null;
      const parts: Uint8Array[] = [rows[0][0] as Uint8Array];
      for (let i = 1; i < rows.length; i++) parts.push((rows[i][1] as Uint8Array | null) ?? new Uint8Array(), rows[i][0] as Uint8Array);
      return new Uint8Array(Buffer.concat(parts));
    }), { orderSensitive: true }),
  agg('array_agg', ['anyelement'], (t) => listOf(t[0]), (t) =>
    list(t, false, (rows) => (rows.length === 0 ? null : rows.map((r) => r[0]))), { orderSensitive: true }),
  agg('jsonb_agg', ['any'], T.Jsonb, (t) =>
    list(t, false, (rows) => (rows.length === 0 ? null : new Jsonb(rows.map((r) => toJsonValue(t[0], r[0]))))), { orderSensitive: true }),
  agg('jsonb_object_agg', [T.Varchar, 'any'], T.Jsonb, (t) =>
    list(t, false, (rows) => {
      if (rows.length === 0) return null;
      const o: Record<string, unknown> = {};
      for (const r of rows) {
        if (r[0] === null) throw new SqlError(SqlState.InvalidParameterValue, 'field name must not be null');
        o[r[0] as string] = toJsonValue(t[1], r[1]);
      }
      return new Jsonb(o);
    }), { orderSensitive: true }),
  agg('first_value', ['anyelement'], (t) => t[0], (t) => list(t, false, (rows) => (rows.length ? rows[0][0] : null)), { orderSensitive: true }),
  agg('last_value', ['anyelement'], (t) => t[0], (t) => list(t, false, (rows) => (rows.length ? rows[rows.length - 1][0] : null)), { orderSensitive: true }),
];
