/**
 * Correlated subqueries evaluated inside the executor tree. A correlated subquery's plan
 * must run once per outer row (memoized by the frontend per distinct correlation values);
 * run from inside an expression it could only be drained synchronously, blocking the
 * event loop and ignoring cancellation for as long as it takes.
 *
 * `ApplyExecutor` instead owns the per-row evaluation of a filter or projection whose
 * expressions hold such subqueries. Expression evaluation stays synchronous and lazy: a
 * compiled subquery asks its `CorrelatedSubplan` for the rows of the current outer row;
 * if they have not been computed, the subplan throws its (preallocated) `SubplanNeeded`
 * signal, the Apply runs the subplan as a nested generator — forwarding PAUSE, so the
 * driver at the root keeps giving the event loop turns and checking cancellation — and
 * evaluates the row again, which now finds the rows. Only subqueries an evaluation
 * actually reaches are run (CASE branches not taken, short-circuited AND/OR), exactly as
 * with inline evaluation; re-evaluating a row is cheap next to running a plan.
 */
import type { Row } from '@freshet/common';
import { CHUNK_SIZE, type ChunkStream, type ExecRuntime, type Executor, PAUSE, type Pause, shouldPause } from '../executor';

/** Thrown by `CorrelatedSubplan.rowsFor` when its rows for the current row are not known yet. */
export class SubplanNeeded {
  constructor(readonly subplan: CorrelatedSubplan) {}
}

/** One correlated subquery's plan, run by the enclosing ApplyExecutor on demand. */
export class CorrelatedSubplan {
  private readonly signal = new SubplanNeeded(this);
  /** The outer row `rows` were computed for (identity), valid until the Apply clears it. */
  private row: Row | null = null;
  private rows: Row[] | null = null;

  constructor(
    private readonly exec: Executor,
    /** Rows needed: 2 for a scalar subquery (to detect a second row), 1 for EXISTS. */
    private readonly limit: number,
    private readonly rt: ExecRuntime,
  ) {}

  /** The subplan's rows for outer row `row`; throws SubplanNeeded if not run for it yet. */
  rowsFor(row: Row): Row[] {
    if (this.row === row && this.rows !== null) return this.rows;
    throw this.signal;
  }

  /** Runs the plan with `row` as the innermost outer row; PAUSE is passed through. */
  *run(row: Row): Generator<Pause, void, undefined> {
    const rows: Row[] = [];
    const limit = this.limit;
    this.rt.outer.push(row);
    try {
      if (limit > 0) {
        outer: for (const c of this.exec.execute()) {
          if (c === PAUSE) {
            yield PAUSE;
            continue;
          }
          for (let i = 0; i < c.length; i++) {
            rows.push(c[i]);
            if (rows.length >= limit) break outer;
          }
        }
      }
    } finally {
      this.rt.outer.pop();
    }
    this.row = row;
    this.rows = rows;
  }

  /** Forgets the rows (the outer row object may be reused for other values later). */
  clear(): void {
    this.row = null;
    this.rows = null;
  }
}

/**
 * Applies `fn` to every input row — a filter (returns the row or null) or a projection
 * (returns the output row) — running the correlated subplans its evaluation asks for.
 */
export class ApplyExecutor implements Executor {
  readonly name = 'BatchApply';
  constructor(
    private readonly child: Executor,
    /** The row's output, or null to drop it. May throw SubplanNeeded. */
    private readonly fn: (row: Row) => Row | null,
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    const fn = this.fn;
    const rt = this.rt;
    const ran: CorrelatedSubplan[] = [];
    let out: Row[] = [];
    for (const chunk of this.child.execute()) {
      if (chunk === PAUSE) {
        yield chunk;
        continue;
      }
      for (let i = 0; i < chunk.length; i++) {
        const row = chunk[i];
        let res: Row | null;
        try {
          for (;;) {
            let need: CorrelatedSubplan;
            try {
              res = fn(row);
              break;
            } catch (e) {
              if (!(e instanceof SubplanNeeded)) throw e;
              need = e.subplan;
            }
            ran.push(need);
            yield* need.run(row);
            // Subplans that finish quickly never reach a leaf's pause check: check here.
            if (shouldPause(rt)) yield PAUSE;
          }
        } finally {
          for (let j = 0; j < ran.length; j++) ran[j].clear();
          ran.length = 0;
        }
        if (res !== null) {
          out.push(res);
          if (out.length >= CHUNK_SIZE) {
            yield out;
            out = [];
          }
        }
      }
      if (out.length > 0) {
        yield out;
        out = [];
      }
    }
  }
}
