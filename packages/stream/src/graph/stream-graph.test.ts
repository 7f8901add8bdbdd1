import { T } from '@freshet/common';
import { resolveAggregate } from '@freshet/expr';
import { describe, expect, it } from 'vitest';
import { HashAggExecutor } from '../executor/hash-agg';
import { MemStateStore } from '../state/mem-store';
import { chunk } from '../test-util';
import { BarrierManager } from './barrier-manager';
import { StreamGraph } from './stream-graph';

describe('stream graph', () => {
  it('builds an MV on a table, backfills a second MV on the first, and drops cleanly', async () => {
    const store = new MemStateStore();
    const manager = new BarrierManager(store);
    // Job 1: a table t(id, k) with pk id.
    const tJob = new StreamGraph(manager, 1);
    const dml = tJob.source([T.Int32, T.Int32]);
    const t = tJob.materialize(dml, { pk: [0], conflict: 'overwrite' });
    dml.pushChunk(chunk('i i\n+ 1 7\n+ 2 7\n+ 3 8'));
    await manager.flush();
    dml.pushChunk(chunk('i i\n+ 4 8')); // not yet committed when job 2 starts

    // Job 2: SELECT k, count(*) FROM t GROUP BY k — backfilled from t's current rows.
    const mvJob = new StreamGraph(manager, 100);
    const scan = mvJob.chain({ upstream: t, snapshot: () => t.table.scan(), columns: [1] });
    const agg = scan.connect(new HashAggExecutor({ inputTypes: scan.types, groupKey: [0], calls: [{ impl: resolveAggregate('count', []), args: [] }], tables: mvJob.tables }));
    const mv = mvJob.materialize(agg, { pk: [0] });
    mvJob.start();
    dml.pushChunk(chunk('i i\n+ 5 7\n+ 1 8')); // id 1 moves from 7 to 8 (overwrite → U-/U+)
    await manager.flush();
    expect([...mv.table.scanCommitted()]).toEqual([
      [7, 2n],
      [8, 3n],
    ]);
    expect(mvJob.tableIds.length).toBeGreaterThan(1);

    mvJob.drop();
    expect(store.table(mvJob.tableIds[0]).size).toBe(0);
    dml.pushChunk(chunk('i i\n+ 6 7'));
    await manager.flush(); // does not wait for the dropped MV
    expect(manager.committedEpoch).toBe(manager.currentEpoch);
    expect([...t.table.scanCommitted()].length).toBe(6);
  });
});
