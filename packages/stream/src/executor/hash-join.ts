/**
 * Equi-join of two streams (RisingWave's hash_join.rs): inner, left, right and full outer,
 * on one or more key pairs (each `=` or IS NOT DISTINCT FROM), with an optional extra
 * condition over the joined row. Output rows are left columns ++ right columns.
 *
 * State: one table per side, rows [input row…, degree], pk (join key…, the input's stream
 * key…), so one join key's rows are a contiguous range. The degree of a stored row is the
 * number of rows on the other side it currently joins with (key equal and condition
 * TRUE); for a preserved (outer) side it decides when the NULL-padded row must appear or
 * disappear: an other-side insert that raises a degree from 0 turns (row, NULLs) into
 * (row, match) as a U-/U+ pair, and a delete that lowers it to 0 turns it back.
 *
 * A key containing NULL under plain `=` can never match: such rows are not stored, and a
 * preserved side emits them NULL-padded straight away. Input updates are processed as a
 * delete and an insert (their outputs are Delete/Insert rows, not pairs). Watermarks are
 * not propagated through joins yet.
 *
 * Semi and anti joins (EXISTS / IN, NOT EXISTS) output left rows only, driven by the left
 * rows' degrees: a semi join shows a left row while its degree is above 0, an anti join
 * while it is 0; a right-side change that moves a degree across 0 inserts or deletes it.
 */
import {
  type DataType,
  type Datum,
  type KeyOrder,
  Op,
  OP_SIGN,
  type Row,
  type StreamChunk,
  StreamChunkBuilder,
  T,
  encodeKeyString,
} from '@freshet/common';
import type { RowPredicate } from '../expr';
import { type EvalErrorReporter, defaultErrorReporter } from '../eval-errors';
import type { Barrier, Watermark } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { BarrierAligner } from './align';
import { type Output, Executor, endEpoch } from './executor';

/** semi / anti: the left rows with at least one / without any match; the output is the left side's columns. */
export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

export interface HashJoinOptions {
  readonly joinType: JoinType;
  readonly leftTypes: readonly DataType[];
  readonly rightTypes: readonly DataType[];
  /** Key columns, pairwise: leftKeys[i] joins rightKeys[i] (same types). */
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  /** Per key pair: true for IS NOT DISTINCT FROM (NULL matches NULL). Default all false. */
  readonly nullSafe?: readonly boolean[];
  /** Stream keys (unique row identity) of each input. */
  readonly leftPk: readonly number[];
  readonly rightPk: readonly number[];
  /** Extra condition over left ++ right; the pair joins only where it is TRUE. */
  readonly condition?: RowPredicate | null;
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
  /** Where condition evaluation errors go (the pair then does not join). */
  readonly errors?: EvalErrorReporter;
}

/** One input's state and shape. */
class JoinSide {
  readonly table: StateTable;
  readonly width: number;
  readonly keyTypes: DataType[];
  private readonly keyScratch: Datum[];

  constructor(
    readonly types: readonly DataType[],
    readonly keys: readonly number[],
    pk: readonly number[],
    /** True when this side's rows appear NULL-padded without a match. */
    readonly preserved: boolean,
    tables: StateTableAllocator,
  ) {
    this.width = types.length;
    this.keyTypes = keys.map((k) => types[k]);
    this.keyScratch = new Array(keys.length);
    // When the stream key is within the join key (an MV joined on its primary key, as in
    // the seed's ml_feature_vector), a join key holds at most one row: the state is keyed
    // by the join key alone, matches are a point read rather than a range scan (no sorted
    // index of the keys to maintain), and under a memory limit the table is a cache that
    // may drop rows and read them back from LevelDB.
    this.unique = pk.every((c) => keys.includes(c));
    // A unique side's row is rewritten on each update of its key and read once per probe
    // from the other side: packed once large (StateTableDesc.packed). A side with many rows
    // per key packs only while its rows are read less often than written (`insert`): a
    // probe reads every row under the key and unpacks each, but a side mostly written (the
    // bids of Nexmark q9, seldom matched by a later auction) holds millions of rows
    // that the collector would otherwise mark as arrays of boxes (q9 at 4M events: 43.8 →
    // 18.0 µs of CPU per event).
    this.table = tables.create([...types, T.Int64], this.unique ? [...keys] : [...keys, ...pk], undefined, { packed: 'large' });
    if (this.unique) this.table.declarePointReads();
    // A side kept per (join key, stream key) is read a join key at a time.
    else this.table.declarePrefixReads(keys.length);
  }

