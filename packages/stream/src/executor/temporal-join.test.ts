import { type DataType, type Datum, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { RowPredicate } from '../expr';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, barrier, chunk, expected } from '../test-util';
import { SourceExecutor } from './source';
import { TemporalJoinExecutor } from './temporal-join';

/**
 * stream (id, k, v) joins version (pk, w) on k = pk; stream key id. `version` is the
 * right table's current rows by pk, changed by the test between left chunks.
 */
function setup(joinType: 'inner' | 'left', opts: { appendOnly?: boolean; condition?: RowPredicate } = {}) {
  const lt: DataType[] = [T.Int32, T.Int32, T.Varchar];
  const rt: DataType[] = [T.Int32, T.Varchar];
  const version = new Map<Datum, readonly Datum[]>();
  const left = new SourceExecutor(lt);
  const join = new TemporalJoinExecutor({
    joinType,
    leftTypes: lt,
    rightTypes: rt,
    lookupKey: [1],
    lookup: (pk) => version.get(pk[0]),
    leftPk: [0],
    rightPk: [0],
    appendOnly: opts.appendOnly,
    condition: opts.condition,
    tables: new StateTableAllocator(new MemStateStore(), 1),
  });
  left.connect(join);
  const out = join.connect(new Collector());
  const put = (pk: number, w: string) => version.set(pk, [pk, w]);
  return { left, version, put, join, out };
}

describe('temporal join', () => {
  it('looks up the right table as it is when the left row arrives; right changes emit nothing', () => {
    const { left, put, out } = setup('inner');
    put(10, 'x');
    left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 20 b\n+ 3 . c'));
    expect(out.take()).toEqual(expected('i i T i T\n+ 1 10 a 10 x'));
    put(10, 'y');
    put(20, 'z');
    left.pushChunk(chunk('i i T\n+ 4 10 d\n+ 5 20 e'));
    expect(out.take()).toEqual(expected('i i T i T\n+ 4 10 d 10 y\n+ 5 20 e 20 z'));
  });

  it('a left delete retracts what its insert emitted, not what the right table holds now', () => {
    const { left, put, version, out } = setup('left');
    left.pushChunk(chunk('i i T\n+ 1 10 a'));
    put(10, 'x');
    left.pushChunk(chunk('i i T\n+ 2 10 b'));
    expect(out.take()).toEqual(expected('i i T i T\n+ 1 10 a . .\n+ 2 10 b 10 x'));
    version.delete(10);
    // RisingWave's temporal_join.slt: an update of both stream rows finds no version row.
    left.pushChunk(chunk('i i T\nU- 1 10 a\nU+ 1 10 A\nU- 2 10 b\nU+ 2 10 B'));
    expect(out.take()).toEqual(expected('i i T i T\n- 1 10 a . .\n+ 1 10 A . .\n- 2 10 b 10 x\n+ 2 10 B . .'));
  });

  it('applies the extra condition; a left join pads when it fails, an inner join drops the row', () => {
    const cond: RowPredicate = (r) => (r[2] as string) < (r[4] as string);
    for (const joinType of ['left', 'inner'] as const) {
      const { left, put, out } = setup(joinType, { condition: cond });
      put(10, 'm');
      left.pushChunk(chunk('i i T\n+ 1 10 a\n+ 2 10 z'));
      expect(out.take()).toEqual(expected(joinType === 'left' ? 'i i T i T\n+ 1 10 a 10 m\n+ 2 10 z . .' : 'i i T i T\n+ 1 10 a 10 m'));
    }
  });

  it('keeps no state for an append-only left side; emits within the epoch, before the barrier', () => {
    const { left, put, join, out } = setup('inner', { appendOnly: true });
    expect(join.stateTables().length).toBe(0);
    put(10, 'x');
    left.pushChunk(chunk('i i T\n+ 1 10 a'));
    left.injectBarrier(barrier(2));
    expect(out.barriers()).toEqual([2]);
    expect(out.take()).toEqual(expected('i i T i T\n+ 1 10 a 10 x'));
  });
});
