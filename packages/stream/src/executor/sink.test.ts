import { type Op, type Row, type StreamChunk, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { BarrierManager } from '../graph/barrier-manager';
import { MemStateStore } from '../state/mem-store';
import { chunk, expected } from '../test-util';
import { type SinkTarget, SinkExecutor } from './sink';
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
