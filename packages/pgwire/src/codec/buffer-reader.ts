/**
 * A cursor over one message body. Every read is bounds-checked and throws ProtocolError
 * on truncated input, so a malformed message can never surface as a RangeError (or read
 * bytes belonging to the next message). One reader is reused for every message of a
 * connection: `reset` points it at the next body.
 */
import { ProtocolError } from './protocol-error';

const EMPTY = Buffer.alloc(0);

export class BufferReader {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  /** Message type byte, for error messages. */
  private what = '';

  reset(buf: Buffer, start = 0, end = buf.length, what = 'message'): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.what = what;
    return this;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.end - this.pos < n) {
      throw new ProtocolError(`invalid ${this.what} format: truncated`);
    }
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) throw new ProtocolError(`invalid ${this.what} format: unterminated string`);
    const s = this.buf.toString('utf8', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  /** `n` raw bytes as a view into the underlying buffer (not a copy). */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Skips `n` bytes and returns where they start in `buffer` (for callers that copy a region once). */
  skip(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Where the cursor is in `buffer`, and where the message ends (for loops that read the bytes directly). */
  get position(): number {
    return this.pos;
  }

  get limit(): number {
    return this.end;
  }

  /** Moves the cursor to `p` (within the message: callers read up to `limit`). */
  seek(p: number): void {
    if (p < 0 || p > this.end) throw new ProtocolError(`invalid ${this.what} format: truncated`);
    this.pos = p;
  }

  /** The buffer the cursor reads (valid until the next `reset`). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Everything left in the message, as a view. */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }

  /** Throws unless the whole body was consumed (trailing garbage is a protocol violation). */
  expectEnd(): void {
    if (this.pos !== this.end) throw new ProtocolError(`invalid ${this.what} format: ${this.end - this.pos} trailing bytes`);
  }
}
