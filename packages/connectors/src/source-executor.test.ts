import { describe, expect, it } from 'vitest';
import { StreamChunk, T, type Row } from '@freshet/common';
import { Barrier, BarrierManager, type Message, MemStateStore } from '@freshet/stream';
import type { SourceSpec } from './api';
import { ConnectorSourceExecutor, type SourcePosition } from './source-executor';
import { datagenConnector } from './datagen';

/** Collects what reaches a downstream. */
class Sink {
  readonly messages: Message[] = [];
  push(m: Message): void {
    this.messages.push(m);
  }
  rows(): Row[] {
    return this.messages.flatMap((m) => (m instanceof StreamChunk ? m.records().map(([, r]) => r) : []));
  }
}

const seq = (end: number, rps?: number): SourceSpec => ({
  name: 'dg',
  connector: 'datagen',
  options: { 'fields.v.kind': 'sequence', 'fields.v.start': '1', 'fields.v.end': String(end), ...(rps ? { 'datagen.rows.per.second': String(rps) } : {}) },
  columns: [{ name: 'v', type: T.Int32 }],
});

function source(spec: SourceSpec, manager: BarrierManager, extra: { now?: () => number; rateLimit?: number; onBarrier?: (b: Barrier, p: SourcePosition) => void } = {}) {
  const now = extra.now ?? (() => 0);
  return new ConnectorSourceExecutor({
    reader: datagenConnector.open!(spec, { now, unthrottled: !extra.now }),
    types: [T.Int32, T.Serial],
    complete: (row, rowId) => [row[0], rowId],
    barriers: manager,
    chunkSize: 4,
    now,
    rateLimit: extra.rateLimit,
    onBarrier: extra.onBarrier,
  });
}

describe('ConnectorSourceExecutor', () => {
  it('reads on between barriers while behind (budget used up with rows ready), but not while the store holds epochs back', async () => {
    // A clock that moves 1 ms per read: a 2 ms budget ends after two chunks.
    let t = 0;
    const clock = () => t++;
    const build = (throttled: boolean) => {
      const manager = new BarrierManager(new MemStateStore());
      const barriers = { addSource: manager.addSource.bind(manager), removeSource: manager.removeSource.bind(manager), throttled };
      const exec = new ConnectorSourceExecutor({
        reader: datagenConnector.open!(seq(40), { now: () => 0, unthrottled: true }),
        types: [T.Int32, T.Serial],
        complete: (row, rowId) => [row[0], rowId],
        barriers,
        chunkSize: 4,
        budgetMs: 2,
        now: clock,
      });
      return { manager, sink: exec.connect(new Sink()) };
    };
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const free = build(false);
    free.manager.injectBarrier();
    const atBarrier = free.sink.rows().length;
    expect(atBarrier).toBeLessThan(40);
    for (let i = 0; i < 40 && free.sink.rows().length < 40; i++) await turn();
    expect(free.sink.rows().map((r) => r[0])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const held = build(true);
    held.manager.injectBarrier();
    const n = held.sink.rows().length;
    for (let i = 0; i < 5; i++) await turn();
    expect(held.sink.rows().length).toBe(n);
  });

  it('pulls on each barrier, in chunks, ahead of the barrier, and records the position at it', () => {
    const manager = new BarrierManager(new MemStateStore());
    const positions: SourcePosition[] = [];
    const exec = source(seq(10), manager, { onBarrier: (_b, p) => positions.push(p) });
    const sink = exec.connect(new Sink());
    manager.injectBarrier();
    const kinds = sink.messages.map((m) => (m instanceof Barrier ? 'B' : (m as StreamChunk).cardinality));
    expect(kinds).toEqual([4, 4, 2, 'B']);
    expect(sink.rows()).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, BigInt(i + 1)]));
    expect(positions).toEqual([{ offsets: { '1-0': '10' }, nextRowId: '11' }]);
    manager.injectBarrier();
    expect(sink.messages.length).toBe(5); // only the barrier: the sequence is over
  });

  it('resumes from a position with no row lost or repeated', () => {
    const m1 = new BarrierManager(new MemStateStore());
    const a = source(seq(10, 3), m1, { now: () => 0 });
    const sa = a.connect(new Sink());
    m1.injectBarrier();
    expect(sa.rows().map((r) => r[0])).toEqual([1, 2, 3]);
    const m2 = new BarrierManager(new MemStateStore());
    const b = source(seq(10), m2);
    b.seek(a.position!);
    const sb = b.connect(new Sink());
    m2.injectBarrier();
    expect(sb.rows()).toEqual(Array.from({ length: 7 }, (_, i) => [i + 4, BigInt(i + 4)]));
  });

  it('holds rows while paused and under source_rate_limit', () => {
    const manager = new BarrierManager(new MemStateStore());
    let now = 0;
    const exec = source(seq(100, 100), manager, { now: () => now, rateLimit: 2 });
    const sink = exec.connect(new Sink());
    manager.injectBarrier();
    expect(sink.rows().length).toBe(2);
    manager.injectBarrier({ kind: 'pause' });
    now = 5000;
    manager.injectBarrier();
    expect(sink.rows().length).toBe(2);
    manager.injectBarrier({ kind: 'resume' });
    manager.injectBarrier();
    expect(sink.rows().length).toBe(12); // 5 s × 2 rows/s, plus the first burst
  });

  it('leaves the barrier manager when its last downstream disconnects', () => {
    const manager = new BarrierManager(new MemStateStore());
    let now = 0;
    const exec = source(seq(1000, 10), manager, { now: () => now });
    const sink = exec.connect(new Sink());
    manager.injectBarrier();
    expect(exec.offsets()).toEqual({ '1-0': '10' });
    exec.disconnect(sink);
    now = 10_000;
    manager.injectBarrier();
    expect(exec.offsets()).toEqual({ '1-0': '10' }); // no longer pulled
  });
});
