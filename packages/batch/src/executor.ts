/**
 * The batch executor contract. Executors are synchronous generators of row chunks: a
 * whole plan runs without an `await` per row, and subqueries can be evaluated inline from
 * an expression. Long-running leaves (scans) periodically yield the PAUSE marker instead
 * of a chunk; every operator forwards it upward, and the async driver at the root uses it
 * to give the event loop a turn (so a CancelRequest can be read) and to check for
 * cancellation. Operators that must consume all input before producing (sort, hash agg,
 * hash join build) forward PAUSE while consuming, so they stay interruptible too, and
 * yield PAUSE themselves (`shouldPause`) in long phases where no leaf runs: sorting,
 * window computation, emitting. Correlated subqueries run as nested plans inside an
 * ApplyExecutor (executor/apply.ts), so their PAUSEs reach the driver as well.
 */
import type { Datum, Row } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';

/** Rows per chunk. */
export const CHUNK_SIZE = 1024;

/** Marker yielded instead of a chunk: "let the event loop run, then pull again". */
export const PAUSE: unique symbol = Symbol('pause');
export type Pause = typeof PAUSE;
export type Chunk = Row[];
export type ChunkStream = Generator<Chunk | Pause, void, undefined>;

export interface Executor {
  /** Short operator name for EXPLAIN-like output and errors (`BatchHashJoin`). */
  readonly name: string;
  execute(): ChunkStream;
}

/** Cooperative cancellation as the session provides it. */
export interface Cancellation {
  readonly cancelled: boolean;
  throwIfCancelled(): void;
}

/**
 * Per-execution mutable state shared by an executor tree and its compiled expressions:
 * parameter values, the stack of outer rows for correlated subqueries, and the
 * statement-wide evaluation context (time zone, statement start time).
 */
export interface ExecRuntime {
  params: Datum[];
  /** Outer rows of enclosing queries, innermost last (correlated subquery evaluation). */
  outer: Row[];
  evalCtx: EvalContext;
  cancel: Cancellation;
  /** Set by leaves: the time (ms) when the plan last gave the event loop a turn. */
  lastYield: number;
  /**
   * Set by a leaf before it yields PAUSE when it waits for a disk read (a scan of an MV
   * partly in memory): the async driver awaits it instead of one event-loop turn.
   */
  wait?: Promise<void> | null;
}

/** How long a plan may run (ms) before a leaf yields PAUSE. */
export const YIELD_INTERVAL_MS = 10;

/** A compiled scalar expression over an input row. */
export type Evaluator = (row: Row) => Datum;

export function newRuntime(params: Datum[], evalCtx: EvalContext, cancel: Cancellation): ExecRuntime {
  return { params, outer: [], evalCtx, cancel, lastYield: performance.now() };
}

/** True when a leaf should yield PAUSE now. Cheap enough to call once per chunk. */
export function shouldPause(rt: ExecRuntime): boolean {
  return performance.now() - rt.lastYield >= YIELD_INTERVAL_MS;
}
