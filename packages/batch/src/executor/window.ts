/**
 * Window functions over one window specification (PARTITION BY … ORDER BY …). Rows are
 * materialized, grouped into partitions and sorted; each call appends one column.
 *
 * Aggregates and first_value/last_value see their frame (window-frame.ts): the SQL
 * default reaches the current row's last peer with ORDER BY and covers the whole
 * partition without; explicit ROWS / RANGE / GROUPS frames and EXCLUDE are honoured.
 * Ranking functions and lag/lead ignore frames, as in SQL.
 *
 * After the input is consumed, sorting (pausing-sort.ts), computing and emitting still
 * yield PAUSE whenever the time slice is used up: a big partition stays cancellable.
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import { type OrderKey, tupleComparator } from '../compare';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, type Pause, shouldPause } from '../executor';
import { sortPausing } from '../pausing-sort';
import { type HashKey, rowKeyFn } from '../keys';
import { DEFAULT_FRAME, type PeerGroups, type WindowFrame, excludedFrom, frameRanges, peerGroups } from './window-frame';

export type WindowCallSpec =
  | { kind: 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' }
  | { kind: 'ntile'; buckets: Evaluator }
  | { kind: 'lag' | 'lead'; arg: Evaluator; offset: Evaluator | null; default: Evaluator | null }
  | { kind: 'first_value' | 'last_value'; arg: Evaluator; frame?: WindowFrame }
  | {
      kind: 'agg';
      impl: AggImpl;
      args: Evaluator[];
      filter: Evaluator | null;
      /** Undefined: the default frame. */
      frame?: WindowFrame;
    };

interface Item {
  row: Row;
  order: Datum[];
}

type Computing = Generator<Pause, Datum[], undefined>;

/** Rows between pause checks in the compute loops. */
const CHECK_EVERY = 1024;

export class WindowExecutor implements Executor {
  readonly name = 'BatchOverWindow';
  constructor(
    private readonly child: Executor,
    private readonly partitionBy: readonly Evaluator[],
    private readonly partitionTypes: readonly DataType[],
    private readonly orderBy: readonly { eval: Evaluator; key: OrderKey }[],
    private readonly calls: readonly WindowCallSpec[],
    private readonly rt: ExecRuntime,
  ) {}

  /** True every CHECK_EVERY rows once the time slice is used up. */
  private due(i: number): boolean {
    return i % CHECK_EVERY === CHECK_EVERY - 1 && shouldPause(this.rt);
  }

