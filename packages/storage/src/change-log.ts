/**
 * The table change log: every commit group that changes a table also writes, in the same
 * LevelDB batch, one record `l/<seq>` with the row changes it made (old and new row per
 * key). The state store's checkpoints name the last `seq` their MV state includes; after a
 * crash, recovery pushes the records after it into the restored MVs, so DML acknowledged
 * after the last checkpoint reaches every MV exactly once. A checkpoint deletes the records
 * it covers in its own batch, so the log holds only what the next recovery might replay.
 *
 * Record value: repeated [u32 tableId][u32 oldLen | NONE][old row][u32 newLen | NONE][new row],
 * rows in the value codec (codec/value.ts). A packed new row (the table's own bytes) is
 * copied, not encoded again.
 */
import { ByteWriter, type Row, decodeRow, writeRow } from '@freshet/common';
import type { RowChange } from './api';

const NONE = 0xffffffff;

/** `l/` + 8-byte big-endian seq: records sort in seq order. */
export function changeLogKey(seq: number): Buffer {
  const b = Buffer.allocUnsafe(10);
  b.write('l/', 0, 'latin1');
  b.writeBigUInt64BE(BigInt(seq), 2);
  return b;
}

export function changeLogSeq(key: Buffer): number {
  return Number(key.readBigUInt64BE(2));
}

/**
 * Encodes one record's value, change by change, rows encoded in place. One writer is reused
 * for every record: its bytes are copied into the batch the record goes in (`bytes` is a
 * view, valid until the next `reset`).
 */
export class ChangeLogWriter {
  private readonly w = new ByteWriter(1 << 16);
  private changes = 0;

  reset(): this {
    this.w.reset();
    this.changes = 0;
    return this;
  }

  /** Changes added since the last reset. */
  get length(): number {
    return this.changes;
  }

  /** One change: `row` may be packed (`packRow`); undefined is an absent row. */
  add(tableId: number, old: Row | undefined, row: Row | string | undefined): void {
    const w = this.w;
    w.ensure(4);
    w.len = w.buf.writeUInt32BE(tableId, w.len);
    this.putRow(old);
    this.putRow(row);
    this.changes++;
  }

  bytes(): Buffer {
    return this.w.buf.subarray(0, this.w.len);
  }

  private putRow(row: Row | string | undefined): void {
    const w = this.w;
    w.ensure(4);
    if (row === undefined) {
      w.len = w.buf.writeUInt32BE(NONE, w.len);
      return;
    }
    // The length is known once the row is encoded: reserved, then filled in.
    const at = w.len;
    w.len += 4;
    writeRow(w, row);
    w.buf.writeUInt32BE(w.len - at - 4, at);
  }
}

/** The record's changes grouped by table, each table's in the order they were made. */
export function decodeChanges(buf: Buffer): Map<number, RowChange[]> {
  const out = new Map<number, RowChange[]>();
  let p = 0;
  const readRow = (): Row | undefined => {
    const n = buf.readUInt32BE(p);
    p += 4;
    if (n === NONE) return undefined;
    const row = decodeRow(buf.subarray(p, p + n));
    p += n;
    return row;
  };
  while (p < buf.length) {
    const tableId = buf.readUInt32BE(p);
    p += 4;
    const old = readRow();
    const row = readRow();
    let list = out.get(tableId);
    if (!list) out.set(tableId, (list = []));
    list.push({ old, row });
  }
  return out;
}
