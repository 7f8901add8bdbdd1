/**
 * Accumulates backend messages in one growing buffer that is reused for the life of a
 * connection. A message is opened with `begin(type)`, which reserves its length word,
 * and closed with `end()`, which back-patches the length — so encoders never measure
 * anything twice. `take()` hands the bytes written so far to the socket and starts over.
 */
const INITIAL_SIZE = 16 * 1024;
/** Strings up to this length are tried as ASCII with a plain loop first. */
const ASCII_LOOP_MAX = 64;

/** Big-endian int32 without Buffer#writeInt32BE's argument checks (hot: every message). */
function putInt32(b: Buffer, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

export class BufferWriter {
  private buf: Buffer;
  private pos = 0;
  /** Offset of the length word of the message being written, or -1. */
  private lengthAt = -1;

  constructor(initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.pos;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Starts a typed message: type byte plus a placeholder length. */
  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos] = type;
    this.lengthAt = this.pos + 1;
    this.pos += 5;
    return this;
  }

  /** Finishes the current message by writing its length (which includes itself, not the type). */
  end(): this {
    putInt32(this.buf, this.lengthAt, this.pos - this.lengthAt);
    this.lengthAt = -1;
    return this;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    putInt32(this.buf, this.pos, v);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(s: string): this {
    this.ensure(s.length * 3 + 1);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0;
    return this;
  }

  /** UTF-8 text without terminator. */
  string(s: string): this {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  /** An int32 byte length followed by the UTF-8 text (a DataRow text value). */
  lengthPrefixedString(s: string): this {
    const len = s.length;
    this.ensure(4 + len * 3);
    const buf = this.buf;
    const at = this.pos;
    // Most values (numbers, timestamps, short labels) are short ASCII: copying char codes
    // beats Buffer#write's per-call overhead by several times. Anything else goes to it.
    if (len <= ASCII_LOOP_MAX) {
      let p = at + 4;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === len) {
        putInt32(buf, at, len);
        this.pos = p;
        return this;
      }
    }
    const n = buf.write(s, at + 4, 'utf8');
    putInt32(buf, at, n);
    this.pos = at + 4 + n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** An int32 byte length followed by the bytes (a DataRow binary value). */
  lengthPrefixedBytes(b: Uint8Array): this {
    this.ensure(4 + b.length);
    this.buf.writeInt32BE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }

  /**
   * Returns the bytes written so far and empties the writer. The returned buffer is a
   * copy (the socket may hold it while we keep writing); the working buffer is kept.
   */
  take(): Buffer {
    if (this.lengthAt >= 0) throw new Error('BufferWriter.take() inside an open message');
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    // Don't pin a huge buffer forever after one big result.
    if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }
}
