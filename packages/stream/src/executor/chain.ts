/**
 * Reads an upstream MV or table for a new stream graph (RisingWave's StreamTableScan /
 * Chain): first its current rows as Inserts (the snapshot, "backfill"), then every later
 * change.
 *
 * Why this is exact: the engine is single-threaded and executors push synchronously, so
 * between two messages nothing is in flight. Starting a chain takes, in one synchronous
 * step, the list of the upstream's current rows (rows are immutable and shared, so this
 * is one reference per row, not a copy of the data) and subscribes to the upstream. Each
 * change is therefore seen exactly once: in the snapshot if it happened before, as a
 * message if after.
 *
 * Two ways to emit the snapshot:
 * - `start()` pushes it all at once (small upstreams, tests);
 * - `backfill()` pushes it in time slices and yields to the event loop between them, so a
 *   backfill of millions of rows does not stall serving, DML or barriers, and can report
 *   progress. Upstream changes that arrive meanwhile are buffered and forwarded, in order,
 *   right after the last snapshot row: forwarding them earlier could apply an update to a
 *   row whose insert the snapshot has not emitted yet. Barriers pass straight through, so
 *   epochs keep committing (the partial state is invisible: CREATE returns, and the MV is
 *   complete, only after the backfill). The buffer grows with the DML that arrives during
 *   the backfill; RisingWave's position-based backfill (forward a change only if its key
 *   is at or before the scan position) would bound it, at the cost of a key comparison
 *   per change — worth it once upstreams are larger than memory.
 */
import { type DataType, Op, type Row, StreamChunk, StreamChunkBuilder } from '@freshet/common';
import type { Barrier, Watermark } from '../message';
import type { ColdSnapshot } from '../state/store';
import { Executor, UnaryExecutor } from './executor';

export interface ChainOptions {
  /** The upstream executor to subscribe to (usually a MaterializeExecutor). */
  readonly upstream: Executor;
  /** Its current rows (the upstream table's working view). */
  readonly snapshot: () => Iterable<Row>;
  /**
   * Its current rows when they are partly on disk (an MV under a memory limit; null: use
   * `snapshot`). Only `backfill` can read it: it is taken when the chain subscribes and
   * read in batches between which the event loop runs.
   */
  readonly coldSnapshot?: () => ColdSnapshot | null;
  /** Upstream columns to output, in order (default: all). */
  readonly columns?: readonly number[];
  readonly chunkSize?: number;
}

/** How far a backfill has got. */
export interface BackfillProgress {
  readonly done: number;
  readonly total: number;
}

export interface BackfillOptions {
  /** Called after every time slice. */
  readonly onProgress?: (p: BackfillProgress) => void;
  /** Longest run of work between two yields to the event loop, ms. */
  readonly sliceMs?: number;
  /**
   * Snapshot rows emitted per second at most (RisingWave's `backfill_rate_limit`); 0
   * pauses the backfill until the chain is detached; undefined = as fast as it goes.
   * Upstream changes are not limited: they are held and forwarded after the snapshot.
   */
  readonly rowsPerSecond?: number;
}

/** Rows read from disk per batch of a cold snapshot. */
const COLD_BATCH = 4096;

/** Default slice: short enough to keep lookup latency low while a backfill runs. */
const DEFAULT_SLICE_MS = 10;

/** How often a paused backfill (rate limit 0) looks whether it was dropped meanwhile, ms. */
const PAUSED_POLL_MS = 100;

/**
 * The rows a rate-limited backfill may have emitted by now: `rate` per second since it
 * began, plus one slice's worth up front so that it starts at once (a token bucket whose
 * burst is 1/10 s of rows, at least one).
 */
class RowBudget {
  private readonly startedAt = performance.now();
  private readonly burst: number;
  constructor(private readonly rate: number) {
    this.burst = Math.max(1, Math.ceil(rate / 10));
  }
  /** Rows that may be emitted now, given `emitted` so far. */
  allowed(emitted: number): number {
    if (this.rate <= 0) return 0;
    return Math.floor(((performance.now() - this.startedAt) / 1000) * this.rate) + this.burst - emitted;
  }
  /** Milliseconds until the next row may go. */
  waitMs(emitted: number): number {
    if (this.rate <= 0) return PAUSED_POLL_MS;
    const at = ((emitted + 1 - this.burst) / this.rate) * 1000;
    return Math.max(1, Math.ceil(at - (performance.now() - this.startedAt)));
  }
}

