import type { BufferPool } from './buffer-pool';

/** What a writer holds once its buffer is detached. */
const EMPTY = Buffer.alloc(0);

/**
 * A growable byte buffer for the key and value codecs. Encoders write into one shared
 * scratch writer and copy the finished bytes out once, so encoding a row allocates a
 * single result Buffer regardless of how many fields it has.
 */
export class ByteWriter {
  buf: Buffer;
  len = 0;
  private readonly view: { dv: DataView };

  /**
   * `initial`: a size, or a buffer to write into (the writer owns it from then on). With a
   * `pool`, a bigger buffer is borrowed from it when the writer grows, and the outgrown one
   * given back at once: no view of the written bytes may be kept across a later write.
   */
  constructor(
    initial: number | Buffer = 256,
    private readonly pool?: BufferPool,
  ) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
    this.view = { dv: new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength) };
  }

  reset(): this {
    this.len = 0;
    return this;
  }

  /**
   * Hands the buffer over to the caller and leaves the writer empty, with no buffer of its
   * own: a later write allocates a new one, and never touches the buffer handed over.
   */
  detach(): Buffer {
    const b = this.buf;
    this.buf = EMPTY;
    this.view.dv = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
    this.len = 0;
    return b;
  }

  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let size = Math.max(16, this.buf.length * 2);
    while (size < need) size *= 2;
    const next = this.pool ? this.pool.take(size) : Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.pool?.give(this.buf);
    this.buf = next;
    this.view.dv = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  get dv(): DataView {
    return this.view.dv;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  /**
   * Unsigned LEB128 for non-negative safe integers. Past 2^28 (timestamps in µs, their
   * zigzag) the low 28 bits go out as four groups by 32-bit operations and the rest is
   * under 2^25: a float division per byte cost a 51-bit timestamp 62–63 ns, now 13
   * (bench/tools/row-codec-micro.ts).
   */
  uvarint(n: number): void {
    this.ensure(8);
    const b = this.buf;
    let at = this.len;
    if (n >= 0x10000000) {
      if (n > Number.MAX_SAFE_INTEGER) throw new RangeError(`uvarint: ${n} is not a safe integer`);
      const lo = n % 0x10000000;
      n = (n - lo) / 0x10000000;
      b[at] = (lo & 0x7f) | 0x80;
      b[at + 1] = ((lo >>> 7) & 0x7f) | 0x80;
      b[at + 2] = ((lo >>> 14) & 0x7f) | 0x80;
      b[at + 3] = ((lo >>> 21) & 0x7f) | 0x80;
      at += 4;
    }
    while (n >= 0x80) {
      b[at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[at++] = n;
    this.len = at;
  }

  f64be(x: number): void {
    this.ensure(8);
    this.view.dv.setFloat64(this.len, x);
    this.len += 8;
  }

  i64be(x: bigint): void {
    this.ensure(8);
    this.view.dv.setBigInt64(this.len, x);
    this.len += 8;
  }

  utf8(s: string): number {
    // Worst case 3 bytes per UTF-16 code unit.
    this.ensure(s.length * 3);
    const n = this.buf.write(s, this.len, 'utf8');
    this.len += n;
    return n;
  }

  /**
   * Appends `s` one byte per character: its latin1 bytes (memcomparable keys kept as latin1
   * strings), which for an ASCII string are also its UTF-8 bytes.
   */
  latin1Chars(s: string): void {
    this.ensure(s.length);
    const b = this.buf;
    let at = this.len;
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    this.len = at;
  }

  /** Inverts bytes [from, len) — used for DESC key columns. */
  invertFrom(from: number): void {
    const b = this.buf;
    for (let i = from; i < this.len; i++) b[i] = ~b[i] & 0xff;
  }

  /** A fresh Buffer holding the written bytes. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    return out;
  }

  /** The written bytes as a latin1 string: one char per byte, so string order is byte order. */
  toLatin1(): string {
    return latin1(this.buf, this.len);
  }
}

/**
 * `buf[0, n)` as a latin1 string. The commonest key lengths — 5 (one int32), 9 (one
 * int64, float64 or timestamp), 18 (two of them) — are made by `String.fromCharCode`,
 * which builds the string in JS: `Buffer#toString` is a call into C++ whose fixed cost
 * outweighs the rest of encoding a key this short, and state tables, MV keys and table
 * rows encode several such keys per ingested event (the batched-INSERT path's figures,
 * with the other cuts made with this one: docs/performance.md, session 8).
 */
export function latin1(b: Buffer, n: number): string {
  const c = String.fromCharCode;
  switch (n) {
    case 5:
      return c(b[0], b[1], b[2], b[3], b[4]);
    case 9:
      return c(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
    case 18:
      return c(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]);
  }
  return b.toString('latin1', 0, n);
}

/** A bounds-checked cursor over encoded bytes. */
export class ByteReader {
  pos = 0;
  readonly buf: Buffer;
  private readonly dv: DataView;

  constructor(buf: Uint8Array) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('codec: truncated input');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  peek(): number {
    this.need(1);
    return this.buf[this.pos];
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
  }

  f64be(): number {
    this.need(8);
    const x = this.dv.getFloat64(this.pos);
    this.pos += 8;
    return x;
  }

  i64be(): bigint {
    this.need(8);
    const x = this.dv.getBigInt64(this.pos);
    this.pos += 8;
    return x;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
