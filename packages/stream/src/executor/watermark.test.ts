/**
 * Watermarks end to end through executors: generation and late-row dropping in the
 * watermark filter, derivation through HOP/TUMBLE and project set, EMIT ON WINDOW CLOSE
 * (the eowc sort alone and behind a hash agg), and state cleaning by watermark.
 */
import { T, type Datum } from '@freshet/common';
import { resolveAggregate, resolveScalar } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { InputRef, Literal, ScalarCall } from '../expr';
import { Barrier, Watermark } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { ChainExecutor } from './chain';
import { EowcOverWindowExecutor } from './eowc-over-window';
import { EowcSortExecutor } from './eowc-sort';
import { WatermarkHashAggExecutor } from './hash-agg-watermark';
import { HopWindowExecutor } from './hop-window';
import { ProjectSetExecutor } from './project-set';
import { SourceExecutor } from './source';
import { WatermarkFilterExecutor } from './watermark-filter';

const ctx = { timeZone: 'UTC', now: 0 };

/** (ts int64, v int32, id int64) with `WATERMARK FOR ts AS ts - 5`. */
function filtered() {
  const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
  const expr = new ScalarCall(resolveScalar('subtract', [T.Int64, T.Int64]), [new InputRef(0, T.Int64), new Literal(T.Int64, 5n)], ctx);
  const wf = src.connect(new WatermarkFilterExecutor({ types: src.types, column: 0, expr }));
  return { src, wf };
}

const marks = (c: Collector): [number, Datum][] => c.watermarks().map((w) => [w.column, w.value]);

describe('watermark filter', () => {
  it('emits the max of the expression after each chunk and drops rows below the watermark', () => {
    const { src, wf } = filtered();
    const out = wf.connect(new Collector());
    // The first chunk keeps all its rows, even those below its own new watermark (15).
    src.pushChunk(chunk('I i I\n+ 10 1 1\n+ 20 2 2\n+ 12 3 3'));
    expect(marks(out)).toEqual([[0, 15n]]);
    expect(out.take()).toEqual(expected('I i I\n+ 10 1 1\n+ 20 2 2\n+ 12 3 3'));
    // 14 is late, 15 is exactly at the watermark (kept), NULL is late; 18 does not raise it.
    src.pushChunk(chunk('I i I\n+ 14 4 4\n+ 15 5 5\n+ . 6 6\n+ 18 7 7'));
    expect(out.watermarks()).toEqual([]);
    expect(out.take()).toEqual(expected('I i I\n+ 15 5 5\n+ 18 7 7'));
    src.pushChunk(chunk('I i I\n+ 30 8 8'));
    expect(marks(out)).toEqual([[0, 25n]]);
    expect(wf.watermark).toBe(25n);
  });

  it('a chunk of only late rows emits nothing', () => {
    const { src, wf } = filtered();
    const out = wf.connect(new Collector());
    src.pushChunk(chunk('I i I\n+ 100 1 1'));
    out.messages.length = 0;
    src.pushChunk(chunk('I i I\n+ 1 1 2\n+ 94 1 3'));
    expect(out.messages).toEqual([]);
  });
});

