import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, expected } from '../test-util';
import { NowSeriesExecutor } from './now-series';

describe('now series', () => {
  it('emits the series up to each barrier’s NOW(), continuing where it stopped', () => {
    const exec = new NowSeriesExecutor({ type: T.Int64, start: 10n, end: (now) => BigInt(now), next: (v) => (v as bigint) + 5n });
    const out = exec.connect(new Collector());
    exec.injectBarrier(new Barrier(1, false, null, 21));
    expect(out.take()).toEqual(expected('I\n+ 10\n+ 15\n+ 20'));
    exec.injectBarrier(new Barrier(2, false, null, 24));
    expect(out.take()).toEqual([]);
    exec.injectBarrier(new Barrier(3, false, null, 35));
    expect(out.barriers()).toEqual([3]);
    expect(out.take()).toEqual(expected('I\n+ 25\n+ 30\n+ 35'));
  });

  it('a rebuilt executor over the same state continues where it stopped', () => {
    const store = new MemStateStore();
    const opts = { type: T.Int64, start: 10n, end: (now: number) => BigInt(now), next: (v: unknown) => (v as bigint) + 5n };
    const first = new NowSeriesExecutor({ ...opts, tables: new StateTableAllocator(store, 1) });
    first.injectBarrier(new Barrier(1, false, null, 16));
    store.commitEpoch(1);
    const again = new NowSeriesExecutor({ ...opts, tables: new StateTableAllocator(store, 1) });
    const out = again.connect(new Collector());
    again.injectBarrier(new Barrier(2, false, null, 26));
    expect(out.take()).toEqual(expected('I\n+ 20\n+ 25'));
  });
});
