/**
 * Running the seed feature pipeline on a target: start it with the pipeline created, and
 * insert a range of the event stream in batches over several connections. Shared by the
 * ingest and freshness scenarios.
 */
import pg from 'pg';
import { createPipeline, eventBatch, insertSql, type Pipeline, timestampText, TX_EVERY } from './feature-pipeline';
import { clientConfig, startTarget, type RunningTarget, type TargetName } from './targets';

export const FRESHET_HEAP_MB = 16384;

export interface PipelineTarget {
  target: RunningTarget;
  pipeline: Pipeline;
}

export async function startPipelineTarget(
  name: TargetName,
  profileDir?: string,
  pipelineOpts: { userEventsSource?: string; beforeMvs?: (target: RunningTarget) => Promise<void> } = {},
): Promise<PipelineTarget> {
  // PostgreSQL computes the views from the tables at read time, so it gets room for them;
  // Freshet holds tables and MV state in memory (10M events: several GB), beyond V8's default heap limit.
  const target = await startTarget(name, { sharedBuffers: '1GB', freshetProfileDir: profileDir, freshetHeapMb: FRESHET_HEAP_MB });
  try {
    const client = await connect(target);
    try {
      const { userEventsSource, beforeMvs } = pipelineOpts;
      return { target, pipeline: await createPipeline(client, name, { userEventsSource, beforeMvs: beforeMvs && (() => beforeMvs(target)) }) };
    } finally {
      await client.end();
    }
  } catch (e) {
    await target.stop().catch(() => {});
    throw e;
  }
}

/**
 * Freshet's state checkpoints taken since it started (`rw_checkpoint_status`), or null for
 * another target. Sampled around a run, it gives the checkpoints' real cadence: the setting
 * counts barriers, and barriers come late under load.
 */
export async function checkpointsTaken(target: RunningTarget): Promise<number | null> {
  if (target.name !== 'freshet') return null;
  const c = await connect(target);
  try {
    const v = (await c.query({ text: 'SELECT checkpoints_taken FROM rw_catalog.rw_checkpoint_status', rowMode: 'array' })).rows[0]?.[0];
    return v === null || v === undefined ? null : Number(v);
  } finally {
    await c.end();
  }
}

export async function connect(target: RunningTarget): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(target));
  client.on('error', () => {});
  await client.connect();
  return client;
}

export interface InsertOptions {
  /** Event indices [from, to). */
  from: number;
  to: number;
  users: number;
  /** Events per batch: a multiple of TX_EVERY, so every full batch has the same row counts per table. */
  batchRows: number;
  connections: number;
  onProgress?: (eventsDone: number) => void;
}

export interface InsertResult {
  seconds: number;
  /** Rows into user_events and transactions. */
  eventRows: number;
  transactionRows: number;
  statements: number;
}

/** One batch of events, as `eventBatch` builds it. */
export type EventBatch = ReturnType<typeof eventBatch>;

/**
 * Sends one batch over `client`, one statement per table with rows, each acknowledged
 * before it returns. `full`: the batch has `batchRows` events (the last may be shorter).
 */
export type BatchSender = (client: pg.Client, b: EventBatch, full: boolean) => Promise<void>;

/**
 * Loads events [from, to) in batches of `batchRows` over `connections` connections, each a
 * closed loop (a connection sends its next batch once the last was acknowledged), through
 * `send` — the load path (INSERT, COPY) is the only thing that differs between methods.
 */
export async function loadEventBatches(target: RunningTarget, o: InsertOptions, send: BatchSender): Promise<InsertResult> {
  if (o.batchRows % TX_EVERY !== 0) throw new Error(`--batch-rows must be a multiple of ${TX_EVERY}`);
  let next = o.from;
  const r: InsertResult = { seconds: 0, eventRows: 0, transactionRows: 0, statements: 0 };
  const t0 = performance.now();
  const worker = async () => {
    const client = await connect(target);
    try {
      while (next < o.to) {
        const from = next;
        const to = Math.min(from + o.batchRows, o.to);
        next = to;
        const b = eventBatch(from, to, o.users, timestampNow());
        await send(client, b, to - from === o.batchRows);
        r.eventRows += b.eventRows;
        r.transactionRows += b.transactionRows;
        r.statements += (b.eventRows ? 1 : 0) + (b.transactionRows ? 1 : 0);
        o.onProgress?.(r.eventRows + r.transactionRows);
      }
    } finally {
      await client.end();
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

/**
 * Inserts events [from, to) as multi-row INSERTs, prepared once per connection (Parse
 * once, Bind per batch with text parameters): full batches share one named statement per
 * table; the last, shorter one is unnamed.
 */
export function insertEvents(target: RunningTarget, o: InsertOptions): Promise<InsertResult> {
  return loadEventBatches(target, o, async (client, b, full) => {
    if (b.eventRows) await client.query({ name: full ? 'bench_events' : undefined, text: insertSql('user_events', b.eventRows), values: b.events });
    if (b.transactionRows) await client.query({ name: full ? 'bench_tx' : undefined, text: insertSql('transactions', b.transactionRows), values: b.transactions });
  });
}

/** Timestamps are "now" so every event is inside the MVs' windows (30 min, 7 days). */
let cachedMs = 0;
let cachedText = '';
export function timestampNow(): string {
  const ms = Date.now();
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedText = timestampText(ms);
  }
  return cachedText;
}

/** FLUSH on Freshet (everything acknowledged becomes visible); PostgreSQL has nothing to wait for. */
export async function settle(t: RunningTarget): Promise<number> {
  if (t.name !== 'freshet') return 0;
  const client = await connect(t);
  try {
    const t0 = performance.now();
    await client.query('FLUSH');
    return (performance.now() - t0) / 1000;
  } finally {
    await client.end();
  }
}
