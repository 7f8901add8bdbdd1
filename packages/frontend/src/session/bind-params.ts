/**
 * Decodes a Bind message's parameter values into datums of the statement's parameter
 * types (text format: the type's input function; binary: its receive function).
 *
 * A batched INSERT binds thousands of values and many of them repeat — a batch's
 * timestamps, a decimal amount, a date. For types whose text parsing is costly, the last
 * text seen per parameter type is remembered and an identical text reuses its datum
 * instead of being parsed again. Datums are immutable values, so sharing one between
 * rows is safe; the memo lives for one Bind, so session settings (TimeZone) cannot change
 * under it.
 */
import { type DataType, type Datum, decodeBinary, parseDatum } from '@freshet/common';
import type { BindParams } from '@freshet/pgwire';

/** Types whose text input is worth a memo (regex/arith-heavy parsing, not a plain string or integer). */
const MEMO_KINDS = new Set(['timestamptz', 'timestamp', 'date', 'time', 'interval', 'decimal', 'jsonb']);

export function decodeBindParams(types: readonly DataType[], params: BindParams, timeZone: string): Datum[] {
  const n = params.values.length;
  const out: Datum[] = new Array(n);
  // Parallel arrays: one slot per distinct memoised parameter type seen in this Bind.
  let memoTypes: DataType[] | null = null;
  let memoTexts: string[] | null = null;
  let memoDatums: Datum[] | null = null;
  for (let i = 0; i < n; i++) {
    const raw = params.values[i];
    if (raw === null) {
      out[i] = null;
      continue;
    }
    const t = types[i];
    if (params.formats[i] === 1) {
      out[i] = decodeBinary(t, raw);
      continue;
    }
    const text = raw.toString('utf8');
    if (!MEMO_KINDS.has(t.kind)) {
      out[i] = parseDatum(t, text, timeZone);
      continue;
    }
    memoTypes ??= [];
    memoTexts ??= [];
    memoDatums ??= [];
    let slot = memoTypes.indexOf(t);
    if (slot >= 0 && memoTexts[slot] === text) {
      out[i] = memoDatums[slot];
      continue;
    }
    const d = parseDatum(t, text, timeZone);
    if (slot < 0) {
      slot = memoTypes.length;
      memoTypes.push(t);
    }
    memoTexts[slot] = text;
    memoDatums[slot] = d;
    out[i] = d;
  }
  return out;
}
