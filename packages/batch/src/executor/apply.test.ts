import type { Row } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { type ChunkStream, type ExecRuntime, type Executor, PAUSE, newRuntime } from '../executor';
import { ApplyExecutor, CorrelatedSubplan } from './apply';

const never = { cancelled: false, throwIfCancelled() {} };
const rtOf = (): ExecRuntime => newRuntime([], { timeZone: 'UTC', now: 0 }, never);

/** Yields `rows` one chunk each, with PAUSE between chunks. */
class RowsExecutor implements Executor {
  readonly name = 'Rows';
  constructor(private readonly rows: Row[]) {}
  *execute(): ChunkStream {
    for (const r of this.rows) {
      yield [r];
      yield PAUSE;
    }
  }
}

/** A correlated subplan: the numbers 1..n where n is the outer row's first column. */
class SeriesToOuter implements Executor {
  readonly name = 'SeriesToOuter';
  runs = 0;
  constructor(private readonly rt: ExecRuntime) {}
  *execute(): ChunkStream {
    this.runs++;
    const n = this.rt.outer[this.rt.outer.length - 1][0] as number;
    for (let i = 1; i <= n; i++) {
      yield [[i]];
      yield PAUSE;
    }
  }
}

function drain(exec: Executor): { rows: Row[]; pauses: number } {
  const rows: Row[] = [];
  let pauses = 0;
  for (const c of exec.execute()) {
    if (c === PAUSE) pauses++;
    else rows.push(...c);
  }
  return { rows, pauses };
}

describe('ApplyExecutor', () => {
  it('runs the subplan per outer row, forwarding its PAUSEs', () => {
    const rt = rtOf();
    const inner = new SeriesToOuter(rt);
    const sub = new CorrelatedSubplan(inner, Infinity, rt);
    const apply = new ApplyExecutor(new RowsExecutor([[1], [3], [0]]), (row) => [row[0], sub.rowsFor(row).length], rt);
    const { rows, pauses } = drain(apply);
    expect(rows).toEqual([
      [1, 1],
      [3, 3],
      [0, 0],
    ]);
    // 3 from the outer input, 1 + 3 from the subplan runs.
    expect(pauses).toBeGreaterThanOrEqual(7);
    expect(inner.runs).toBe(3);
    expect(rt.outer).toEqual([]);
  });

  it('stops a subplan at its row limit', () => {
    const rt = rtOf();
    const sub = new CorrelatedSubplan(new SeriesToOuter(rt), 2, rt);
    const apply = new ApplyExecutor(new RowsExecutor([[5]]), (row) => [sub.rowsFor(row).length], rt);
    expect(drain(apply).rows).toEqual([[2]]);
    expect(rt.outer).toEqual([]);
  });

  it('runs only the subplans an evaluation reaches, and filters on null', () => {
    const rt = rtOf();
    const a = new SeriesToOuter(rt);
    const b = new SeriesToOuter(rt);
    const subA = new CorrelatedSubplan(a, Infinity, rt);
    const subB = new CorrelatedSubplan(b, Infinity, rt);
    // Keep rows with an odd value whose series has more than 2 rows (b only for odd rows).
    const apply = new ApplyExecutor(new RowsExecutor([[1], [2], [3], [4], [5]]), (row) => {
      if (subA.rowsFor(row).length % 2 === 0) return null;
      return subB.rowsFor(row).length > 2 ? row : null;
    }, rt);
    expect(drain(apply).rows).toEqual([[3], [5]]);
    expect(a.runs).toBe(5);
    expect(b.runs).toBe(3);
  });

  it('never reuses rows computed for an earlier outer row with the same identity', () => {
    const rt = rtOf();
    const shared: Row = [2];
    const inner = new SeriesToOuter(rt);
    const sub = new CorrelatedSubplan(inner, Infinity, rt);
    const apply = new ApplyExecutor(new RowsExecutor([shared, shared]), (row) => [sub.rowsFor(row).length], rt);
    expect(drain(apply).rows).toEqual([[2], [2]]);
    expect(inner.runs).toBe(2);
  });

  it('restores the outer-row stack when the consumer stops early or the subplan fails', () => {
    const rt = rtOf();
    const sub = new CorrelatedSubplan(new SeriesToOuter(rt), Infinity, rt);
    const apply = new ApplyExecutor(new RowsExecutor([[100]]), (row) => [sub.rowsFor(row).length], rt);
    const it = apply.execute();
    it.next(); // the first PAUSE of the outer input
    it.next(); // inside the subplan: its first PAUSE
    expect(rt.outer).toEqual([[100]]);
    it.return(undefined);
    expect(rt.outer).toEqual([]);

    const failing: Executor = {
      name: 'Failing',
      *execute() {
        yield PAUSE;
        throw new Error('boom');
      },
    };
    const sub2 = new CorrelatedSubplan(failing, Infinity, rt);
    const apply2 = new ApplyExecutor(new RowsExecutor([[1]]), (row) => [sub2.rowsFor(row).length], rt);
    expect(() => drain(apply2)).toThrow('boom');
    expect(rt.outer).toEqual([]);
  });

  it('yields PAUSE between quick subplan runs once the time slice is used up', () => {
    const rt = rtOf();
    const quick: Executor = {
      name: 'Quick',
      *execute() {
        const until = performance.now() + 2;
        while (performance.now() < until);
        yield [[1]];
      },
    };
    const sub = new CorrelatedSubplan(quick, Infinity, rt);
    const outer: Executor = {
      name: 'Outer',
      *execute() {
        yield Array.from({ length: 20 }, (_, i) => [i]);
      },
    };
    const apply = new ApplyExecutor(outer, (row) => [sub.rowsFor(row).length], rt);
    const { rows, pauses } = drain(apply);
    expect(rows).toHaveLength(20);
    expect(pauses).toBeGreaterThan(0);
  });
});