  /** At most one row per join key (see the constructor). */
  readonly unique: boolean;

  /** Rows of this side read by the other side's probes, and rows written (`insert`). */
  private reads = 0;
  private writes = 0;

  /** The state keys of the rows stored under join key `key` (a probe from the other side). */
  matchKeys(key: string): readonly string[] {
    if (!this.unique) {
      const keys = this.table.keysWithPrefix(key);
      this.reads += keys.length;
      return keys;
    }
    return this.table.hasKey(key) ? [key] : NO_KEYS;
  }

  /**
   * Stores a new row (its degree last): packed while this side is written more than read,
   * unless the row carries long strings. A box (BIGINT, float, timestamp) and a string are
   * each one object for the collector to mark, but packing copies a string's characters:
   * q20's bids (url, extra: ~100 characters each) ran 10% slower packed at 4M events.
   */
  insert(row: Row): void {
    if (!this.unique) this.table.setPackWrites(this.reads < ++this.writes && stringChars(row) <= PACK_MAX_STRING_CHARS);
    this.table.insert(row);
  }

  /** The encoded join key of `row`, or null when a non-null-safe key column is NULL. */
  joinKey(row: readonly Datum[], nullSafe: readonly boolean[]): string | null {
    const s = this.keyScratch;
    for (let j = 0; j < this.keys.length; j++) {
      const v = row[this.keys[j]];
      if (v === null && !nullSafe[j]) return null;
      s[j] = v;
    }
    return encodeKeyString(this.keyTypes, s, NO_ORDERS);
  }
}

/** A join-side row with more characters of strings than this is stored unpacked (JoinSide.insert). */
const PACK_MAX_STRING_CHARS = 64;

/** The characters of the strings among `row`'s datums. */
function stringChars(row: Row): number {
  let n = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v === 'string') n += v.length;
  }
  return n;
}

const NO_ORDERS: KeyOrder[] | undefined = undefined;
const NO_KEYS: readonly string[] = [];

export class HashJoinExecutor extends Executor {
  readonly name = 'StreamHashJoin';
  readonly types: readonly DataType[];
  /** Connect the left input here. */
  readonly left: Output;
  /** Connect the right input here. */
  readonly right: Output;
  private readonly sides: [JoinSide, JoinSide];
  private readonly nullSafe: readonly boolean[];
  private readonly condition: RowPredicate | null;
  private readonly builder: StreamChunkBuilder;
  private readonly joined: Datum[];
  /** The old half of an in-place update (applyUpdateInPlace only reads it). */
  private readonly oldRow: Datum[] = [];
  private readonly aligner: BarrierAligner;
  private readonly pendingWatermarks: Watermark[] = [];
  /** 1 for a semi join, -1 for an anti join, 0 otherwise. */
  private readonly semi: number;

  constructor(readonly options: HashJoinOptions) {
    super();
    const o = options;
    if (o.leftKeys.length !== o.rightKeys.length) throw new Error('hash join: left and right key counts differ');
    this.semi = o.joinType === 'semi' ? 1 : o.joinType === 'anti' ? -1 : 0;
    this.types = this.semi !== 0 ? [...o.leftTypes] : [...o.leftTypes, ...o.rightTypes];
    this.sides = [
      new JoinSide(o.leftTypes, o.leftKeys, o.leftPk, o.joinType === 'left' || o.joinType === 'full', o.tables),
      new JoinSide(o.rightTypes, o.rightKeys, o.rightPk, o.joinType === 'right' || o.joinType === 'full', o.tables),
    ];
    this.nullSafe = o.nullSafe ?? o.leftKeys.map(() => false);
    this.condition = o.condition ?? null;
    this.builder = new StreamChunkBuilder(this.types, o.chunkSize);
    this.joined = new Array(this.types.length);
    this.aligner = new BarrierAligner(2, {
      onInputChunk: (input, chunk) => this.onChunk(input, chunk),
      onInputWatermark: () => {},
      onAlignedBarrier: (b) => this.onBarrier(b),
    });
    this.left = this.aligner.inputs[0];
    this.right = this.aligner.inputs[1];
  }

