/**
 * JavaScript user-defined functions (`CREATE FUNCTION … LANGUAGE javascript AS $$ … $$`),
 * RisingWave's embedded-UDF form: the body is a function body over the named arguments;
 * `RETURNS TABLE (…)` bodies `yield` their rows.
 *
 * Each function gets its own node:vm context created from a null-prototype object, so the
 * body sees only the JavaScript built-ins: no `require`, `process`, timers or host objects.
 * Nothing crosses the boundary but primitives: arguments go in as one JSON string (decoded
 * inside the context into context-owned values, typed arrays included) and results come
 * back as one JSON string, encoded inside the context under the same time limit, so a
 * body can neither reach a host object nor run host code through a getter or a Proxy.
 * Every call into the context has a time limit (an infinite loop is an error, 57014) and
 * the context runs its microtasks before returning (`microtaskMode: 'afterEvaluate'`),
 * so a promise chain is limited too. Memory is not limited: a body that allocates without
 * bound can still exhaust the process (node:vm has no memory cap).
 *
 * A time-limited call costs about 0.1 ms (node starts a watchdog per call), so callers
 * that have many rows at once use `evalBatch` (one call per chunk).
 *
 * SQL ↔ JavaScript values follow RisingWave's table: boolean ↔ boolean; smallint, int,
 * bigint, real, double precision ↔ number; varchar ↔ string; bytea ↔ Uint8Array; jsonb ↔
 * the parsed JSON value; smallint[] int[] bigint[] real[] double precision[] ↔ Int16Array
 * Int32Array BigInt64Array Float32Array Float64Array; other arrays ↔ arrays; structs ↔
 * objects. numeric ↔ number (RisingWave's QuickJS has BigDecimal; node has not, so
 * numeric arrives as the nearest double and a returned number or numeric string is
 * converted back). date/time/timestamp/interval are not supported (as in RisingWave).
 * A returned `undefined` is NULL.
 */
import vm from 'node:vm';
import {
  type DataType,
  type Datum,
  Decimal,
  Jsonb,
  SqlError,
  SqlState,
  StructValue,
  typeName,
} from '@freshet/common';
import type { EvalContext } from '../context';
import type { ScalarImpl, TableFunctionImpl } from '../types';

/** SQLSTATEs the shared SqlState table does not list. */
export const UdfState = {
  InvalidFunctionDefinition: '42P13',
  ExternalRoutineException: '38000',
} as const;

/** Default time limit of one call into a function's context. */
export const JS_UDF_TIMEOUT_MS = 1000;
/** Most rows one call of a table function may yield (a runaway generator is an error). */
const MAX_TABLE_ROWS = 1_000_000;

export interface JsFunctionDef {
  name: string;
  argNames: string[];
  argTypes: DataType[];
  /** Scalar functions: the return type. */
  returnType?: DataType;
  /** `RETURNS TABLE (…)`: the output columns. */
  tableColumns?: { name: string; type: DataType }[];
  body: string;
  timeoutMs?: number;
}

export interface JsScalarImpl extends ScalarImpl {
  /** One call into the context for many rows: `rows[i]` are row i's arguments. */
  evalBatch(rows: Datum[][], ctx: EvalContext): Datum[];
}

