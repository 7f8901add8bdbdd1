/**
 * The state-row operations of one checkpoint, encoded into one growing buffer: a
 * checkpoint writes thousands of small keys and values (in the seed pipeline ~9 per
 * ingested event), and a separate key buffer plus a value copied out of the codec's
 * scratch writer per row cost more than the bytes themselves. Keys and values are written
 * back to back and handed to LevelDB as views of the one buffer.
 */
import { ByteWriter, type Row, writeDatum } from '@freshet/common';
import type { DbOp } from '../db';

export class StateOpsEncoder {
  private readonly w = new ByteWriter(1 << 16);
  /** Per op: key start, key end (= value start), value end (-1: a delete). */
  private readonly marks: number[] = [];
  /** Bytes of the puts (keys and values). */
  bytes = 0;

  /** A put of `row` (null: a delete) under `prefix` + the latin1 bytes of `key`. */
  add(prefix: Buffer, key: string, row: Row | null): void {
    const w = this.w;
    const start = w.len;
    w.bytes(prefix);
    w.ensure(key.length);
    const buf = w.buf;
    let p = w.len;
    for (let i = 0; i < key.length; i++) buf[p++] = key.charCodeAt(i);
    w.len = p;
    if (row === null) {
      this.marks.push(start, p, -1);
      return;
    }
    // The bytes `encodeRow` produces (codec/value.ts): column count, then each datum.
    w.uvarint(row.length);
    for (let i = 0; i < row.length; i++) writeDatum(w, row[i] ?? null);
    this.marks.push(start, p, w.len);
    this.bytes += w.len - start - prefix.length;
  }

  /** Appends the operations, in the order added, to `ops`. */
  finish(ops: DbOp[]): void {
    const buf = this.w.buf;
    const m = this.marks;
    for (let i = 0; i < m.length; i += 3) {
      const key = buf.subarray(m[i], m[i + 1]);
      if (m[i + 2] < 0) ops.push({ type: 'del', key });
      else ops.push({ type: 'put', key, value: buf.subarray(m[i + 1], m[i + 2]) });
    }
  }
}
