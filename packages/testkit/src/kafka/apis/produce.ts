import { ErrorCode } from '../protocol/constants';
import { ProtocolError, type Reader } from '../protocol/reader';
import { splitBatches } from '../protocol/record-batch';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

interface PartitionResult {
  index: number;
  error: number;
  baseOffset: number;
  logStartOffset: number;
  message: string | null;
}

/** Produce v3–v8 (record batches v2). Corrupt batches fail their partition, not the connection. */
export function handleProduce(ctx: RequestContext, r: Reader, w: Writer): boolean {
  const v = ctx.version;
  r.nullableString(); // transactional_id
  const acks = r.int16();
  r.int32(); // timeout_ms
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((p) => ({ index: p.int32(), records: p.bytes() })),
  }));
  let appended = false;
  const results = topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): PartitionResult => {
      const log = ctx.state.topicFor(t.name, true)?.[p.index];
      if (!log) return { index: p.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1, message: null };
      let batches;
      try {
        batches = splitBatches(p.records ?? Buffer.alloc(0));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        return { index: p.index, error: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1, logStartOffset: log.logStartOffset, message: e.message };
      }
      let first = -1;
      for (const b of batches) {
        const res = log.append(b.bytes, b.header);
        if (res.error !== ErrorCode.NONE) return { index: p.index, error: res.error, baseOffset: -1, logStartOffset: log.logStartOffset, message: null };
        if (first < 0) first = res.baseOffset;
        appended = true;
      }
      return { index: p.index, error: ErrorCode.NONE, baseOffset: first, logStartOffset: log.logStartOffset, message: null };
    }),
  }));
  if (appended) ctx.state.notifyAppend();
  if (acks === 0) return false;
  w.array(results, (wr, t) => {
    wr.string(t.name);
    wr.array(t.partitions, (pw, p) => {
      pw.int32(p.index).int16(p.error).int64(p.baseOffset).int64(-1); // log_append_time: CreateTime topics
      if (v >= 5) pw.int64(p.logStartOffset);
      if (v >= 8) pw.array([], () => {}).string(p.message);
    });
  });
  w.int32(0);
  return true;
}

/** InitProducerId v0–v1: a fresh producer id for idempotent producers (no transactions). */
export function handleInitProducerId(ctx: RequestContext, r: Reader, w: Writer): void {
  r.nullableString();
  r.int32();
  w.int32(0).int16(ErrorCode.NONE).int64(ctx.state.allocateProducerId()).int16(0);
}
