/**
 * Window functions under EMIT ON WINDOW CLOSE (RisingWave's EowcOverWindow), for
 * `OVER (PARTITION BY … ORDER BY ts)` where `ts` carries a watermark and every frame ends at
 * the current row. The input is an EowcSortExecutor's output: final rows, released in `ts`
 * order, all peers (equal `ts`) of a partition in the same epoch. So each row's window
 * values depend only on rows already seen: this executor keeps a small running state per
 * partition (row count, rank, lag buffers, running or sliding aggregates), appends the
 * values to each row and emits it once, as an Insert.
 *
 * Rows are buffered until the barrier and processed then, so peers split across chunks
 * still form one peer group (RANGE frames and rank() need the whole group). The running
 * state is in memory: a restarted job rebuilds it from its backfill like every MV.
 */
import { type DataType, type Datum, Op, type Row, type StreamChunk, StreamChunkBuilder, compareDatum, encodeKeyString } from '@freshet/common';
import type { AggImpl, AggState } from '@freshet/expr';
import type { Watermark } from '../message';
import type { StateTable } from '../state/state-table';
import { StatefulExecutor } from './executor';

/** Which rows an aggregate sees: from the partition's start to the current peer group / row, or the last `rows` + 1 rows. */
export type EowcFrame = { readonly kind: 'range_running' } | { readonly kind: 'rows_running' } | { readonly kind: 'rows'; readonly preceding: number };

export type EowcWindowCall =
  | { readonly kind: 'row_number' | 'rank' | 'dense_rank' }
  | { readonly kind: 'lag'; readonly arg: number; readonly offset: number; readonly default: Datum }
  | { readonly kind: 'first_value'; readonly arg: number }
  | { readonly kind: 'agg'; readonly impl: AggImpl; readonly args: readonly number[]; readonly filter: number | null; readonly frame: EowcFrame };

export interface EowcOverWindowOptions {
  readonly types: readonly DataType[];
  readonly partitionBy: readonly number[];
  /** The ORDER BY column (ascending), the one carrying the watermark. */
  readonly orderColumn: number;
  readonly calls: readonly EowcWindowCall[];
  /** Output type of each call, in order. */
  readonly callTypes: readonly DataType[];
  readonly chunkSize?: number;
}

interface PartitionState {
  rows: number;
  rank: number;
  dense: number;
  /** Per call: lag buffer, running AggState, sliding window of arg tuples, or the first value. */
  readonly perCall: unknown[];
}

export class EowcOverWindowExecutor extends StatefulExecutor {
  readonly name = 'StreamEowcOverWindow';
  readonly types: readonly DataType[];
  private readonly partitions = new Map<string, PartitionState>();
  private readonly builder: StreamChunkBuilder;
  private readonly partitionTypes: DataType[];
  private buffered: Row[] = [];

  constructor(private readonly options: EowcOverWindowOptions) {
    super();
    this.types = [...options.types, ...options.callTypes];
    this.partitionTypes = options.partitionBy.map((c) => options.types[c]);
    this.builder = new StreamChunkBuilder(this.types, options.chunkSize);
  }

  /** Partitions with running state (tests, metrics). */
  get partitionCount(): number {
    return this.partitions.size;
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    const vis = chunk.visibility;
    // The input is append-only (an eowc sort's output): only inserts arrive.
    for (let i = 0; i < n; i++) if ((vis === null || vis[i] === 1) && chunk.ops[i] === Op.Insert) this.buffered.push(chunk.row(i));
  }

  /** Computes and emits the rows buffered in this epoch, partition by partition, in order. */
  flush(): void {
    const rows = this.buffered;
    if (rows.length === 0) return;
    this.buffered = [];
    const byPartition = new Map<string, Row[]>();
    const pb = this.options.partitionBy;
    for (const row of rows) {
      const key = encodeKeyString(this.partitionTypes, pb.map((c) => row[c]));
      const list = byPartition.get(key);
      if (list) list.push(row);
      else byPartition.set(key, [row]);
    }
    for (const [key, list] of byPartition) this.emitPartition(this.partition(key), list);
    this.emit(this.builder.take());
  }

