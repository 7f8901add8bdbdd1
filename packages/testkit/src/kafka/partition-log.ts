/**
 * One partition's log: stored record batches with broker-assigned offsets, the high
 * watermark, per-producer sequence state for idempotent producers, and timestamp lookup.
 * Every write is acknowledged synchronously (one replica, acks=all is trivially met).
 */
import { ErrorCode } from './protocol/constants';
import { decodeRecords, type BatchHeader } from './protocol/record-batch';

interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  bytes: Buffer;
}

interface ProducerSequence {
  epoch: number;
  lastSequence: number;
  lastBaseSequence: number;
  lastBaseOffset: number;
}

export type AppendResult = { error: number; baseOffset: number };

export class PartitionLog {
  private readonly batches: StoredBatch[] = [];
  private readonly producers = new Map<number, ProducerSequence>();
  logStartOffset = 0;
  highWatermark = 0;

  /** Appends one validated batch; duplicates from an idempotent producer are acknowledged, not re-appended. */
  append(bytes: Buffer, h: BatchHeader): AppendResult {
    const dup = this.checkSequence(h);
    if (dup) return dup;
    const baseOffset = this.highWatermark;
    const copy = Buffer.from(bytes);
    copy.writeBigInt64BE(BigInt(baseOffset), 0);
    copy.writeInt32BE(0, 12); // partition leader epoch: we are always epoch 0
    this.batches.push({ baseOffset, lastOffset: baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, bytes: copy });
    this.highWatermark = baseOffset + h.lastOffsetDelta + 1;
    if (h.producerId >= 0 && h.baseSequence >= 0) {
      this.producers.set(h.producerId, {
        epoch: h.producerEpoch,
        lastSequence: h.baseSequence + h.lastOffsetDelta,
        lastBaseSequence: h.baseSequence,
        lastBaseOffset: baseOffset,
      });
    }
    return { error: ErrorCode.NONE, baseOffset };
  }

  private checkSequence(h: BatchHeader): AppendResult | undefined {
    if (h.producerId < 0 || h.baseSequence < 0) return undefined;
    const s = this.producers.get(h.producerId);
    if (!s || h.producerEpoch > s.epoch) return undefined;
    if (h.producerEpoch < s.epoch) return { error: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 };
    if (h.baseSequence === s.lastBaseSequence) return { error: ErrorCode.NONE, baseOffset: s.lastBaseOffset };
    if (h.baseSequence !== s.lastSequence + 1) return { error: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 };
    return undefined;
  }

  /** Batches from the one holding `offset`, at least one, then up to `maxBytes` in total. */
  read(offset: number, maxBytes: number): Buffer[] {
    const out: Buffer[] = [];
    let i = this.firstBatchAtOrAfter(offset);
    let size = 0;
    for (; i < this.batches.length; i++) {
      const b = this.batches[i].bytes;
      if (out.length > 0 && size + b.length > maxBytes) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** Bytes available from `offset` (for Fetch min_bytes). */
  bytesFrom(offset: number): number {
    let n = 0;
    for (let i = this.firstBatchAtOrAfter(offset); i < this.batches.length; i++) n += this.batches[i].bytes.length;
    return n;
  }

  private firstBatchAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid].lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first offset whose timestamp is >= `ts`, as ListOffsets answers; null when none. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    for (const b of this.batches) {
      if (b.maxTimestamp < ts) continue;
      try {
        for (const rec of decodeRecords(b.bytes)) if (rec.timestamp >= ts) return { offset: rec.offset, timestamp: rec.timestamp };
      } catch {
        return { offset: b.baseOffset, timestamp: b.maxTimestamp }; // a codec we don't decode: batch granularity
      }
    }
    return null;
  }
}
