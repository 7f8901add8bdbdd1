import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { DynamicFilterExecutor, type DynamicFilterOp } from './dynamic-filter';
import { SourceExecutor } from './source';

function setup(op: DynamicFilterOp) {
  const left = new SourceExecutor([T.Int32, T.Int64]);
  const right = new SourceExecutor([T.Int64]);
  const f = new DynamicFilterExecutor({ leftTypes: left.types, column: 1, op, leftPk: [0], tables: new StateTableAllocator(new MemStateStore(), 1) });
  left.connect(f.left);
  right.connect(f.right);
  const out = f.connect(new Collector());
  let epoch = 0;
  const barrier = () => {
    const b = new Barrier(++epoch);
    left.injectBarrier(b);
    right.injectBarrier(b);
  };
  return { left, right, out, barrier };
}

describe('dynamic filter', () => {
  it('v > (right value): applies right changes at the barrier, emitting only flipped rows', () => {
    const { left, right, out, barrier } = setup('>');
    left.pushChunk(chunk('i I\n+ 1 5\n+ 2 10\n+ 3 .\n+ 4 20'));
    expect(out.take()).toEqual([]); // no right value yet: nothing passes
    right.pushChunk(chunk('I\n+ 8'));
    expect(out.take()).toEqual([]);
    barrier();
    expect(out.take()).toEqual(expected('i I\n+ 2 10\n+ 4 20'));
    right.pushChunk(chunk('I\nU- 8\nU+ 15'));
    left.pushChunk(chunk('i I\n+ 5 12\n- 2 10'));
    expect(out.take()).toEqual(expected('i I\n+ 5 12\n- 2 10'));
    barrier();
    expect(out.take()).toEqual(expected('i I\n- 5 12'));
    right.pushChunk(chunk('I\nU- 15\nU+ 1'));
    barrier();
    expect(out.take()).toEqual(expected('i I\n+ 1 5\n+ 5 12'));
    right.pushChunk(chunk('I\n- 1'));
    barrier();
    expect(out.take().length).toBe(3);
  });

  it('v <= (right value)', () => {
    const { left, right, out, barrier } = setup('<=');
    right.pushChunk(chunk('I\n+ 10'));
    barrier();
    left.pushChunk(chunk('i I\n+ 1 10\n+ 2 11'));
    expect(out.take()).toEqual(expected('i I\n+ 1 10'));
    right.pushChunk(chunk('I\nU- 10\nU+ 11'));
    barrier();
    expect(out.take()).toEqual(expected('i I\n+ 2 11'));
  });
});
