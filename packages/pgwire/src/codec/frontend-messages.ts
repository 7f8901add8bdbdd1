/**
 * Decoders for client → server messages. Each takes the reusable reader positioned on a
 * message body and returns an object that owns its data (strings, copied buffers), so
 * the frame buffer can be reused while the message is being executed asynchronously.
 */
import type { BufferReader } from './buffer-reader';
import { ProtocolError } from './protocol-error';

/** Frontend message type bytes. */
export const FE = {
  Bind: 0x42, // B
  Close: 0x43, // C
  Describe: 0x44, // D
  Execute: 0x45, // E
  FunctionCall: 0x46, // F
  Flush: 0x48, // H
  Parse: 0x50, // P
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
  CopyFail: 0x66, // f
  CopyDone: 0x63, // c
  CopyData: 0x64, // d
  /** PasswordMessage, SASLInitialResponse and SASLResponse share this byte. */
  Password: 0x70, // p
} as const;

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number }
  | { kind: 'startup'; major: number; minor: number; params: Record<string, string> };

export function readStartupPacket(r: BufferReader): StartupPacket {
  const code = r.int32();
  if (code === SSL_REQUEST_CODE) return { kind: 'ssl' };
  if (code === GSSENC_REQUEST_CODE) return { kind: 'gssenc' };
  if (code === CANCEL_REQUEST_CODE) {
    const processId = r.int32();
    const secretKey = r.int32();
    return { kind: 'cancel', processId, secretKey };
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  const params: Record<string, string> = Object.create(null);
  if (major === 3) {
    // key\0value\0 … \0
    for (;;) {
      const key = r.cstring();
      if (key === '') break;
      params[key] = r.cstring();
    }
  }
  return { kind: 'startup', major, minor, params };
}

export interface ParseMessage {
  name: string;
  sql: string;
  paramOids: number[];
}

export function readParse(r: BufferReader): ParseMessage {
  const name = r.cstring();
  const sql = r.cstring();
  const n = r.int16();
  if (n < 0) throw new ProtocolError('invalid Parse message: negative parameter count');
  const paramOids = new Array<number>(n);
  for (let i = 0; i < n; i++) paramOids[i] = r.uint32();
  r.expectEnd();
  return { name, sql, paramOids };
}

/**
 * A Bind's parameter values: all their bytes in one buffer (`data`), each value at
 * `starts[i]` for `lengths[i]` bytes (-1: NULL). A batched INSERT binds thousands of
 * values, so no object is made per value unless someone asks for `values`.
 */
export interface BindValues {
  readonly count: number;
  readonly data: Buffer;
  readonly starts: ArrayLike<number>;
  readonly lengths: ArrayLike<number>;
  /** One Buffer (a view into `data`) per value, null for NULL; built on first access. */
  readonly values: (Buffer | null)[];
}

export interface BindMessage extends BindValues {
  portal: string;
  statement: string;
  /** Format codes as sent (0, 1 or n entries). */
  paramFormats: number[];
  /** Format codes as sent (0, 1 or n entries). */
  resultFormats: number[];
}

const NO_BYTES = Buffer.alloc(0);
/** Binds with at most this many parameters keep their offsets in plain arrays (see readBind). */
const SMALL_BIND = 16;

/** BindParams from one Buffer per value (tests and in-process callers; the wire path never copies twice). */
export function bindParamsOf(values: readonly (Buffer | null)[], formats: number[]): BindValues & { formats: number[] } {
  const starts = new Int32Array(values.length);
  const lengths = new Int32Array(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    starts[i] = size;
    lengths[i] = v === null ? -1 : v.length;
    size += v === null ? 0 : v.length;
  }
  const data = Buffer.alloc(size);
  for (let i = 0; i < values.length; i++) values[i]?.copy(data, starts[i]);
  return { count: values.length, data, starts, lengths, formats, values: bindValueViews({ count: values.length, data, starts, lengths }) };
}

/** The per-value views of `v` (the slow, compatible form of a Bind's values). */
export function bindValueViews(v: Pick<BindValues, 'count' | 'data' | 'starts' | 'lengths'>): (Buffer | null)[] {
  const out = new Array<Buffer | null>(v.count);
  for (let i = 0; i < v.count; i++) out[i] = v.lengths[i] === -1 ? null : v.data.subarray(v.starts[i], v.starts[i] + v.lengths[i]);
  return out;
}

/**
 * Shared by every Bind that sends no format codes, or one code for all (node-postgres sends
 * one text code for the parameters of every query): never mutated.
 */
const NO_CODES: number[] = [];
const ONE_CODE: number[][] = [[0], [1]];

function readFormatCodes(r: BufferReader): number[] {
  const n = r.int16();
  if (n < 0) throw new ProtocolError('invalid Bind message: negative format count');
  if (n === 0) return NO_CODES;
  if (n === 1) {
    const code = r.int16();
    return code === 0 || code === 1 ? ONE_CODE[code] : [code];
  }
  const codes = new Array<number>(n);
  for (let i = 0; i < n; i++) codes[i] = r.int16();
  return codes;
}

export function readBind(r: BufferReader): BindMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats = readFormatCodes(r);
  const n = r.int16();
  if (n < 0) throw new ProtocolError('invalid Bind message: negative parameter count');
  // The frame buffer is reused, so the values are copied — all at once (one copy of the
  // parameter region, offsets into it) rather than one Buffer per value: a batched INSERT
  // binds thousands of parameters. Their offsets go in typed arrays; a lookup's few go in
  // plain arrays, since each typed array is an ArrayBuffer too (~150 bytes and a
  // backing-store entry the scavenger processes, twice per prepared query).
  const small = n <= SMALL_BIND;
  const starts = small ? new Array<number>(n) : new Int32Array(n);
  const lens = small ? new Array<number>(n) : new Int32Array(n);
  let first = -1;
  let last = -1;
  // The lengths are read from the bytes directly (a reader call per field, with its
  // checks, cost more than the rest of the loop); a field that would run past the message
  // goes through the reader, which reports the truncation.
  const buf = r.buffer;
  const end = r.limit;
  let p = r.position;
  for (let i = 0; i < n; i++) {
    if (end - p < 4) {
      r.seek(p);
      r.int32();
    }
    const len = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    p += 4;
    lens[i] = len;
    starts[i] = 0;
    if (len === -1) continue;
    if (len < 0) throw new ProtocolError(`invalid Bind message: parameter length ${len}`);
    if (end - p < len) {
      r.seek(p);
      r.skip(len);
    }
    starts[i] = p;
    if (first < 0) first = p;
    p += len;
    last = p;
  }
  r.seek(p);
  let data = NO_BYTES;
  if (first >= 0) {
    data = Buffer.from(r.buffer.subarray(first, last));
    for (let i = 0; i < n; i++) starts[i] -= first;
  }
  const resultFormats = readFormatCodes(r);
  r.expectEnd();
  return new BindFrame(portal, statement, paramFormats, resultFormats, n, data, starts, lens);
}

