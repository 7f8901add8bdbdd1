/**
 * The row changes a materialize applies, for readers that keep something derived from an
 * MV up to date instead of rebuilding it — the batch engine's secondary indexes: before,
 * an index on an MV was rebuilt from a full scan after every change of the MV, so a
 * serving join through an index (seed 004's `session_activity` by `user_id`) paid one scan
 * per barrier while events streamed in.
 *
 * Recording costs nothing until a cursor is open. Each cursor buffers what the MV writes,
 * tagged with the epoch, and hands out the changes of committed epochs only, in order: the
 * view they describe is the committed one readers see. A cursor that is not read for a
 * long time (its index was dropped, say) stops at `limit` buffered changes and reports the
 * loss; its owner then rebuilds and opens a new one.
 */
import { OP_SIGN, type Row, type StreamChunk } from '@freshet/common';
import type { ChangeCursor, RowChange } from '@freshet/storage';

/** Buffered changes per cursor before it gives up (the owner rebuilds instead). */
const DEFAULT_LIMIT = 1_000_000;

class CaptureCursor implements ChangeCursor {
  private epochs: number[] = [];
  private changes: RowChange[] = [];
  lost = false;

  constructor(
    private readonly capture: ChangeCapture,
    private readonly committedEpoch: () => number,
    private readonly limit: number,
  ) {}

  push(epoch: number, row: Row, sign: number): void {
    if (this.lost) return;
    if (this.changes.length >= this.limit) {
      this.lost = true;
      this.epochs = [];
      this.changes = [];
      this.capture.release(this);
      return;
    }
    this.epochs.push(epoch);
    this.changes.push(sign > 0 ? { old: undefined, row } : { old: row, row: undefined });
  }

  take(): readonly RowChange[] | null {
    if (this.lost) return null;
    const committed = this.committedEpoch();
    // Recorded in epoch order: the committed ones are a prefix.
    let n = 0;
    while (n < this.epochs.length && this.epochs[n] <= committed) n++;
    if (n === 0) return NONE;
    const out = this.changes.slice(0, n);
    this.epochs = this.epochs.slice(n);
    this.changes = this.changes.slice(n);
    return out;
  }

  close(): void {
    this.capture.release(this);
    this.epochs = [];
    this.changes = [];
  }
}

const NONE: readonly RowChange[] = [];

export class ChangeCapture {
  private readonly cursors = new Set<CaptureCursor>();

  /** True while some cursor records (callers skip the per-row work otherwise). */
  get active(): boolean {
    return this.cursors.size > 0;
  }

  /** Starts recording for a new reader; `committedEpoch` says which epochs it may see. */
  open(committedEpoch: () => number, limit = DEFAULT_LIMIT): ChangeCursor {
    const c = new CaptureCursor(this, committedEpoch, limit);
    this.cursors.add(c);
    return c;
  }

  release(c: CaptureCursor): void {
    this.cursors.delete(c);
  }

  /** One change the MV applied in `epoch`: +1 the row is now stored, −1 it is gone. */
  record(epoch: number, row: Row, sign: number): void {
    for (const c of this.cursors) c.push(epoch, row, sign);
  }

  /** Every visible row of a chunk applied as it is (its ops are the changes). */
  recordChunk(epoch: number, chunk: StreamChunk): void {
    const vis = chunk.visibility;
    for (let i = 0; i < chunk.capacity; i++) {
      if (vis !== null && vis[i] === 0) continue;
      this.record(epoch, chunk.row(i), OP_SIGN[chunk.ops[i]]);
    }
  }
}
