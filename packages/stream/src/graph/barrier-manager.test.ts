import { T } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { HashAggExecutor } from '../executor/hash-agg';
import { MaterializeExecutor } from '../executor/materialize';
import { SourceExecutor } from '../executor/source';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { chunk } from '../test-util';
import { BarrierManager } from './barrier-manager';

/** One table source feeding two MVs: the table itself and count(*) per key. */
function build() {
  const store = new MemStateStore();
  const manager = new BarrierManager(store, { intervalMs: 5, checkpointEvery: 2 });
  const tables = new StateTableAllocator(store, 1);
  const src = new SourceExecutor([T.Int32, T.Int32]);
  manager.addSource(src);
  const mvAll = src.connect(new MaterializeExecutor({ types: src.types, pk: [0], tables, collector: manager.registerCollector() }));
  const agg = src.connect(
    new HashAggExecutor({ inputTypes: src.types, groupKey: [1], calls: [{ impl: resolveAggregate('count', []), args: [] }], tables }),
  );
  const mvCount = agg.connect(new MaterializeExecutor({ types: agg.types, pk: [0], tables, collector: manager.registerCollector() }));
  return { store, manager, src, mvAll, mvCount };
}

describe('barrier manager', () => {
  it('commits an epoch once every materialize has seen it, consistently across MVs', async () => {
    const { manager, src, mvAll, mvCount } = build();
    src.pushChunk(chunk('i i\n+ 1 7\n+ 2 7'));
    const e1 = await manager.flush();
    expect(e1).toBe(1);
    expect(manager.committedEpoch).toBe(1);
    expect([...mvAll.table.scanCommitted()].length).toBe(2);
    expect([...mvCount.table.scanCommitted()]).toEqual([[7, 2n]]);
    // Uncommitted changes stay invisible to readers of both MVs.
    src.pushChunk(chunk('i i\n+ 3 7'));
    expect([...mvAll.table.scanCommitted()].length).toBe(2);
    expect([...mvCount.table.scanCommitted()]).toEqual([[7, 2n]]);
    await manager.flush();
    expect([...mvAll.table.scanCommitted()].length).toBe(3);
    expect([...mvCount.table.scanCommitted()]).toEqual([[7, 3n]]);
  });

  it('waits for a collector that has not reported yet, and commits in epoch order', async () => {
    const store = new MemStateStore();
    const manager = new BarrierManager(store);
    const a = manager.registerCollector();
    const b = manager.registerCollector();
    const committed: number[] = [];
    manager.onCommit((e) => committed.push(e));
    manager.injectBarrier();
    manager.injectBarrier();
    a.collect(1);
    a.collect(2);
    b.collect(2);
    expect(committed).toEqual([]);
    const wait = manager.waitForCommit(2);
    b.collect(1);
    await wait;
    expect(committed).toEqual([1, 2]);
    expect(store.committedEpoch).toBe(2);
    // Dropping a graph (unregistering its collector) unblocks later epochs.
    manager.injectBarrier();
    a.collect(3);
    b.unregister();
    expect(manager.committedEpoch).toBe(3);
  });

  it('injects barriers on an interval', async () => {
    const { manager, src, mvCount } = build();
    manager.start();
    src.pushChunk(chunk('i i\n+ 1 1'));
    // Poll rather than sleep a fixed time: timers run late on a loaded machine.
    const deadline = Date.now() + 5000;
    while (manager.committedEpoch < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    manager.stop();
    expect(manager.committedEpoch).toBeGreaterThan(1);
    expect([...mvCount.table.scanCommitted()]).toEqual([[1, 1n]]);
  });
});
