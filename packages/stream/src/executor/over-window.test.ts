import { type Row, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, barrier, chunk, expected } from '../test-util';
import { OverWindowExecutor } from './over-window';
import { SourceExecutor } from './source';

/** (id, part, v) with `lag(v) OVER (PARTITION BY part ORDER BY id)` computed in the test. */
const lag = (rows: Row[]): Row[] => {
  const sorted = [...rows].sort((a, b) => (a[0] as number) - (b[0] as number));
  return sorted.map((r, i) => [...r, i === 0 ? null : sorted[i - 1][2]]);
};

function setup() {
  const source = new SourceExecutor([T.Int32, T.Int32, T.Int32]);
  const exec = new OverWindowExecutor({
    types: source.types,
    callTypes: [T.Int32],
    partitionKey: [1],
    pk: [0],
    compute: lag,
    tables: new StateTableAllocator(new MemStateStore(), 1),
  });
  const out = source.connect(exec).connect(new Collector());
  return { source, out };
}

describe('over window', () => {
  it('a row moving between partitions is deleted before it is inserted', () => {
    const { source, out } = setup();
    source.pushChunk(chunk('i i i\n+ 1 7 10\n+ 2 8 20'));
    source.injectBarrier(barrier(1));
    out.take();
    // Partition 7 is dirtied (and refreshed) first; the delete from 8 still comes first.
    source.pushChunk(chunk('i i i\n+ 3 7 30\nU- 2 8 20\nU+ 2 7 20'));
    source.injectBarrier(barrier(2));
    expect(out.take()).toEqual(expected('i i i i\n- 2 8 20 .\n+ 2 7 20 10\n+ 3 7 30 20'));
  });

  it('emits a changed partition’s difference at the barrier', () => {
    const { source, out } = setup();
    source.pushChunk(chunk('i i i\n+ 1 7 10\n+ 3 7 30\n+ 2 8 20'));
    expect(out.take()).toEqual([]);
    source.injectBarrier(barrier(1));
    expect(out.take().sort()).toEqual(expected('i i i i\n+ 1 7 10 .\n+ 3 7 30 10\n+ 2 8 20 .').sort());
    // A row in the middle changes its successor's lag; partition 8 is untouched.
    source.pushChunk(chunk('i i i\n+ 2 7 20'));
    source.injectBarrier(barrier(2));
    expect(out.take()).toEqual(expected('i i i i\nU- 3 7 30 10\nU+ 3 7 30 20\n+ 2 7 20 10'));
    // Deletes: the row goes, the successor's lag changes back.
    source.pushChunk(chunk('i i i\n- 2 7 20'));
    source.injectBarrier(barrier(3));
    expect(out.take()).toEqual(expected('i i i i\nU- 3 7 30 20\nU+ 3 7 30 10\n- 2 7 20 10'));
  });
});
