/**
 * A decoupled sink's log store (RisingWave's `sink_decouple` kv log store): the changes the
 * sink executor hands over, kept per epoch until the target has them.
 *
 * - Each chunk is one row of a state table keyed by (epoch, seq), its columns stored
 *   column-wise (`[epoch, seq, ops, time, col0 values, …]`: one write per chunk, not
 *   per row). The table is the sink job's state, so the entries of the epochs up to a
 *   checkpoint are in that checkpoint and a restart finds every change the target had not
 *   taken yet.
 * - In memory the same chunks are queued as they came (delivery never decodes), and after
 *   a restart the queue is rebuilt from the table.
 * - `truncate(upTo)` deletes the entries of epochs ≤ upTo once the target holds them (the
 *   deletes belong to the epoch in progress, so a checkpoint taken before the delivery
 *   still has them: a crash in between delivers them again, and every target's delivery
 *   is idempotent or overwrites).
 */
import { type DataType, type Datum, type Op, type Row, StreamChunk, T } from '@freshet/common';
import type { StateTable } from '../state/state-table';

/**
 * The log table's columns before the chunk's own: epoch, seq within the epoch, ops, and the
 * wall-clock time (ms) the epoch's first chunk arrived — kept so that a replay of the log
 * dates a file as the first run did.
 */
export const SINK_LOG_KEY_TYPES: readonly DataType[] = [T.Int64, T.Int32, T.Bytea, T.Float64];
const FIRST_COLUMN = SINK_LOG_KEY_TYPES.length;

/** One epoch's changes, in the order the sink received them. */
export interface LoggedEpoch {
  readonly epoch: number;
  readonly chunks: StreamChunk[];
  rows: number;
  /** Storage keys of the epoch's entries. */
  readonly keys: string[];
  /** When the epoch's first chunk arrived (ms since the Unix epoch; stored, so a replay sees the same). */
  readonly time: number;
}

export class SinkLog {
  /** Epochs not yet handed to the target, oldest first; the last may still be open. */
  private readonly queue: LoggedEpoch[] = [];
  /** Handed over, waiting until the target reports them flushed (a file target's buffer). */
  private readonly handed: LoggedEpoch[] = [];
  private open: LoggedEpoch | null = null;
  /** Rows in the log (queued or handed, not truncated). */
  pendingRows = 0;
  /** The last epoch whose barrier passed. */
  sealedEpoch = 0;

  constructor(
    private readonly table: StateTable,
    private readonly types: readonly DataType[],
  ) {
    this.recover();
  }

  append(chunk: StreamChunk, epoch: number): void {
    const c = chunk.visibility === null ? chunk : chunk.compact();
    const n = c.capacity;
    if (n === 0) return;
    let e = this.open;
    if (e === null || e.epoch !== epoch) {
      e = { epoch, chunks: [], rows: 0, keys: [], time: Date.now() };
      this.open = e;
      this.queue.push(e);
    }
    const row: Datum[] = [BigInt(epoch), e.chunks.length, new Uint8Array(c.ops), e.time];
    for (let col = 0; col < c.columns.length; col++) {
      const column = c.columns[col];
      const values: Datum[] = new Array(n);
      for (let i = 0; i < n; i++) values[i] = column.get(i);
      row.push(values as Datum);
    }
    const key = this.table.keyOfRow(row);
    this.table.putByKey(key, row);
    e.chunks.push(c);
    e.keys.push(key);
    e.rows += n;
    this.pendingRows += n;
  }

  /** The barrier of `epoch` passed: later chunks belong to later epochs. */
  seal(epoch: number): void {
    this.open = null;
    this.sealedEpoch = epoch;
    this.table.commit(epoch);
  }

  /** Rows of sealed epochs ≤ `upTo` still to hand over. */
  rowsUpTo(upTo: number): number {
    let n = 0;
    for (const e of this.queue) {
      if (e.epoch > upTo || e.epoch > this.sealedEpoch) break;
      n += e.rows;
    }
    return n;
  }

  /** The first epoch after `epoch` with rows still to hand over (Infinity: none). */
  firstQueuedAfter(epoch: number): number {
    for (const e of this.queue) if (e.epoch > epoch) return e.epoch;
    return Infinity;
  }

  /** Takes the sealed epochs ≤ `upTo` to hand to the target (kept until truncated). */
  take(upTo: number): LoggedEpoch[] {
    const out: LoggedEpoch[] = [];
    while (this.queue.length > 0) {
      const e = this.queue[0];
      if (e.epoch > upTo || e.epoch > this.sealedEpoch) break;
      this.queue.shift();
      out.push(e);
      this.handed.push(e);
    }
    return out;
  }

  /** The target holds every epoch ≤ `upTo`: their entries go. Returns whether any went. */
  truncate(upTo: number): boolean {
    let any = false;
    while (this.handed.length > 0 && this.handed[0].epoch <= upTo) {
      const e = this.handed.shift()!;
      for (const k of e.keys) this.table.deleteByKey(k);
      this.pendingRows -= e.rows;
      any = true;
    }
    return any;
  }

  /** The epoch new writes (truncations) belong to. */
  get workingEpoch(): number {
    return this.table.epoch;
  }

  /** A restored log: its entries (epochs up to the checkpoint) become the queue. */
  private recover(): void {
    let e: LoggedEpoch | null = null;
    for (const [key, row] of this.table.iterKeyPrefix('')) {
      const epoch = Number(row[0] as bigint);
      if (e === null || e.epoch !== epoch) {
        e = { epoch, chunks: [], rows: 0, keys: [], time: row[3] as number };
        this.queue.push(e);
      }
      const chunk = decodeEntry(this.types, row);
      e.chunks.push(chunk);
      e.keys.push(key);
      e.rows += chunk.capacity;
      this.pendingRows += chunk.capacity;
      this.sealedEpoch = Math.max(this.sealedEpoch, epoch);
    }
  }
}

function decodeEntry(types: readonly DataType[], row: Row): StreamChunk {
  const ops = row[2] as Uint8Array;
  const cols = row.slice(FIRST_COLUMN) as Datum[][];
  const rows: Row[] = [];
  for (let i = 0; i < ops.length; i++) rows.push(cols.map((c) => c[i] ?? null));
  return StreamChunk.fromRows(types, Array.from(ops) as Op[], rows);
}
