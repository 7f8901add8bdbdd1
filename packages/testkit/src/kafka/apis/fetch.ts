import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  maxBytes: number;
}

interface FetchTopic {
  name: string;
  partitions: FetchPartition[];
}

/**
 * Fetch v4–v11. Long-polls: when fewer than min_bytes are available the request waits
 * (up to max_wait_ms) for an append, as Kafka's fetch purgatory does. Fetch sessions
 * (KIP-227) are declined with session id 0, so clients send full fetches.
 */
export async function handleFetch(ctx: RequestContext, r: Reader, w: Writer): Promise<void> {
  const v = ctx.version;
  r.int32(); // replica_id
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation_level: no transactions, so read_committed == read_uncommitted
  if (v >= 7) {
    r.int32(); // session_id
    r.int32(); // session_epoch
  }
  const topics: FetchTopic[] = r.array((x) => ({
    name: x.string(),
    partitions: x.array((p) => {
      const partition = p.int32();
      if (v >= 9) p.int32(); // current_leader_epoch
      const fetchOffset = p.int64n();
      if (v >= 5) p.int64(); // log_start_offset (followers only)
      return { partition, fetchOffset, maxBytes: p.int32() };
    }),
  }));
  if (v >= 7) r.array((x) => [x.string(), x.array((p) => p.int32())]); // forgotten_topics_data
  if (v >= 11) r.string(); // rack_id

  if (available(ctx, topics) < Math.max(minBytes, 1) && maxWaitMs > 0) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, maxWaitMs);
      const unsubscribe = ctx.state.onAppend(() => {
        if (ctx.state.closed || available(ctx, topics) >= Math.max(minBytes, 1)) done();
      });
    });
  }
  writeFetchResponse(ctx, topics, maxBytes, w);
}

function available(ctx: RequestContext, topics: FetchTopic[]): number {
  let n = 0;
  for (const t of topics) for (const p of t.partitions) n += ctx.state.partition(t.name, p.partition)?.bytesFrom(p.fetchOffset) ?? 0;
  return n;
}

function writeFetchResponse(ctx: RequestContext, topics: FetchTopic[], maxBytes: number, w: Writer): void {
  const v = ctx.version;
  w.int32(0); // throttle_time_ms
  if (v >= 7) w.int16(ErrorCode.NONE).int32(0);
  let budget = maxBytes;
  w.array(topics, (tw, t) => {
    tw.string(t.name);
    tw.array(t.partitions, (pw, p) => {
      const log = ctx.state.partition(t.name, p.partition);
      let error: number = ErrorCode.NONE;
      let batches: Buffer[] = [];
      if (!log) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.highWatermark) error = ErrorCode.OFFSET_OUT_OF_RANGE;
      else if (budget > 0) {
        // KIP-74: the first batch is returned even if it exceeds the limits, so a large
        // message can never stall a consumer.
        batches = log.read(p.fetchOffset, Math.min(p.maxBytes, budget));
        for (const b of batches) budget -= b.length;
      }
      const hw = log?.highWatermark ?? -1;
      pw.int32(p.partition).int16(error).int64(hw).int64(hw); // last_stable_offset
      if (v >= 5) pw.int64(log?.logStartOffset ?? -1);
      pw.array(null, () => {}); // aborted_transactions
      if (v >= 11) pw.int32(-1); // preferred_read_replica
      let size = 0;
      for (const b of batches) size += b.length;
      pw.int32(size);
      for (const b of batches) pw.raw(b);
    });
  });
}