describe('watermark derivation', () => {
  it('HOP derives window_start / window_end watermarks from the time column', () => {
    const src = new SourceExecutor([T.Int64, T.Int32]);
    // size 10, slide 5: t = 17 is in [10, 20) and [15, 25): the earliest window starts at 10.
    const hop = src.connect(new HopWindowExecutor({ types: src.types, timeColumn: 0, slideUs: 5, sizeUs: 10 }));
    const out = hop.connect(new Collector());
    src.push(new Watermark(0, T.Int64, 17));
    expect(marks(out)).toEqual([
      [0, 17],
      [2, 10],
      [3, 20],
    ]);
    // TUMBLE (slide = size): the window containing the watermark.
    const tumble = new SourceExecutor([T.Int64]).connect(new HopWindowExecutor({ types: [T.Int64], timeColumn: 0, slideUs: 60, sizeUs: 60 }));
    const out2 = tumble.connect(new Collector());
    tumble.push(new Watermark(0, T.Int64, 125));
    expect(marks(out2)).toEqual([
      [0, 125],
      [1, 120],
      [2, 180],
    ]);
  });

  it('project set moves a watermark to the items forwarding its column', () => {
    const ps = new ProjectSetExecutor([
      { kind: 'scalar', type: T.Int32, eval: (r) => r[1], inputIndex: 1 },
      { kind: 'set', type: T.Int32, eval: () => [1, 2] },
    ]);
    const out = ps.connect(new Collector());
    ps.push(new Watermark(1, T.Int32, 7));
    ps.push(new Watermark(0, T.Int32, 7));
    expect(marks(out)).toEqual([[1, 7]]);
  });
});

describe('emit on window close', () => {
  it('eowc sort releases rows below the watermark at the barrier, in order, once', () => {
    const tables = new StateTableAllocator(new MemStateStore(), 1);
    const src = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
    const sort = src.connect(new EowcSortExecutor({ types: src.types, sortColumn: 0, pk: [2], tables }));
    const out = sort.connect(new Collector());
    src.pushChunk(chunk('I i I\n+ 20 1 1\n+ 10 2 2\n+ 30 3 3\n+ 10 4 4'));
    src.push(new Watermark(0, T.Int64, 25n));
    expect(out.take()).toEqual([]); // nothing before the barrier
    src.injectBarrier(new Barrier(1));
    expect(out.messages.map((m) => m.constructor.name)).toEqual(['StreamChunk', 'Watermark', 'Barrier']);
    expect(out.take()).toEqual(expected('I i I\n+ 10 2 2\n+ 10 4 4\n+ 20 1 1'));
    expect(sort.buffered).toBe(1);
    // Late rows are dropped; a row at the watermark waits; nothing is emitted twice.
    src.pushChunk(chunk('I i I\n+ 24 5 5\n+ 25 6 6'));
    src.injectBarrier(new Barrier(2));
    expect(out.take()).toEqual([]);
    src.push(new Watermark(0, T.Int64, 100n));
    src.injectBarrier(new Barrier(3));
    expect(out.take()).toEqual(expected('I i I\n+ 25 6 6\n+ 30 3 3'));
    expect(sort.buffered).toBe(0);
  });

  it('behind a hash agg: one final row per window, and closed groups leave the agg state', () => {
    // (window_start int64, v int32): max(v) GROUP BY window_start, EMIT ON WINDOW CLOSE.
    const tables = new StateTableAllocator(new MemStateStore(), 1);
    const src = new SourceExecutor([T.Int64, T.Int32]);
    const agg = src.connect(
      new WatermarkHashAggExecutor({
        inputTypes: src.types,
        groupKey: [0],
        calls: [{ impl: resolveAggregate('max', [T.Int32]), args: [1] }],
        tables,
        cleanKey: 0,
      }),
    );
    const sort = agg.connect(new EowcSortExecutor({ types: agg.types, sortColumn: 0, pk: [0], tables }));
    const out = sort.connect(new Collector());
    src.pushChunk(chunk('I i\n+ 0 1\n+ 0 8\n+ 60 3'));
    src.injectBarrier(new Barrier(1));
    expect(out.take()).toEqual([]);
    src.pushChunk(chunk('I i\n+ 60 4\n+ 120 6'));
    src.push(new Watermark(0, T.Int64, 60n));
    src.injectBarrier(new Barrier(2));
    expect(out.take()).toEqual(expected('I i\n+ 0 8'));
    expect(agg.groupCount).toBe(2); // window 0 cleaned after the commit
    src.pushChunk(chunk('I i\n+ 120 7'));
    src.push(new Watermark(0, T.Int64, 180n));
    src.injectBarrier(new Barrier(3));
    expect(out.take()).toEqual(expected('I i\n+ 60 4\n+ 120 7'));
    expect(agg.groupCount).toBe(0);
    expect(sort.buffered).toBe(0);
    for (const t of agg.stateTables()) expect(t.size).toBe(0);
  });
});

