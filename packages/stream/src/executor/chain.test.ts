import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { BarrierManager } from '../graph/barrier-manager';
import { StreamGraph } from '../graph/stream-graph';
import { MemStateStore } from '../state/mem-store';
import { bag, chunk } from '../test-util';
import type { BackfillProgress } from './chain';

/** A table job t(id int pk, v int) with `n` committed rows, and a second job chained onto it. */
async function setup(n: number) {
  const manager = new BarrierManager(new MemStateStore());
  const tJob = new StreamGraph(manager, 1);
  const dml = tJob.source([T.Int32, T.Int32]);
  const t = tJob.materialize(dml, { pk: [0], conflict: 'overwrite' });
  const rows = Array.from({ length: n }, (_, i) => `+ ${i} ${i % 10}`).join('\n');
  dml.pushChunk(chunk(`i i\n${rows}`));
  await manager.flush();
  const mvJob = new StreamGraph(manager, 100);
  const scan = mvJob.chain({ upstream: t, snapshot: () => t.table.scan() });
  const mv = mvJob.materialize(scan, { pk: [0] });
  return { manager, dml, t, mvJob, mv };
}

const nextTick = () => new Promise<void>((r) => setImmediate(r));

describe('chain backfill in time slices', () => {
  it('holds changes that arrive during the backfill, so the copy ends equal to the upstream', async () => {
    const { manager, dml, t, mvJob, mv } = await setup(20_000);
    const progress: BackfillProgress[] = [];
    const done = mvJob.backfill((p) => progress.push(p), { sliceMs: 1 });
    let slicesWithDml = 0;
    let id = 20_000;
    // Changes between slices: new rows, updates and deletes of rows the snapshot has or
    // has not emitted yet, and barriers, all while the backfill is running.
    while (progress.length === 0 || progress.at(-1)!.done < progress.at(-1)!.total) {
      dml.pushChunk(chunk(`i i\n+ ${id++} 1\n+ 5 99\n- 19999 9\n+ ${id % 20_000} 42`));
      manager.injectBarrier();
      slicesWithDml++;
      await nextTick();
    }
    await done;
    await manager.flush();
    expect(slicesWithDml).toBeGreaterThan(2);
    expect(progress.length).toBeGreaterThan(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
    expect(progress.at(-1)).toEqual({ done: 20_000, total: 20_000 });
    expect(bag([...mv.table.scanCommitted()])).toEqual(bag([...t.table.scanCommitted()]));
  });

  it('stops when the graph is dropped mid-backfill', async () => {
    const { manager, mvJob } = await setup(50_000);
    let last = 0;
    const done = mvJob.backfill((p) => (last = p.done), { sliceMs: 1 });
    await nextTick();
    mvJob.drop();
    await done;
    expect(last).toBeLessThan(50_000);
    await manager.flush(); // the dropped job no longer holds epochs back
    expect(manager.committedEpoch).toBe(manager.currentEpoch);
  });

  it('emits at most the rate limit of snapshot rows per second, holding changes until it ends', async () => {
    const { manager, dml, t, mvJob, mv } = await setup(1_000);
    const progress: { at: number; done: number }[] = [];
    const started = performance.now();
    const done = mvJob.backfill((p) => progress.push({ at: performance.now() - started, done: p.done }), { rowsPerSecond: 2_000 });
    await new Promise((r) => setTimeout(r, 100));
    dml.pushChunk(chunk('i i\n+ 5000 1\n- 0 0'));
    manager.injectBarrier();
    await done;
    const ms = performance.now() - started;
    await manager.flush();
    // 1,000 rows at 2,000/s: 200 up front (1/10 s), the rest over 0.4 s.
    expect(ms).toBeGreaterThanOrEqual(390);
    for (const p of progress) expect(p.done).toBeLessThanOrEqual(Math.floor((p.at / 1000) * 2_000) + 200 + 1);
    expect(bag([...mv.table.scanCommitted()])).toEqual(bag([...t.table.scanCommitted()]));
  });

  it('is paused at a rate limit of 0 until dropped', async () => {
    const { manager, mvJob, mv } = await setup(100);
    let reports = 0;
    const done = mvJob.backfill(() => reports++, { rowsPerSecond: 0 });
    await new Promise((r) => setTimeout(r, 250));
    await manager.flush();
    expect(reports).toBe(0);
    expect([...mv.table.scanCommitted()]).toEqual([]);
    mvJob.drop();
    await done;
  });
});
