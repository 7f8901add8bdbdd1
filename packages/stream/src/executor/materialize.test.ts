import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, chunk, expected } from '../test-util';
import { MaterializeExecutor } from './materialize';
import { SourceExecutor } from './source';

function setup(conflict: 'none' | 'overwrite') {
  const store = new MemStateStore();
  const src = new SourceExecutor([T.Int32, T.Varchar]);
  const epochs: number[] = [];
  const mv = src.connect(
    new MaterializeExecutor({ types: src.types, pk: [0], tables: new StateTableAllocator(store, 1), conflict, collector: { collect: (e) => epochs.push(e) } }),
  );
  const out = mv.connect(new Collector());
  return { store, src, mv, out, epochs };
}

describe('materialize', () => {
  it('applies changes in order, including updates that move the pk, and forwards them', () => {
    const { src, mv, out } = setup('none');
    src.pushChunk(chunk('i T\n+ 1 a\n+ 2 b\nU- 1 a\nU+ 1 A\nU- 2 b\nU+ 3 b'));
    expect([...mv.table.scan()]).toEqual([[1, 'A'], [3, 'b']]);
    expect(out.take().length).toBe(6);
    src.pushChunk(chunk('i T\n- 3 b'));
    expect([...mv.table.scan()]).toEqual([[1, 'A']]);
  });

  it('overwrite mode turns a repeated insert into an update and drops deletes of absent keys', () => {
    const { src, mv, out } = setup('overwrite');
    src.pushChunk(chunk('i T\n+ 1 a\n+ 1 b\n- 5 x\n- 1 zzz'));
    expect(out.take()).toEqual(expected('i T\n+ 1 a\nU- 1 a\nU+ 1 b\n- 1 b'));
    expect(mv.table.size).toBe(0);
  });

  it('reports each epoch after committing it, and readers see only committed epochs', async () => {
    const { store, src, mv, epochs } = setup('none');
    src.pushChunk(chunk('i T\n+ 1 a'));
    src.injectBarrier(new Barrier(1));
    expect(epochs).toEqual([1]);
    expect([...mv.table.scanCommitted()]).toEqual([]);
    await store.commitEpoch(1);
    expect([...mv.table.scanCommitted()]).toEqual([[1, 'a']]);
    expect(mv.table.epoch).toBe(2);
  });
});
