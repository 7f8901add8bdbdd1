import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** Metadata v1–v8: one broker, which leads every partition. */
export function handleMetadata(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  const requested = r.nullableArray((x) => x.string());
  const allowAutoCreate = v >= 4 ? r.bool() : true;
  if (v >= 8) {
    r.bool(); // include_cluster_authorized_operations
    r.bool(); // include_topic_authorized_operations
  }
  const { state } = ctx;
  const { nodeId, host, port, clusterId } = state.config;
  const names = requested ?? [...state.topics.keys()];

  if (v >= 3) w.int32(0);
  w.array([0], (wr) => {
    wr.int32(nodeId).string(host).int32(port).string(null);
  });
  if (v >= 2) w.string(clusterId);
  w.int32(nodeId); // controller_id
  w.array(names, (wr, name) => {
    const partitions = state.topicFor(name, allowAutoCreate);
    wr.int16(partitions ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).string(name).bool(false);
    wr.array(partitions ?? [], (pw, _log, index) => {
      pw.int16(ErrorCode.NONE).int32(index).int32(nodeId);
      if (v >= 7) pw.int32(0); // leader_epoch
      pw.array([nodeId], (x, n) => x.int32(n));
      pw.array([nodeId], (x, n) => x.int32(n));
      if (v >= 5) pw.array([], () => {});
    });
    if (v >= 8) wr.int32(-2147483648); // topic_authorized_operations: not requested
  });
  if (v >= 8) w.int32(-2147483648);
}
