/**
 * Running an executor tree. `PlanRunner` is the async root driver used for a statement:
 * it pulls chunks, gives the event loop a turn at each PAUSE and checks for cancellation.
 * `drainSync` runs a (sub)plan to completion inline, ignoring PAUSE: the fallback for the
 * few subqueries evaluated where no ApplyExecutor runs them (an outer join's condition, an
 * aggregate argument under FILTER); uncorrelated ones run first as init plans.
 */
import type { Row } from '@freshet/common';
import { type ChunkStream, type ExecRuntime, type Executor, PAUSE } from './executor';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class PlanRunner {
  private stream: ChunkStream | null;
  private buffer: Row[] = [];
  private bufferPos = 0;

  constructor(
    root: Executor,
    private readonly rt: ExecRuntime,
  ) {
    this.stream = root.execute();
  }

  /** Up to `maxRows` rows (0 = all remaining). `done` when no rows remain after these. */
  async next(maxRows: number): Promise<{ rows: Row[]; done: boolean }> {
    const want = maxRows > 0 ? maxRows : Infinity;
    const out: Row[] = [];
    while (out.length < want) {
      if (this.bufferPos < this.buffer.length) {
        const take = Math.min(want - out.length, this.buffer.length - this.bufferPos);
        for (let i = 0; i < take; i++) out.push(this.buffer[this.bufferPos++]);
        continue;
      }
      if (!(await this.refill())) break;
    }
    // Look ahead one chunk so a portal that asked for exactly the remaining rows is
    // reported as complete (CommandComplete instead of PortalSuspended).
    if (this.bufferPos >= this.buffer.length) await this.refill();
    const done = !this.stream && this.bufferPos >= this.buffer.length;
    return { rows: out, done };
  }

  /**
   * Loads the next non-empty chunk into the buffer; false once the plan is exhausted.
   * At each PAUSE the event loop gets a turn, so a CancelRequest can arrive and be seen.
   */
  private async refill(): Promise<boolean> {
    while (this.stream) {
      const r = this.stream.next();
      if (r.done) {
        this.stream = null;
        break;
      }
      if (r.value === PAUSE) {
        const wait = this.rt.wait;
        this.rt.wait = null;
        await (wait ?? turn());
        this.rt.lastYield = performance.now();
      }
      this.rt.cancel.throwIfCancelled();
      if (r.value === PAUSE || r.value.length === 0) continue;
      this.buffer = r.value;
      this.bufferPos = 0;
      return true;
    }
    return false;
  }

  /** Stops the plan early (portal closed). */
  close(): void {
    this.stream?.return(undefined);
    this.stream = null;
  }
}

/** Runs a plan to completion synchronously; returns at most `limit` rows. */
export function drainSync(exec: Executor, limit = Infinity): Row[] {
  const out: Row[] = [];
  if (limit <= 0) return out;
  for (const c of exec.execute()) {
    if (c === PAUSE) continue;
    for (let i = 0; i < c.length; i++) {
      out.push(c[i]);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
