/**
 * Process-time temporal join (`s JOIN t FOR SYSTEM_TIME AS OF PROCTIME() ON s.k = t.pk`,
 * RisingWave's temporal_join.rs): each left (stream) row looks up the right (versioned)
 * table as it is when the row arrives. Changes of the right table never touch output
 * already emitted; they only change what later left rows find. Inner and left outer joins.
 *
 * - The right side is not a stream here but a primary-key lookup into the table's current
 *   rows (RisingWave reads the table's storage too). The join key must cover the table's
 *   primary key, so a left row matches at most one right row; other key pairs and the ON
 *   condition's rest are the `condition`. No right-side state, and the lookup sees the
 *   whole table even while this job is still backfilling its left side.
 * - A retractable left side (not append-only) must retract exactly what its insert
 *   emitted, because the right row may have changed since. Emitted rows are kept in a memo
 *   table keyed by (left key…, right key…), RisingWave's memo for non-append-only temporal
 *   joins; a delete emits and forgets the memo's rows of its left key. An append-only left
 *   side keeps no state.
 *
 * Updates are processed as a delete and an insert (Delete/Insert output rows). The output's
 * left columns are the left row's, so watermarks pass through unchanged.
 */
import { type DataType, type Datum, Op, OP_SIGN, type Row, type StreamChunk, StreamChunkBuilder } from '@freshet/common';
import type { RowPredicate } from '../expr';
import { type EvalErrorReporter, defaultErrorReporter } from '../eval-errors';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface TemporalJoinOptions {
  readonly joinType: 'inner' | 'left';
  readonly leftTypes: readonly DataType[];
  readonly rightTypes: readonly DataType[];
  /** Left columns holding the right table's primary key, in the table's pk order. */
  readonly lookupKey: readonly number[];
  /** The right row with that primary key now (undefined: none). A NULL key never matches. */
  readonly lookup: (pk: readonly Datum[]) => readonly Datum[] | undefined;
  /** Stream key of the left input; the right row's primary-key columns (for the memo's key). */
  readonly leftPk: readonly number[];
  readonly rightPk: readonly number[];
  /** The left input never retracts: no memo of emitted rows is kept. */
  readonly appendOnly?: boolean;
  /** Extra condition over left ++ right; the pair joins only where it is TRUE. */
  readonly condition?: RowPredicate | null;
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
  readonly errors?: EvalErrorReporter;
}

export class TemporalJoinExecutor extends StatefulExecutor {
  readonly name = 'StreamTemporalJoin';
  readonly types: readonly DataType[];
  /** Emitted joined rows by (left pk, right pk); null for an append-only left side. */
  private readonly memo: StateTable | null;
  private readonly builder: StreamChunkBuilder;
  private readonly lw: number;
  private readonly keyScratch: Datum[];
  private readonly pkScratch: Datum[];
  private readonly joined: Datum[];
  private readonly condition: RowPredicate | null;

  constructor(readonly options: TemporalJoinOptions) {
    super();
    const o = options;
    this.lw = o.leftTypes.length;
    this.types = [...o.leftTypes, ...o.rightTypes];
    this.memo = o.appendOnly ? null : o.tables.create(this.types, [...o.leftPk, ...o.rightPk.map((k) => this.lw + k)]);
    this.builder = new StreamChunkBuilder(this.types, o.chunkSize);
    this.keyScratch = new Array(o.lookupKey.length);
    this.pkScratch = new Array(o.leftPk.length);
    this.joined = new Array(this.types.length);
    this.condition = o.condition ?? null;
  }

  flush(): void {
    this.emit(this.builder.take());
  }

  stateTables(): readonly StateTable[] {
    return this.memo ? [this.memo] : [];
  }

  /** The pure core: lookups for inserts, memo retractions for deletes. */
  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      const row = chunk.row(i);
      if (OP_SIGN[chunk.ops[i]] > 0) this.insertLeft(row);
      else this.deleteLeft(row);
    }
    this.emit(this.builder.take());
  }

  private insertLeft(row: Row): void {
    const keys = this.options.lookupKey;
    const s = this.keyScratch;
    let m: readonly Datum[] | undefined;
    let nullKey = false;
    for (let j = 0; j < keys.length; j++) {
      s[j] = row[keys[j]];
      if (s[j] === null) nullKey = true;
    }
    if (!nullKey) m = this.options.lookup(s);
    if (m !== undefined && this.matches(row, m)) this.output(row, m);
    else if (this.options.joinType === 'left') this.output(row, null);
  }

  private output(row: readonly Datum[], m: readonly Datum[] | null): void {
    this.emit(this.builder.appendConcat(Op.Insert, row, this.lw, m));
    if (this.memo) this.memo.insert(this.concat(row, m).slice());
  }

  /** Retracts what the row's insert emitted, whatever the right table holds now. */
  private deleteLeft(row: readonly Datum[]): void {
    if (!this.memo) throw new Error('temporal join: a delete on an append-only left input');
    const pk = this.options.leftPk;
    const s = this.pkScratch;
    for (let j = 0; j < pk.length; j++) s[j] = row[pk[j]];
    const keys = this.memo.keysWithPrefix(this.memo.keyOfPk(s));
    for (let x = 0; x < keys.length; x++) {
      this.emit(this.builder.append(Op.Delete, this.memo.getByKey(keys[x])!));
      this.memo.deleteByKey(keys[x]);
    }
  }

  /** left ++ right (NULLs for a missing right row) in the scratch row. */
  private concat(row: readonly Datum[], m: readonly Datum[] | null): Datum[] {
    const j = this.joined;
    for (let c = 0; c < this.lw; c++) j[c] = row[c];
    for (let c = this.lw; c < j.length; c++) j[c] = m === null ? null : m[c - this.lw];
    return j;
  }

  private matches(row: readonly Datum[], m: readonly Datum[]): boolean {
    if (this.condition === null) return true;
    try {
      return this.condition(this.concat(row, m)) === true;
    } catch (e) {
      (this.options.errors ?? defaultErrorReporter).report('temporal join condition', e);
      return false;
    }
  }
}
