/**
 * JSON values written as UTF-8 bytes straight into a reusable buffer: the same text as
 * json-encode.ts, without a string per value and per row. A key-value sink encodes every
 * changed row of every epoch; in a 50,000 events/s run from Kafka the Redis sink's JSON
 * strings (the values, their concatenations and number-to-string conversions) were ~13% of
 * the server's allocated bytes (heap profile). The common types (integers, booleans,
 * timestamptz, dates, times, plain ASCII text) are written digit by digit here; the others
 * fall back to json-encode.ts's string, written as UTF-8.
 */
import { type DataType, type Datum, T, formatDate } from '@freshet/common';
import { encodeJsonValue } from './json-encode';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;

/** Days from 0001-01-01 (day 1) to 1970-01-01 (json-encode.ts). */
const CE_EPOCH_DAYS = 719_163;
const US_PER_DAY = 86_400_000_000;

/** A growable byte buffer: `bytes[0, at)` is what was written since the last `reset`. */
export class ByteWriter {
  bytes: Buffer;
  at = 0;
  /** The date part of the last timestamptz written, and its day: a sink's rows mostly share today's. */
  private lastDays = NaN;
  private lastDate = '';

  constructor(initial = 256) {
    this.bytes = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.at = 0;
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + n));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }

  /** Bytes encoded once (a column name's `"name":` prefix). */
  raw(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.bytes, this.at);
    this.at += b.length;
  }

  byte(c: number): void {
    this.ensure(1);
    this.bytes[this.at++] = c;
  }

  utf8(s: string): void {
    this.ensure(3 * s.length);
    this.at += this.bytes.write(s, this.at, 'utf8');
  }

  /** A safe integer in decimal. */
  int(n: number): void {
    this.ensure(21);
    const b = this.bytes;
    if (n < 0) {
      b[this.at++] = MINUS;
      n = -n;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    let q = this.at + digits;
    this.at = q;
    do {
      b[--q] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** `n` as exactly `width` digits (0 ≤ n < 10^width). */
  private fixed(n: number, width: number): void {
    const b = this.bytes;
    for (let q = this.at + width - 1; q >= this.at; q--) {
      b[q] = ZERO + (n % 10);
      n = Math.floor(n / 10);
    }
    this.at += width;
  }

  /** A JSON string of `s`: its characters as they are when they need no escape and are ASCII. */
  string(s: string): void {
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c > 0x7e) return this.utf8(JSON.stringify(s));
    }
    this.ensure(n + 2);
    const b = this.bytes;
    let p = this.at;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    b[p++] = QUOTE;
    this.at = p;
  }

  /** `"2018-01-26T18:30:09.453000Z"`: RFC 3339 UTC with microseconds. */
  timestamptz(us: number): void {
    const days = Math.floor(us / US_PER_DAY);
    const tod = us - days * US_PER_DAY;
    const secs = Math.floor(tod / 1_000_000);
    const frac = Math.round(tod - secs * 1_000_000);
    if (days !== this.lastDays) {
      this.lastDate = formatDate(days);
      this.lastDays = days;
    }
    // Years before 1 or after 9999 print differently (` BC`, more digits): the string path.
    if (this.lastDate.length !== 10 || frac >= 1_000_000) return this.utf8(encodeJsonValue(T.Timestamptz, us));
    this.ensure(29);
    this.bytes[this.at++] = QUOTE;
    this.at += this.bytes.write(this.lastDate, this.at, 'latin1');
    this.bytes[this.at++] = 0x54; // T
    this.fixed(Math.floor(secs / 3600), 2);
    this.bytes[this.at++] = 0x3a;
    this.fixed(Math.floor(secs / 60) % 60, 2);
    this.bytes[this.at++] = 0x3a;
    this.fixed(secs % 60, 2);
    this.bytes[this.at++] = 0x2e;
    this.fixed(frac, 6);
    this.bytes[this.at++] = 0x5a; // Z
    this.bytes[this.at++] = QUOTE;
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** Appends `d` as json-encode.ts's encodeJsonValue(t, d) would print it. */
export function writeJsonValue(w: ByteWriter, t: DataType, d: Datum): void {
  if (d === null) return w.raw(NULL);
  switch (t.kind) {
    case 'boolean':
      return w.raw(d ? TRUE : FALSE);
    case 'int16':
    case 'int32':
      return w.int(d as number);
    case 'int64':
    case 'serial': {
      const n = Number(d as bigint);
      return Number.isSafeInteger(n) ? w.int(n) : w.utf8(String(d));
    }
    case 'varchar':
      return w.string(d as string);
    case 'date':
      return w.int((d as number) + CE_EPOCH_DAYS);
    case 'time':
    case 'timestamp':
      return w.int(Math.floor((d as number) / 1000));
    case 'timestamptz':
      return w.timestamptz(d as number);
    default:
      return w.utf8(encodeJsonValue(t, d));
  }
}
