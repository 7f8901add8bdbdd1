import { ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** FindCoordinator v0–v2: this broker coordinates every group. */
export function handleFindCoordinator(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  r.string(); // key
  if (v >= 1) r.int8(); // key_type
  const { nodeId, host, port } = ctx.state.config;
  if (v >= 1) w.int32(0);
  w.int16(ErrorCode.NONE);
  if (v >= 1) w.string(null);
  w.int32(nodeId).string(host).int32(port);
}

/** JoinGroup v0–v5; the response waits until the rebalance completes. */
export async function handleJoinGroup(ctx: RequestContext, r: Reader, w: Writer): Promise<void> {
  const v = ctx.version;
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = v >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((x) => ({ name: x.string(), metadata: x.bytes() ?? Buffer.alloc(0) }));
  const res = await ctx.state.coordinator.join({ groupId, memberId, groupInstanceId, clientId: ctx.clientId, sessionTimeoutMs, rebalanceTimeoutMs, protocolType, protocols });
  if (v >= 2) w.int32(0);
  w.int16(res.error).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.array(res.members, (mw, m) => {
    mw.string(m.memberId);
    if (v >= 5) mw.string(m.groupInstanceId);
    mw.bytes(m.metadata);
  });
}

/** SyncGroup v0–v3: followers wait for the leader's assignments. */
export async function handleSyncGroup(ctx: RequestContext, r: Reader, w: Writer): Promise<void> {
  const v = ctx.version;
  const groupId = r.string();
  const generation = r.int32();
  const memberId = r.string();
  if (v >= 3) r.nullableString();
  const assignments = r.array((x) => ({ memberId: x.string(), assignment: x.bytes() ?? Buffer.alloc(0) }));
  const res = await ctx.state.coordinator.sync(groupId, generation, memberId, assignments);
  if (v >= 1) w.int32(0);
  w.int16(res.error).bytes(res.assignment);
}

/** Heartbeat v0–v3. */
export function handleHeartbeat(ctx: RequestContext, r: Reader, w: Writer): void {
  const groupId = r.string();
  const generation = r.int32();
  const memberId = r.string();
  if (ctx.version >= 3) r.nullableString();
  if (ctx.version >= 1) w.int32(0);
  w.int16(ctx.state.coordinator.heartbeat(groupId, generation, memberId));
}

/** LeaveGroup v0–v2. */
export function handleLeaveGroup(ctx: RequestContext, r: Reader, w: Writer): void {
  const groupId = r.string();
  const memberId = r.string();
  if (ctx.version >= 1) w.int32(0);
  w.int16(ctx.state.coordinator.leave(groupId, memberId));
}
