/**
 * Array (list) functions and operators. SQL arrays here are one-dimensional lists with
 * lower bound 1, as in RisingWave. Element comparisons use the element type's equality
 * (so NULL elements match NULL in array_position/array_remove, as in PostgreSQL).
 */
import { compareDatum, datumEquals, listOf, SqlError, SqlState, T, type DataType, type Datum } from '@freshet/common';
import type { EvalContext } from '../context';
import { bound, fn, type EvalFn, type ScalarDef } from './def';
import { textOf } from './string';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;

const elemOf = (t: DataType) => (t.kind === 'list' ? t.elem : t);
const same = (t: DataType) => (a: Datum, b: Datum) => (a === null || b === null ? a === b : datumEquals(t, a, b));

function withElem(build: (elem: DataType) => EvalFn): (types: DataType[]) => EvalFn {
  return (types) => build(elemOf(types.find((t) => t.kind === 'list') ?? types[0]));
}

/** array[i] with 1-based i; out of range gives NULL. */
export function arrayAccess(list: Datum[], i: number): Datum {
  return i >= 1 && i <= list.length ? list[i - 1] : null;
}

/** array[lo:hi] (inclusive, clamped); NULL bounds mean open ends. */
export function arraySlice(list: Datum[], lo: number | null, hi: number | null): Datum[] {
  const from = Math.max(1, lo ?? 1);
  const to = Math.min(list.length, hi ?? list.length);
  return to < from ? [] : list.slice(from - 1, to);
}

function arrayToString(elem: DataType, list: Datum[], sep: string, nullText: string | null, ctx: EvalContext): string {
  const parts: string[] = [];
  for (const e of list) {
    if (e === null) {
      if (nullText !== null) parts.push(nullText);
    } else if (Array.isArray(e)) parts.push(arrayToString(elemOf(elem), e, sep, nullText, ctx));
    else parts.push(textOf(elem, e, ctx));
  }
  return parts.join(sep);
}

function stringToArray(s: string, sep: string | null, nullText: string | null): Datum[] {
  let parts: string[];
  if (s === '') return [];
  if (sep === null) parts = Array.from(s);
  else if (sep === '') parts = [s];
  else parts = s.split(sep);
  return parts.map((p) => (nullText !== null && p === nullText ? null : p));
}

