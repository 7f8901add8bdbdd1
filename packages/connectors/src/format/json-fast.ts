/**
 * The fast path of FORMAT PLAIN ENCODE JSON for the usual message: one flat JSON object
 * whose values are numbers, strings without escapes, `true`, `false` or `null`. It scans the
 * message bytes once, matches keys against the column names byte for byte and converts
 * only the fields of the columns the job reads — no UTF-8 decode of the whole message, no
 * object from JSON.parse, no property lookups. Values go through `jsonToDatum`, so every
 * coercion and error is the general path's.
 *
 * Anything outside that shape — an escape in a string, a nested object or array, a key that
 * matches a column only case-insensitively, malformed JSON — returns `FALLBACK`, and the
 * caller parses the message the general way (JSON.parse, json-row.ts). Both paths therefore
 * give the same row or the same error for every message; this one is only faster.
 */
import type { Datum, Row } from '@freshet/common';
import type { SourceColumn } from '../api';
import { includeDatum } from './include';
import { jsonToDatum } from './json-datum';
import { MessageError, type SourceMessage } from './types';

/** "Not handled here": parse the message with the general path. */
export const FALLBACK: unique symbol = Symbol('fallback');

/** A string field of an unread varchar column: valid whatever it holds, so never sliced. */
const UNREAD_TEXT: unique symbol = Symbol('unread text');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

/** A column's slot: where its value goes and how it is converted. */
interface Slot {
  readonly name: Buffer;
  readonly index: number;
  readonly column: SourceColumn;
  /** The job reads it (others stay NULL; their values are only checked, as a bad one makes the message malformed). */
  readonly read: boolean;
  readonly varchar: boolean;
}

export class FlatJsonRowDecoder {
  private readonly slots: Slot[];
  private readonly lowerNames: Set<string>;
  private readonly includes: number[];
  private readonly width: number;
  /** Values seen in the current message, by slot (undefined: field absent). */
  private readonly seen: unknown[];

  /**
   * @param read which columns the job reads (by position); undefined: all
   */
  constructor(
    private readonly columns: readonly SourceColumn[],
    read: readonly boolean[] | undefined,
    private readonly timeZone: string,
  ) {
    this.width = columns.length;
    this.slots = [];
    this.includes = [];
    columns.forEach((c, i) => {
      if (c.include) this.includes.push(i);
      else this.slots.push({ name: Buffer.from(c.name, 'utf8'), index: i, column: c, read: read === undefined || read[i] !== false, varchar: c.type.kind === 'varchar' });
    });
    this.lowerNames = new Set(this.slots.map((s) => s.column.name.toLowerCase()));
    this.seen = new Array(this.slots.length);
  }

