import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { Collector, chunk, expected } from '../test-util';
import { SourceExecutor, ValuesExecutor } from './source';

describe('sources', () => {
  it('ValuesExecutor emits its rows once, before the first barrier', () => {
    const v = new ValuesExecutor([T.Int32, T.Varchar], [[1, 'a'], [2, null]]);
    const out = v.connect(new Collector());
    v.injectBarrier(new Barrier(1));
    v.injectBarrier(new Barrier(2));
    expect(out.messages.map((m) => m.constructor.name)).toEqual(['StreamChunk', 'Barrier', 'Barrier']);
    expect(out.take()).toEqual(expected('i T\n+ 1 a\n+ 2 .'));
  });

  it('holds chunks while paused and replays them on resume; stop ends the source', () => {
    const s = new SourceExecutor([T.Int32]);
    const out = s.connect(new Collector());
    s.injectBarrier(new Barrier(1, false, { kind: 'pause' }));
    s.pushChunk(chunk('i\n+ 1'));
    expect(out.take()).toEqual([]);
    s.injectBarrier(new Barrier(2, false, { kind: 'resume' }));
    expect(out.take()).toEqual(expected('i\n+ 1'));
    s.injectBarrier(new Barrier(3, false, { kind: 'stop' }));
    s.pushChunk(chunk('i\n+ 2'));
    s.injectBarrier(new Barrier(4));
    expect(out.barriers()).toEqual([3]);
    expect(out.take()).toEqual([]);
  });

  it('a broadcast sends every message to each downstream; disconnect removes one', () => {
    const s = new SourceExecutor([T.Int32]);
    const a = s.connect(new Collector());
    const b = s.connect(new Collector());
    s.pushChunk(chunk('i\n+ 1'));
    s.disconnect(a);
    s.pushChunk(chunk('i\n+ 2'));
    expect(a.take()).toEqual(expected('i\n+ 1'));
    expect(b.take()).toEqual(expected('i\n+ 1\n+ 2'));
  });
});
