/**
 * RESP2, the Redis wire protocol, as much of it as a writer needs: commands encoded straight
 * into Buffers (`*<n>\r\n` then one `$<bytes>\r\n<bytes>\r\n` bulk string per argument), and an
 * incremental reply parser (simple string, error, integer, bulk string, array) fed whatever
 * chunks TCP delivers. Used by the Redis sink (resp-client.ts) instead of ioredis (why: redis.ts).
 */

/** An error reply (`-ERR …`, `-WRONGTYPE …`): the message is the server's text. */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

export type RespReply = string | number | null | RespError | RespReply[];

const CR = 0x0d;
const LF = 0x0a;

/** Decimal digits of a non-negative integer. */
export function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes the digits of a non-negative integer at `p`; returns the end offset. */
export function writeUint(buf: Buffer, n: number, p: number): number {
  const end = p + digitCount(n);
  let q = end;
  do {
    buf[--q] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** `<prefix><n>\r\n` (prefix `*` or `$`) at `p`; returns the end offset. */
export function writeHeader(buf: Buffer, prefix: number, n: number, p: number): number {
  buf[p] = prefix;
  p = writeUint(buf, n, p + 1);
  buf[p] = CR;
  buf[p + 1] = LF;
  return p + 2;
}

/** Bytes of `<prefix><n>\r\n`. */
export const headerSize = (n: number): number => digitCount(n) + 3;

/** Bytes of a bulk string of `len` bytes: `$<len>\r\n…\r\n`. */
export const bulkSize = (len: number): number => headerSize(len) + len + 2;

/**
 * Node's own `Buffer#utf8Write` (what `buf.write(s, at, 'utf8')` ends in) when it has one:
 * the public method's argument juggling showed as ~6% of the sink's write path.
 */
const nativeUtf8Write = (Buffer.prototype as { utf8Write?: (s: string, offset: number) => number }).utf8Write;
const utf8Write: (buf: Buffer, s: string, at: number) => number =
  typeof nativeUtf8Write === 'function' ? (buf, s, at) => nativeUtf8Write.call(buf, s, at) : (buf, s, at) => buf.write(s, at, 'utf8');

/** The most bytes `writeBulk` may need for a string of `length` UTF-16 units (3 UTF-8 bytes each at most). */
export const maxBulkSize = (length: number): number => bulkSize(3 * length);

/**
 * Writes `s` as a bulk string at `p` (the buffer must hold maxBulkSize(s.length) bytes from
 * there); returns the end. One pass over the string, not a Buffer.byteLength walk first: the
 * bytes go where an ASCII string's header (its UTF-8 length is its length) would end, and in
 * the rare case the string was not ASCII and its length has more digits, they are moved.
 */
export function writeBulk(buf: Buffer, s: string, p: number): number {
  const guess = s.length;
  const at = p + headerSize(guess);
  const len = utf8Write(buf, s, at);
  const shift = len === guess ? 0 : headerSize(len) - headerSize(guess);
  if (shift > 0) buf.copyWithin(at + shift, at, at + len);
  const end = at + len + shift;
  writeHeader(buf, 0x24, len, p);
  buf[end] = CR;
  buf[end + 1] = LF;
  return end + 2;
}

/** Writes `bytes[0, length)` as a bulk string at `p` (room for bulkSize(length) bytes); returns the end. */
export function writeBulkBytes(buf: Buffer, bytes: Buffer, length: number, p: number): number {
  const at = writeHeader(buf, 0x24, length, p);
  const end = at + bytes.copy(buf, at, 0, length);
  buf[end] = CR;
  buf[end + 1] = LF;
  return end + 2;
}

/** One command (`PING`, `AUTH user pass`, …) as a Buffer. */
export function encodeCommand(args: readonly string[]): Buffer {
  let size = headerSize(args.length);
  for (const a of args) size += maxBulkSize(a.length);
  const buf = Buffer.allocUnsafe(size);
  let p = writeHeader(buf, 0x2a, args.length, 0);
  for (const a of args) p = writeBulk(buf, a, p);
  return buf.subarray(0, p);
}

/** Unparseable input: the connection is out of step and must be dropped. */
export class RespProtocolError extends Error {}

/**
 * Parses replies incrementally. `feed` takes each chunk as it arrives and calls `emit` for
 * every complete reply, in order; an incomplete reply's bytes are kept (as chunks, joined
 * only once enough bytes arrived, so a large bulk string split over many chunks is copied
 * once) and parsed again from its start when more arrive. Replies to a writer are small
 * (`+OK`, `:n`, errors), so re-parsing a partial reply costs nothing measurable.
 */
export class RespParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the partial reply needs at least before parsing it again is worthwhile. */
  private need = 0;
  /** The value of the last `parse` that completed. */
  private value: RespReply = null;

  feed(chunk: Buffer, emit: (reply: RespReply) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return;
    const buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    this.need = 0;
    while (pos < buf.length) {
      const end = this.parse(buf, pos);
      if (end < 0) break;
      pos = end;
      emit(this.value);
    }
    if (pos === buf.length) {
      this.chunks = [];
      this.buffered = 0;
      this.need = 0;
    } else {
      const rest = buf.subarray(pos);
      this.chunks = [rest];
      this.buffered = rest.length;
      this.need = Math.max(this.need - pos, rest.length + 1);
    }
  }

  /** Drops a partial reply (the connection it came from is gone). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.need = 0;
  }

  /** Parses one reply at `pos` into `this.value`; returns its end, or -1 when incomplete. */
  private parse(buf: Buffer, pos: number): number {
    if (pos >= buf.length) return -1;
    const cr = buf.indexOf(CR, pos + 1);
    if (cr < 0 || cr + 1 >= buf.length) return -1;
    if (buf[cr + 1] !== LF) throw new RespProtocolError(`malformed reply line at byte ${cr}`);
    const next = cr + 2;
    switch (buf[pos]) {
      case 0x2b: // +
        this.value = buf.toString('utf8', pos + 1, cr);
        return next;
      case 0x2d: // -
        this.value = new RespError(buf.toString('utf8', pos + 1, cr));
        return next;
      case 0x3a: // :
        this.value = parseInteger(buf, pos + 1, cr);
        return next;
      case 0x24: {
        // $
        const len = parseInteger(buf, pos + 1, cr);
        if (len < 0) {
          this.value = null;
          return next;
        }
        const end = next + len + 2;
        if (end > buf.length) {
          this.need = Math.max(this.need, end);
          return -1;
        }
        if (buf[end - 2] !== CR || buf[end - 1] !== LF) throw new RespProtocolError(`bulk string of ${len} bytes not followed by CRLF`);
        this.value = buf.toString('utf8', next, next + len);
        return end;
      }
      case 0x2a: {
        // *
        const n = parseInteger(buf, pos + 1, cr);
        if (n < 0) {
          this.value = null;
          return next;
        }
        const items: RespReply[] = new Array(n);
        let p = next;
        for (let i = 0; i < n; i++) {
          p = this.parse(buf, p);
          if (p < 0) return -1;
          items[i] = this.value;
        }
        this.value = items;
        return p;
      }
      default:
        throw new RespProtocolError(`unexpected reply type byte 0x${buf[pos].toString(16)}`);
    }
  }
}

function parseInteger(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  if (i >= to) throw new RespProtocolError('empty integer in reply');
  let n = 0;
  for (; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) throw new RespProtocolError(`bad integer ${JSON.stringify(buf.toString('latin1', from, to))} in reply`);
    n = n * 10 + d;
  }
  return negative ? -n : n;
}
