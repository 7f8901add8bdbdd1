import { type Op, type Row, type StreamChunk, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { BarrierManager } from '../graph/barrier-manager';
import { MemStateStore } from '../state/mem-store';
import { chunk, expected } from '../test-util';
import { StateTableAllocator } from '../state/state-table';
import { type SinkEpochInfo, type SinkTarget, SinkExecutor } from './sink';
import { SINK_LOG_KEY_TYPES } from './sink-log';
import { SourceExecutor } from './source';

/** Records what the sink hands over, epoch by epoch; commits finish when the test says so. */
class RecordingTarget implements SinkTarget {
  pending: [Op, Row][] = [];
  committed: [number, [Op, Row][]][] = [];
  release: (() => void) | null = null;
  write(c: StreamChunk): void {
    this.pending.push(...c.records());
  }
  commit(epoch: number): Promise<void> {
    return new Promise((resolve) => {
      this.release = () => {
        this.committed.push([epoch, this.pending]);
        this.pending = [];
        resolve();
      };
    });
  }
}

function setup(mode: 'upsert' | 'append-only') {
  const manager = new BarrierManager(new MemStateStore());
  const source = new SourceExecutor([T.Int32, T.Varchar]);
  manager.addSource(source);
  const target = new RecordingTarget();
  const sink = source.connect(new SinkExecutor({ types: source.types, target, mode, collector: manager.registerCollector() }));
  return { manager, source, target, sink };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('sink executor', () => {
  it('upsert passes every change; the epoch commits only after the target committed it', async () => {
    const { manager, source, target } = setup('upsert');
    source.pushChunk(chunk('i T\n+ 1 a\nU- 1 a\nU+ 1 b\n- 2 c'));
    const flushed = manager.flush();
    await tick();
    expect(manager.committedEpoch).toBe(0);
    target.release!();
    await flushed;
    expect(manager.committedEpoch).toBe(1);
    expect(target.committed).toEqual([[1, expected('i T\n+ 1 a\nU- 1 a\nU+ 1 b\n- 2 c')]]);
  });

  it('append-only drops deletes and U- rows and turns U+ into inserts', async () => {
    const { manager, source, target } = setup('append-only');
    source.pushChunk(chunk('i T\n+ 1 a\nU- 1 a\nU+ 1 b\n- 2 c\n+ 3 d D'));
    const flushed = manager.flush();
    await tick();
    target.release!();
    await flushed;
    expect(target.committed[0][1]).toEqual(expected('i T\n+ 1 a\n+ 1 b'));
  });

  it('drops chunks while muted (a rebuilt job’s backfill), not the epoch around them', async () => {
    const { manager, source, target, sink } = setup('upsert');
    sink.muted = true;
    source.pushChunk(chunk('i T\n+ 1 a'));
    sink.muted = false;
    source.pushChunk(chunk('i T\n+ 2 b'));
    const flushed = manager.flush();
    await tick();
    target.release!();
    await flushed;
    expect(target.committed).toEqual([[1, expected('i T\n+ 2 b')]]);
  });
});

/** A target that takes every commit at once (or fails while `down`), like an upsert store. */
class LoggingTarget implements SinkTarget {
  commitOn?: 'epoch' | 'checkpoint';
  flushedEpoch?: number;
  failing = false;
  down = false;
  pending: [Op, Row][] = [];
  commits: { epoch: number; checkpoint?: boolean; rows: [Op, Row][] }[] = [];
  seals: number[] = [];
  constructor(commitOn?: 'epoch' | 'checkpoint') {
    this.commitOn = commitOn;
  }
  write(c: StreamChunk): void {
    this.pending.push(...c.records());
  }
  seal(epoch: number): void {
    this.seals.push(epoch);
  }
  async commit(epoch: number, info: SinkEpochInfo): Promise<void> {
    while (this.down) {
      this.failing = true;
      await tick();
    }
    this.failing = false;
    this.commits.push({ epoch, checkpoint: info.checkpoint, rows: this.pending });
    this.pending = [];
  }
}

const LOG_TYPES = [...SINK_LOG_KEY_TYPES, T.Int32, T.Varchar];

function decoupled(target: LoggingTarget, opts: { store?: MemStateStore; maxPendingRows?: number; mode?: 'upsert' | 'append-only' } = {}) {
  const store = opts.store ?? new MemStateStore();
  const manager = new BarrierManager(store);
  const source = new SourceExecutor([T.Int32, T.Varchar]);
  manager.addSource(source);
  const table = new StateTableAllocator(store, 100).create(LOG_TYPES, [0, 1]);
  const sink = source.connect(
    new SinkExecutor({ types: source.types, target, mode: opts.mode, collector: manager.registerCollector(), log: { table, maxPendingRows: opts.maxPendingRows } }),
  );
  return { store, manager, source, sink };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await tick();
};

describe('decoupled sink (log store)', () => {
  it('collects the epoch before the target has it, and feeds the target once the epoch is committed', async () => {
    const target = new LoggingTarget();
    target.down = true;
    const { manager, source, sink } = decoupled(target);
    source.pushChunk(chunk('i T\n+ 1 a\n- 2 b'));
    await manager.flush(); // does not wait for the (down) target
    expect(manager.committedEpoch).toBe(1);
    sink.advance(1, 0);
    await settle();
    expect(target.failing).toBe(true);
    expect(sink.pendingRows).toBe(2);
    await sink.waitDelivered(1); // returns: the target is failing
    source.pushChunk(chunk('i T\n+ 3 c'));
    await manager.flush();
    target.down = false;
    sink.advance(2, 0);
    await settle();
    await sink.waitDelivered(2);
    // Epoch 1 was handed over alone (epoch 2 was not committed yet when the first attempt began).
    expect(target.commits.map((c) => c.epoch)).toEqual([1, 2]);
    expect(target.commits.flatMap((c) => c.rows)).toEqual(expected('i T\n+ 1 a\n- 2 b\n+ 3 c'));
    expect(sink.pendingRows).toBe(0);
    expect(sink.deliveredEpoch).toBe(2);
  });

  it('a run of committed epochs goes to an upsert target as one batch', async () => {
    const target = new LoggingTarget();
    const { manager, source, sink } = decoupled(target);
    for (let i = 1; i <= 3; i++) {
      source.pushChunk(chunk(`i T\n+ ${i} x`));
      await manager.flush();
    }
    sink.advance(3, 0);
    await sink.waitDelivered(3);
    expect(target.commits).toEqual([{ epoch: 3, checkpoint: undefined, rows: expected('i T\n+ 1 x\n+ 2 x\n+ 3 x') }]);
  });

  it('a checkpoint target gets durable epochs only, each epoch sealed, and the log keeps what it has not flushed', async () => {
    const target = new LoggingTarget('checkpoint');
    target.flushedEpoch = 0;
    const { manager, source, sink } = decoupled(target, { mode: 'append-only' });
    source.pushChunk(chunk('i T\n+ 1 a'));
    await manager.flush();
    source.pushChunk(chunk('i T\n+ 2 b\n- 1 a'));
    await manager.flush();
    source.pushChunk(chunk('i T\n+ 3 c'));
    await manager.flush();
    sink.advance(3, 0); // nothing durable yet
    await settle();
    expect(target.commits).toEqual([]);
    sink.advance(3, 2);
    await settle();
    expect(target.seals).toEqual([1, 2]);
    expect(target.commits).toEqual([{ epoch: 2, checkpoint: true, rows: expected('i T\n+ 1 a\n+ 2 b') }]);
    // The target buffered them (no file yet): they stay in the log.
    expect(sink.pendingRows).toBe(3);
    target.flushedEpoch = 2; // say a file was cut at 2 by the next commit
    sink.advance(3, 3);
    await settle();
    expect(target.commits.map((c) => c.epoch)).toEqual([2, 3]);
    expect(sink.pendingRows).toBe(1); // epoch 3's row is still buffered by the target
  });

  it('a new executor over the same state finds the entries not yet delivered (a restart from a checkpoint)', async () => {
    const store = new MemStateStore();
    const first = new LoggingTarget();
    first.down = true;
    const a = decoupled(first, { store });
    a.source.pushChunk(chunk('i T\n+ 1 a\n- 2 b'));
    await a.manager.flush();
    a.source.pushChunk(chunk('i T\n+ 3 c'));
    await a.manager.flush();
    // The process dies: the target never got anything; a new graph is built over the state.
    const second = new LoggingTarget();
    const b = decoupled(second, { store });
    expect(b.sink.pendingRows).toBe(3);
    b.source.pushChunk(chunk('i T\n+ 4 d'));
    await b.manager.flush();
    b.sink.advance(b.manager.committedEpoch, 0);
    await b.sink.waitDelivered(b.manager.committedEpoch);
    expect(second.commits.flatMap((c) => c.rows)).toEqual(expected('i T\n+ 1 a\n- 2 b\n+ 3 c\n+ 4 d'));
    first.down = false;
  });

  it('holds epochs once the log is over its bound with deliverable rows, and lets them go as it drains', async () => {
    const target = new LoggingTarget();
    target.down = true;
    const { manager, source, sink } = decoupled(target, { maxPendingRows: 2 });
    source.pushChunk(chunk('i T\n+ 1 a\n+ 2 b\n+ 3 c'));
    await manager.flush(); // over the bound, but nothing deliverable yet: not held
    sink.advance(1, 0);
    source.pushChunk(chunk('i T\n+ 4 d'));
    const epoch2 = manager.flush();
    await settle();
    expect(manager.committedEpoch).toBe(1); // held: 3 deliverable rows wait for the target
    target.down = false;
    await epoch2;
    expect(manager.committedEpoch).toBe(2);
    sink.advance(2, 0);
    await sink.waitDelivered(2);
    expect(target.commits.flatMap((c) => c.rows).length).toBe(4);
  });
});