/**
 * A decoded Bind. A class rather than an object literal with a `values` getter: the
 * literal made a closure and its context per Bind, i.e. per prepared point lookup, and
 * every byte allocated per query is young-generation GC work on the server's one thread.
 */
class BindFrame implements BindMessage {
  private views: (Buffer | null)[] | null = null;
  constructor(
    readonly portal: string,
    readonly statement: string,
    readonly paramFormats: number[],
    readonly resultFormats: number[],
    readonly count: number,
    readonly data: Buffer,
    readonly starts: ArrayLike<number>,
    readonly lengths: ArrayLike<number>,
  ) {}

  get values(): (Buffer | null)[] {
    return (this.views ??= bindValueViews(this));
  }
}

export interface TargetMessage {
  /** 'S' statement or 'P' portal. */
  which: 'S' | 'P';
  name: string;
}

/** Describe and Close share a layout. */
export function readTarget(r: BufferReader, what: string): TargetMessage {
  const b = r.byte();
  if (b !== 0x53 && b !== 0x50) {
    throw new ProtocolError(`invalid ${what} message subtype ${b}`);
  }
  const name = r.cstring();
  r.expectEnd();
  return { which: b === 0x53 ? 'S' : 'P', name };
}

export interface ExecuteMessage {
  portal: string;
  /** 0 = no limit. */
  maxRows: number;
}

export function readExecute(r: BufferReader): ExecuteMessage {
  const portal = r.cstring();
  let maxRows = r.int32();
  // PostgreSQL treats a non-positive count as "all rows".
  if (maxRows < 0) maxRows = 0;
  r.expectEnd();
  return { portal, maxRows };
}

export function readQuery(r: BufferReader): string {
  const sql = r.cstring();
  r.expectEnd();
  return sql;
}

/** PasswordMessage: a NUL-terminated password (cleartext or md5 digest). */
export function readPassword(r: BufferReader): string {
  const s = r.cstring();
  r.expectEnd();
  return s;
}

export interface SaslInitialResponse {
  mechanism: string;
  data: Buffer;
}

export function readSaslInitialResponse(r: BufferReader): SaslInitialResponse {
  const mechanism = r.cstring();
  const len = r.int32();
  const data = len < 0 ? Buffer.alloc(0) : Buffer.from(r.bytes(len));
  r.expectEnd();
  return { mechanism, data };
}