  flush(): void {
    this.emit(this.builder.take());
  }

  stateTables(): readonly StateTable[] {
    return [this.sides[0].table, this.sides[1].table];
  }

  afterCommit(b: Barrier): void {
    if (b.isStop()) this.stopped = true;
  }

  private onBarrier(b: Barrier): void {
    if (this.stopped) return;
    endEpoch(this, b, this.pendingWatermarks, this.out);
  }

  /** The pure core for one input chunk: updates state, appends output to the builder. */
  private onChunk(input: number, chunk: StreamChunk): void {
    if (this.stopped) return;
    const me = this.sides[input];
    const other = this.sides[1 - input];
    const n = chunk.capacity;
    const vis = chunk.visibility;
    const ops = chunk.ops;
    const inPlace = this.semi === 0 && this.condition === null;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      if (inPlace && ops[i] === Op.UpdateDelete) {
        let j = i + 1;
        while (vis !== null && j < n && vis[j] === 0) j++;
        if (j < n && ops[j] === Op.UpdateInsert) {
          // One slot more for the degree the state row carries (a push would grow the array).
          const next = chunk.rowInto(j, new Array(me.width + 1));
          // The old row is only compared and copied into the output: a scratch array.
          if (this.applyUpdateInPlace(input, me, other, chunk.rowInto(i, this.oldRow), next)) {
            i = j;
            continue;
          }
        }
      }
      const row = chunk.row(i);
      const sign = OP_SIGN[ops[i]] > 0 ? 1 : -1;
      if (this.semi !== 0) this.applySemiRow(input, row, sign);
      else this.applyRow(input, me, other, row, sign);
    }
    this.emit(this.builder.take());
  }

  /**
   * An update that keeps the row's state key (same join key and stream key — an upstream
   * MV's group changing its aggregates): with no extra condition the matches and every
   * degree stay the same, so the stored row is overwritten in place and each joined row
   * goes out as a U-/U+ pair, instead of a delete and a re-insert of the key on both the
   * state and the output (which also lets a downstream materialize overwrite in place).
   * Returns false, doing nothing, when the key changes or can never match.
   */
  private applyUpdateInPlace(input: number, me: JoinSide, other: JoinSide, oldRow: Row, newRow: Row): boolean {
    const key = me.joinKey(newRow, this.nullSafe);
    if (key === null) return false;
    // A unique side's state key is its join key (same columns, same encoding).
    const stateKey = me.unique ? key : me.table.keyOfRow(newRow);
    if (stateKey !== (me.unique ? me.joinKey(oldRow, this.nullSafe) : me.table.keyOfRow(oldRow))) return false;
    let matched = 0;
    if (other.unique) {
      // One point read, no match-key array (the seed's MV ⋈ MV on their primary keys).
      const m = other.table.getByKey(key);
      if (m !== undefined) {
        this.outUpdate(input, oldRow, m, newRow, m);
        matched = 1;
      }
    } else {
      const matches = other.matchKeys(key);
      for (let x = 0; x < matches.length; x++) {
        const m = other.table.getByKey(matches[x])!;
        this.outUpdate(input, oldRow, m, newRow, m);
      }
      matched = matches.length;
    }
    if (matched === 0 && me.preserved) this.outUpdate(input, oldRow, null, newRow, null);
    newRow[me.width] = matched;
    me.table.putByKey(stateKey, newRow);
    return true;
  }

  /**
   * Semi / anti join: one insert (+1) or delete (-1) of `row` on side `input`. Only left
   * rows are output; a right-side change flips the left rows whose degree crosses 0.
   */
  private applySemiRow(input: number, row: Row, sign: 1 | -1): void {
    const [left, right] = this.sides;
    const anti = this.semi < 0;
    const op = sign > 0 ? Op.Insert : Op.Delete;
    if (input === 0) {
      const key = left.joinKey(row, this.nullSafe);
      if (key === null) {
        // Never matches: absent from a semi join's output, always in an anti join's.
        if (anti) this.emit(this.builder.append(op, row));
        return;
      }
      let degree = 0;
      const matches = right.matchKeys(key);
      for (let x = 0; x < matches.length; x++) if (this.matches(0, row, right.table.getByKey(matches[x])!)) degree++;
      if (degree > 0 !== anti) this.emit(this.builder.append(op, row));
      if (sign > 0) {
        row.push(degree);
        left.insert(row);
      } else left.table.delete(row);
      return;
    }
    const key = right.joinKey(row, this.nullSafe);
    if (key === null) return;
    const lw = left.width;
    const flipAt = sign > 0 ? 0 : 1;
    const matches = left.matchKeys(key);
    for (let x = 0; x < matches.length; x++) {
      const k = matches[x];
      const m = left.table.getByKey(k)!;
      if (!this.matches(1, row, m)) continue;
      const d = m[lw] as number;
      // Semi: 0→1 inserts the left row, 1→0 deletes it; anti: the opposite.
      if (d === flipAt) this.emit(this.builder.append((sign > 0) !== anti ? Op.Insert : Op.Delete, m));
      const next = m.slice();
      next[lw] = d + sign;
      left.table.putByKey(k, next);
    }
    if (sign > 0) {
      row.push(0);
      right.insert(row);
    } else right.table.delete(row);
  }

  /**
   * Applies one insert (sign +1) or delete (sign -1) of `row` on side `input`. Both walk the
   * same matches and keep the other side's match degrees; they differ only in the op emitted and
   * in which degree change flips a preserved stored row between NULL-padded and matched (0→1, 1→0).
   */
  private applyRow(input: number, me: JoinSide, other: JoinSide, row: Row, sign: 1 | -1): void {
    const op = sign > 0 ? Op.Insert : Op.Delete;
    const key = me.joinKey(row, this.nullSafe);
    if (key === null) {
      if (me.preserved) this.out1(op, input, row, null);
      return;
    }
    const flipAt = sign > 0 ? 0 : 1;
    let degree = 0;
    const ow = other.width;
    const matches = other.matchKeys(key);
    for (let x = 0; x < matches.length; x++) {
      const k = matches[x];
      const m = other.table.getByKey(k)!;
      if (!this.matches(input, row, m)) continue;
      degree++;
      const d = m[ow] as number;
      if (other.preserved) {
        if (d !== flipAt) this.out1(op, input, row, m);
        else if (sign > 0) this.outUpdate(input, null, m, row, m);
        else this.outUpdate(input, row, m, null, m);
        const next = m.slice();
        next[ow] = d + sign;
        other.table.putByKey(k, next);
      } else this.out1(op, input, row, m);
    }
    if (degree === 0 && me.preserved) this.out1(op, input, row, null);
    if (sign > 0) {
      row.push(degree);
      me.insert(row);
    } else me.table.delete(row);
  }

  /** Whether `row` (from `input`) and the other side's stored row `m` satisfy the condition. */
  private matches(input: number, row: readonly Datum[], m: readonly Datum[]): boolean {
    if (this.condition === null) return true;
    const j = this.joined;
    const lw = this.sides[0].width;
    const rw = this.sides[1].width;
    const l = input === 0 ? row : m;
    const r = input === 0 ? m : row;
    for (let c = 0; c < lw; c++) j[c] = l[c];
    for (let c = 0; c < rw; c++) j[lw + c] = r[c];
    try {
      return this.condition(j) === true;
    } catch (e) {
      (this.options.errors ?? defaultErrorReporter).report('join condition', e);
      return false;
    }
  }

  /** Emits one joined row; `mine` is from `input`, `theirs` from the other side (null = NULL-padded). */
  private out1(op: Op, input: number, mine: readonly Datum[] | null, theirs: readonly Datum[] | null): void {
    const lw = this.sides[0].width;
    this.emit(input === 0 ? this.builder.appendConcat(op, mine, lw, theirs) : this.builder.appendConcat(op, theirs, lw, mine));
  }

  /** Emits a U-/U+ pair: (oldMine ⋈ oldTheirs) → (newMine ⋈ newTheirs). */
  private outUpdate(
    input: number,
    oldMine: readonly Datum[] | null,
    oldTheirs: readonly Datum[] | null,
    newMine: readonly Datum[] | null,
    newTheirs: readonly Datum[] | null,
  ): void {
    const lw = this.sides[0].width;
    this.emit(
      input === 0
        ? this.builder.appendConcatUpdate(oldMine, oldTheirs, newMine, newTheirs, lw)
        : this.builder.appendConcatUpdate(oldTheirs, oldMine, newTheirs, newMine, lw),
    );
  }
}
