/**
 * Set-returning functions: each call yields zero or more rows of one or more columns.
 * All of these are strict: a NULL argument yields no rows (PostgreSQL).
 */
import {
  addIntervalToTimestamp,
  addIntervalToTimestamptz,
  Decimal,
  Interval,
  Jsonb,
  listOf,
  SqlError,
  SqlState,
  StructValue,
  structOf,
  T,
  type DataType,
  type Datum,
} from '@freshet/common';
import type { EvalContext } from '../context';
import type { ArgSpec, Signature } from '../overload';
import { invalidParameter } from '../errors';
import { isJsonObject, jsonScalarText } from '../scalar/json-convert';
import { compileRegex, parseFlags } from '../scalar/regex';
import { matchGroups, regexpSplit } from '../scalar/regex-functions';

export type TableEval = (args: Datum[], ctx: EvalContext) => Iterable<Datum[]>;

export interface TableFunctionDef extends Signature {
  readonly name: string;
  readonly columns: (argTypes: DataType[]) => { types: DataType[]; names: string[] };
  readonly bind: (argTypes: DataType[]) => TableEval;
}

function single(name: string, type: (t: DataType[]) => DataType) {
  return (t: DataType[]) => ({ types: [type(t)], names: [name] });
}

function def(
  name: string,
  args: ArgSpec[],
  columns: TableFunctionDef['columns'],
  bind: TableFunctionDef['bind'],
): TableFunctionDef {
  return { name, args, columns, bind };
}

const zeroStep = () => invalidParameter('step', 'step size cannot equal zero');

function* seriesNumber(start: number, stop: number, step: number, inclusive: boolean): Iterable<Datum[]> {
  if (step === 0) throw zeroStep();
  for (let v = start; step > 0 ? (inclusive ? v <= stop : v < stop) : inclusive ? v >= stop : v > stop; v += step) yield [v];
}

function* seriesBigint(start: bigint, stop: bigint, step: bigint, inclusive: boolean): Iterable<Datum[]> {
  if (step === 0n) throw zeroStep();
  for (let v = start; step > 0n ? (inclusive ? v <= stop : v < stop) : inclusive ? v >= stop : v > stop; v += step) yield [v];
}

function* seriesDecimal(start: Decimal, stop: Decimal, step: Decimal, inclusive: boolean): Iterable<Datum[]> {
  if (step.isZero()) throw zeroStep();
  if (!start.isFinite() || !stop.isFinite() || !step.isFinite()) {
    throw new SqlError(SqlState.InvalidParameterValue, 'start, stop and step value cannot be NaN or infinity');
  }
  const up = step.sign() > 0;
  for (let v = start; ; v = v.add(step)) {
    const c = v.compare(stop);
    if (up ? (inclusive ? c > 0 : c >= 0) : inclusive ? c < 0 : c <= 0) return;
    yield [v];
  }
}

function* seriesTime(
  start: number,
  stop: number,
  step: Interval,
  inclusive: boolean,
  add: (t: number, i: Interval) => number,
): Iterable<Datum[]> {
  if (step.isZero()) throw zeroStep();
  const up = step.compare(Interval.ZERO) > 0;
  for (let v = start; up ? (inclusive ? v <= stop : v < stop) : inclusive ? v >= stop : v > stop; v = add(v, step)) yield [v];
}

function seriesDefs(name: string, inclusive: boolean): TableFunctionDef[] {
  const cols = single(name, (t) => t[0]);
  const out: TableFunctionDef[] = [];
  for (const t of [T.Int32, T.Int64, T.Decimal]) {
    const one: Datum = t.kind === 'int32' ? 1 : t.kind === 'int64' ? 1n : Decimal.ONE;
    const run = (a: Datum[], step: Datum): Iterable<Datum[]> =>
      t.kind === 'int32'
        ? seriesNumber(a[0] as number, a[1] as number, step as number, inclusive)
        : t.kind === 'int64'
          ? seriesBigint(a[0] as bigint, a[1] as bigint, step as bigint, inclusive)
          : seriesDecimal(a[0] as Decimal, a[1] as Decimal, step as Decimal, inclusive);
    out.push(def(name, [t, t], cols, () => (a) => run(a, one)));
    out.push(def(name, [t, t, t], cols, () => (a) => run(a, a[2])));
  }
  out.push(
    def(name, [T.Timestamp, T.Timestamp, T.Interval], cols, () => (a) =>
      seriesTime(a[0] as number, a[1] as number, a[2] as Interval, inclusive, addIntervalToTimestamp)),
    def(name, [T.Timestamptz, T.Timestamptz, T.Interval], cols, () => (a, ctx) =>
      seriesTime(a[0] as number, a[1] as number, a[2] as Interval, inclusive, (v, i) => addIntervalToTimestamptz(v, i, ctx.timeZone))),
  );
  return out;
}

