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
 *   so session settings (TimeZone) cannot change under it.
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

const isIntegerKind = (t: DataType) => t.kind === 'int64' || t.kind === 'int32' || t.kind === 'int16' || t.kind === 'serial';

function sameBytes(data: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (data[a + i] !== data[b + i]) return false;
  return true;
}

export function decodeBindParams(types: readonly DataType[], params: BindParams, timeZone: string): Datum[] {
  const { count: n, data, starts, lengths, formats } = params;
  const out: Datum[] = new Array(n);
  // Parallel arrays: one slot per distinct memoised parameter type seen in this Bind,
  // holding where its last value's bytes are in `data` and its datum.
  let memoTypes: DataType[] | null = null;
  let memoStarts: number[] | null = null;
  let memoLens: number[] | null = null;
  let memoDatums: Datum[] | null = null;
  for (let i = 0; i < n; i++) {
    const len = lengths[i];
    if (len === -1) {
      out[i] = null;
      continue;
    }
    const t = types[i];
    const start = starts[i];
    if (formats[i] === 1) {
      out[i] = decodeBinary(t, data.subarray(start, start + len));
      continue;
    }
    if (isIntegerKind(t)) {
      const d = plainIntegerDatum(t, plainIntegerBytes(data, start, len));
      out[i] = d !== undefined ? d : parseDatum(t, data.toString('utf8', start, start + len), timeZone);
      continue;
    }
    if (!MEMO_KINDS.has(t.kind)) {
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
