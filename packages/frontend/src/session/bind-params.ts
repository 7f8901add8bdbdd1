/**
 * Decodes a Bind message's parameter values into datums of the statement's parameter
 * types (text format: the type's input function; binary: its receive function).
 *
 * A batched INSERT binds thousands of values per message, so this reads them straight
 * from the one buffer pgwire copied them into (no Buffer or string per value where it can
 * be avoided):
 * - integers written as plain ASCII digits are parsed from the bytes (anything else — signs,
 *   spaces, underscores, overflow — goes through the type's input function, which also
 *   reports the errors);
 * - for types whose text parsing is costly (a batch's timestamps, a decimal amount, a
 *   date), the bytes of the last value seen per parameter type are remembered and an
 *   identical value reuses its datum instead of being decoded and parsed again. Datums are
 *   immutable values, so sharing one between rows is safe; the memo lives for one Bind,
 *   so session settings (TimeZone) cannot change under it;
 * - short strings that repeat within the Bind share one string (TextMemo);
 * - which of these applies to each parameter is decided once per statement (decodePlan).
 */
import { type DataType, type Datum, decodeBinary, parseDatum } from '@freshet/common';
import type { BindParams } from '@freshet/pgwire';

/** Types whose text input is worth a memo (regex/arith-heavy parsing, not a plain string or integer). */
export const MEMO_KINDS: ReadonlySet<string> = new Set(['timestamptz', 'timestamp', 'date', 'time', 'interval', 'decimal', 'jsonb']);

/** Longest digit string that is exact as a double (15 digits < 2^53). */
const MAX_FAST_DIGITS = 15;
const NOT_PLAIN = -1;

/**
 * The integer in `data[start, start + len)` if it is plain ASCII digits with an optional
 * leading '-' (at most 15 digits), else NaN: the caller then uses the type's own parser.
 */
