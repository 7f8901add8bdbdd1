/**
 * The table change log: every commit group that changes a table also writes, in the same
 * LevelDB batch, one record `l/<seq>` with the row changes it made (old and new row per
 * key). The state store's checkpoints name the last `seq` their MV state includes; after a
 * crash, recovery pushes the records after it into the restored MVs, so DML acknowledged
 * after the last checkpoint reaches every MV exactly once. A checkpoint deletes the records
 * it covers in its own batch, so the log holds only what the next recovery might replay.
 *
 * Record value: repeated [u32 tableId][u32 oldLen | NONE][old row][u32 newLen | NONE][new row],
 * rows in the value codec (codec/value.ts). New-row bytes are the same buffer the table
 * write stores, so logging costs one copy of the changed bytes, not a second encoding.
 */
import { type Row, decodeRow } from '@freshet/common';
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

/** One logged change, rows already encoded (null: absent). */
export interface EncodedChange {
  readonly tableId: number;
  readonly old: Buffer | null;
  readonly row: Buffer | null;
}

export function encodeChanges(changes: readonly EncodedChange[]): Buffer {
  let size = 0;
  for (const c of changes) size += 12 + (c.old?.length ?? 0) + (c.row?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const c of changes) {
    p = out.writeUInt32BE(c.tableId, p);
    p = putBytes(out, p, c.old);
    p = putBytes(out, p, c.row);
  }
  return out;
}

function putBytes(out: Buffer, p: number, b: Buffer | null): number {
  if (b === null) return out.writeUInt32BE(NONE, p);
  p = out.writeUInt32BE(b.length, p);
  b.copy(out, p);
  return p + b.length;
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
