/**
 * rw_catalog.rw_checkpoint_status: one row describing durability — the last committed
 * epoch (visible to reads) and the last checkpoint (durable: what a restart restores),
 * with their times, the checkpoint settings, the size and duration of the last checkpoint,
 * the checkpoint recovery started from, the last checkpoint failure, and the object store
 * uploads (where, when, which epoch, bytes not yet uploaded, last failure), and the state
 * cache under `--memory-limit` (limit, estimated bytes held, evictions, reads from disk). Empty without a
 * running server (QueryContext.session absent).
 */
import { T } from '@freshet/common';
import type { StreamingEngine } from '../../stream-planner/engine';
import { type SystemContext, systemTable } from './table';

/** Times are ms since the Unix epoch; epochs and counts are plain numbers. */
export interface CheckpointStatusInfo {
  readonly durable: boolean;
  readonly committedEpoch: number;
  readonly committedAt: number | null;
  readonly checkpointEpoch: number | null;
  readonly checkpointAt: number | null;
  readonly checkpointFrequency: number;
  readonly barrierIntervalMs: number;
  readonly lastCheckpointMs: number | null;
  readonly lastCheckpointKeys: number | null;
  readonly lastCheckpointBytes: number | null;
  readonly recoveredEpoch: number | null;
  readonly lastError: string | null;
  /** Where checkpoints are uploaded (null: nowhere). */
  readonly objectStore: string | null;
  readonly uploadedAt: number | null;
  /** The stream epoch of the last uploaded image. */
  readonly uploadedEpoch: number | null;
  readonly uploadPendingBytes: number | null;
  readonly uploadError: string | null;
  /** `--memory-limit` in bytes (null: no limit, everything is kept in memory). */
  readonly memoryLimitBytes: number | null;
  /** Estimated bytes of stream state in memory. */
  readonly stateBytes: number | null;
  readonly stateEvictions: number | null;
  /** State reads that missed memory and went to LevelDB. */
  readonly stateColdReads: number | null;
  /** Checkpoints made durable since the server started. */
  readonly checkpointsTaken: number | null;
}

export function checkpointStatus(engine: StreamingEngine): CheckpointStatusInfo {
  const store = engine.durability?.store ?? null;
  const cp = store?.lastCheckpoint ?? null;
  const stats = store?.lastCheckpointStats ?? null;
  const upload = engine.storage.objectStoreStatus();
  const cache = store?.cacheStats ?? null;
  return {
    durable: store !== null,
    committedEpoch: engine.manager.committedEpoch,
    committedAt: store ? store.committedAt || null : null,
    checkpointEpoch: cp?.epoch ?? null,
    checkpointAt: cp?.time ?? null,
    checkpointFrequency: engine.checkpointFrequency,
    barrierIntervalMs: engine.barrierIntervalMs,
    lastCheckpointMs: stats ? Math.round(stats.durationMs * 1000) / 1000 : null,
    lastCheckpointKeys: stats?.keys ?? null,
    lastCheckpointBytes: stats?.bytes ?? null,
    recoveredEpoch: store?.recovered?.epoch ?? null,
    lastError: store?.lastError ?? null,
    objectStore: upload?.objectStore ?? null,
    uploadedAt: upload?.lastUploadAt ?? null,
    uploadedEpoch: upload?.lastManifest?.checkpoint?.epoch ?? null,
    uploadPendingBytes: upload?.pendingBytes ?? null,
    uploadError: upload?.lastError ?? null,
    memoryLimitBytes: cache && cache.limitBytes > 0 ? cache.limitBytes : null,
    stateBytes: cache?.stateBytes ?? null,
    stateEvictions: cache?.evicted ?? null,
    stateColdReads: cache?.coldReads ?? null,
    checkpointsTaken: store?.checkpointsTaken ?? null,
  };
}

// Rounded: some figures (the state cache size) are estimates with fractions.
const big = (n: number | null) => (n === null ? null : BigInt(Math.round(n)));
const micros = (ms: number | null) => (ms === null ? null : ms * 1000);

export const rwCheckpointStatus = systemTable({
  schema: 'rw_catalog',
  name: 'rw_checkpoint_status',
  oid: 90_240,
  relkind: 'v',
  columns: [
    ['durable', T.Boolean],
    ['committed_epoch', T.Int64],
    ['committed_at', T.Timestamptz],
    ['checkpoint_epoch', T.Int64],
    ['checkpoint_at', T.Timestamptz],
    ['checkpoint_frequency', T.Int32],
    ['barrier_interval_ms', T.Int32],
    ['last_checkpoint_ms', T.Float64],
    ['last_checkpoint_keys', T.Int64],
    ['last_checkpoint_bytes', T.Int64],
    ['recovered_epoch', T.Int64],
    ['last_error', T.Varchar],
    ['object_store', T.Varchar],
    ['uploaded_at', T.Timestamptz],
    ['uploaded_epoch', T.Int64],
    ['upload_pending_bytes', T.Int64],
    ['upload_error', T.Varchar],
    ['memory_limit_bytes', T.Int64],
    ['state_bytes', T.Int64],
    ['state_evictions', T.Int64],
    ['state_cold_reads', T.Int64],
    ['checkpoints_taken', T.Int64],
  ],
  *rows(ctx: SystemContext) {
    const s = ctx.q.session?.checkpointStatus?.();
    if (!s) return;
    yield {
      durable: s.durable,
      committed_epoch: BigInt(s.committedEpoch),
      committed_at: micros(s.committedAt),
      checkpoint_epoch: big(s.checkpointEpoch),
      checkpoint_at: micros(s.checkpointAt),
      checkpoint_frequency: s.checkpointFrequency,
      barrier_interval_ms: s.barrierIntervalMs,
      last_checkpoint_ms: s.lastCheckpointMs,
      last_checkpoint_keys: big(s.lastCheckpointKeys),
      last_checkpoint_bytes: big(s.lastCheckpointBytes),
      recovered_epoch: big(s.recoveredEpoch),
      last_error: s.lastError,
      object_store: s.objectStore,
      uploaded_at: micros(s.uploadedAt),
      uploaded_epoch: big(s.uploadedEpoch),
      upload_pending_bytes: big(s.uploadPendingBytes),
      upload_error: s.uploadError,
      memory_limit_bytes: big(s.memoryLimitBytes),
      state_bytes: big(s.stateBytes),
      state_evictions: big(s.stateEvictions),
      state_cold_reads: big(s.stateColdReads),
      checkpoints_taken: big(s.checkpointsTaken),
    };
  },
});