export function plainIntegerBytes(data: Uint8Array, start: number, len: number): number {
  let i = start;
  const end = start + len;
  const neg = len > 1 && data[i] === 45;
  if (neg) i++;
  if (end - i < 1 || end - i > MAX_FAST_DIGITS) return NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = data[i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** As `plainIntegerBytes`, over a string (COPY's fields). */
export function plainIntegerText(s: string): number {
  const len = s.length;
  let i = 0;
  const neg = len > 1 && s.charCodeAt(0) === 45;
  if (neg) i++;
  if (len - i < 1 || len - i > MAX_FAST_DIGITS) return NaN;
  let n = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/**
 * The datum of a plain integer `n` (from `plainInteger*`) for an integer type, or
 * undefined when `t` is not an integer type or `n` is out of its range (the type's parser
 * then decides, and reports the error).
 */
export function plainIntegerDatum(t: DataType, n: number): Datum | undefined {
  if (n !== n) return undefined; // NaN: not plain
  switch (t.kind) {
    case 'int64':
    case 'serial':
      return BigInt(n);
    case 'int32':
      return n >= -2147483648 && n <= 2147483647 ? n : undefined;
    case 'int16':
      return n >= -32768 && n <= 32767 ? n : undefined;
  }
  return undefined;
}

// How one parameter's text is decoded (see `decodePlan`):
/** The type's input function. */
const PARSE = 0;
/** int2/int4/int8: plain digits from the bytes, else the input function. */
const INTEGER = 1;
/** A string type: the text is the datum. */
const TEXT = 2;
/** Costly input (MEMO_KINDS): an identical value reuses the last datum of its type. */
const MEMO = 3;

function decodeKind(t: DataType): number {
  switch (t.kind) {
    case 'int64':
    case 'serial':
    case 'int32':
    case 'int16':
      return INTEGER;
    case 'varchar':
    case 'unknown':
      return TEXT;
  }
  return MEMO_KINDS.has(t.kind) ? MEMO : PARSE;
}

/**
 * Per statement (keyed by its parameter-type array, which a prepared statement keeps):
 * each parameter's decoding, decided once instead of per value of every Bind. The types
 * it was made for are kept and compared (identity, one pass) so an array changed in
 * place can never be decoded with a stale plan.
 */
interface DecodePlan {
  readonly types: readonly DataType[];
  readonly how: Uint8Array;
}
const plans = new WeakMap<readonly DataType[], DecodePlan>();

const NO_PARAMS = new Uint8Array(0);

function decodePlan(types: readonly DataType[]): Uint8Array {
  // Utility statements describe a fresh empty array per Bind: nothing to keep.
  if (types.length === 0) return NO_PARAMS;
  const cached = plans.get(types);
  if (cached !== undefined && sameTypes(cached.types, types)) return cached.how;
  const how = new Uint8Array(types.length);
  for (let i = 0; i < types.length; i++) how[i] = decodeKind(types[i]);
  plans.set(types, { types: types.slice(), how });
  return how;
}

function sameTypes(a: readonly DataType[], b: readonly DataType[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameBytes(data: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (data[a + i] !== data[b + i]) return false;
  return true;
}

/** Strings up to this many bytes go through the TextMemo. */
const SHORT_TEXT = 32;
const TEXT_SLOTS = 64;

/**
 * The short strings of one Bind, direct-mapped by length and first and last byte: a
 * repeated value (a batch's event types, statuses, country codes) reuses the string made
 * for its first occurrence instead of decoding a new one. Besides the decoding, each row
 * stored in a table keeps its strings, so a batch of 1,000 rows with four distinct event
 * types retains four strings instead of 1,000. A miss costs a byte comparison that
 * usually fails on the first byte, and replaces the slot.
 */
class TextMemo {
  private readonly starts = new Int32Array(TEXT_SLOTS).fill(-1);
  private readonly lens = new Int32Array(TEXT_SLOTS);
  private readonly strings = new Array<string>(TEXT_SLOTS).fill('');

  get(data: Buffer, start: number, len: number): string {
    const slot = (len * 31 + data[start] * 7 + data[start + len - 1]) & (TEXT_SLOTS - 1);
    const at = this.starts[slot];
    if (at >= 0 && this.lens[slot] === len && sameBytes(data, at, start, len)) return this.strings[slot];
    const s = data.toString('utf8', start, start + len);
    this.starts[slot] = start;
    this.lens[slot] = len;
    this.strings[slot] = s;
    return s;
  }
}

export function decodeBindParams(types: readonly DataType[], params: BindParams, timeZone: string): Datum[] {
  const { count: n, data, starts, lengths, formats } = params;
  const plan = decodePlan(types);
  const out: Datum[] = new Array(n);
  // Parallel arrays: one slot per distinct memoised parameter type seen in this Bind,
  // holding where its last value's bytes are in `data` and its datum.
  let memoTypes: DataType[] | null = null;
  let memoStarts: number[] | null = null;
  let memoLens: number[] | null = null;
  let memoDatums: Datum[] | null = null;
  let texts: TextMemo | null = null;
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    if (len === -1) {
      out[i] = null;
      continue;
    }
    const start = starts[i];
    if (formats[i] === 1) {
      out[i] = decodeBinary(types[i], data.subarray(start, start + len));
      continue;
    }
    const how = plan[i];
    if (how === TEXT) {
      out[i] = len <= SHORT_TEXT && len > 0 ? (texts ??= new TextMemo()).get(data, start, len) : data.toString('utf8', start, start + len);
      continue;
    }
    const t = types[i];
    if (how === INTEGER) {
      const d = plainIntegerDatum(t, plainIntegerBytes(data, start, len));
      out[i] = d !== undefined ? d : parseDatum(t, data.toString('utf8', start, start + len), timeZone);
      continue;
    }
    if (how === PARSE) {
      out[i] = parseDatum(t, data.toString('utf8', start, start + len), timeZone);
      continue;
    }
    memoTypes ??= [];
    memoStarts ??= [];
    memoLens ??= [];
    memoDatums ??= [];
    let slot = memoTypes.indexOf(t);
    if (slot >= 0 && memoLens[slot] === len && sameBytes(data, memoStarts[slot], start, len)) {
      out[i] = memoDatums[slot];
      continue;
    }
    const d = parseDatum(t, data.toString('utf8', start, start + len), timeZone);
    if (slot < 0) {
      slot = memoTypes.length;
      memoTypes.push(t);
    }
    memoStarts[slot] = start;
    memoLens[slot] = len;
    memoDatums[slot] = d;
    out[i] = d;
  }
  return out;
}
