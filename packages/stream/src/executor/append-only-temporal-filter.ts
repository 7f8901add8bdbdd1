/**
 * The temporal filter `ts > NOW() - INTERVAL '…'` (or `>=`) over an input that only inserts:
 * a source, an APPEND ONLY table. The seed's features over Kafka are this case, and there
 * the general executor (temporal-filter.ts) kept one state entry per event: a key string,
 * the store's entry and a packed row, millions of them in a 30-minute window at 50,000
 * events/s. Marking those is most of what V8's full collections do, on the engine's thread
 * (docs/performance.md, "Session 22" and "Session 26").
 *
 * With no deletes to match and no upper bound to release rows at, the state only has to
 * give back, at each barrier, the rows the grown bound leaves behind. So the rows admitted
 * in one epoch are stored together, one state row per time bucket they fall in: the packed
 * rows (`packRow`) sorted by time and concatenated into one string, keyed by (the time of
 * its first row, epoch, bucket). A barrier reads the groups whose first row no longer
 * passes, emits a Delete for each row that does not, and keeps the rest of the group (its
 * tail, since it is sorted) under the key of its new first row. Rows leave in time order
 * within a group and groups in key order, so the table is still deleted from the low end
 * and stays segmented (`expireBelow`). The bucket bounds how far apart a group's rows can
 * be: an input out of time order splits into more, smaller groups instead of a group that
 * is rewritten at every barrier as the bound passes its rows one by one.
 */
import { ByteReader, type DataType, type Datum, Op, type StreamChunk, StreamChunkBuilder, T, compareDatum, packRow, readRow } from '@freshet/common';
import type { Barrier } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';
import { boundGrew, passesLowerBound } from './temporal-filter';

export interface AppendOnlyTemporalFilterOptions {
  readonly types: readonly DataType[];
  /** The time column compared with the bound. */
  readonly column: number;
  /** The lower bound as a function of NOW() (µs), in the column's type. */
  readonly lowerBound: (now: number) => Datum;
  /** true for `>=`, false for `>`. */
  readonly inclusive?: boolean;
  readonly tables: StateTableAllocator;
  /** NOW() before the first barrier (µs); default: the wall clock at construction. */
  readonly initialNow?: number;
  readonly chunkSize?: number;
}

/** Width of a time bucket in the column's unit (µs for timestamps: one second). */
const BUCKET_WIDTH = 1_000_000;

/** The state row's last column: the group's packed rows (before it: its first time, epoch and bucket). */
const ROWS = 3;

/** Rows admitted in the current epoch into one bucket, in arrival order. */
interface PendingGroup {
  readonly times: Datum[];
  readonly rows: string[];
  /** Whether `times` arrived in order (no sort needed). */
  sorted: boolean;
}

export class AppendOnlyTemporalFilterExecutor extends StatefulExecutor {
  readonly name = 'StreamTemporalFilter';
  readonly types: readonly DataType[];
  private readonly table: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly type: DataType;
  /** The current bound; null = NULL (nothing passes). */
  private lower: Datum;
  /**
   * The bound the stored groups were last cleaned to. Undefined until the first barrier:
   * groups recovered from a checkpoint were cleaned only to that checkpoint's bound, and the
   * first barrier may carry a time from before the constructor read the clock.
   */
  private cleanedTo: Datum | undefined = undefined;
  private readonly pending = new Map<number, PendingGroup>();
  private readonly scratch: Datum[];

  constructor(private readonly options: AppendOnlyTemporalFilterOptions) {
    super();
    this.types = options.types;
    this.type = options.types[options.column];
    this.table = options.tables.create([this.type, T.Int64, T.Int64, T.Varchar], [0, 1, 2], undefined, { segmented: true });
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
    this.scratch = new Array<Datum>(options.types.length);
    this.lower = options.lowerBound(options.initialNow ?? Date.now() * 1000);
  }

  private passes(ts: Datum): boolean {
    return passesLowerBound(this.type, ts, this.lower, this.options.inclusive);
  }

