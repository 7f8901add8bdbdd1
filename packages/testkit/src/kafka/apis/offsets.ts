import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** OffsetCommit v2–v7. */
export function handleOffsetCommit(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  const groupId = r.string();
  const generation = r.int32();
  const memberId = r.string();
  if (v <= 4) r.int64(); // retention_time_ms
  if (v >= 7) r.nullableString(); // group_instance_id
  const topics = r.array((x) => ({
    name: x.string(),
    partitions: x.array((p) => {
      const index = p.int32();
      const offset = p.int64n();
      if (v >= 6) p.int32(); // committed_leader_epoch
      return { index, offset, metadata: p.nullableString() };
    }),
  }));
  const error = ctx.state.coordinator.commitError(groupId, generation, memberId);
  if (v >= 3) w.int32(0);
  w.array(topics, (tw, t) => {
    tw.string(t.name);
    tw.array(t.partitions, (pw, p) => {
      let code = error;
      if (code === ErrorCode.NONE && !ctx.state.partition(t.name, p.index)) code = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === ErrorCode.NONE) ctx.state.coordinator.commit(groupId, t.name, p.index, { offset: p.offset, metadata: p.metadata });
      pw.int32(p.index).int16(code);
    });
  });
}

/** OffsetFetch v1–v5; a null topic list (v2+) means every committed topic. */
export function handleOffsetFetch(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  const groupId = r.string();
  const requested = r.nullableArray((x) => ({ name: x.string(), partitions: x.array((p) => p.int32()) }));
  const committed = ctx.state.coordinator.committed(groupId);
  const topics = requested ?? [...committed.entries()].map(([name, parts]) => ({ name, partitions: [...parts.keys()] }));
  if (v >= 3) w.int32(0);
  w.array(topics, (tw, t) => {
    tw.string(t.name);
    tw.array(t.partitions, (pw, index) => {
      const c = committed.get(t.name)?.get(index);
      pw.int32(index).int64(c?.offset ?? -1);
      if (v >= 5) pw.int32(-1);
      pw.string(c?.metadata ?? '').int16(ErrorCode.NONE);
    });
  });
  if (v >= 2) w.int16(ErrorCode.NONE);
}