  *execute(): ChunkStream {
    const parts = new Map<HashKey, Item[]>();
    const keyOf = rowKeyFn(this.partitionTypes);
    const np = this.partitionBy.length;
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (const row of chunk) {
        let k: HashKey = 0;
        if (np > 0) {
          const kv = new Array(np);
          for (let i = 0; i < np; i++) kv[i] = this.partitionBy[i](row);
          k = keyOf(kv);
        }
        const item = { row, order: this.orderBy.map((o) => o.eval(row)) };
        const p = parts.get(k);
        if (p) p.push(item);
        else parts.set(k, [item]);
      }
    }
    const cmp = tupleComparator(this.orderBy.map((o) => o.key));
    let out: Row[] = [];
    for (const items of parts.values()) {
      if (this.orderBy.length > 0) yield* sortPausing(items, (a, b) => cmp(a.order, b.order), this.rt);
      const peers = peerGroups(items.length, (i, j) => this.orderBy.length === 0 || cmp(items[i].order, items[j].order) === 0);
      const results: Datum[][] = [];
      for (const c of this.calls) results.push(yield* this.compute(c, items, peers));
      for (let i = 0; i < items.length; i++) {
        const o = items[i].row.slice();
        for (const r of results) o.push(r[i]);
        out.push(o);
        if (out.length >= CHUNK_SIZE) {
          yield out;
          out = [];
          if (shouldPause(this.rt)) yield PAUSE;
        }
      }
    }
    if (out.length > 0) yield out;
  }

  private *compute(c: WindowCallSpec, items: Item[], peers: PeerGroups): Computing {
    const n = items.length;
    const res: Datum[] = new Array(n);
    switch (c.kind) {
      case 'row_number':
        for (let i = 0; i < n; i++) {
          res[i] = BigInt(i + 1);
          if (this.due(i)) yield PAUSE;
        }
        return res;
      case 'rank':
      case 'dense_rank':
      case 'percent_rank':
      case 'cume_dist': {
        const { groupOf, groupStart } = peers;
        for (let i = 0; i < n; i++) {
          const g = groupOf[i];
          const rank = groupStart[g] + 1;
          if (c.kind === 'rank') res[i] = BigInt(rank);
          else if (c.kind === 'dense_rank') res[i] = BigInt(g + 1);
          else if (c.kind === 'percent_rank') res[i] = n > 1 ? (rank - 1) / (n - 1) : 0;
          else res[i] = groupStart[g + 1] / n;
          if (this.due(i)) yield PAUSE;
        }
        return res;
      }
      case 'ntile': {
        const b = c.buckets(items[0]?.row ?? []);
        const buckets = b === null ? 1 : Number(b);
        const base = Math.floor(n / buckets);
        const extra = n % buckets;
        let i = 0;
        for (let bucket = 1; bucket <= buckets && i < n; bucket++) {
          const size = base + (bucket <= extra ? 1 : 0);
          for (let k = 0; k < size && i < n; k++) res[i++] = bucket;
        }
        return res;
      }
      case 'lag':
      case 'lead':
        for (let i = 0; i < n; i++) {
          const row = items[i].row;
          const off = c.offset ? c.offset(row) : 1;
          if (off === null) {
            res[i] = null;
            continue;
          }
          const j = c.kind === 'lag' ? i - Number(off) : i + Number(off);
          res[i] = j >= 0 && j < n ? c.arg(items[j].row) : c.default ? c.default(row) : null;
          if (this.due(i)) yield PAUSE;
        }
        return res;
      case 'first_value':
      case 'last_value': {
        const frame = c.frame ?? DEFAULT_FRAME;
        const { lo, hi } = frameRanges(frame, n, peers);
        const first = c.kind === 'first_value';
        for (let i = 0; i < n; i++) {
          let j = first ? lo[i] : hi[i];
          const step = first ? 1 : -1;
          while (j >= lo[i] && j <= hi[i] && excludedFrom(frame, peers, i, j)) j += step;
          res[i] = j >= lo[i] && j <= hi[i] ? c.arg(items[j].row) : null;
          if (this.due(i)) yield PAUSE;
        }
        return res;
      }
      case 'agg':
        return yield* this.aggregate(c, items, peers);
    }
  }

  private *aggregate(c: Extract<WindowCallSpec, { kind: 'agg' }>, items: Item[], peers: PeerGroups): Computing {
    const n = items.length;
    const res: Datum[] = new Array(n);
    const argsOf = (row: Row): Datum[] | null => {
      if (c.filter && c.filter(row) !== true) return null;
      return c.args.map((a) => a(row));
    };
    const frame = c.frame ?? DEFAULT_FRAME;
    const { lo, hi } = frameRanges(frame, n, peers);
    if (frame.start.kind === 'unbounded' && frame.exclude === 'no_others') {
      // Frames grow monotonically from the partition start: one running state.
      const st = c.impl.create();
      let added = 0;
      for (let i = 0; i < n; i++) {
        for (; added <= hi[i]; added++) {
          const a = argsOf(items[added].row);
          if (a) st.add(a);
        }
        res[i] = st.result();
        if (this.due(i)) yield PAUSE;
      }
      return res;
    }
    for (let i = 0; i < n; i++) {
      const st = c.impl.create();
      for (let j = lo[i]; j <= hi[i]; j++) {
        if (excludedFrom(frame, peers, i, j)) continue;
        const a = argsOf(items[j].row);
        if (a) st.add(a);
      }
      res[i] = st.result();
      // Each row may scan its whole frame: check every row.
      if (shouldPause(this.rt)) yield PAUSE;
    }
    return res;
  }
}
