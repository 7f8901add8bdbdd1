/**
 * What the system catalogs need from the running server beyond the catalog itself: the
 * session's backend pid, its settings (pg_settings), every session (pg_stat_activity) and
 * the streaming jobs (rw_streaming_jobs, rw_mv_freshness, SHOW JOBS). The session layer
 * provides it in QueryContext.session; without it (unit tests of the query engine) those
 * tables are empty and pg_backend_pid() is 0.
 */
import type { CheckpointStatusInfo } from './rw-checkpoints';

export interface SessionActivity {
  readonly pid: number;
  readonly user: string;
  readonly database: string;
  readonly applicationName: string;
  /** Connection start, ms since the Unix epoch. */
  readonly backendStart: number;
  /** Text of the statement running or last run. */
  readonly query: string;
  readonly state: 'active' | 'idle' | 'idle in transaction';
}

export interface SystemSessionInfo {
  readonly processId: number;
  /** Session variables: [name, setting, description], as SHOW ALL lists them. */
  settings(): readonly (readonly [string, string, string])[];
  /** SET name = value (set_config); throws SqlError for unknown names or bad values. Returns the value now in effect. */
  setSetting?(name: string, value: string): string;
  /** Every session of the server. */
  activity(): readonly SessionActivity[];
  /** The running streaming jobs (see streaming-jobs.ts `streamingJobs`). */
  streamingJobs?(): readonly StreamingJobInfo[];
  /** Committed and checkpointed epochs (rw_checkpoint_status, see rw-checkpoints.ts). */
  checkpointStatus?(): CheckpointStatusInfo;
}

/** One streaming job (an MV today; sinks when they run as jobs). Times: ms since the Unix epoch. */
export interface StreamingJobInfo {
  /** The relation's id. */
  readonly id: number;
  readonly kind: 'materialized_view' | 'sink';
  readonly database: string;
  readonly schema: string;
  readonly name: string;
  readonly definition: string;
  /** RisingWave's job states: CREATING while the backfill runs, then CREATED. */
  readonly status: 'CREATING' | 'CREATED';
  /** While creating: snapshot rows pushed so far of the total. */
  readonly backfill?: { readonly done: number; readonly total: number; readonly startedAt: number };
  /** Rows the job currently holds (an MV's row count). */
  readonly rowCount: number | null;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly committedEpoch: number;
  readonly committedAt: number | null;
  readonly sourceChangedAt: number | null;
  readonly outputChangedAt: number | null;
  readonly lagMs: number;
}
