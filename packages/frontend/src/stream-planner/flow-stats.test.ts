import { Op, StreamChunk, T } from '@freshet/common';
import { Barrier, SourceExecutor } from '@freshet/stream';
import { describe, expect, it } from 'vitest';
import { FlowStats } from './flow-stats';

const TYPES = [T.Int32];
const inserts = (...vs: number[]) => StreamChunk.fromRows(TYPES, vs.map(() => Op.Insert), vs.map((v) => [v]));

/** Two real source executors stand in for a table's DML source and an MV's output. */
function setup() {
  const stats = new FlowStats();
  const table = new SourceExecutor(TYPES);
  const mvOut = new SourceExecutor(TYPES);
  stats.watch(1, table);
  return { stats, table, mvOut };
}

describe('FlowStats', () => {
  it('counts a job from its subscription on: backfill snapshot plus later upstream changes', () => {
    const { stats, table, mvOut } = setup();
    table.pushChunk(inserts(1, 2)); // before the job: not its input
    stats.beginJob();
    stats.noteUpstream(1, 5); // the job backfills a 5-row snapshot
    stats.startJob(100, mvOut);
    table.pushChunk(inserts(3, 4, 5));
    mvOut.pushChunk(inserts(9));
    const j = stats.job(100)!;
    expect(j).toMatchObject({ rowsIn: 8, rowsOut: 1, committedEpoch: 0, committedAt: null });
    expect(j.sourceChangedAt).not.toBeNull();
    expect(j.outputChangedAt).not.toBeNull();
  });

  it('reports the last barrier as the committed epoch and lag only while input is pending', () => {
    const { stats, table, mvOut } = setup();
    stats.beginJob();
    stats.noteUpstream(1, 0);
    stats.startJob(100, mvOut);
    const t0 = Date.now();
    table.pushChunk(inserts(1));
    expect(stats.job(100, t0 + 50)!.lagMs).toBeGreaterThanOrEqual(50 - (Date.now() - t0));
    const b = new Barrier(7, false, null, 1_700_000_000_000_000);
    table.injectBarrier(b);
    mvOut.injectBarrier(b);
    expect(stats.job(100)).toMatchObject({ committedEpoch: 7, committedAt: 1_700_000_000_000, lagMs: 0 });
  });

  it('carries lag through an MV on an MV', () => {
    const { stats, table, mvOut } = setup();
    stats.beginJob();
    stats.noteUpstream(1, 0);
    stats.startJob(100, mvOut);
    const downstreamOut = new SourceExecutor(TYPES);
    stats.beginJob();
    stats.noteUpstream(100, 0);
    stats.startJob(200, downstreamOut);
    const t0 = Date.now();
    table.pushChunk(inserts(1));
    expect(stats.job(200, t0 + 30)!.lagMs).toBeGreaterThan(0);
  });

  it('counts a job-owned reader and detaches every probe on drop', () => {
    const { stats, mvOut } = setup();
    const reader = new SourceExecutor(TYPES);
    stats.beginJob();
    stats.noteUpstreamExecutor(5, reader);
    stats.startJob(100, mvOut);
    reader.pushChunk(inserts(1, 2, 3));
    expect(stats.job(100)!.rowsIn).toBe(3);
    stats.dropJob(100);
    expect(stats.job(100)).toBeUndefined();
    // Detached: pushing no longer reaches a probe (and nothing throws).
    reader.pushChunk(inserts(4));
    mvOut.pushChunk(inserts(5));
  });

  it('forgets upstreams noted by a build that failed', () => {
    const { stats, mvOut } = setup();
    stats.beginJob();
    stats.noteUpstream(1, 10);
    stats.beginJob(); // the failed build is abandoned; a new one starts
    stats.startJob(100, mvOut);
    expect(stats.job(100)!.rowsIn).toBe(0);
  });
});
