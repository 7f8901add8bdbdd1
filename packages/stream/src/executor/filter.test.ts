import { T, StreamChunk } from '@freshet/common';
import { resolveScalar } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { InputRef, Literal, ScalarCall } from '../expr';
import { Barrier, Watermark } from '../message';
import { Collector, chunk, expected } from '../test-util';
import { FilterExecutor, filterChunk } from './filter';
import { ProjectExecutor } from './project';
import { SourceExecutor } from './source';

const ctx = { timeZone: 'UTC', now: 0 };
/** v > 5 over column 1 (int64). */
const gt5 = new ScalarCall(resolveScalar('greater_than', [T.Int64, T.Int64]), [new InputRef(1, T.Int64), new Literal(T.Int64, 5n)], ctx);

describe('filter', () => {
  it('hides failing rows and rewrites half-passing update pairs', () => {
    const out = filterChunk(
      chunk(`
        I I
        +  1 6
        +  2 5
        U- 3 1
        U+ 3 9
        U- 4 9
        U+ 4 1
        U- 5 7
        U+ 5 8
        U- 6 1
        U+ 6 2
        -  7 .`),
      gt5,
    )!;
    expect(out.records()).toEqual(
      expected(`
        I I
        +  1 6
        +  3 9
        -  4 9
        U- 5 7
        U+ 5 8`),
    );
  });

  it('skips rows that were already invisible, including between an update pair', () => {
    const out = filterChunk(
      chunk(`
        I I
        U- 1 1
        +  9 9 D
        U+ 1 7`),
      gt5,
    )!;
    expect(out.records()).toEqual(expected('I I\n+ 1 7'));
    expect(filterChunk(chunk('I I\n+ 1 1'), gt5)).toBeNull();
  });

  it('runs in a graph: forwards barriers and watermarks after the chunk', () => {
    const src = new SourceExecutor([T.Int64, T.Int64]);
    const f = src.connect(new FilterExecutor(src.types, gt5));
    const p = f.connect(new ProjectExecutor([new InputRef(1, T.Int64), new InputRef(0, T.Int64)]));
    const out = p.connect(new Collector());
    src.pushChunk(chunk('I I\n+ 1 10\n+ 2 3'));
    src.pushWatermark(0, 1n);
    src.injectBarrier(new Barrier(1));
    // Chunk, then the watermark (source column 0 is projected to column 1), then the barrier.
    expect(out.messages.map((m) => m.constructor)).toEqual([StreamChunk, Watermark, Barrier]);
    expect(out.watermarks()).toEqual([new Watermark(1, T.Int64, 1n)]);
    expect(out.take()).toEqual(expected('I I\n+ 10 1'));
    src.pushWatermark(1, 2n);
    expect(out.messages).toEqual([new Watermark(0, T.Int64, 2n)]);
  });
});

describe('evaluation errors', () => {
  it('turn the value into NULL and are reported, without stopping the stream', async () => {
    const { LoggingErrorReporter } = await import('../eval-errors');
    const logged: string[] = [];
    const reporter = new LoggingErrorReporter(60_000, (m) => logged.push(m));
    const div = new ScalarCall(resolveScalar('divide', [T.Int64, T.Int64]), [new InputRef(0, T.Int64), new InputRef(1, T.Int64)], ctx, reporter);
    const p = new ProjectExecutor([div]);
    const out = p.connect(new Collector());
    p.push(chunk('I I\n+ 6 3\n+ 1 0\n+ 2 0\n+ 8 2'));
    expect(out.take()).toEqual(expected('I\n+ 2\n+ .\n+ .\n+ 4'));
    expect(reporter.count).toBe(2);
    expect(logged).toEqual(['stream evaluation error (value set to NULL): divide: Division by zero']);
  });
});
