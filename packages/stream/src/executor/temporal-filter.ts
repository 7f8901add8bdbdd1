/**
 * A temporal filter over NOW(): `ts > NOW() - INTERVAL '…'` (a lower bound: rows leave as
 * the clock passes them), `ts < NOW() + INTERVAL '…'` (an upper bound: rows enter once the
 * clock reaches them), or both (`ts BETWEEN NOW() - … AND NOW()`). Leaving rows are
 * emitted as Deletes and entering rows as Inserts, so downstream aggregates retract and
 * add them and a windowed feature ("purchases in the last 7 days") stays right without
 * new input. RisingWave plans this as dynamic filters against `now()`.
 *
 * NOW() is the time of the latest barrier (`Barrier.time`), so all graphs move at the same
 * epoch. State: the rows at or above the lower bound — visible ones and, under an upper
 * bound, those still waiting for it — keyed by (ts, stream key…), so that both expiring
 * and releasing are one key range each. A row below the lower bound is never stored: the
 * lower bound only grows, so it can never become visible again. The table is segmented
 * (storage's segments.ts): checkpoints store the rows that came in since the last one as
 * one value, and expired rows leave storage a segment at a time.
 *
 * An insert is stored when it passes the lower bound and emitted when it also passes the
 * upper one; a delete (or either half of an update) is forwarded exactly when the stored
 * row is currently visible, because a row that expired earlier was already retracted
 * downstream and one that is still waiting was never emitted.
 */
import { type DataType, type Datum, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, compareDatum } from '@freshet/common';
import type { Barrier } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

/**
 * Whether `ts` passes a lower bound: `>=` when `inclusive`, else `>`. `undefined` is no
 * bound (everything but NULL passes), `null` a NULL bound (nothing passes).
 */
export function passesLowerBound(type: DataType, ts: Datum, bound: Datum | undefined, inclusive: boolean | undefined): boolean {
  if (ts === null || bound === null) return false;
  if (bound === undefined) return true;
  const c = compareDatum(type, ts, bound);
  return inclusive ? c >= 0 : c > 0;
}

/** Whether a bound recomputed at a barrier moved past `prev` (a NULL one never does; anything passes an absent or NULL `prev`). */
export function boundGrew(type: DataType, next: Datum, prev: Datum | undefined): boolean {
  return next !== null && (prev === null || prev === undefined || compareDatum(type, next, prev) > 0);
}

export interface TemporalFilterOptions {
  readonly types: readonly DataType[];
  /** The time column compared with the bounds. */
  readonly column: number;
  /** The lower bound as a function of NOW() (µs), e.g. `now - 7 days` in the column's type; absent: none. */
  readonly lowerBound?: (now: number) => Datum;
  /** true for `>=`, false for `>`. */
  readonly inclusive?: boolean;
  /** The upper bound as a function of NOW() (µs), e.g. `now + 1 hour`; absent: none. */
  readonly upperBound?: (now: number) => Datum;
  /** true for `<=`, false for `<`. */
  readonly upperInclusive?: boolean;
  /** The input's stream key. */
  readonly pk: readonly number[];
  readonly tables: StateTableAllocator;
  /** NOW() before the first barrier (µs); default: the wall clock at construction. */
  readonly initialNow?: number;
  readonly chunkSize?: number;
}

export class TemporalFilterExecutor extends StatefulExecutor {
  readonly name = 'StreamTemporalFilter';
  readonly types: readonly DataType[];
  private readonly table: StateTable;
  private readonly builder: StreamChunkBuilder;
  private readonly type: DataType;
  /** Current bounds; `undefined` = no such bound, `null` = NULL (nothing passes). */
  private lower: Datum | undefined;
  /** The lower bound stored rows were last expired to: undefined until the first barrier (see append-only-temporal-filter.ts's `cleanedTo`). */
  private cleanedTo: Datum | undefined = undefined;
  private upper: Datum | undefined;
  private readonly scratch: Datum[];

  constructor(private readonly options: TemporalFilterOptions) {
    super();
    this.types = options.types;
    this.type = options.types[options.column];
    // Rows are kept until the clock passes them and read back only then (or on a delete):
    // packed, they cost the garbage collector one string each instead of a row of boxes.
    // Segmented: a checkpoint stores the rows that came in as one LevelDB value and drops
    // the expired ones a segment at a time (StoreTable.declareSegmented, expireBelow).
    this.table = options.tables.create(options.types, [options.column, ...options.pk], undefined, { packed: true, segmented: true });
    this.builder = new StreamChunkBuilder(options.types, options.chunkSize);
    this.scratch = new Array<Datum>(options.types.length);
    const now = options.initialNow ?? Date.now() * 1000;
    this.lower = options.lowerBound?.(now);
    this.upper = options.upperBound?.(now);
  }