/** Types a JavaScript UDF can take or return; throws 0A000 naming the first one it cannot. */
export function checkJsTypes(types: readonly DataType[]): void {
  for (const t of types) {
    const bad = unsupportedPart(t);
    if (bad) throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: type ${typeName(bad)} in JavaScript functions`);
  }
}

function unsupportedPart(t: DataType): DataType | null {
  if (t.kind === 'list') return unsupportedPart(t.elem);
  if (t.kind === 'struct') {
    for (const f of t.fields) {
      const b = unsupportedPart(f.type);
      if (b) return b;
    }
    return null;
  }
  switch (t.kind) {
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'interval':
    case 'unknown':
      return t;
    default:
      return null;
  }
}

/**
 * Runs once in every new context, before any user code: keeps its own references to the
 * built-ins it uses (a body may overwrite the globals), and returns the context's runner.
 * Values crossing the boundary use JSON with tagged objects for what JSON cannot say:
 * {$b: "…"} bigint, {$f: "NaN"|"Infinity"|"-Infinity"} floats, {$t: "Int32Array", v: […]}
 * typed arrays (Uint8Array for bytea).
 */
const RUNTIME = String.raw`(() => {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify, isArray = Array.isArray, from = Array.from;
  const BigIntFn = BigInt, NumberFn = Number, isFinite = Number.isFinite, ObjectKeys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf, TypeErr = TypeError, ErrorCtor = Error;
  const typed = { Int16Array, Int32Array, BigInt64Array, Float32Array, Float64Array, Uint8Array };
  const typedNames = new Map(Object.entries(typed).map(([k, v]) => [v.prototype, k]));
  const GeneratorFunction = getPrototypeOf(function* () {}).constructor;
  const FunctionCtor = Function;
  const reviver = (k, v) => {
    if (v === null || typeof v !== 'object' || isArray(v)) return v;
    if ('$b' in v) return BigIntFn(v.$b);
    if ('$f' in v) return NumberFn(v.$f);
    if ('$t' in v) return new typed[v.$t](v.v);
    if ('$o' in v) return v.$o;
    return v;
  };
  const plain = (v, depth) => {
    if (depth > 100) throw new TypeErr('value nested too deeply');
    if (v === undefined || v === null) return null;
    switch (typeof v) {
      case 'number': return isFinite(v) ? v : { $f: String(v) };
      case 'bigint': return { $b: String(v) };
      case 'string': case 'boolean': return v;
      case 'object': {
        const tn = typedNames.get(getPrototypeOf(v));
        if (tn !== undefined) return { $t: tn, v: from(v, (x) => plain(x, depth + 1)) };
        if (isArray(v)) return from(v, (x) => plain(x, depth + 1));
        const o = {};
        for (const k of ObjectKeys(v)) o[k] = plain(v[k], depth + 1);
        return { $o: o };
      }
      default: throw new TypeErr('cannot return a ' + typeof v);
    }
  };
  const message = (e) => {
    try { return e instanceof ErrorCtor ? String(e.name) + ': ' + String(e.message) : String(e); } catch { return 'an exception'; }
  };
  let fn = null, generator = false;
  return {
    define(paramsJson, body, isGenerator) {
      const params = parse(paramsJson);
      generator = isGenerator;
      fn = isGenerator ? new GeneratorFunction(...params, body) : new FunctionCtor(...params, body);
    },
    // rows: JSON of an array of argument arrays. Returns JSON {ok: [...]} or {err: "..."}.
    run(rowsJson, maxRows) {
      try {
        const rows = parse(rowsJson, reviver);
        const out = [];
        for (const args of rows) {
          if (!generator) { out.push(plain(fn(...args), 0)); continue; }
          const produced = [];
          for (const r of fn(...args)) {
            if (produced.length >= maxRows) throw new ErrorCtor('a table function may return at most ' + maxRows + ' rows per call');
            produced.push(plain(r, 0));
          }
          out.push(produced);
        }
        return stringify({ ok: out });
      } catch (e) {
        return stringify({ err: message(e) });
      }
    },
  };
})()`;

/** A compiled function: its context and the script that calls into it. */
class Sandbox {
  private readonly context: vm.Context;
  private readonly sandbox: Record<string, unknown>;
  private static readonly callScript = new vm.Script('__rt.run(__in, __max)', { filename: 'udf-call' });

  constructor(
    readonly def: JsFunctionDef,
    generator: boolean,
  ) {
    this.sandbox = Object.create(null) as Record<string, unknown>;
    this.context = vm.createContext(this.sandbox, { name: `udf ${def.name}`, microtaskMode: 'afterEvaluate', codeGeneration: { strings: true, wasm: false } });
    const rt = vm.runInContext(RUNTIME, this.context, { timeout: this.timeout });
    this.sandbox.__rt = rt;
    try {
      // The Function / GeneratorFunction constructors parse the body as a body: it cannot
      // close the function early and run code at definition time.
      Object.assign(this.sandbox, { __params: JSON.stringify(def.argNames), __body: def.body, __gen: generator });
      vm.runInContext('__rt.define(__params, __body, __gen)', this.context, { timeout: this.timeout });
    } catch (e) {
      throw new SqlError(UdfState.InvalidFunctionDefinition, `invalid JavaScript function body: ${errorText(e)}`);
    } finally {
      for (const k of ['__params', '__body', '__gen']) delete this.sandbox[k];
    }
  }

  get timeout(): number {
    return this.def.timeoutMs ?? JS_UDF_TIMEOUT_MS;
  }

  /** Calls the function once per row of encoded arguments; returns the plain results. */
  call(encodedRows: unknown[][]): unknown[] {
    this.sandbox.__in = JSON.stringify(encodedRows);
    this.sandbox.__max = MAX_TABLE_ROWS;
    let text: unknown;
    try {
      text = Sandbox.callScript.runInContext(this.context, { timeout: this.timeout });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new SqlError(SqlState.QueryCanceled, `JavaScript function ${this.def.name} timed out after ${this.timeout} ms`);
      }
      throw new SqlError(UdfState.ExternalRoutineException, `JavaScript function ${this.def.name} failed: ${errorText(e)}`);
    } finally {
      this.sandbox.__in = undefined;
    }
    // The runtime returns a string; anything else means the body replaced it.
    if (typeof text !== 'string') throw new SqlError(UdfState.ExternalRoutineException, `JavaScript function ${this.def.name} failed: its runtime was tampered with`);
    const res = JSON.parse(text) as { ok?: unknown[]; err?: string };
    if (res.err !== undefined) throw new SqlError(UdfState.ExternalRoutineException, `JavaScript function ${this.def.name} raised ${res.err}`);
    return res.ok!;
  }
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const m = (e as { message: unknown }).message;
    const n = (e as { name?: unknown }).name;
    return typeof n === 'string' && n !== 'Error' ? `${n}: ${String(m)}` : String(m);
  }
  return String(e);
}

/**
 * The function body's syntax is checked here (42P13), so CREATE FUNCTION reports it.
 */
export function compileJsScalar(def: JsFunctionDef): JsScalarImpl {
  checkJsTypes([...def.argTypes, def.returnType!]);
  const sb = new Sandbox(def, false);
  const returnType = def.returnType!;
  const convert = (rows: Datum[][]): Datum[] => sb.call(rows.map((r) => encodeArgs(def.argTypes, r))).map((v) => decodeResult(def.name, returnType, v));
  return {
    name: def.name,
    argTypes: def.argTypes,
    returnType,
    strict: false,
    eval: (args: Datum[]) => convert([args])[0],
    evalBatch: (rows: Datum[][]) => (rows.length === 0 ? [] : convert(rows)),
  };
}

export function compileJsTable(def: JsFunctionDef): TableFunctionImpl {
  const cols = def.tableColumns!;
  checkJsTypes([...def.argTypes, ...cols.map((c) => c.type)]);
  const sb = new Sandbox(def, true);
  const returnTypes = cols.map((c) => c.type);
  return {
    name: def.name,
    argTypes: def.argTypes,
    returnTypes,
    columnNames: cols.map((c) => c.name),
    eval(args: Datum[]): Iterable<Datum[]> {
      const [produced] = sb.call([encodeArgs(def.argTypes, args)]) as unknown[][];
      // One column: each yielded value is the row's value. Several: an object or array per row.
      return produced.map((v) => (returnTypes.length === 1 ? [decodeResult(def.name, returnTypes[0], v)] : decodeRow(def.name, cols, v)));
    },
  };
}

function decodeRow(fn: string, cols: { name: string; type: DataType }[], v: unknown): Datum[] {
  if (Array.isArray(v)) return cols.map((c, i) => decodeResult(fn, c.type, v[i] ?? null));
  const o = isObjectTag(v) ? v.$o : null;
  if (o === null) throw mismatch(fn, 'a row (object or array)', v);
  return cols.map((c) => decodeResult(fn, c.type, o[c.name] ?? null));
}

// ---------------------------------------------------------------------------------------
// SQL → JavaScript (encoded for JSON transport; the context's reviver rebuilds the values)

const TYPED_ARRAY: Partial<Record<string, string>> = {
  int16: 'Int16Array',
  int32: 'Int32Array',
  int64: 'BigInt64Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
};

function encodeArgs(types: readonly DataType[], args: readonly Datum[]): unknown[] {
  return types.map((t, i) => encode(t, args[i] ?? null));
}

function encodeFloat(n: number): unknown {
  return Number.isFinite(n) ? n : { $f: String(n) };
}

function encode(t: DataType, d: Datum): unknown {
  if (d === null) return null;
  switch (t.kind) {
    case 'boolean':
    case 'int16':
    case 'int32':
    case 'varchar':
      return d;
    case 'int64':
    case 'serial':
      return Number(d as bigint);
    case 'float32':
    case 'float64':
      return encodeFloat(d as number);
    case 'decimal':
      return encodeFloat((d as Decimal).toNumber());
    case 'bytea':
      return { $t: 'Uint8Array', v: Array.from(d as Uint8Array) };
    case 'jsonb':
      return encodeJson((d as Jsonb).value);
    case 'list': {
      const items = d as Datum[];
      const typed = TYPED_ARRAY[t.elem.kind];
      if (typed !== undefined && !items.includes(null)) {
        return { $t: typed, v: items.map((x) => (t.elem.kind === 'int64' ? { $b: String(x) } : encode(t.elem, x))) };
      }
      return items.map((x) => encode(t.elem, x));
    }
    case 'struct': {
      const o: Record<string, unknown> = {};
      t.fields.forEach((f, i) => (o[f.name] = encode(f.type, (d as StructValue).fields[i])));
      return { $o: o };
    }
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: type ${typeName(t)} in JavaScript functions`);
  }
}