function* jsonElements(v: unknown, asText: boolean): Iterable<Datum[]> {
  if (!Array.isArray(v)) throw new SqlError(SqlState.InvalidParameterValue, 'cannot extract elements from an object');
  for (const e of v) yield [asText ? jsonScalarText(e) : new Jsonb(e)];
}

function* jsonEach(v: unknown, asText: boolean): Iterable<Datum[]> {
  if (!isJsonObject(v)) throw new SqlError(SqlState.InvalidParameterValue, 'cannot deconstruct an array as an object');
  for (const [k, e] of Object.entries(v)) yield [k, asText ? jsonScalarText(e) : new Jsonb(e)];
}

function* regexpMatches(s: string, pattern: string, flags: string): Iterable<Datum[]> {
  const f = parseFlags(flags, 'regexp_matches');
  if (!f.global) {
    const m = compileRegex(pattern, f.js).exec(s);
    if (m) yield [matchGroups(m)];
    return;
  }
  const re = compileRegex(pattern, f.js, true);
  re.lastIndex = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    yield [matchGroups(m)];
    if (m[0] === '') re.lastIndex++;
  }
}

const elemOf = (t: DataType) => (t.kind === 'list' ? t.elem : t);

export const tableFunctionDefs: TableFunctionDef[] = [
  ...seriesDefs('generate_series', true),
  ...seriesDefs('range', false),
  def('unnest', ['anyarray'], single('unnest', (t) => elemOf(t[0])), () => function* (a) {
    for (const e of a[0] as Datum[]) yield [e];
  }),
  // PostgreSQL's option lists (`{key=value,…}`) as rows; psql's \d of a foreign table
  // (Freshet's sources and sinks) reads their WITH options through it.
  def('pg_options_to_table', [listOf(T.Varchar)], () => ({ types: [T.Varchar, T.Varchar], names: ['option_name', 'option_value'] }), () => function* (a) {
    for (const o of a[0] as (string | null)[]) {
      if (o === null) continue;
      const eq = o.indexOf('=');
      yield eq < 0 ? [o, null] : [o.slice(0, eq), o.slice(eq + 1)];
    }
  }),
  // information_schema._pg_expandarray: each element with its 1-based position, as a
  // (x, n) record; JDBC's getPrimaryKeys and Metabase read key columns through it.
  def('_pg_expandarray', ['anyarray'], single('_pg_expandarray', (t) => structOf([{ name: 'x', type: elemOf(t[0]) }, { name: 'n', type: T.Int32 }])), () => function* (a) {
    const arr = a[0] as Datum[];
    for (let i = 0; i < arr.length; i++) yield [new StructValue([arr[i], i + 1])];
  }),
  def('generate_subscripts', ['anyarray', T.Int32], single('generate_subscripts', () => T.Int32), () => function* (a) {
    if (a[1] !== 1) return;
    const n = (a[0] as Datum[]).length;
    for (let i = 1; i <= n; i++) yield [i];
  }),
  def('regexp_matches', [T.Varchar, T.Varchar], single('regexp_matches', () => listOf(T.Varchar)), () => (a) =>
    regexpMatches(a[0] as string, a[1] as string, '')),
  def('regexp_matches', [T.Varchar, T.Varchar, T.Varchar], single('regexp_matches', () => listOf(T.Varchar)), () => (a) =>
    regexpMatches(a[0] as string, a[1] as string, a[2] as string)),
  def('regexp_split_to_table', [T.Varchar, T.Varchar], single('regexp_split_to_table', () => T.Varchar), () => function* (a) {
    for (const p of regexpSplit(a[0] as string, a[1] as string)) yield [p];
  }),
  def('jsonb_array_elements', [T.Jsonb], single('value', () => T.Jsonb), () => (a) => jsonElements((a[0] as Jsonb).value, false)),
  def('jsonb_array_elements_text', [T.Jsonb], single('value', () => T.Varchar), () => (a) => jsonElements((a[0] as Jsonb).value, true)),
  def('jsonb_each', [T.Jsonb], () => ({ types: [T.Varchar, T.Jsonb], names: ['key', 'value'] }), () => (a) =>
    jsonEach((a[0] as Jsonb).value, false)),
  def('jsonb_each_text', [T.Jsonb], () => ({ types: [T.Varchar, T.Varchar], names: ['key', 'value'] }), () => (a) =>
    jsonEach((a[0] as Jsonb).value, true)),
  def('jsonb_object_keys', [T.Jsonb], single('jsonb_object_keys', () => T.Varchar), () => function* (a) {
    const v = (a[0] as Jsonb).value;
    if (!isJsonObject(v)) throw new SqlError(SqlState.InvalidParameterValue, 'cannot call jsonb_object_keys on a non-object');
    for (const k of Object.keys(v)) yield [k];
  }),
];

