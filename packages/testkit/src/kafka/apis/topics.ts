import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** CreateTopics v0–v4. Replica assignments and configs are accepted and ignored. */
export function handleCreateTopics(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  const topics = r.array((x) => {
    const name = x.string();
    let partitions = x.int32();
    x.int16(); // replication_factor
    const assignments = x.array((a) => {
      a.int32();
      a.array((b) => b.int32());
    });
    x.array((c) => {
      c.string();
      c.nullableString();
    });
    if (partitions === -1) partitions = assignments.length || ctx.state.config.defaultPartitions;
    return { name, partitions };
  });
  r.int32(); // timeout_ms
  const validateOnly = v >= 1 ? r.bool() : false;
  if (v >= 2) w.int32(0);
  w.array(topics, (wr, t) => {
    const error = validateOnly ? (ctx.state.topics.has(t.name) ? ErrorCode.TOPIC_ALREADY_EXISTS : ErrorCode.NONE) : ctx.state.createTopic(t.name, t.partitions);
    wr.string(t.name).int16(error);
    if (v >= 1) wr.string(error === ErrorCode.NONE ? null : errorMessage(error, t.name));
  });
}

function errorMessage(code: number, topic: string): string {
  if (code === ErrorCode.TOPIC_ALREADY_EXISTS) return `Topic '${topic}' already exists.`;
  if (code === ErrorCode.INVALID_PARTITIONS) return 'Number of partitions must be larger than 0.';
  return `Invalid topic name '${topic}'.`;
}

/** DeleteTopics v0–v3. */
export function handleDeleteTopics(ctx: RequestContext, r: Reader, w: Writer): void {
  const names = r.array((x) => x.string());
  r.int32();
  if (ctx.version >= 1) w.int32(0);
  w.array(names, (wr, name) => wr.string(name).int16(ctx.state.deleteTopic(name)));
}
