/**
 * Window functions over one window specification (PARTITION BY … ORDER BY …). Rows are
 * materialized, grouped into partitions and sorted; each call appends one column.
 *
 * Frames: the SQL default. With ORDER BY an aggregate covers the partition from its
 * start through the current row's last peer; without ORDER BY it covers the whole
 * partition. `ROWS BETWEEN n PRECEDING AND m FOLLOWING` style frames are supported for
 * aggregates via `rowsFrame`.
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import { type OrderKey, tupleComparator } from '../compare';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type Executor, PAUSE } from '../executor';
import { type HashKey, rowKeyFn } from '../keys';

export type WindowCallSpec =
  | { kind: 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' }
  | { kind: 'ntile'; buckets: Evaluator }
  | { kind: 'lag' | 'lead'; arg: Evaluator; offset: Evaluator | null; default: Evaluator | null }
  | { kind: 'first_value' | 'last_value'; arg: Evaluator }
  | {
      kind: 'agg';
      impl: AggImpl;
      args: Evaluator[];
      filter: Evaluator | null;
      /** ROWS frame bounds relative to the current row (null = unbounded); undefined = default frame. */
      rowsFrame?: { start: number | null; end: number | null };
    };

interface Item {
  row: Row;
  order: Datum[];
}

export class WindowExecutor implements Executor {
  readonly name = 'BatchOverWindow';
  constructor(
    private readonly child: Executor,
    private readonly partitionBy: readonly Evaluator[],
    private readonly partitionTypes: readonly DataType[],
    private readonly orderBy: readonly { eval: Evaluator; key: OrderKey }[],
    private readonly calls: readonly WindowCallSpec[],
  ) {}

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
      if (this.orderBy.length > 0) items.sort((a, b) => cmp(a.order, b.order));
      const results = this.calls.map((c) => this.compute(c, items, cmp));
      for (let i = 0; i < items.length; i++) {
        const o = items[i].row.slice();
        for (const r of results) o.push(r[i]);
        out.push(o);
        if (out.length >= CHUNK_SIZE) {
          yield out;
          out = [];
        }
      }
    }
    if (out.length > 0) yield out;
  }

  /** Index of the last peer of each row (rows with equal ORDER BY values). */
  private peerEnds(items: Item[], cmp: (a: Datum[], b: Datum[]) => number): Int32Array {
    const ends = new Int32Array(items.length);
    let i = items.length - 1;
    while (i >= 0) {
      let j = i;
      while (j > 0 && cmp(items[j - 1].order, items[i].order) === 0) j--;
      for (let k = j; k <= i; k++) ends[k] = i;
      i = j - 1;
    }
    return ends;
  }

  private compute(c: WindowCallSpec, items: Item[], cmp: (a: Datum[], b: Datum[]) => number): Datum[] {
    const n = items.length;
    const res: Datum[] = new Array(n);
    const ordered = this.orderBy.length > 0;
    switch (c.kind) {
      case 'row_number':
        for (let i = 0; i < n; i++) res[i] = BigInt(i + 1);
        return res;
      case 'rank':
      case 'dense_rank':
      case 'percent_rank':
      case 'cume_dist': {
        const ends = this.peerEnds(items, cmp);
        let rank = 1;
        let dense = 1;
        for (let i = 0; i < n; i++) {
          if (i > 0 && cmp(items[i - 1].order, items[i].order) !== 0) {
            rank = i + 1;
            dense++;
          }
          if (c.kind === 'rank') res[i] = BigInt(rank);
          else if (c.kind === 'dense_rank') res[i] = BigInt(dense);
          else if (c.kind === 'percent_rank') res[i] = n > 1 ? (rank - 1) / (n - 1) : 0;
          else res[i] = (ends[i] + 1) / n;
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
        }
        return res;
      case 'first_value':
      case 'last_value': {
        const ends = ordered ? this.peerEnds(items, cmp) : null;
        for (let i = 0; i < n; i++) {
          const j = c.kind === 'first_value' ? 0 : ends ? ends[i] : n - 1;
          res[i] = n > 0 ? c.arg(items[j].row) : null;
        }
        return res;
      }
      case 'agg':
        return this.aggregate(c, items, cmp);
    }
  }

  private aggregate(c: Extract<WindowCallSpec, { kind: 'agg' }>, items: Item[], cmp: (a: Datum[], b: Datum[]) => number): Datum[] {
    const n = items.length;
    const res: Datum[] = new Array(n);
    const argsOf = (row: Row): Datum[] | null => {
      if (c.filter && c.filter(row) !== true) return null;
      return c.args.map((a) => a(row));
    };
    if (c.rowsFrame) {
      const { start, end } = c.rowsFrame;
      for (let i = 0; i < n; i++) {
        const st = c.impl.create();
        const lo = start === null ? 0 : Math.max(0, i + start);
        const hi = end === null ? n - 1 : Math.min(n - 1, i + end);
        for (let j = lo; j <= hi; j++) {
          const a = argsOf(items[j].row);
          if (a) st.add(a);
        }
        res[i] = st.result();
      }
      return res;
    }
    const st = c.impl.create();
    if (this.orderBy.length === 0) {
      for (const it of items) {
        const a = argsOf(it.row);
        if (a) st.add(a);
      }
      const v = st.result();
      res.fill(v);
      return res;
    }
    const ends = this.peerEnds(items, cmp);
    let i = 0;
    while (i < n) {
      const e = ends[i];
      for (let j = i; j <= e; j++) {
        const a = argsOf(items[j].row);
        if (a) st.add(a);
      }
      const v = st.result();
      for (let j = i; j <= e; j++) res[j] = v;
      i = e + 1;
    }
    return res;
  }
}
