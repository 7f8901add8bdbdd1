/**
 * jsonb operators and functions. Missing keys, out-of-range indexes and type mismatches
 * yield NULL, as in PostgreSQL; negative array indexes count from the end.
 */
import { Jsonb, listOf, SqlError, SqlState, T, type DataType, type Datum } from '@freshet/common';
import { bound, fn, type EvalFn, type ScalarDef } from './def';
import { isJsonObject, jsonScalarText, jsonText, jsonTypeof, toJsonValue } from './json-convert';

const J = T.Jsonb;
const V = T.Varchar;
const I = T.Int32;
const B = T.Boolean;
const VA = listOf(V);

const j = (d: Datum) => (d as Jsonb).value;
const wrap = (v: unknown): Datum => (v === undefined ? null : new Jsonb(v));

function field(v: unknown, key: string): unknown {
  return isJsonObject(v) && Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
}

function element(v: unknown, i: number): unknown {
  if (!Array.isArray(v)) return undefined;
  const idx = i < 0 ? v.length + i : i;
  return idx >= 0 && idx < v.length ? v[idx] : undefined;
}

/** Path step: a key for objects, an integer (text) index for arrays. */
function step(v: unknown, key: string): unknown {
  if (Array.isArray(v)) return /^-?\d+$/.test(key) ? element(v, Number(key)) : undefined;
  return field(v, key);
}

function extractPath(v: unknown, path: Datum[]): unknown {
  let cur: unknown = v;
  for (const p of path) {
    if (p === null || cur === undefined) return undefined;
    cur = step(cur, p as string);
  }
  return cur;
}

/** `@>`: PostgreSQL's jsonb containment. */
export function jsonContains(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) {
    if (Array.isArray(b)) return b.every((be) => a.some((ae) => jsonContains(ae, be)));
    return typeof b !== 'object' || b === null ? a.some((ae) => jsonEquals(ae, b)) : false;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    return Object.keys(b).every((k) => Object.prototype.hasOwnProperty.call(a, k) && jsonContains(a[k], b[k]));
  }
  return jsonEquals(a, b);
}

function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEquals(a[k], b[k]));
  }
  return false;
}

function exists(v: unknown, key: string): boolean {
  if (isJsonObject(v)) return Object.prototype.hasOwnProperty.call(v, key);
  if (Array.isArray(v)) return v.some((e) => e === key);
  return v === key;
}

function stripNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripNulls);
  if (isJsonObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) o[k] = stripNulls(x);
    return o;
  }
  return v;
}

function pretty(v: unknown, indent = ''): string {
  const inner = indent + '    ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[\n' + v.map((e) => inner + pretty(e, inner)).join(',\n') + '\n' + indent + ']';
  }
  if (isJsonObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    return '{\n' + keys.map((k) => inner + JSON.stringify(k) + ': ' + pretty(v[k], inner)).join(',\n') + '\n' + indent + '}';
  }
  return jsonText(v);
}

function setPath(target: unknown, path: string[], value: unknown, create: boolean): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(target)) {
    if (!/^-?\d+$/.test(head)) throw new SqlError(SqlState.InvalidTextRepresentation, `path element is not an integer: ${head}`);
    const out = target.slice();
    let i = Number(head);
    if (i < 0) i += out.length;
    if (i >= 0 && i < out.length) out[i] = setPath(out[i], rest, value, create);
    else if (create && rest.length === 0) {
      if (i < 0) out.unshift(value);
      else out.push(value);
    }
    return out;
  }
  if (isJsonObject(target)) {
    if (Object.prototype.hasOwnProperty.call(target, head)) return { ...target, [head]: setPath(target[head], rest, value, create) };
    return create && rest.length === 0 ? { ...target, [head]: value } : target;
  }
  return target;
}

function buildObject(types: DataType[]): EvalFn {
  return (args, ctx) => {
    if (args.length % 2 !== 0) {
      throw new SqlError(SqlState.InvalidParameterValue, 'argument list must have even number of elements');
    }
    const o: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 2) {
      if (args[i] === null) throw new SqlError(SqlState.InvalidParameterValue, 'argument 1: key must not be null');
      const k = toJsonValue(types[i], args[i], ctx.timeZone);
      o[typeof k === 'string' ? k : jsonText(k)] = toJsonValue(types[i + 1], args[i + 1], ctx.timeZone);
    }
    return new Jsonb(o);
  };
}

