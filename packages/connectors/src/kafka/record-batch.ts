/**
 * Kafka record batches (message format v2, "magic 2") decoded straight from a Fetch
 * response's bytes into SourceMessages: varints read in place, offsets and timestamps as
 * numbers, key and value as views of the response buffer. kafkajs builds several objects per
 * record (a Decoder per record, offsets and timestamps as Long → string, a headers object by
 * spread), then its consumer re-parses every offset; at 50,000 messages/s that was most of
 * the source's cost on the engine thread.
 *
 * Handled as Kafka's Java consumer does: every codec (none, gzip, snappy in both framings,
 * lz4, zstd: compression.ts), LogAppendTime
 * (every record carries the batch's max timestamp), control batches (transaction markers:
 * skipped, their offsets still consumed), aborted transactions under read_committed (the
 * Fetch response's aborted list, as KIP-98 describes), and a truncated last batch (a fetch
 * cut at max bytes: read again by the next fetch). Legacy message sets (magic 0/1, brokers
 * before 0.11) are rejected. CRCs are not checked (kafkajs does not either; TCP has its own).
 *
 * A batch whose records cannot be decoded (corrupt compressed data, records that do not fit
 * the batch) is skipped whole, as a malformed message is: a `CorruptBatch` takes its place in
 * the output at its last offset, so positions move past it and the reader reports it.
 */
import type { MessageHeader, SourceMessage } from '../format/types';
import { CompressionError, decompress } from './compression';

/** Bytes before the first record: base offset … record count. */
export const BATCH_HEADER_BYTES = 61;
const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const NO_HEADERS: MessageHeader[] = [];

/** An aborted transaction from a Fetch response (read_committed): producer and first offset. */
export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

export class RecordBatchError extends Error {}

/**
 * A record batch that could not be decoded, standing in the message stream for its records:
 * `offset` is the batch's last offset (so a position taken after it is past the batch),
 * `baseOffset` its first. Never parsed: the reader takes it out and reports it.
 */
export class CorruptBatch implements SourceMessage {
  readonly key = null;
  readonly value = null;
  readonly headers = NO_HEADERS;
  constructor(
    readonly partition: number,
    readonly baseOffset: number,
    readonly offset: number,
    readonly timestamp: number,
    /** What is wrong with it (the decompressor's or the record decoder's message). */
    readonly reason: string,
  ) {}

  /** "corrupt record batch at partition 0 offsets 5..9" (log lines, error lists). */
  describe(): string {
    return `corrupt record batch at partition ${this.partition} offsets ${this.baseOffset}..${this.offset}`;
  }
}

/** What one partition's record set held. */
export interface DecodedRecords {
  /** Messages appended to `out` (CorruptBatch stand-ins included). */
  count: number;
  /** CorruptBatch stand-ins among them. */
  corrupt: number;
  /**
   * The offset after the last complete batch (control and aborted records included), where
   * the next fetch starts; `fromOffset` if no batch was complete.
   */
  nextOffset: number;
}

/**
 * Per-partition transaction state across fetches (read_committed): producers whose aborted
 * transaction is in progress. Kept by the caller per partition, as the aborted list of one
 * response covers that response's range only.
 */
export class AbortTracker {
  private readonly pending: AbortedTransaction[] = [];
  private readonly aborting = new Set<bigint>();

