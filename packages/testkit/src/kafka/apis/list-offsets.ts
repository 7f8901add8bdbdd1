import { EARLIEST_TIMESTAMP, ErrorCode, LATEST_TIMESTAMP } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** ListOffsets v1–v5: earliest (-2), latest (-1), or the first offset at/after a timestamp. */
export function handleListOffsets(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  r.int32(); // replica_id
  if (v >= 2) r.int8(); // isolation_level
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((p) => {
      const index = p.int32();
      if (v >= 4) p.int32(); // current_leader_epoch
      return { index, timestamp: p.int64n() };
    }),
  }));
  if (v >= 2) w.int32(0);
  w.array(topics, (tw, t) => {
    tw.string(t.name);
    tw.array(t.partitions, (pw, p) => {
      const log = ctx.state.partition(t.name, p.index);
      let error: number = ErrorCode.NONE;
      let found = { offset: -1, timestamp: -1 };
      if (!log) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (p.timestamp === LATEST_TIMESTAMP) found = { offset: log.highWatermark, timestamp: -1 };
      else if (p.timestamp === EARLIEST_TIMESTAMP) found = { offset: log.logStartOffset, timestamp: -1 };
      else found = log.offsetForTimestamp(p.timestamp) ?? found;
      pw.int32(p.index).int16(error).int64(found.timestamp).int64(found.offset);
      if (v >= 4) pw.int32(0); // leader_epoch
    });
  });
}
