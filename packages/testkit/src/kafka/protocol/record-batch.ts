/**
 * Record batches (magic v2), the unit Kafka stores and serves. The broker keeps batches
 * exactly as producers sent them — only the base offset (outside the CRC) is rewritten —
 * so consumers receive the producer's bytes, compressed or not. Records are decoded only
 * where the broker itself needs them (timestamp lookups) and by tests.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { ProtocolError, Reader } from './reader';
import { Writer } from './writer';

export const BATCH_HEADER_SIZE = 61;
const CRC_START = 21;

export const Compression = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;

/** Header fields of a batch, read in place. */
export interface BatchHeader {
  baseOffset: number;
  /** Whole batch size in bytes, including the offset and length fields. */
  size: number;
  magic: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (buf.length - at < BATCH_HEADER_SIZE) throw new ProtocolError('record batch shorter than its header');
  const batchLength = buf.readInt32BE(at + 8);
  const size = batchLength + 12;
  if (batchLength < BATCH_HEADER_SIZE - 12 || at + size > buf.length) throw new ProtocolError(`record batch length ${batchLength} out of bounds`);
  return {
    baseOffset: Number(buf.readBigInt64BE(at)),
    size,
    magic: buf.readInt8(at + 16),
    attributes: buf.readInt16BE(at + 21),
    lastOffsetDelta: buf.readInt32BE(at + 23),
    baseTimestamp: Number(buf.readBigInt64BE(at + 27)),
    maxTimestamp: Number(buf.readBigInt64BE(at + 35)),
    producerId: Number(buf.readBigInt64BE(at + 43)),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53),
    recordCount: buf.readInt32BE(at + 57),
  };
}

/**
 * Splits a Produce request's records blob into batches, validating magic and CRC as the
 * broker must before appending. Returns views into `records`.
 */
export function splitBatches(records: Buffer): { header: BatchHeader; bytes: Buffer }[] {
  const out: { header: BatchHeader; bytes: Buffer }[] = [];
  let at = 0;
  while (at < records.length) {
    const header = readBatchHeader(records, at);
    if (header.magic !== 2) throw new ProtocolError(`unsupported record batch magic ${header.magic}`);
    const bytes = records.subarray(at, at + header.size);
    if (crc32c(bytes, CRC_START) !== bytes.readUInt32BE(17)) throw new ProtocolError('record batch CRC mismatch');
    if (header.recordCount < 0 || header.lastOffsetDelta < 0) throw new ProtocolError('record batch with a negative record count');
    out.push({ header, bytes });
    at += header.size;
  }
  return out;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Decodes a batch's records (compression none or gzip); throws for other codecs. */
export function decodeRecords(batch: Buffer): DecodedRecord[] {
  const h = readBatchHeader(batch);
  const codec = h.attributes & 7;
  let body = batch.subarray(BATCH_HEADER_SIZE, h.size);
  if (codec === Compression.Gzip) body = gunzipSync(body);
  else if (codec !== Compression.None) throw new ProtocolError(`compression codec ${codec} is not decoded by the test broker`);
  const r = new Reader(body);
  const out: DecodedRecord[] = [];
  for (let i = 0; i < h.recordCount; i++) {
    const len = r.varint();
    const end = r.pos + len;
    r.int8(); // record attributes: unused
    const timestamp = h.baseTimestamp + r.varint();
    const offset = h.baseOffset + r.varint();
    const key = varBytes(r);
    const value = varBytes(r);
    const n = r.varint();
    const headers: RecordHeader[] = [];
    for (let k = 0; k < n; k++) headers.push({ key: varBytes(r)?.toString('utf8') ?? '', value: varBytes(r) });
    if (r.pos !== end) throw new ProtocolError('record length does not match its fields');
    out.push({ offset, timestamp, key, value, headers });
  }
  return out;
}

function varBytes(r: Reader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.bytesRaw(n);
}

export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: number;
  headers?: { key: string; value: Buffer | string | null }[];
}

/** Encodes one batch (tests build raw Produce requests with it). */
export function encodeRecordBatch(records: RecordInput[], opts: { baseOffset?: number; gzip?: boolean; now?: number } = {}): Buffer {
  const now = opts.now ?? Date.now();
  const baseTimestamp = records.length ? Math.min(...records.map((r) => r.timestamp ?? now)) : now;
  const maxTimestamp = records.length ? Math.max(...records.map((r) => r.timestamp ?? now)) : now;
  const body = new Writer();
  records.forEach((rec, i) => {
    const w = new Writer();
    w.int8(0).varint((rec.timestamp ?? now) - baseTimestamp).varint(i);
    writeVarBytes(w, rec.key ?? null);
    writeVarBytes(w, rec.value);
    const headers = rec.headers ?? [];
    w.varint(headers.length);
    for (const hd of headers) {
      writeVarBytes(w, hd.key);
      writeVarBytes(w, hd.value);
    }
    const rb = w.finish();
    body.varint(rb.length).raw(rb);
  });
  const payload = opts.gzip ? gzipSync(body.finish()) : body.finish();
  const w = new Writer(BATCH_HEADER_SIZE + payload.length);
  w.int64(opts.baseOffset ?? 0)
    .int32(BATCH_HEADER_SIZE - 12 + payload.length)
    .int32(0)
    .int8(2)
    .uint32(0)
    .int16(opts.gzip ? Compression.Gzip : Compression.None)
    .int32(Math.max(records.length - 1, 0))
    .int64(baseTimestamp)
    .int64(maxTimestamp)
    .int64(-1)
    .int16(-1)
    .int32(-1)
    .int32(records.length)
    .raw(payload);
  const out = Buffer.from(w.finish());
  out.writeUInt32BE(crc32c(out, CRC_START), 17);
  return out;
}

function writeVarBytes(w: Writer, b: Buffer | string | null): void {
  if (b === null) {
    w.varint(-1);
    return;
  }
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  w.varint(buf.length).raw(buf);
}