function buildArray(types: DataType[]): EvalFn {
  return (args, ctx) => new Jsonb(args.map((a, i) => toJsonValue(types[i], a, ctx.timeZone)));
}

export const jsonFunctions: ScalarDef[] = [
  fn('jsonb_access', [J, V], J, (a) => wrap(field(j(a[0]), a[1] as string))),
  fn('jsonb_access', [J, I], J, (a) => wrap(element(j(a[0]), a[1] as number))),
  fn('jsonb_access_str', [J, V], V, (a) => jsonScalarText(field(j(a[0]), a[1] as string) ?? null)),
  fn('jsonb_access_str', [J, I], V, (a) => jsonScalarText(element(j(a[0]), a[1] as number) ?? null)),
  fn('jsonb_extract_path', [J, VA], J, (a) => wrap(extractPath(j(a[0]), a[1] as Datum[]))),
  fn('jsonb_extract_path', [J], J, (a) => wrap(extractPath(j(a[0]), a.slice(1))), { variadic: V, minVariadic: 1 }),
  fn('jsonb_extract_path_text', [J], V, (a) => jsonScalarText(extractPath(j(a[0]), a.slice(1)) ?? null), {
    variadic: V,
    minVariadic: 1,
  }),
  fn('jsonb_extract_path_text', [J, VA], V, (a) => jsonScalarText(extractPath(j(a[0]), a[1] as Datum[]) ?? null)),
  fn('jsonb_contains', [J, J], B, (a) => jsonContains(j(a[0]), j(a[1]))),
  fn('jsonb_contained', [J, J], B, (a) => jsonContains(j(a[1]), j(a[0]))),
  fn('jsonb_exists', [J, V], B, (a) => exists(j(a[0]), a[1] as string)),
  fn('jsonb_exists_any', [J, VA], B, (a) => (a[1] as Datum[]).some((k) => k !== null && exists(j(a[0]), k as string))),
  fn('jsonb_exists_all', [J, VA], B, (a) => (a[1] as Datum[]).every((k) => k !== null && exists(j(a[0]), k as string))),
  fn('concat_op', [J, J], J, (a) => {
    const x = j(a[0]);
    const y = j(a[1]);
    if (isJsonObject(x) && isJsonObject(y)) return new Jsonb({ ...x, ...y });
    return new Jsonb([...(Array.isArray(x) ? x : [x]), ...(Array.isArray(y) ? y : [y])]);
  }),
  fn('subtract', [J, V], J, (a) => {
    const x = j(a[0]);
    const k = a[1] as string;
    if (isJsonObject(x)) {
      const { [k]: _drop, ...rest } = x;
      return new Jsonb(rest);
    }
    if (Array.isArray(x)) return new Jsonb(x.filter((e) => e !== k));
    throw new SqlError(SqlState.InvalidParameterValue, 'cannot delete from scalar');
  }),
  fn('subtract', [J, I], J, (a) => {
    const x = j(a[0]);
    if (!Array.isArray(x)) throw new SqlError(SqlState.InvalidParameterValue, 'cannot delete from object using integer index');
    let i = a[1] as number;
    if (i < 0) i += x.length;
    return new Jsonb(x.filter((_, k) => k !== i));
  }),
  fn('jsonb_typeof', [J], V, (a) => jsonTypeof(j(a[0]))),
  fn('jsonb_array_length', [J], I, (a) => {
    const v = j(a[0]);
    if (!Array.isArray(v)) {
      throw new SqlError(SqlState.InvalidParameterValue, `cannot get array length of a ${Array.isArray(v) ? 'array' : isJsonObject(v) ? 'non-array' : 'scalar'}`);
    }
    return v.length;
  }),
  fn('jsonb_strip_nulls', [J], J, (a) => new Jsonb(stripNulls(j(a[0])))),
  fn('jsonb_pretty', [J], V, (a) => pretty(j(a[0]))),
  fn('jsonb_set', [J, VA, J], J, (a) => new Jsonb(setPath(j(a[0]), a[1] as string[], j(a[2]), true))),
  fn('jsonb_set', [J, VA, J, B], J, (a) => new Jsonb(setPath(j(a[0]), a[1] as string[], j(a[2]), a[3] as boolean))),
  bound('jsonb_build_object', [], J, buildObject, { variadic: 'any', strict: false }),
  bound('jsonb_build_array', [], J, buildArray, { variadic: 'any', strict: false }),
  bound('to_jsonb', ['any'], J, (t) => (a, ctx) => new Jsonb(toJsonValue(t[0], a[0], ctx.timeZone))),
];