  private passesLower(ts: Datum): boolean {
    return passesLowerBound(this.type, ts, this.lower, this.options.inclusive);
  }

  private passesUpper(ts: Datum): boolean {
    if (ts === null || this.upper === null) return false;
    if (this.upper === undefined) return true;
    const c = compareDatum(this.type, ts, this.upper);
    return this.options.upperInclusive ? c <= 0 : c < 0;
  }

  /**
   * Rows are forwarded in place: the output is the input chunk with the rows that do not
   * pass hidden (visibility) rather than copied into a new chunk. Update halves become a
   * plain Delete and Insert, since the filter may keep one half and drop the other.
   */
  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const ops = chunk.ops;
    const col = this.options.column;
    let mask: Uint8Array | null = null;
    let outOps: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const op = ops[i];
      if (op === Op.UpdateDelete || op === Op.UpdateInsert) {
        outOps ??= ops.slice();
        outOps[i] = op === Op.UpdateDelete ? Op.Delete : Op.Insert;
      }
      // The state table is packed (it keeps a string, not this array): one array for all rows.
      const row = chunk.rowInto(i, this.scratch);
      const key = this.table.keyOfRow(row);
      let pass: boolean;
      if (OP_SIGN[op] > 0) {
        pass = this.passesLower(row[col]);
        if (pass) {
          this.table.putByKey(key, row);
          pass = this.passesUpper(row[col]);
        }
      } else {
        const stored = this.table.getByKey(key);
        pass = stored !== undefined;
        if (stored !== undefined) {
          this.table.deleteByKey(key);
          pass = this.passesUpper(stored[col]);
        }
      }
      if (!pass) {
        if (mask === null) mask = vis === null ? new Uint8Array(n).fill(1) : vis.slice();
        mask[i] = 0;
      }
    }
    let out = chunk;
    if (outOps !== null) out = out.withOps(outOps);
    if (mask !== null) out = out.withVisibility(mask);
    this.emit(out);
  }

  /** Nothing buffered: changes are emitted per chunk. */
  flush(): void {}

  stateTables(): readonly StateTable[] {
    return [this.table];
  }

  /**
   * Advances NOW() to the barrier's time, before the epoch ends: the expirations and
   * releases are part of the closing epoch, so the barrier that carries the new time also
   * covers their effects.
   */
  protected override onBarrier(b: Barrier): void {
    this.expire(b.time);
    this.release(b.time);
    this.emit(this.builder.take());
    super.onBarrier(b);
  }

  /** Rows that fell below a grown lower bound leave (Deletes if they were visible) and are forgotten. */
  private expire(now: number): void {
    if (!this.options.lowerBound) return;
    const next = this.options.lowerBound(now);
    if (boundGrew(this.type, next, this.lower)) this.lower = next;
    const lower = this.lower as Datum;
    if (!boundGrew(this.type, lower, this.cleanedTo)) return;
    this.cleanedTo = lower;
    const rows: Row[] = [];
    // Keys order by ts first: everything up to the bound is one leading range.
    const expired = { values: [lower], inclusive: !this.options.inclusive };
    for (const row of this.table.range(undefined, expired)) rows.push(row);
    const col = this.options.column;
    for (const row of rows) {
      this.table.deleteByKey(this.table.keyOfRow(row));
      if (this.passesUpper(row[col])) this.emit(this.builder.append(Op.Delete, row));
    }
    // Nothing below the bound is stored again (passesLower): storage may drop that range.
    this.table.expireBelow(expired);
  }

  /** Stored rows between the old and a grown upper bound become visible (Inserts). */
  private release(now: number): void {
    if (!this.options.upperBound) return;
    const next = this.options.upperBound(now);
    const prev = this.upper;
    if (!boundGrew(this.type, next, prev)) return;
    this.upper = next;
    const lo = prev === null || prev === undefined ? undefined : { values: [prev], inclusive: !this.options.upperInclusive };
    const hi = { values: [next], inclusive: !!this.options.upperInclusive };
    const rows: Row[] = [];
    for (const row of this.table.range(lo, hi)) rows.push(row);
    for (const row of rows) this.emit(this.builder.append(Op.Insert, row));
  }
}
