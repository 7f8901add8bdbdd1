/**
 * Operators that do unbounded work after (or between) pulls from their input must yield
 * PAUSE themselves once the time slice is used up: the leaves' pause checks do not run
 * then. These tests expire the slice permanently (lastYield = -Infinity) and check that
 * each such phase pauses, and that results are unchanged.
 */
import type { Datum, Row } from '@freshet/common';
import { T } from '@freshet/common';
import type { AggImpl } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, type ChunkStream, type ExecRuntime, type Executor, PAUSE, newRuntime } from './executor';
import { HashAggExecutor } from './executor/hash-agg';
import { HashJoinExecutor } from './executor/hash-join';
import { LimitExecutor } from './executor/limit';
import { ProjectSetExecutor } from './executor/project-set';
import { SortExecutor } from './executor/sort';
import { ValuesExecutor } from './executor/values';
import { WindowExecutor } from './executor/window';
import { sortPausing } from './pausing-sort';

const never = { cancelled: false, throwIfCancelled() {} };

/** A runtime whose time slice is always used up (every check says pause). */
function expired(): ExecRuntime {
  const rt = newRuntime([], { timeZone: 'UTC', now: 0 }, never);
  rt.lastYield = -Infinity;
  return rt;
}

/** A runtime that never asks to pause. */
function fresh(): ExecRuntime {
  const rt = newRuntime([], { timeZone: 'UTC', now: 0 }, never);
  rt.lastYield = Infinity;
  return rt;
}

/** All rows in one chunk, never pausing: only the operator under test can pause. */
function source(rows: Row[]): Executor {
  return {
    name: 'Source',
    *execute(): ChunkStream {
      if (rows.length > 0) yield rows;
    },
  };
}

function drain(exec: Executor): { rows: Row[]; pauses: number } {
  const rows: Row[] = [];
  let pauses = 0;
  for (const c of exec.execute()) {
    if (c === PAUSE) pauses++;
    else for (const r of c) rows.push(r);
  }
  return { rows, pauses };
}

const col = (i: number) => (row: Row) => row[i];
const random = (n: number, mod: number): Row[] => Array.from({ length: n }, (_, i) => [Math.floor(Math.abs(Math.sin(i + 1)) * mod), i]);

describe('sortPausing', () => {
  it('sorts stably, like Array.prototype.sort, and pauses on big inputs', () => {
    for (const n of [0, 1, 100, 20_000, 70_000]) {
      const items = random(n, 500);
      const cmp = (a: Row, b: Row) => (a[0] as number) - (b[0] as number);
      const expected = items.slice().sort(cmp);
      const g = sortPausing(items, cmp, expired());
      let pauses = 0;
      let r = g.next();
      while (!r.done) {
        pauses++;
        r = g.next();
      }
      expect(r.value).toBe(items);
      expect(items).toEqual(expected);
      if (n > 20_000) expect(pauses).toBeGreaterThan(2);
    }
  });
});

describe('operators pause in their own long phases', () => {
  const key = { eval: col(0), type: T.Int32, desc: false, nullsFirst: false };

  it('sort: sorting and emitting', () => {
    const rows = random(50_000, 1000);
    const a = drain(new SortExecutor(source(rows.slice()), [key], expired()));
    const b = drain(new SortExecutor(source(rows.slice()), [key], fresh()));
    expect(a.rows).toEqual(b.rows);
    expect(a.pauses).toBeGreaterThan(3);
    expect(b.pauses).toBe(0);
  });

  it('window: sorting, computing and emitting one big partition', () => {
    const rows = random(30_000, 1000);
    const mk = (rt: ExecRuntime) => new WindowExecutor(source(rows), [], [], [{ eval: col(0), key }], [{ kind: 'row_number' }], rt);
    const a = drain(mk(expired()));
    const b = drain(mk(fresh()));
    expect(a.rows).toEqual(b.rows);
    expect(a.rows[29_999][2]).toBe(30_000n);
    expect(a.pauses).toBeGreaterThan(3);
  });

  it('hash join: probing a key with many matches', () => {
    const left = Array.from({ length: 3 }, (_, i) => [1, i]);
    const right = Array.from({ length: 20_000 }, (_, i) => [1, i]);
    const join = new HashJoinExecutor(source(left), source(right), 'inner', [col(0)], [col(0)], [T.Int32], null, 2, 2, expired());
    const { rows, pauses } = drain(join);
    expect(rows).toHaveLength(60_000);
    expect(pauses).toBeGreaterThan(3);
  });

  it('hash agg: emitting many groups and sorting an ordered aggregate', () => {
    const count: AggImpl = {
      argTypes: [],
      returnType: T.Int64,
      create: () => {
        let n = 0n;
        return { add: () => void n++, retract: () => void n--, result: () => n };
      },
    } as unknown as AggImpl;
    const rows = Array.from({ length: 5 * CHUNK_SIZE }, (_, i) => [i]);
    const agg = new HashAggExecutor(source(rows), [col(0)], [T.Int32], [{ impl: count, args: [], argTypes: [], filter: null, distinct: false, orderBy: [] }], expired());
    const r = drain(agg);
    expect(r.rows).toHaveLength(rows.length);
    expect(r.pauses).toBeGreaterThan(3);

    const ordered = new HashAggExecutor(source(random(40_000, 100)), [], [], [{ impl: count, args: [], argTypes: [], filter: null, distinct: false, orderBy: [{ eval: col(0), key }] }], expired());
    const o = drain(ordered);
    expect(o.rows).toEqual([[40_000n]]);
    expect(o.pauses).toBeGreaterThan(0);
  });

  it('project set: streams a huge series instead of materializing it', () => {
    function* naturals(): Iterable<Datum> {
      for (let i = 1; ; i++) yield i;
    }
    const ps = new ProjectSetExecutor(source([[7]]), [{ kind: 'scalar', eval: col(0) }, { kind: 'set', eval: () => naturals() }], expired());
    const { rows, pauses } = drain(new LimitExecutor(ps, 3 * CHUNK_SIZE, 0));
    expect(rows).toHaveLength(3 * CHUNK_SIZE);
    expect(rows[2]).toEqual([7, 3]);
    expect(pauses).toBeGreaterThan(0);
  });

  it('project set: pads shorter sequences with NULL', () => {
    const ps = new ProjectSetExecutor(
      source([[1], [2]]),
      [
        { kind: 'set', eval: (r) => [r[0], r[0]] },
        { kind: 'set', eval: () => ['a', 'b', 'c'] },
        { kind: 'set', eval: () => [] },
      ],
      fresh(),
    );
    expect(drain(ps).rows).toEqual([
      [1, 'a', null],
      [1, 'b', null],
      [null, 'c', null],
      [2, 'a', null],
      [2, 'b', null],
      [null, 'c', null],
    ]);
  });

  it('values: a big list is emitted in chunks, pausing between them', () => {
    const rows = Array.from({ length: 3 * CHUNK_SIZE + 5 }, (_, i) => [() => i]);
    const { rows: out, pauses } = drain(new ValuesExecutor(rows, expired()));
    expect(out).toHaveLength(rows.length);
    expect(out[3 * CHUNK_SIZE + 4]).toEqual([3 * CHUNK_SIZE + 4]);
    expect(pauses).toBe(3);
  });
});