/** A JSON value for transport: objects are wrapped so that their keys never read as tags. */
function encodeJson(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(encodeJson);
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = encodeJson(x);
  return { $o: o };
}

// ---------------------------------------------------------------------------------------
// JavaScript → SQL (from the runtime's plain form)

type Tagged = { $b?: string; $f?: string; $t?: string; v?: unknown[]; $o?: Record<string, unknown> };

function isObjectTag(v: unknown): v is { $o: Record<string, unknown> } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && '$o' in v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const t = v as Tagged;
    if (t.$b !== undefined) return 'a bigint';
    if (t.$f !== undefined) return 'a number';
    if (t.$t !== undefined) return `a ${t.$t}`;
    return 'an object';
  }
  return `a ${typeof v}`;
}

function mismatch(fn: string, expected: string, v: unknown): SqlError {
  return new SqlError(SqlState.DatatypeMismatch, `JavaScript function ${fn} returned ${describe(v)}, expected ${expected}`);
}

/** A returned number (or bigint / numeric string for numeric) as a JS number, or undefined. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null) {
    const t = v as Tagged;
    if (t.$f !== undefined) return Number(t.$f);
    if (t.$b !== undefined) return Number(t.$b);
  }
  return undefined;
}

function asInteger(fn: string, t: DataType, v: unknown, min: bigint, max: bigint): bigint {
  let n: bigint | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'object' && v !== null && (v as Tagged).$b !== undefined) n = BigInt((v as Tagged).$b!);
  if (n === undefined) throw mismatch(fn, typeName(t), v);
  if (n < min || n > max) throw new SqlError(SqlState.NumericValueOutOfRange, `JavaScript function ${fn} returned ${n}, out of range for type ${typeName(t)}`);
  return n;
}

function decodeResult(fn: string, t: DataType, v: unknown): Datum {
  if (v === null) return null;
  switch (t.kind) {
    case 'boolean':
      if (typeof v !== 'boolean') throw mismatch(fn, 'boolean', v);
      return v;
    case 'int16':
      return Number(asInteger(fn, t, v, -32768n, 32767n));
    case 'int32':
      return Number(asInteger(fn, t, v, -2147483648n, 2147483647n));
    case 'int64':
    case 'serial':
      return asInteger(fn, t, v, -(2n ** 63n), 2n ** 63n - 1n);
    case 'float32':
    case 'float64': {
      const n = asNumber(v);
      if (n === undefined) throw mismatch(fn, typeName(t), v);
      return t.kind === 'float32' ? Math.fround(n) : n;
    }
    case 'decimal': {
      if (typeof v === 'string') {
        const d = Decimal.tryParse(v);
        if (d === undefined) throw mismatch(fn, 'numeric', v);
        return d;
      }
      const n = asNumber(v);
      if (n === undefined) throw mismatch(fn, 'numeric', v);
      return Decimal.fromNumber(n);
    }
    case 'varchar':
      if (typeof v !== 'string') throw mismatch(fn, 'character varying', v);
      return v;
    case 'bytea': {
      const tag = v as Tagged;
      if (typeof v !== 'object' || tag.$t !== 'Uint8Array') throw mismatch(fn, 'bytea (Uint8Array)', v);
      return Uint8Array.from(tag.v as number[]);
    }
    case 'jsonb':
      return new Jsonb(toJson(fn, v));
    case 'list': {
      let items: unknown[];
      if (Array.isArray(v)) items = v;
      else if (typeof v === 'object' && (v as Tagged).$t !== undefined) items = (v as Tagged).v!;
      else throw mismatch(fn, typeName(t), v);
      return items.map((x) => decodeResult(fn, t.elem, x));
    }
    case 'struct': {
      if (!isObjectTag(v)) throw mismatch(fn, typeName(t), v);
      return new StructValue(t.fields.map((f) => decodeResult(fn, f.type, v.$o[f.name] ?? null)));
    }
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: type ${typeName(t)} in JavaScript functions`);
  }
}

/** The plain form back to a JSON value (numbers must be finite; bigints become numbers). */
function toJson(fn: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => toJson(fn, x));
  const t = v as Tagged;
  if (t.$o !== undefined) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(t.$o)) o[k] = toJson(fn, x);
    return o;
  }
  if (t.$b !== undefined) return Number(t.$b);
  if (t.$t !== undefined) return t.v!.map((x) => toJson(fn, x));
  throw mismatch(fn, 'jsonb', v);
}