  stateTables(): readonly StateTable[] {
    return [];
  }

  /** The order column's watermark passes after the rows it released (they are out by then). */
  protected override onWatermark(w: Watermark): void {
    if (w.column === this.options.orderColumn) this.pendingWatermarks.push(w);
  }

  private partition(key: string): PartitionState {
    let p = this.partitions.get(key);
    if (!p) {
      p = { rows: 0, rank: 0, dense: 0, perCall: this.options.calls.map((c) => (c.kind === 'agg' && c.frame.kind !== 'rows' ? c.impl.create() : c.kind === 'first_value' ? undefined : [])) };
      this.partitions.set(key, p);
    }
    return p;
  }

  private emitPartition(p: PartitionState, rows: Row[]): void {
    const { calls, orderColumn } = this.options;
    const orderType = this.options.types[orderColumn];
    const width = this.options.types.length;
    for (let g = 0; g < rows.length; ) {
      // One peer group: rows with equal ORDER BY values.
      let end = g + 1;
      while (end < rows.length && compareDatum(orderType, rows[end][orderColumn], rows[g][orderColumn]) === 0) end++;
      const rankOfGroup = p.rows + 1;
      p.dense++;
      const outs: Datum[][] = [];
      for (let r = g; r < end; r++) outs.push(new Array<Datum>(calls.length));
      for (let c = 0; c < calls.length; c++) {
        const call = calls[c];
        const st = p.perCall[c];
        for (let r = g; r < end; r++) {
          const row = rows[r];
          const out = outs[r - g];
          switch (call.kind) {
            case 'row_number':
              out[c] = BigInt(p.rows + 1 + (r - g));
              break;
            case 'rank':
              out[c] = BigInt(rankOfGroup);
              break;
            case 'dense_rank':
              out[c] = BigInt(p.dense);
              break;
            case 'lag': {
              const buf = st as Datum[];
              out[c] = call.offset === 0 ? row[call.arg] : buf.length >= call.offset ? buf[buf.length - call.offset] : call.default;
              buf.push(row[call.arg]);
              if (buf.length > call.offset) buf.shift();
              break;
            }
            case 'first_value':
              if (p.perCall[c] === undefined) p.perCall[c] = row[call.arg];
              out[c] = p.perCall[c] as Datum;
              break;
            case 'agg':
              out[c] = this.aggregate(call, st, row);
              break;
          }
        }
        // RANGE: every peer sees the whole group, so the results are read after adding all.
        if (call.kind === 'agg' && call.frame.kind === 'range_running') {
          const v = (st as AggState).result();
          for (const out of outs) out[c] = v;
        }
      }
      for (let r = g; r < end; r++) {
        const row = rows[r];
        const o = outs[r - g];
        const full: Datum[] = new Array(width + calls.length);
        for (let j = 0; j < width; j++) full[j] = row[j];
        for (let j = 0; j < calls.length; j++) full[width + j] = o[j];
        this.emit(this.builder.append(Op.Insert, full));
      }
      p.rows += end - g;
      g = end;
    }
  }

  /** Folds `row` into an aggregate call's state; the row's result for ROWS frames. */
  private aggregate(call: Extract<EowcWindowCall, { kind: 'agg' }>, st: unknown, row: Row): Datum {
    const args = call.args.map((a) => row[a]);
    const counted = call.filter === null || row[call.filter] === true;
    if (call.frame.kind !== 'rows') {
      if (counted) (st as AggState).add(args);
      return call.frame.kind === 'rows_running' ? (st as AggState).result() : null;
    }
    // ROWS n PRECEDING: the last n + 1 rows (those filtered out hold a slot but add nothing).
    const window = st as (Datum[] | null)[];
    window.push(counted ? args : null);
    if (window.length > call.frame.preceding + 1) window.shift();
    const s = call.impl.create();
    for (const a of window) if (a !== null) s.add(a);
    return s.result();
  }
}