export class ChainExecutor extends UnaryExecutor {
  readonly name = 'StreamTableScan';
  readonly types: readonly DataType[];
  private readonly columns: readonly number[] | null;
  private started = false;
  private detached = false;
  /**
   * Upstream changes and watermarks held back while the snapshot is being emitted (a
   * watermark passed early could make downstream drop snapshot rows as late); null =
   * forwarding.
   */
  private held: (StreamChunk | Watermark)[] | null = null;

  constructor(private readonly options: ChainOptions) {
    super();
    const up = options.upstream.types;
    this.columns = options.columns ?? null;
    this.types = this.columns ? this.columns.map((c) => up[c]) : up;
  }

  /** Emits the whole snapshot now, then subscribes to the upstream. Call once the graph below is connected. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const b = this.builder();
    for (const row of this.options.snapshot()) this.emit(b.append(Op.Insert, this.project(row)));
    this.emit(b.take());
    this.options.upstream.connect(this);
  }

  /**
   * Subscribes now and emits the snapshot in time slices; resolves when the snapshot and
   * the changes held meanwhile have all been pushed (or the chain was detached).
   */
  async backfill(opts: BackfillOptions = {}): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Taken in the same synchronous step as the subscription (see the file comment).
    const cold = this.options.coldSnapshot?.() ?? null;
    let rows: readonly Row[] = cold ? cold.memory : Array.from(this.options.snapshot());
    this.held = [];
    this.options.upstream.connect(this);
    const sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
    const budget = opts.rowsPerSecond === undefined ? null : new RowBudget(opts.rowsPerSecond);
    const b = this.builder();
    let done = 0;
    const total = () => Math.max(cold ? cold.size : rows.length, done);
    try {
      for (;;) {
        let i = 0;
        while (i < rows.length && !this.detached) {
          const allowed = budget ? budget.allowed(done + i) : Infinity;
          if (allowed <= 0) {
            await new Promise<void>((resolve) => setTimeout(resolve, budget!.waitMs(done + i)));
            continue;
          }
          const last = Math.min(rows.length, i + allowed);
          const until = performance.now() + sliceMs;
          do {
            const end = Math.min(last, i + 256);
            for (; i < end; i++) this.emit(b.append(Op.Insert, this.project(rows[i])));
          } while (i < last && performance.now() < until);
          this.emit(b.take());
          opts.onProgress?.({ done: done + i, total: total() });
          if (i < rows.length) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        done += rows.length;
        rows = [];
        if (!cold || this.detached) break;
        // The rest of the snapshot from disk, a batch at a time (the loop runs in between).
        rows = await cold.next(COLD_BATCH);
        if (rows.length === 0) break;
      }
    } finally {
      cold?.close();
    }
    const held = this.held;
    this.held = null;
    if (!this.detached && held) for (const msg of held) msg instanceof StreamChunk ? this.emit(msg) : this.out.push(msg);
  }

  /** The executor this chain reads (a table's source, an MV's materialize). */
  get upstream(): Executor {
    return this.options.upstream;
  }

  /**
   * Pushes upstream changes into this chain alone, as if its upstream had sent them: a
   * sink restarted after a wait catches up with what its upstream did meanwhile
   * (packages/frontend stream-planner/sink.ts), which the upstream's other readers have
   * already seen.
   */
  replay(chunk: StreamChunk): void {
    this.onChunk(chunk);
  }

  /** Unsubscribes from the upstream (DROP of this graph); a running backfill stops. */
  detach(): void {
    this.detached = true;
    this.held = null;
    this.options.upstream.disconnect(this);
  }

  protected onChunk(chunk: StreamChunk): void {
    const out = this.columns ? chunk.withColumns(this.columns.map((c) => chunk.columns[c])) : chunk;
    if (this.held) this.held.push(out);
    else this.emit(out);
  }

  protected override onBarrier(b: Barrier): void {
    this.passBarrier(b);
  }

  /** Upstream watermarks follow their column to its output positions (dropped if not read). */
  protected override onWatermark(w: Watermark): void {
    const cols = this.columns;
    if (cols === null) return this.forwardWatermark(w);
    for (let j = 0; j < cols.length; j++) if (cols[j] === w.column) this.forwardWatermark(w.withColumn(j));
  }

  private forwardWatermark(w: Watermark): void {
    if (this.held) this.held.push(w);
    else this.out.push(w);
  }

  private builder(): StreamChunkBuilder {
    return new StreamChunkBuilder(this.types, this.options.chunkSize);
  }

  private project(row: Row): Row {
    const cols = this.columns;
    return cols ? cols.map((c) => row[c]) : row;
  }
}