  /** The row of `msg` (value non-empty), or FALLBACK. Throws what `jsonToDatum` throws. */
  decode(msg: SourceMessage, value: Buffer): Row | typeof FALLBACK {
    const seen = this.seen;
    seen.fill(undefined);
    if (!this.scan(value)) return FALLBACK;
    const row = new Array<Datum>(this.width);
    const slots = this.slots;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k];
      const v = seen[k];
      if (v !== undefined && s.read) row[s.index] = this.convert(s, v);
      else {
        if (v !== undefined && v !== UNREAD_TEXT && !(typeof v === 'number' && cheaplyValid(s, v))) this.convert(s, v); // checked, not kept
        row[s.index] = null;
      }
    }
    for (const i of this.includes) row[i] = includeDatum(this.columns[i], msg);
    return row;
  }

  private convert(s: Slot, v: unknown): Datum {
    try {
      return this.convertValue(s, v);
    } catch (e) {
      if (e instanceof MessageError) throw new MessageError(`column ${s.column.name}: ${e.message}`); // as buildRow says it
      throw e; // InexactInteger: the caller re-reads the message exactly
    }
  }

  private convertValue(s: Slot, v: unknown): Datum {
    if (s.column.type.kind === 'timestamptz' && v instanceof RawIso) {
      const micros = v.micros();
      if (micros !== undefined) return micros;
      return jsonToDatum(v.text(), s.column.type, 'default', this.timeZone);
    }
    if (v instanceof RawIso) return jsonToDatum(v.text(), s.column.type, 'default', this.timeZone);
    return jsonToDatum(v, s.column.type, 'default', this.timeZone);
  }

  /** Fills `seen`; false when the message is not a flat object this scanner handles. */
  private scan(b: Buffer): boolean {
    const n = b.length;
    let i = skipWs(b, 0);
    if (b[i] !== OPEN) return false;
    i = skipWs(b, i + 1);
    if (b[i] === CLOSE) return skipWs(b, i + 1) === n;
    let hint = 0;
    for (;;) {
      if (b[i] !== QUOTE) return false;
      const keyStart = i + 1;
      let keyEnd = keyStart;
      for (;;) {
        if (keyEnd >= n) return false;
        const c = b[keyEnd];
        if (c === QUOTE) break;
        if (c === BACKSLASH || c < 0x20) return false;
        keyEnd++;
      }
      const slot = this.slotOf(b, keyStart, keyEnd, hint);
      if (slot === -2) return false; // matches a column only case-insensitively
      if (slot >= 0) hint = slot + 1;
      i = skipWs(b, keyEnd + 1);
      if (b[i] !== COLON) return false;
      i = skipWs(b, i + 1);
      // The value.
      const c = b[i];
      let v: unknown;
      if (c === QUOTE) {
        const start = i + 1;
        let j = start;
        let ascii = true;
        for (;;) {
          if (j >= n) return false;
          const x = b[j];
          if (x === QUOTE) break;
          if (x === BACKSLASH || x < 0x20) return false;
          if (x >= 0x80) ascii = false;
          j++;
        }
        if (slot < 0) v = null;
        else {
          const s = this.slots[slot];
          if (!s.read && s.varchar) v = UNREAD_TEXT;
          else if (s.column.type.kind === 'timestamptz') v = new RawIso(b, start, j, ascii);
          else v = ascii ? b.toString('latin1', start, j) : b.toString('utf8', start, j);
        }
        i = j + 1;
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const end = numberEnd(b, i);
        if (end < 0) return false;
        v = slot >= 0 ? numberAt(b, i, end) : null;
        i = end;
      } else if (c === 0x74 /* t */ && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
        v = true;
        i += 4;
      } else if (c === 0x66 /* f */ && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
        v = false;
        i += 5;
      } else if (c === 0x6e /* n */ && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
        v = null;
        i += 4;
      } else return false; // nested value or malformed
      // JSON.parse keeps the last of duplicate keys; so does this.
      if (slot >= 0) this.seen[slot] = v;
      i = skipWs(b, i);
      if (b[i] === COMMA) {
        i = skipWs(b, i + 1);
        continue;
      }
      if (b[i] === CLOSE) return skipWs(b, i + 1) === n;
      return false;
    }
  }

  /**
   * The slot whose column name is exactly the key bytes, -1 for a key of no column, -2 for a
   * key equal to a column name only case-insensitively (getField's fallback: general path).
   * Fields usually come in column order, so the slot after the previous match is tried first.
   */
  private slotOf(b: Buffer, start: number, end: number, hint: number): number {
    const slots = this.slots;
    const len = end - start;
    if (hint < slots.length && sameBytes(slots[hint].name, b, start, len)) return hint;
    for (let k = 0; k < slots.length; k++) if (k !== hint && sameBytes(slots[k].name, b, start, len)) return k;
    return this.lowerNames.has(b.toString('utf8', start, end).toLowerCase()) ? -2 : -1;
  }
}

/** A number that jsonToDatum would accept for the unread column without a doubt (no need to convert it). */
function cheaplyValid(s: Slot, v: number): boolean {
  switch (s.column.type.kind) {
    case 'int64':
    case 'serial':
      return Number.isSafeInteger(v);
    case 'float64':
    case 'varchar':
      return true;
    default:
      return false;
  }
}

