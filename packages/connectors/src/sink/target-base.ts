/**
 * What every external sink target shares: per-sink counters, and delivery of an epoch's
 * batch with retry and exponential backoff. A commit resolves only once its batch reached
 * the target, so a target that is down holds the epoch open (back-pressure) instead of
 * losing it; errors are logged and counted, never thrown into the stream engine. Dropping
 * the sink (`close`) ends the wait: the batch is abandoned with the sink.
 *
 * Subclasses buffer in `write` (synchronous, no promise per row), hand the epoch's work
 * over in `takeBatch` (synchronous, so rows written after the commit was called belong to
 * the next batch), and send it in `deliver`, which must be idempotent: after a failure
 * whose outcome is unknown the same batch is delivered again.
 */
import type { StreamChunk } from '@freshet/common';
import type { ExternalSinkTarget, SinkCommitInfo, SinkContext, SinkStats } from './api';

export interface RetryPolicy {
  /** First delay after a failure (ms). */
  readonly initialMs: number;
  /** Delay cap (ms); delays double up to it. */
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 100, maxMs: 5_000 };

export abstract class RetryingSinkTarget<Batch> implements ExternalSinkTarget {
  readonly stats: SinkStats = { rowsWritten: 0, epochsCommitted: 0, errors: 0, rowsRejected: 0, lastError: null };
  protected closed = false;
  /** Closed by `abandon`: `release` must not deliver buffered rows. */
  protected abandoned = false;
  /** Batches taken at their barrier, not yet delivered (oldest first). */
  private readonly sealed: { epoch: number; batch: Batch }[] = [];
  private sealedEpoch = 0;
  private wake: (() => void) | null = null;
  /** The last delivery attempt failed; cleared when one succeeds. */
  private _failing = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** `redis sink s1` — the prefix of log lines. */
    protected readonly label: string,
    protected readonly ctx: SinkContext,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  abstract write(chunk: StreamChunk): void;

  /** The target is unreachable (or refusing): a delivery is being retried. */
  get failing(): boolean {
    return this._failing;
  }

  /** The work buffered so far, or null when there is nothing to send. */
  protected abstract takeBatch(epoch: number, info: SinkCommitInfo): Batch | null;

  /** Sends one batch; throws when the target did not take it. */
  protected abstract deliver(batch: Batch, epoch: number): Promise<void>;

  /** After a successful delivery: the batch is done with (e.g. its buffers can be reused). */
  protected delivered(_batch: Batch): void {}

  /** After a failed delivery: drop a broken connection so the next attempt opens a new one. */
  protected onFailure(_e: unknown): void {}

  /** Releases connections (after `closed` is set). */
  /** Frees the client; may deliver what is still buffered (the promise settles when done). */
  protected abstract release(): void | Promise<void>;

  /**
   * The barrier of `epoch` passed: takes the epoch's batch now, synchronously, so rows
   * written after it (the next epochs, while this one is still being delivered) are not
   * part of it. Optional for the executor: `commit` seals what is buffered when it was not.
   */
  seal(epoch: number, info: SinkCommitInfo = {}): void {
    if (this.closed || epoch <= this.sealedEpoch) return;
    this.sealedEpoch = epoch;
    const batch = this.takeBatch(epoch, info);
    if (batch !== null) this.sealed.push({ epoch, batch });
  }

  async commit(epoch: number, info: SinkCommitInfo = {}): Promise<void> {
    if (this.closed) return;
    this.seal(epoch, info);
    while (this.sealed.length > 0 && this.sealed[0].epoch <= epoch) {
      const { epoch: e, batch } = this.sealed[0];
      await this.deliverWithRetry(batch, e);
      this.sealed.shift();
    }
    this.stats.epochsCommitted++;
  }

  /** Stops retrying and releases connections without delivering what is buffered (a crash). */
  abandon(): void {
    if (this.closed) return;
    this.abandoned = true;
    void this.close().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.release();
  }

  private async deliverWithRetry(batch: Batch, epoch: number): Promise<void> {
    let delay = this.retry.initialMs;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.deliver(batch, epoch);
        this.delivered(batch);
        this._failing = false;
        if (attempt > 1) this.ctx.log(`${this.label}: epoch ${epoch} delivered after ${attempt} attempts`);
        return;
      } catch (e) {
        if (this.closed) return;
        const msg = e instanceof Error ? e.message : String(e);
        this.stats.errors++;
        this.stats.lastError = msg;
        this._failing = true;
        this.ctx.log(`${this.label}: epoch ${epoch} attempt ${attempt} failed, retrying in ${delay} ms: ${msg}`);
        this.onFailure(e);
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.retry.maxMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
