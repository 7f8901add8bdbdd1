/**
 * Cursor over a Kafka protocol frame. Every read checks bounds and throws a
 * `ProtocolError`, so a malformed request closes its connection instead of the broker.
 * Classic (non-flexible) and compact (flexible, KIP-482) encodings are both here because
 * ApiVersions v3 and record batches use varints and compact strings.
 */
export class ProtocolError extends Error {}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, start = 0) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.buf.length) throw new ProtocolError(`frame truncated: need ${n} bytes at ${this.pos} of ${this.buf.length}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  /** An int64 that must fit a JS number exactly (offsets, timestamps). */
  int64n(): number {
    return Number(this.int64());
  }

  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.need(1)];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
      if (shift > 63) throw new ProtocolError('varint too long');
    }
  }
  /** Zig-zag signed varint / varlong (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  bytesRaw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new ProtocolError('null where a string is required');
    return s;
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.bytesRaw(n).toString('utf8');
  }
  compactString(): string | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.bytesRaw(n).toString('utf8');
  }
  bytes(): Buffer | null {
    const n = this.int32();
    return n < 0 ? null : this.bytesRaw(n);
  }

  array<T>(item: (r: Reader) => T): T[] {
    const n = this.int32();
    return this.items(n, item);
  }
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    return n < 0 ? null : this.items(n, item);
  }
  compactArray<T>(item: (r: Reader) => T): T[] | null {
    return this.items(this.uvarint() - 1, item);
  }
  private items<T>(n: number, item: (r: Reader) => T): T[] {
    if (n < 0) return [];
    // Each element takes at least one byte: refuse counts the frame cannot hold.
    if (n > this.remaining) throw new ProtocolError(`array length ${n} exceeds frame`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }

  /** Skips a tagged-field section (we define no tags). */
  taggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.bytesRaw(this.uvarint());
    }
  }
}