  /** Rows are forwarded in place, those that do not pass hidden (visibility). */
  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const ops = chunk.ops;
    const times = chunk.columns[this.options.column];
    let mask: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      // The planner uses this executor only over inputs that never delete (appendOnly).
      if (ops[i] !== Op.Insert) throw new Error(`append-only temporal filter: the input sent op ${ops[i]}, not an insert`);
      const ts = times.get(i);
      if (this.passes(ts)) {
        this.admit(ts, packRow(chunk.rowInto(i, this.scratch)));
        continue;
      }
      if (mask === null) mask = vis === null ? new Uint8Array(n).fill(1) : vis.slice();
      mask[i] = 0;
    }
    this.emit(mask === null ? chunk : chunk.withVisibility(mask));
  }

  private admit(ts: Datum, row: string): void {
    const bucket = bucketOf(ts);
    let g = this.pending.get(bucket);
    if (g === undefined) this.pending.set(bucket, (g = { times: [], rows: [], sorted: true }));
    else if (g.sorted && compareDatum(this.type, ts, g.times[g.times.length - 1]) < 0) g.sorted = false;
    g.times.push(ts);
    g.rows.push(row);
  }

  /** Nothing buffered for output: admitted rows are emitted per chunk. */
  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }

  /**
   * Stores the epoch's groups, then advances NOW() to the barrier's time: the expirations
   * belong to the closing epoch, so the barrier that carries the new time covers them.
   */
  protected override onBarrier(b: Barrier): void {
    this.storePending();
    this.expire(b.time);
    this.emit(this.builder.take());
    super.onBarrier(b);
  }

  private storePending(): void {
    if (this.pending.size === 0) return;
    const epoch = BigInt(this.table.epoch);
    for (const [bucket, g] of this.pending) {
      let rows = g.rows;
      let first = g.times[0];
      if (!g.sorted) {
        const order = g.times.map((_, i) => i).sort((a, b) => compareDatum(this.type, g.times[a], g.times[b]));
        rows = order.map((i) => g.rows[i]);
        first = g.times[order[0]];
      }
      const row = [first, epoch, BigInt(bucket), rows.join('')];
      this.table.putByKey(this.table.keyOfRow(row), row);
    }
    this.pending.clear();
  }

  /** Rows the grown bound leaves behind are retracted (Deletes) and forgotten. */
  private expire(now: number): void {
    const next = this.options.lowerBound(now);
    if (boundGrew(this.type, next, this.lower)) this.lower = next;
    if (!boundGrew(this.type, this.lower, this.cleanedTo)) return;
    this.cleanedTo = this.lower;
    // Groups whose first row no longer passes: one leading key range.
    const expired = { values: [this.lower], inclusive: !this.options.inclusive };
    const groups = [...this.table.range(undefined, expired)];
    const col = this.options.column;
    for (const g of groups) {
      this.table.deleteByKey(this.table.keyOfRow(g));
      const packed = g[ROWS] as string;
      const bytes = Buffer.from(packed, 'latin1');
      const r = new ByteReader(bytes);
      while (!r.done) {
        const start = r.pos;
        const row = readRow(r);
        if (!this.passes(row[col])) {
          this.emit(this.builder.append(Op.Delete, row));
          continue;
        }
        // Sorted: the rest passes. A new string, not a slice, which would keep the whole alive.
        const rest = [row[col], g[1], g[2], bytes.toString('latin1', start)];
        this.table.putByKey(this.table.keyOfRow(rest), rest);
        break;
      }
    }
    // Every group left starts above the bound, and no row below it is admitted again.
    this.table.expireBelow(expired);
  }
}

/** The bucket of a time (number or bigint datum); 0 for other types: one group per epoch. */
function bucketOf(ts: Datum): number {
  if (typeof ts === 'number') return Math.floor(ts / BUCKET_WIDTH);
  if (typeof ts === 'bigint') return Number(ts / BigInt(BUCKET_WIDTH));
  return 0;
}