describe('watermark forwarding', () => {
  it('a chain maps upstream watermarks to its output columns', () => {
    const up = new SourceExecutor([T.Int64, T.Int32, T.Int64]);
    const chain = new ChainExecutor({ upstream: up, snapshot: () => [], columns: [2, 0] });
    const out = chain.connect(new Collector());
    chain.start();
    up.push(new Watermark(0, T.Int64, 5n));
    up.push(new Watermark(1, T.Int32, 6));
    expect(marks(out)).toEqual([[1, 5n]]);
  });

  it('the watermark hash agg sends one watermark per column per barrier', () => {
    const tables = new StateTableAllocator(new MemStateStore(), 1);
    const src = new SourceExecutor([T.Int64, T.Int32]);
    const agg = src.connect(
      new WatermarkHashAggExecutor({ inputTypes: src.types, groupKey: [0, 1], calls: [{ impl: resolveAggregate('count', []), args: [] }], tables, cleanKey: 0 }),
    );
    const out = agg.connect(new Collector());
    for (const [c, v] of [[0, 1n], [1, 1], [0, 2n], [1, 2], [0, 3n]] as const) src.push(new Watermark(c, c === 0 ? T.Int64 : T.Int32, v));
    src.injectBarrier(new Barrier(1));
    expect(marks(out)).toEqual([
      [1, 2],
      [0, 3n],
    ]);
  });
});

describe('eowc over window', () => {
  it('appends window values to each row once the watermark passes it (peers share RANGE results)', () => {
    // (ts int64, p int32, v int32, id int64): OVER (PARTITION BY p ORDER BY ts)
    const tables = new StateTableAllocator(new MemStateStore(), 1);
    const src = new SourceExecutor([T.Int64, T.Int32, T.Int32, T.Int64]);
    const sort = src.connect(new EowcSortExecutor({ types: src.types, sortColumn: 0, pk: [3], tables }));
    const sum = resolveAggregate('sum', [T.Int32]);
    const ow = sort.connect(
      new EowcOverWindowExecutor({
        types: src.types,
        partitionBy: [1],
        orderColumn: 0,
        calls: [
          { kind: 'row_number' },
          { kind: 'rank' },
          { kind: 'lag', arg: 2, offset: 1, default: null },
          { kind: 'agg', impl: sum, args: [2], filter: null, frame: { kind: 'range_running' } },
          { kind: 'agg', impl: sum, args: [2], filter: null, frame: { kind: 'rows', preceding: 1 } },
        ],
        callTypes: [T.Int64, T.Int64, T.Int32, sum.returnType, sum.returnType],
      }),
    );
    const out = ow.connect(new Collector());
    src.pushChunk(chunk('I i i I\n+ 1 1 10 1\n+ 2 1 20 2\n+ 2 1 5 3\n+ 3 2 7 4\n+ 9 1 1 5'));
    src.push(new Watermark(0, T.Int64, 5n));
    src.injectBarrier(new Barrier(1));
    expect(marks(out)).toEqual([[0, 5n]]);
    expect(out.take()).toEqual(
      expected(`I i i I I I i I I
        + 1 1 10 1 1 1 . 10 10
        + 2 1 20 2 2 2 10 35 30
        + 2 1 5 3 3 2 20 35 25
        + 3 2 7 4 1 1 . 7 7`),
    );
    src.push(new Watermark(0, T.Int64, 10n));
    src.injectBarrier(new Barrier(2));
    expect(out.take()).toEqual(expected('I i i I I I i I I\n+ 9 1 1 5 4 4 5 36 6'));
  });
});
