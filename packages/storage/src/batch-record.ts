/**
 * One LevelDB write batch, encoded once into one buffer (`[u32 nops]` then per op
 * `[u8 1 put | 2 del][u32 klen][key]([u32 vlen][value])`); segments of state store their
 * rows in the same format (state-store/segments.ts).
 *
 * LevelDB gets each key and value as a view into the buffer, so a checkpoint's rows are
 * encoded once and copied only by LevelDB's native batch. (The checkpoint uploader once
 * journaled these bytes as its delta records; it now copies LevelDB's files instead.)
 *
 * Ops are added in order and the batch is applied in that order (a later op on the same
 * key wins, as in LevelDB). Once handed to `Db.write` it must not change until the write
 * has finished.
 */
import { ByteWriter, type Row, bufferPool, writeRow } from '@freshet/common';

const PUT = 1;
const DEL = 2;

/** Receives the ops of a record, as views into its buffer. */
export interface BatchSink {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
  /**
   * The sink copies each key and value before returning (classic-level's native batch
   * does): short ones are then handed over in buffers reused from op to op instead of a
   * view per key and per value — two Buffer objects per op, 40% of what a checkpoint
   * allocated on the seed pipeline by INSERT (~520 of ~1,280 B/event).
   */
  readonly copies?: boolean;
}

/** Keys and values up to this length are copied into reused buffers for a copying sink. */
const REUSED_MAX = 256;
/** The reused buffers, one per length (for keys, and for values: an op needs both at once). */
const reusedKeys: Buffer[] = [];
const reusedValues: Buffer[] = [];

/** `buf[start, end)` in the reused buffer of that length (a view if longer than REUSED_MAX). */
function reused(pool: Buffer[], buf: Buffer, start: number, end: number): Buffer {
  const n = end - start;
  if (n > REUSED_MAX) return buf.subarray(start, end);
  let b = pool[n];
  if (b === undefined) pool[n] = b = Buffer.allocUnsafeSlow(n);
  // A loop: for a few dozen bytes cheaper than `copy`'s call into C++.
  for (let i = 0; i < n; i++) b[i] = buf[start + i];
  return b;
}

