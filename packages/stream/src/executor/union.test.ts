import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier, Watermark } from '../message';
import { Collector, chunk, expected } from '../test-util';
import { SourceExecutor } from './source';
import { UnionExecutor } from './union';

describe('union', () => {
  it('merges chunks, aligns barriers and emits the minimum watermark', () => {
    const a = new SourceExecutor([T.Int32]);
    const b = new SourceExecutor([T.Int32]);
    const u = new UnionExecutor([T.Int32], 2);
    a.connect(u.inputs[0]);
    b.connect(u.inputs[1]);
    const out = u.connect(new Collector());
    a.pushChunk(chunk('i\n+ 1'));
    b.pushChunk(chunk('i\n+ 2'));
    expect(out.take()).toEqual(expected('i\n+ 1\n+ 2'));
    a.pushWatermark(0, 10);
    expect(out.watermarks()).toEqual([]);
    b.pushWatermark(0, 4);
    expect(out.watermarks()).toEqual([new Watermark(0, T.Int32, 4)]);
    a.injectBarrier(new Barrier(1));
    expect(out.barriers()).toEqual([]);
    b.injectBarrier(new Barrier(1));
    expect(out.barriers()).toEqual([1]);
  });
});
