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
 * lower bound only grows, so it can never become visible again.
 *
 * The rows are entries of a paged multiset (state/paged-multiset.ts): a B+tree whose leaves
 * hold a run of rows each, packed, and whose every read is a point read. Expiring is a
 * removal of the leading leaves, releasing a scan of a key range, a delete a descent to
 * one leaf. So under a memory limit the table is a cache like any other, where a row per
 * entry, ranged by seeking, had to be kept whole (at full scale, the serving load's largest
 * state: docs/performance.md, "Session 36").
 *
 * An insert is stored when it passes the lower bound and emitted when it also passes the
 * upper one; a delete (or either half of an update) is forwarded exactly when the stored
 * row is currently visible, because a row that expired earlier was already retracted
 * downstream and one that is still waiting was never emitted.
 */
import { type DataType, type Datum, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder, T, compareDatum, encodeKeyString, packRow, unpackRow } from '@freshet/common';
import type { Barrier } from '../message';
import { type KeyBound, NODE_ID_TYPE, PagedMultiset } from '../state/paged-multiset';
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
  /** The stored rows: one group (''), keys (ts, stream key…), each row packed as its entry's payload. */
  private readonly rows: PagedMultiset;
  private readonly keyTypes: readonly DataType[];
  private readonly keyScratch: Datum[];
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
    // pk = a node id (one group); rows are a node each, read by key only.
    this.table = options.tables.create([NODE_ID_TYPE, T.Varchar], [0]).declarePointReads();
    // Leaves of ~1 KiB hold ~10–15 rows of a few columns: the rewrite of the leaf a row
    // lands in, and a checkpoint's write of each leaf changed, stay small, while a node's
    // key and entry in the store are shared by a run of rows instead of kept per row.
    this.rows = new PagedMultiset(this.table, { payloads: true, leafChars: 1024, innerChars: 1024 });
    this.keyTypes = [this.type, ...options.pk.map((i) => options.types[i])];
    this.keyScratch = new Array<Datum>(this.keyTypes.length);
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
      // Rows are stored packed (a string, not this array): one array for all rows.
      const row = chunk.rowInto(i, this.scratch);
      let pass: boolean;
      if (OP_SIGN[op] > 0) {
        pass = this.passesLower(row[col]);
        if (pass) {
          this.rows.add('', this.keyOf(row), 1, packRow(row));
          pass = this.passesUpper(row[col]);
        }
      } else {
        // Forwarded only if it was stored (a removal of a key not there returns below 0); the
        // key holds the time, so the stored row's time is this one's.
        pass = this.rows.add('', this.keyOf(row), -1, null) >= 0 && this.passesUpper(row[col]);
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

  /** A row's key among the stored ones: (ts, stream key…). */
  private keyOf(row: Row): string {
    const k = this.keyScratch;
    k[0] = row[this.options.column];
    const pk = this.options.pk;
    for (let i = 0; i < pk.length; i++) k[i + 1] = row[pk[i]];
    return encodeKeyString(this.keyTypes, k);
  }

  /** A bound on the stored rows' keys at time `ts` (see KeyBound). */
  private timeBound(ts: Datum, inclusive: boolean): KeyBound {
    return { prefix: encodeKeyString([this.type], [ts]), inclusive };
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
    // Keys order by ts first: everything up to the bound is the leading entries.
    this.rows.removeBelow('', this.timeBound(lower, !this.options.inclusive), (_k, count, packed) => pushCopies(rows, unpackRow(packed!), count));
    const col = this.options.column;
    for (const row of rows) if (this.passesUpper(row[col])) this.emit(this.builder.append(Op.Delete, row));
  }

  /** Stored rows between the old and a grown upper bound become visible (Inserts). */
  private release(now: number): void {
    if (!this.options.upperBound) return;
    const next = this.options.upperBound(now);
    const prev = this.upper;
    if (!boundGrew(this.type, next, prev)) return;
    this.upper = next;
    const lo = prev === null || prev === undefined ? undefined : this.timeBound(prev, !this.options.upperInclusive);
    const hi = this.timeBound(next, !!this.options.upperInclusive);
    const rows: Row[] = [];
    this.rows.scan('', lo, hi, (_k, count, packed) => pushCopies(rows, unpackRow(packed!), count));
    for (const row of rows) this.emit(this.builder.append(Op.Insert, row));
  }
}

/** Adds `row` to `rows` `count` times: an input whose stream key repeats stores a row with its multiplicity. */
function pushCopies(rows: Row[], row: Row, count: number): void {
  for (let i = 0; i < count; i++) rows.push(row);
}