/** `buf.writeUInt32BE` without its argument checks (a share of a row's cost in a segment part); every length here. */
function u32be(buf: Buffer, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

const INITIAL_MARKS = 96;
const NO_MARKS = new Float64Array(0);
/** Marks arrays of recycled pooled records (`BatchRecord.marks`): at most 8, of at most 2^20 marks (8 MiB) each. */
const idleMarks: Float64Array[] = [];
const MAX_IDLE_MARKS = 8;
const MAX_KEPT_MARKS = 1 << 20;

export class BatchRecord {
  private readonly w: ByteWriter;
  /**
   * Per op: key start, key end (= where the value length starts), value end (-1: a delete),
   * `nMarks` of them in use. Typed and kept across `clear`: a segment part's record
   * (segments.ts) is cleared and refilled every ~8,000 rows, and the plain array it was
   * grew from nothing each time (with `u32be`, a part's row went from 93–100 ns to 49–51:
   * bench/tools/row-codec-micro.ts). Float64, not Int32: a record may pass 2 GiB (a bulk
   * load's checkpoint), and an Int32 offset would wrap silently. A pooled record's come from
   * `idleMarks` and go back there at `recycle`, as its buffer does to the buffer pool: a
   * typed array's elements live outside V8's heap like a Buffer's (buffer-pool.ts says what
   * that costs), and every commit's record grew new ones from 96 marks.
   */
  private marks: Float64Array;
  private nMarks = 0;
  /** Bytes of the keys and values put (the checkpoint statistics). */
  putBytes = 0;
  /** The buffer is the pool's (`pooled`), to be given back by `recycle`. */
  private borrowed = false;

  /** `initial`: a size in bytes, or a buffer to encode into (the record owns it from then on). */
  constructor(initial: number | Buffer = 1 << 12, pooled = false) {
    this.w = new ByteWriter(typeof initial === 'number' ? Math.max(16, initial) : initial, pooled ? bufferPool : undefined);
    this.w.len = 4; // the op count, filled in by `bytes()`
    this.borrowed = pooled;
    this.marks = (pooled ? idleMarks.pop() : undefined) ?? new Float64Array(INITIAL_MARKS);
  }

  /**
   * A record encoded into a buffer of at least `minBytes` lent by the buffer pool, which
   * gets it back at `recycle` (`Db.write` recycles the records it writes, once written). A
   * record that outgrows it borrows a bigger one and gives the first back.
   */
  static pooled(minBytes: number): BatchRecord {
    return new BatchRecord(bufferPool.take(Math.max(16, minBytes)), true);
  }

  /**
   * Empties a pooled record and gives its buffer back to the pool; no view of its bytes may
   * be used after this. A record not from the pool is left as it is. The record stays
   * usable, as an empty one that allocates a buffer of its own at its next op.
   */
  recycle(): void {
    if (!this.borrowed) return;
    this.borrowed = false;
    bufferPool.give(this.w.detach());
    if (idleMarks.length < MAX_IDLE_MARKS && this.marks.length <= MAX_KEPT_MARKS) idleMarks.push(this.marks);
    this.marks = NO_MARKS;
    this.clear();
  }

  /** Removes every op, keeping the buffer (a segment part's record reused for the next part). */
  clear(): void {
    this.w.reset().len = 4;
    this.nMarks = 0;
    this.putBytes = 0;
  }

  /** Number of ops. */
  get length(): number {
    return this.nMarks / 3;
  }

  /** Bytes of the encoded record so far (`bytes().length`). */
  get byteLength(): number {
    return this.w.len;
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const w = this.w;
    const keyStart = this.head(PUT, key.length);
    w.bytes(key);
    const keyEnd = w.len;
    w.ensure(4);
    u32be(w.buf, w.len, value.length);
    w.len += 4;
    w.bytes(value);
    this.mark(keyStart, keyEnd, w.len);
    this.putBytes += key.length + value.length;
  }

  del(key: Uint8Array): void {
    const keyStart = this.head(DEL, key.length);
    this.w.bytes(key);
    this.mark(keyStart, this.w.len, -1);
  }

  /**
   * A put of `row` (null: a delete) under `prefix` + the latin1 bytes of `key` — how the
   * state store and the table log write their rows, encoded in place (the value bytes are
   * `encodeRow`'s; a packed row's are its characters).
   */
  putRow(prefix: Uint8Array, key: string, row: Row | string | null): void {
    const w = this.w;
    const keyStart = this.head(row === null ? DEL : PUT, prefix.length + key.length);
    if (prefix.length > 0) w.bytes(prefix);
    w.latin1Chars(key);
    const p = w.len;
    if (row === null) {
      this.mark(keyStart, p, -1);
      return;
    }
    // The value length is not known until the row is encoded: reserve it, fill it after.
    w.ensure(4);
    w.len += 4;
    const valueStart = w.len;
    writeRow(w, row);
    u32be(w.buf, valueStart - 4, w.len - valueStart);
    this.mark(keyStart, p, w.len);
    this.putBytes += p - keyStart + (w.len - valueStart);
  }

  /** Appends every op of `other`, after those already here. */
  append(other: BatchRecord): void {
    other.forEach({
      put: (k, v) => this.put(k, v),
      del: (k) => this.del(k),
    });
  }

  private mark(keyStart: number, keyEnd: number, valueEnd: number): void {
    let m = this.marks;
    const n = this.nMarks;
    if (n + 3 > m.length) {
      const grown = new Float64Array(Math.max(INITIAL_MARKS, m.length * 2));
      grown.set(m);
      this.marks = m = grown;
    }
    m[n] = keyStart;
    m[n + 1] = keyEnd;
    m[n + 2] = valueEnd;
    this.nMarks = n + 3;
  }

  /** Writes the op header and the key length; returns where the key starts. */
  private head(type: number, keyLength: number): number {
    const w = this.w;
    w.ensure(5);
    w.buf[w.len] = type;
    u32be(w.buf, w.len + 1, keyLength);
    w.len += 5;
    return w.len;
  }

  /** Calls `sink` for every op in order, with views of the keys and values. */
  forEach(sink: BatchSink): void {
    this.replay(sink, 0, this.nMarks);
  }

  /** Ops [from, to) of `marks` (three marks per op) to `sink`. */
  private replay(sink: BatchSink, from: number, to: number): void {
    const buf = this.w.buf;
    const m = this.marks;
    if (sink.copies === true) {
      for (let i = from; i < to; i += 3) {
        const key = reused(reusedKeys, buf, m[i], m[i + 1]);
        const end = m[i + 2];
        if (end < 0) sink.del(key);
        else sink.put(key, reused(reusedValues, buf, m[i + 1] + 4, end));
      }
      return;
    }
    for (let i = from; i < to; i += 3) {
      const key = buf.subarray(m[i], m[i + 1]);
      const end = m[i + 2];
      if (end < 0) sink.del(key);
      else sink.put(key, buf.subarray(m[i + 1] + 4, end));
    }
  }

  /**
   * `forEach`, with a turn of the event loop after every `sliceOps` ops: handing a busy
   * second's checkpoint (hundreds of thousands of ops) to LevelDB's batch in one go was a
   * stall of its own on the engine's thread.
   */
  async forEachSliced(sink: BatchSink, sliceOps: number, sliceBytes = Infinity): Promise<void> {
    const n = this.nMarks;
    const m = this.marks;
    for (let from = 0, to = 0; from < n; from = to) {
      if (from > 0) await new Promise<void>((r) => setImmediate(r));
      // Up to sliceOps ops, or fewer holding sliceBytes: LevelDB copies every byte on this
      // thread, and a segment part (segments.ts) is hundreds of KiB.
      let bytes = 0;
      to = from;
      do {
        bytes += (m[to + 2] < 0 ? m[to + 1] : m[to + 2]) - m[to];
        to += 3;
      } while (to < n && to - from < sliceOps * 3 && bytes < sliceBytes);
      this.replay(sink, from, to);
    }
  }

  /**
   * The ops of an encoded record (`bytes()`), in order: `value` null for a delete. Keys and
   * values are views into `record`. Throws on a truncated or malformed record.
   */
  static decode(record: Buffer, op: (key: Buffer, value: Buffer | null) => void): void {
    const fail = () => {
      throw new Error(`malformed batch record (${record.length} bytes)`);
    };
    if (record.length < 4) fail();
    const n = record.readUInt32BE(0);
    let p = 4;
    for (let i = 0; i < n; i++) {
      if (p + 5 > record.length) fail();
      const type = record[p];
      const klen = record.readUInt32BE(p + 1);
      p += 5;
      if (p + klen > record.length) fail();
      const key = record.subarray(p, p + klen);
      p += klen;
      if (type === DEL) {
        op(key, null);
        continue;
      }
      if (type !== PUT || p + 4 > record.length) fail();
      const vlen = record.readUInt32BE(p);
      p += 4;
      if (p + vlen > record.length) fail();
      op(key, record.subarray(p, p + vlen));
      p += vlen;
    }
  }

  /** The record: op count then the ops (a view of the buffer, not a copy). */
  bytes(): Buffer {
    const w = this.w;
    u32be(w.buf, 0, this.length);
    return w.buf.subarray(0, w.len);
  }
}
