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

  it('an update whose pk is equal but not identical (two decimal objects) replaces its row', () => {
    const store = new MemStateStore();
    const src = new SourceExecutor([T.Decimal, T.Varchar]);
    const mv = src.connect(new MaterializeExecutor({ types: src.types, pk: [0], tables: new StateTableAllocator(store, 1) }));
    // Each parsed decimal is its own object: the update's halves have equal, not identical, keys.
    src.pushChunk(chunk('N T\n+ 1.5 a\n+ 2 b\nU- 1.5 a\nU+ 1.5 A\nU- 2 b\nU+ 2.0 c'));
    expect([...mv.table.scan()].map(([k, v]) => [String(k), v])).toEqual([['1.5', 'A'], ['2.0', 'c']]);
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

  it('records its changes for open cursors only, handing out committed epochs in order', async () => {
    for (const conflict of ['none', 'overwrite'] as const) {
      const { store, src, mv } = setup(conflict);
      src.pushChunk(chunk('i T\n+ 9 z'));
      const cursor = mv.changes.open(() => store.committedEpoch);
      src.pushChunk(chunk('i T\n+ 1 a\n+ 2 b'));
      src.injectBarrier(new Barrier(1));
      src.pushChunk(chunk(conflict === 'none' ? 'i T\nU- 1 a\nU+ 1 A\n- 2 b' : 'i T\n+ 1 A\n- 2 b'));
      expect(cursor.take()).toEqual([]); // nothing committed yet
      await store.commitEpoch(1);
      const show = (cs: readonly { old?: unknown; row?: unknown }[] | null) => cs!.map((c) => (c.row ? `+${JSON.stringify(c.row)}` : `-${JSON.stringify(c.old)}`));
      expect(show(cursor.take()), conflict).toEqual(['+[1,"a"]', '+[2,"b"]']);
      src.injectBarrier(new Barrier(2));
      await store.commitEpoch(2);
      expect(show(cursor.take()), conflict).toEqual(['-[1,"a"]', '+[1,"A"]', '-[2,"b"]']);
      cursor.close();
      expect(mv.changes.active).toBe(false);
    }
  });

  it('gives up on a cursor left unread past its limit (its owner rebuilds)', () => {
    const { store, src, mv } = setup('none');
    const cursor = mv.changes.open(() => store.committedEpoch, 2);
    src.pushChunk(chunk('i T\n+ 1 a\n+ 2 b\n+ 3 c'));
    expect(cursor.take()).toBeNull();
    expect(mv.changes.active).toBe(false);
  });
});
