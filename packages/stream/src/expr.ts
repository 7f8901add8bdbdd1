/**
 * Expressions as stream executors evaluate them: a whole column per chunk. The planner can
 * hand over either the built-ins here (input refs, literals, calls of resolved scalar
 * functions) or any row evaluator it already compiles for the batch engine, wrapped in
 * `RowFnExpr`, which feeds it one reused scratch row per visible row.
 *
 * Every implementation returns one value per *physical* row; rows that are invisible may
 * hold anything (NULL here), so callers must keep honouring the chunk's visibility.
 * A row whose evaluation throws gets NULL and the error goes to the reporter (a bad row
 * must not stop the stream).
 */
import { Column, ColumnBuilder, type DataChunk, type DataType, type Datum, type Row, type StreamChunk } from '@freshet/common';
import type { EvalContext, ScalarImpl } from '@freshet/expr';
import { type EvalErrorReporter, defaultErrorReporter } from './eval-errors';

export type ChunkLike = StreamChunk | DataChunk;

export interface StreamExpr {
  readonly returnType: DataType;
  eval(chunk: ChunkLike): Column;
  /** The input column this expression merely forwards, or -1 (lets Project map watermarks). */
  readonly inputIndex: number;
}

function capacityOf(chunk: ChunkLike): number {
  return chunk.capacity;
}

/** Column `index` of the input, unchanged (no copy). */
export class InputRef implements StreamExpr {
  constructor(
    readonly inputIndex: number,
    readonly returnType: DataType,
  ) {}
  eval(chunk: ChunkLike): Column {
    return chunk.columns[this.inputIndex];
  }
}

export class Literal implements StreamExpr {
  readonly inputIndex = -1;
  private cached: Column | null = null;
  constructor(
    readonly returnType: DataType,
    readonly value: Datum,
  ) {}
  eval(chunk: ChunkLike): Column {
    const n = capacityOf(chunk);
    const c = this.cached;
    if (c !== null && c.length === n) return c;
    // Chunk sizes vary (barrier flushes emit small chunks): keep the largest column built
    // and hand out shorter views of it rather than rebuilding for every new size.
    if (c !== null && c.length > n) return new Column(c.type, c.values, c.nulls, n);
    const b = new ColumnBuilder(this.returnType, n);
    for (let i = 0; i < n; i++) b.push(this.value);
    this.cached = b.finish();
    return this.cached;
  }
}

/** A resolved scalar function over argument expressions. */
export class ScalarCall implements StreamExpr {
  readonly inputIndex = -1;
  readonly returnType: DataType;
  private readonly args: Datum[];
  constructor(
    readonly impl: ScalarImpl,
    readonly argExprs: readonly StreamExpr[],
    readonly ctx: EvalContext,
    private readonly errors: EvalErrorReporter = defaultErrorReporter,
  ) {
    this.returnType = impl.returnType;
    this.args = new Array(argExprs.length);
    this.cols = new Array(argExprs.length);
  }
  private readonly cols: Column[];
  eval(chunk: ChunkLike): Column {
    const n = capacityOf(chunk);
    const cols = this.cols;
    for (let j = 0; j < cols.length; j++) cols[j] = this.argExprs[j].eval(chunk);
    const b = new ColumnBuilder(this.returnType, n);
    const args = this.args;
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) {
        b.push(null);
        continue;
      }
      for (let j = 0; j < cols.length; j++) args[j] = cols[j].get(i);
      let v: Datum;
      try {
        v = this.impl.eval(args, this.ctx);
      } catch (e) {
        this.errors.report(this.impl.name, e);
        v = null;
      }
      b.push(v);
    }
    return b.finish();
  }
}

/** A scalar function that can take many rows per call (JavaScript UDFs: one sandbox entry per chunk). */
export interface BatchScalarImpl extends ScalarImpl {
  evalBatch(rows: Datum[][], ctx: EvalContext): Datum[];
}

/**
 * A call of a BatchScalarImpl: the visible rows' arguments go in one `evalBatch` per chunk.
 * If the batch fails, the rows are evaluated one by one, so only the failing rows get NULL
 * (and are reported), as with ScalarCall.
 */
export class BatchScalarCall implements StreamExpr {
  readonly inputIndex = -1;
  readonly returnType: DataType;
  constructor(
    readonly impl: BatchScalarImpl,
    readonly argExprs: readonly StreamExpr[],
    readonly ctx: EvalContext,
    private readonly errors: EvalErrorReporter = defaultErrorReporter,
  ) {
    this.returnType = impl.returnType;
  }
  eval(chunk: ChunkLike): Column {
    const n = capacityOf(chunk);
    const cols = this.argExprs.map((a) => a.eval(chunk));
    const vis = chunk.visibility;
    const rows: Datum[][] = [];
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) continue;
      rows.push(cols.map((c) => c.get(i)));
      at.push(i);
    }
    let values: Datum[];
    try {
      values = this.impl.evalBatch(rows, this.ctx);
    } catch {
      values = rows.map((args) => {
        try {
          return this.impl.eval(args, this.ctx);
        } catch (e) {
          this.errors.report(this.impl.name, e);
          return null;
        }
      });
    }
    const out: Datum[] = new Array(n).fill(null);
    for (let k = 0; k < at.length; k++) out[at[k]] = values[k];
    const b = new ColumnBuilder(this.returnType, n);
    for (let i = 0; i < n; i++) b.push(out[i]);
    return b.finish();
  }
}

/**
 * Adapts a row-at-a-time evaluator (e.g. the batch engine's compiled expressions). The
 * scratch row is reused, so the evaluator must not keep a reference to it.
 *
 * Only the columns the expression reads (`inputs`) are copied into the scratch row: the
 * others stay undefined. Reading a cell is not free — an int64 cell becomes a new BigInt
 * — and a projection like `event_type = 'click'` over a five-column chunk would otherwise
 * box every id column of every row for nothing.
 */
export class RowFnExpr implements StreamExpr {
  readonly inputIndex = -1;
  private scratch: Row = [];
  constructor(
    readonly returnType: DataType,
    readonly fn: (row: Row) => Datum,
    /** The input columns `fn` reads (undefined: all of them). */
    private readonly inputs?: readonly number[],
    private readonly errors: EvalErrorReporter = defaultErrorReporter,
  ) {}
  eval(chunk: ChunkLike): Column {
    const n = capacityOf(chunk);
    const cols = chunk.columns;
    const row = this.scratch;
    row.length = cols.length;
    const inputs = this.inputs ?? cols.map((_, j) => j);
    const b = new ColumnBuilder(this.returnType, n);
    const vis = chunk.visibility;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) {
        b.push(null);
        continue;
      }
      for (let k = 0; k < inputs.length; k++) {
        const j = inputs[k];
        row[j] = cols[j].get(i);
      }
      let v: Datum;
      try {
        v = this.fn(row);
      } catch (e) {
        this.errors.report('expression', e);
        v = null;
      }
      b.push(v);
    }
    return b.finish();
  }
}

/** A predicate over a whole row as join conditions need it (left ++ right); NULL is false. */
export type RowPredicate = (row: Row) => Datum;

/** True when the boolean column holds TRUE at `i` (NULL and FALSE are both "no"). */
export function isTrue(col: Column, i: number): boolean {
  return (col.nulls === null || col.nulls[i] === 0) && (col.values as Uint8Array)[i] === 1;
}

export { Column };
