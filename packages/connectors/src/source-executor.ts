/**
 * The stream executor of a connector source (RisingWave's SourceExecutor for a non-shared
 * source). It is a barrier entry point: on every barrier it first pulls what its reader has
 * ready — one chunk per `pull`, within a time budget so one busy source cannot hold the
 * event loop — then passes the barrier on. Every row pulled before barrier N therefore
 * belongs to epoch N, and the reader's offsets right after the pull are the position a
 * checkpoint of epoch N must store (`onBarrier`, `offsets()`, `seek()`).
 *
 * A source that used its whole budget with rows still ready is behind: it reads on in
 * further budgets between barriers (each after a turn of the event loop) until it has
 * caught up. Pulling only at barriers capped a source at budget / barrier interval of the
 * engine thread — the seed's Kafka source read 41,000 of 50,000 events/s with the thread
 * 40% idle. Rows read between barriers belong to the next barrier's epoch, as before.
 *
 * Besides the reader's columns it fills `_row_id` (a per-reader counter, part of the
 * position) and generated columns (via `complete`), and honours `pause` / `resume`
 * mutations and an optional rows-per-second limit (`source_rate_limit`, 0 = paused).
 * `WATERMARK FOR` is not handled here: the planner puts the shared watermark filter
 * executor on top of the source, as it does for tables.
 *
 * It joins the barrier manager when its first downstream connects and leaves it (closing
 * the reader) when the last one disconnects, so a dropped or failed job leaves nothing
 * running.
 */
import { type DataType, Op, type Row, StreamChunkBuilder } from '@freshet/common';
import { type Barrier, type BarrierInjectable, Executor, type Output } from '@freshet/stream';
import type { SourceReader, SplitOffsets } from './api';

/** What a checkpoint stores for a source executor and gives back to `seek`. */
export interface SourcePosition {
  readonly offsets: SplitOffsets;
  /** Next `_row_id`, so row ids stay unique across a restart. */
  readonly nextRowId: string;
}

export interface ConnectorSourceOptions {
  readonly reader: SourceReader;
  /** Output column types. */
  readonly types: readonly DataType[];
  /** Output row from a reader row and its row id (places `_row_id`, computes generated columns). */
  readonly complete: (row: Row, rowId: bigint) => Row;
  /**
   * Where barriers come from: joined on first connect, left on last disconnect. While it is
   * `throttled` the source does not read ahead between barriers.
   */
  readonly barriers?: { addSource(s: BarrierInjectable): void; removeSource(s: BarrierInjectable): void; readonly throttled?: boolean };
  /** Rows per second (`source_rate_limit`); 0 pauses; undefined = unlimited. */
  readonly rateLimit?: number;
  readonly chunkSize?: number;
  /** Max time spent pulling per barrier, ms. */
  readonly budgetMs?: number;
  /**
   * Checkpoint hook: called for each barrier with the position at it (every row before the
   * barrier, none after), just before the barrier is passed downstream.
   */
  readonly onBarrier?: (barrier: Barrier, position: SourcePosition) => void;
  readonly now?: () => number;
  /** Reports a reader failure (the source then idles instead of crashing the process). */
  readonly onError?: (e: unknown) => void;
}

const DEFAULT_CHUNK = 1024;
const DEFAULT_BUDGET_MS = 8;

export class ConnectorSourceExecutor extends Executor implements BarrierInjectable {
  readonly name = 'StreamSource';
  readonly types: readonly DataType[];
  private readonly builder: StreamChunkBuilder;
  private readonly chunkSize: number;
  private nextRowId = 1n;
  private paused = false;
  private downstreams = 0;
  private closed = false;
  private failed = false;
  private readonly startTime: number;
  private emitted = 0;
  private lastPosition: SourcePosition | null = null;
  /** A read-ahead between barriers is scheduled (see the file comment). */
  private readOn = false;

  constructor(private readonly opts: ConnectorSourceOptions) {
    super();
    this.types = opts.types;
    this.chunkSize = Math.max(3, opts.chunkSize ?? DEFAULT_CHUNK);
    this.builder = new StreamChunkBuilder(opts.types, this.chunkSize);
    this.startTime = this.now();
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  override connect<T extends Output>(downstream: T): T {
    super.connect(downstream);
    if (this.downstreams++ === 0) this.opts.barriers?.addSource(this);
    return downstream;
  }

  override disconnect(downstream: Output): void {
    super.disconnect(downstream);
    if (--this.downstreams === 0) this.close();
  }

  /** Leaves the barrier manager and closes the reader (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opts.barriers?.removeSource(this);
    void Promise.resolve(this.opts.reader.close()).catch((e) => this.opts.onError?.(e));
  }

  /** The reader's split offsets after the rows emitted so far. */
  offsets(): SplitOffsets {
    return this.opts.reader.offsets();
  }

  /** The position as of the last barrier passed (null before the first). */
  get position(): SourcePosition | null {
    return this.lastPosition;
  }

  /** Resumes from a checkpointed position; call before the first barrier. */
  seek(position: SourcePosition): void {
    this.opts.reader.seek(position.offsets);
    this.nextRowId = BigInt(position.nextRowId);
  }

  injectBarrier(b: Barrier): void {
    if (this.stopped) return;
    if (!this.paused && !this.closed && !this.failed) this.pullReady();
    // Recorded before the barrier goes downstream: passing it can complete the epoch and
    // take its checkpoint synchronously, which must find this position.
    const position: SourcePosition = { offsets: this.opts.reader.offsets(), nextRowId: String(this.nextRowId) };
    this.lastPosition = position;
    this.opts.onBarrier?.(b, position);
    this.passBarrier(b);
    if (b.mutation?.kind === 'pause') this.paused = true;
    else if (b.mutation?.kind === 'resume') this.paused = false;
    if (b.isStop()) this.close();
  }

  /** Pulls chunks until the reader has nothing ready, the rate limit or the time budget is hit. */
  private pullReady(): void {
    const deadline = this.now() + (this.opts.budgetMs ?? DEFAULT_BUDGET_MS);
    for (;;) {
      const allowed = this.allowedRows();
      if (allowed <= 0) return;
      let rows: Row[];
      try {
        rows = this.opts.reader.pull(Math.min(this.chunkSize, allowed));
      } catch (e) {
        this.failed = true;
        this.opts.onError?.(e);
        return;
      }
      if (rows.length === 0) return;
      this.emitted += rows.length;
      this.emitRows(rows);
      if (this.now() >= deadline) {
        this.readOnSoon();
        return;
      }
    }
  }

  /** Behind (the budget ran out with rows ready): another budget after a turn of the event loop. */
  private readOnSoon(): void {
    if (this.readOn) return;
    this.readOn = true;
    setImmediate(() => {
      this.readOn = false;
      if (this.stopped || this.paused || this.closed || this.failed || this.opts.barriers?.throttled === true) return;
      this.pullReady();
    });
  }

  private allowedRows(): number {
    const limit = this.opts.rateLimit;
    if (limit === undefined) return Number.MAX_SAFE_INTEGER;
    if (limit <= 0) return 0;
    const seconds = (this.now() - this.startTime) / 1000;
    return Math.floor(seconds * limit) + Math.min(limit, this.chunkSize) - this.emitted;
  }

  private emitRows(rows: Row[]): void {
    const complete = this.opts.complete;
    for (let i = 0; i < rows.length; i++) {
      const full = this.builder.append(Op.Insert, complete(rows[i], this.nextRowId++));
      if (full) this.emit(full);
    }
    this.emit(this.builder.take());
  }
}