  add(list: readonly AbortedTransaction[]): void {
    for (const t of list) this.pending.push(t);
    this.pending.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Called at each transactional batch: true when its records belong to an aborted transaction. */
  aborted(producerId: bigint, baseOffset: number): boolean {
    while (this.pending.length > 0 && this.pending[0].firstOffset <= baseOffset) this.aborting.add(this.pending.shift()!.producerId);
    return this.aborting.has(producerId);
  }

  /** A control batch: an abort marker ends the producer's aborted transaction. */
  ended(producerId: bigint): void {
    this.aborting.delete(producerId);
  }

  get empty(): boolean {
    return this.pending.length === 0 && this.aborting.size === 0;
  }
}

/**
 * Appends the messages of `buf[start, end)` (a Fetch response's record set for one
 * partition) with offset ≥ `fromOffset` to `out`.
 */
export function decodeRecordSet(
  buf: Buffer,
  start: number,
  end: number,
  partition: number,
  fromOffset: number,
  out: SourceMessage[],
  aborts: AbortTracker | null,
): DecodedRecords {
  let pos = start;
  let count = 0;
  let corrupt = 0;
  let nextOffset = fromOffset;
  while (end - pos >= BATCH_HEADER_BYTES) {
    const batchStart = pos;
    const baseOffset = readInt64(buf, pos);
    const batchLength = buf.readInt32BE(pos + 8);
    const batchEnd = pos + 12 + batchLength;
    if (batchEnd > end) break; // truncated at the fetch's byte limit: the next fetch reads it whole
    const magic = buf.readInt8(pos + 16);
    if (magic !== 2) throw new RecordBatchError(`Kafka message format v${magic} (a broker before 0.11) is not supported: record batches (v2) only`);
    const attributes = buf.readInt16BE(pos + 21);
    const lastOffsetDelta = buf.readInt32BE(pos + 23);
    const firstTimestamp = readInt64(buf, pos + 27);
    const maxTimestamp = readInt64(buf, pos + 35);
    const producerId = buf.readBigInt64BE(pos + 43);
    const recordCount = buf.readInt32BE(pos + 57);
    const lastOffset = baseOffset + lastOffsetDelta;
    pos = batchEnd;
    if (lastOffset < fromOffset) continue; // wholly before the position (a fetch starts at its batch's base)
    nextOffset = Math.max(nextOffset, lastOffset + 1);
    if ((attributes & CONTROL) !== 0) {
      if (aborts !== null) aborts.ended(producerId); // commit or abort marker: either way the transaction is over
      continue;
    }
    if ((attributes & TRANSACTIONAL) !== 0 && aborts !== null && aborts.aborted(producerId, baseOffset)) continue;
    const codec = attributes & COMPRESSION_MASK;
    const mark = out.length;
    try {
      let rb = buf;
      let rpos = batchStart + BATCH_HEADER_BYTES;
      let rend = batchEnd;
      if (codec !== 0) {
        rb = decompress(codec, buf.subarray(rpos, rend));
        rpos = 0;
        rend = rb.length;
      }
      const logAppend = (attributes & LOG_APPEND_TIME) !== 0;
      count += decodeRecords(rb, rpos, rend, recordCount, partition, baseOffset, logAppend, firstTimestamp, maxTimestamp, fromOffset, out);
    } catch (e) {
      if (!(e instanceof RecordBatchError || e instanceof CompressionError)) throw e;
      out.length = mark; // the whole batch is skipped, not the records before the damage
      out.push(new CorruptBatch(partition, baseOffset, lastOffset, maxTimestamp, e.message));
      count++;
      corrupt++;
    }
  }
  return { count, corrupt, nextOffset };
}

/** The records of one batch; under LogAppendTime every record takes `maxTimestamp`. */
function decodeRecords(
  b: Buffer,
  pos: number,
  end: number,
  n: number,
  partition: number,
  baseOffset: number,
  logAppend: boolean,
  firstTimestamp: number,
  maxTimestamp: number,
  fromOffset: number,
  out: SourceMessage[],
): number {
  let count = 0;
  const r = new VarintCursor(b, pos);
  for (let i = 0; i < n; i++) {
    const length = r.varint();
    const recordEnd = r.pos + length;
    // Negated so that NaN (a read past the end) fails too.
    if (!(length >= 0 && recordEnd <= end)) throw new RecordBatchError(`record ${i} of ${n} does not fit the batch`);
    r.pos++; // record attributes: unused
    const tsDelta = r.varlong();
    const offset = baseOffset + r.varint();
    const key = r.bytes();
    const value = r.bytes();
    const headerCount = r.varint();
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      // Each header takes at least two bytes: a larger count is damage (and would loop for long).
      if (headerCount * 2 > recordEnd - r.pos) throw new RecordBatchError(`record ${i} of ${n} claims ${headerCount} headers`);
      headers = new Array<MessageHeader>(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const k = r.bytes();
        headers[h] = { key: k === null ? '' : k.toString('utf8'), value: r.bytes() };
      }
    }
    if (r.pos !== recordEnd) throw new RecordBatchError(`record ${i} of ${n}: its fields do not match its length`);
    if (offset < fromOffset) continue;
    out.push({ partition, offset, key, value, timestamp: logAppend ? maxTimestamp : firstTimestamp + tsDelta, headers });
    count++;
  }
  return count;
}

/** An int64 as a number: offsets and millisecond timestamps stay far below 2^53. */
function readInt64(b: Buffer, pos: number): number {
  return b.readInt32BE(pos) * 4294967296 + b.readUInt32BE(pos + 4);
}

/** Zig-zag varints (Kafka's record fields) read in place. */
class VarintCursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(): number {
    const b = this.buf;
    let p = this.pos;
    let byte = b[p++];
    let v = byte & 0x7f;
    let shift = 7;
    while (byte & 0x80) {
      if (shift > 28) throw new RecordBatchError('corrupt Kafka record: varint too long');
      byte = b[p++];
      v |= (byte & 0x7f) << shift;
      shift += 7;
    }
    this.pos = p;
    return (v >>> 1) ^ -(v & 1);
  }

  /** A zig-zag varlong as a number (timestamp deltas: well within 2^53). */
  varlong(): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    let mul = 1;
    let byte: number;
    do {
      if (mul > 2 ** 63) throw new RecordBatchError('corrupt Kafka record: varlong too long');
      byte = b[p++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
    } while (byte & 0x80);
    this.pos = p;
    // zig-zag: even → v/2, odd → −(v+1)/2
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  /** Varint-length bytes (−1: null), as a view of the buffer. */
  bytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) return null;
    const s = this.pos;
    this.pos = s + len;
    return this.buf.subarray(s, s + len);
  }
}