export const arrayFunctions: ScalarDef[] = [
  fn('array_access', ['anyarray', I], (t) => elemOf(t[0]), (a) => arrayAccess(a[0] as Datum[], a[1] as number)),
  fn('array_slice', ['anyarray', I, I], (t) => t[0], (a) => arraySlice(a[0] as Datum[], a[1] as number | null, a[2] as number | null), {
    strict: false,
  }),
  fn('array_length', ['anyarray'], I, (a) => ((a[0] as Datum[]).length === 0 ? null : (a[0] as Datum[]).length)),
  fn('array_length', ['anyarray', I], I, (a) => (a[1] === 1 && (a[0] as Datum[]).length > 0 ? (a[0] as Datum[]).length : null)),
  fn('cardinality', ['anyarray'], I, (a) => (a[0] as Datum[]).length),
  fn('array_lower', ['anyarray', I], I, (a) => (a[1] === 1 && (a[0] as Datum[]).length > 0 ? 1 : null)),
  fn('array_upper', ['anyarray', I], I, (a) => (a[1] === 1 && (a[0] as Datum[]).length > 0 ? (a[0] as Datum[]).length : null)),
  fn('array_ndims', ['anyarray'], I, (a) => ((a[0] as Datum[]).length === 0 ? null : 1)),
  fn('array_dims', ['anyarray'], V, (a) => ((a[0] as Datum[]).length === 0 ? null : `[1:${(a[0] as Datum[]).length}]`)),
  // array || array, array || elem, elem || array (the operator) and their function names.
  fn('array_cat', ['anyarray', 'anyarray'], (t) => t[0], (a) => [...((a[0] as Datum[]) ?? []), ...((a[1] as Datum[]) ?? [])], { strict: false }),
  fn('concat_op', ['anyarray', 'anyarray'], (t) => t[0], (a) => [...((a[0] as Datum[]) ?? []), ...((a[1] as Datum[]) ?? [])], { strict: false }),
  fn('array_append', ['anyarray', 'anyelement'], (t) => t[0], (a) => [...((a[0] as Datum[]) ?? []), a[1]], { strict: false }),
  fn('concat_op', ['anyarray', 'anyelement'], (t) => t[0], (a) => [...((a[0] as Datum[]) ?? []), a[1]], { strict: false }),
  fn('array_prepend', ['anyelement', 'anyarray'], (t) => t[1], (a) => [a[0], ...((a[1] as Datum[]) ?? [])], { strict: false }),
  fn('concat_op', ['anyelement', 'anyarray'], (t) => t[1], (a) => [a[0], ...((a[1] as Datum[]) ?? [])], { strict: false }),
  bound('array_position', ['anyarray', 'anyelement'], I, withElem((e) => {
    const eq = same(e);
    return (a) => {
      const list = a[0] as Datum[] | null;
      if (list === null) return null;
      const i = list.findIndex((x) => eq(x, a[1]));
      return i < 0 ? null : i + 1;
    };
  }), { strict: false }),
  bound('array_positions', ['anyarray', 'anyelement'], listOf(I), withElem((e) => {
    const eq = same(e);
    return (a) => {
      const list = a[0] as Datum[] | null;
      if (list === null) return null;
      const out: Datum[] = [];
      list.forEach((x, i) => eq(x, a[1]) && out.push(i + 1));
      return out;
    };
  }), { strict: false }),
  bound('array_remove', ['anyarray', 'anyelement'], (t) => t[0], withElem((e) => {
    const eq = same(e);
    return (a) => (a[0] === null ? null : (a[0] as Datum[]).filter((x) => !eq(x, a[1])));
  }), { strict: false }),
  bound('array_replace', ['anyarray', 'anyelement', 'anyelement'], (t) => t[0], withElem((e) => {
    const eq = same(e);
    return (a) => (a[0] === null ? null : (a[0] as Datum[]).map((x) => (eq(x, a[1]) ? a[2] : x)));
  }), { strict: false }),
  bound('array_distinct', ['anyarray'], (t) => t[0], withElem((e) => {
    const eq = same(e);
    return (a) => {
      const out: Datum[] = [];
      for (const x of a[0] as Datum[]) if (!out.some((y) => eq(x, y))) out.push(x);
      return out;
    };
  })),
  bound('array_sort', ['anyarray'], (t) => t[0], withElem((e) => (a) =>
    (a[0] as Datum[]).slice().sort((x, y) => (x === null ? (y === null ? 0 : 1) : y === null ? -1 : compareDatum(e, x, y))))),
  bound('array_contains', ['anyarray', 'anyarray'], B, withElem((e) => {
    const eq = same(e);
    return (a) => (a[1] as Datum[]).every((y) => y !== null && (a[0] as Datum[]).some((x) => x !== null && eq(x, y)));
  })),
  bound('array_contained', ['anyarray', 'anyarray'], B, withElem((e) => {
    const eq = same(e);
    return (a) => (a[0] as Datum[]).every((y) => y !== null && (a[1] as Datum[]).some((x) => x !== null && eq(x, y)));
  })),
  bound('array_overlap', ['anyarray', 'anyarray'], B, withElem((e) => {
    const eq = same(e);
    return (a) => (a[0] as Datum[]).some((x) => x !== null && (a[1] as Datum[]).some((y) => y !== null && eq(x, y)));
  })),
  bound('array_min', ['anyarray'], (t) => elemOf(t[0]), withElem((e) => (a) => {
    let best: Datum = null;
    for (const x of a[0] as Datum[]) if (x !== null && (best === null || compareDatum(e, x, best) < 0)) best = x;
    return best;
  })),
  bound('array_max', ['anyarray'], (t) => elemOf(t[0]), withElem((e) => (a) => {
    let best: Datum = null;
    for (const x of a[0] as Datum[]) if (x !== null && (best === null || compareDatum(e, x, best) > 0)) best = x;
    return best;
  })),
  fn('trim_array', ['anyarray', I], (t) => t[0], (a) => {
    const list = a[0] as Datum[];
    const n = a[1] as number;
    if (n < 0 || n > list.length) throw new SqlError(SqlState.ArraySubscriptError, 'number of elements to trim must be between 0 and ' + list.length);
    return list.slice(0, list.length - n);
  }),
  ...['array_to_string', 'array_join'].flatMap((name) => [
    bound(name, ['anyarray', V], V, withElem((e) => (a, ctx) => arrayToString(e, a[0] as Datum[], a[1] as string, null, ctx))),
    bound(name, ['anyarray', V, V], V, withElem((e) => (a, ctx) => {
      if (a[0] === null || a[1] === null) return null;
      return arrayToString(e, a[0] as Datum[], a[1] as string, a[2] as string | null, ctx);
    }), { strict: false }),
  ]),
  fn('string_to_array', [V, V], listOf(V), (a) =>
    a[0] === null ? null : stringToArray(a[0] as string, a[1] as string | null, null), { strict: false }),
  fn('string_to_array', [V, V, V], listOf(V), (a) =>
    a[0] === null ? null : stringToArray(a[0] as string, a[1] as string | null, a[2] as string | null), { strict: false }),
];