function sameBytes(name: Buffer, b: Buffer, start: number, len: number): boolean {
  if (name.length !== len) return false;
  for (let k = 0; k < len; k++) if (name[k] !== b[start + k]) return false;
  return true;
}

function skipWs(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** End of the JSON number at `i` (exclusive), or -1 when it is not one. */
function numberEnd(b: Buffer, i: number): number {
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (b[i] > ZERO && b[i] <= NINE) while (b[i] >= ZERO && b[i] <= NINE) i++;
  else return -1;
  if (b[i] === 0x2e) {
    i++;
    if (!(b[i] >= ZERO && b[i] <= NINE)) return -1;
    while (b[i] >= ZERO && b[i] <= NINE) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === MINUS) i++;
    if (!(b[i] >= ZERO && b[i] <= NINE)) return -1;
    while (b[i] >= ZERO && b[i] <= NINE) i++;
  }
  return i;
}

/** The number's value, as JSON.parse reads it: small integers by arithmetic, the rest by Number(). */
function numberAt(b: Buffer, start: number, end: number): number {
  let i = start;
  const neg = b[i] === MINUS;
  if (neg) i++;
  if (end - i <= 15) {
    let v = 0;
    for (; i < end; i++) {
      const d = b[i] - ZERO;
      if (d < 0 || d > 9) return Number(b.toString('latin1', start, end)); // fraction or exponent
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
  return Number(b.toString('latin1', start, end));
}

/**
 * A string value of a timestamptz column, kept as bytes: RFC 3339 with at most millisecond
 * precision and an explicit zone (the usual event time) is converted without making a
 * string; anything else goes to jsonToDatum as text.
 */
class RawIso {
  constructor(
    private readonly b: Buffer,
    private readonly start: number,
    private readonly end: number,
    private readonly ascii: boolean,
  ) {}

  text(): string {
    return this.ascii ? this.b.toString('latin1', this.start, this.end) : this.b.toString('utf8', this.start, this.end);
  }

  /** µs since the epoch, or undefined when the text is not `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` with plausible fields. */
  micros(): number | undefined {
    const b = this.b;
    const s = this.start;
    const len = this.end - s;
    if (len < 20 || b[s + 4] !== MINUS || b[s + 7] !== MINUS || b[s + 10] !== 0x54 || b[s + 13] !== COLON || b[s + 16] !== COLON) return undefined;
    const y = digits(b, s, 4);
    const mo = digits(b, s + 5, 2);
    const d = digits(b, s + 8, 2);
    const h = digits(b, s + 11, 2);
    const mi = digits(b, s + 14, 2);
    const sec = digits(b, s + 17, 2);
    if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59) return undefined; // (also -1: not digits)
    let i = s + 19;
    let ms = 0;
    if (b[i] === 0x2e) {
      let k = 0;
      i++;
      while (k < 3 && b[i] >= ZERO && b[i] <= NINE) {
        ms = ms * 10 + (b[i] - ZERO);
        i++;
        k++;
      }
      if (k === 0) return undefined;
      ms *= k === 1 ? 100 : k === 2 ? 10 : 1;
    }
    let offsetMin = 0;
    const z = b[i];
    if (z === 0x5a && i + 1 === this.end) {
      // Z
    } else if ((z === 0x2b || z === MINUS) && i + 6 === this.end && b[i + 3] === COLON) {
      const oh = digits(b, i + 1, 2);
      const om = digits(b, i + 4, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return undefined;
      offsetMin = (z === MINUS ? -1 : 1) * (oh * 60 + om);
    } else return undefined;
    return (Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000) * 1000;
  }
}

/** `n` decimal digits at `i` as a number, or -1. */
function digits(b: Buffer, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = b[i + k] - ZERO;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function daysIn(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}
