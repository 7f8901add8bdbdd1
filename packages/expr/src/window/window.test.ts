import { describe, expect, it } from 'vitest';
import { Interval, T, type Datum } from '@freshet/common';
import { ctx } from '../test-util';
import { buildFrames, buildPeers } from './frames';
import { resolveWindowFunction } from './registry';
import { DEFAULT_FRAME, type FrameSpec, type WindowPartition } from './types';

/** A partition over sorted `order` values with per-row args; frames from `spec`. */
function partition(order: Datum[], args: Datum[][], spec: FrameSpec = DEFAULT_FRAME, rangeType = T.Int32): WindowPartition {
  const peers = buildPeers(order.length, (a, b) => order[a] === order[b]);
  const frames = buildFrames(spec, order.length, peers, ctx, { values: order, type: rangeType, descending: false });
  return {
    length: order.length,
    args: (i) => args[i],
    peerStart: (i) => peers.start[i],
    peerEnd: (i) => peers.end[i],
    frameStart: (i) => frames.start[i],
    frameEnd: (i) => frames.end[i],
  };
}

const order = [1, 2, 2, 3, 5];
const noArgs = order.map(() => []);

describe('window functions', () => {
  it('ranking', () => {
    const p = partition(order, noArgs);
    const ev = (name: string) => resolveWindowFunction(name, []).evalPartition(p, ctx);
    expect(ev('row_number')).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(ev('rank')).toEqual([1n, 2n, 2n, 4n, 5n]);
    expect(ev('dense_rank')).toEqual([1n, 2n, 2n, 3n, 4n]);
    expect(ev('percent_rank')).toEqual([0, 0.25, 0.25, 0.75, 1]);
    expect(ev('cume_dist')).toEqual([0.2, 0.6, 0.6, 0.8, 1]);
  });
  it('ntile', () => {
    const p = partition(order, order.map(() => [3]));
    expect(resolveWindowFunction('ntile', [T.Int32]).evalPartition(p, ctx)).toEqual([1, 1, 2, 2, 3]);
  });
  it('lag / lead with offset and default', () => {
    const vals = order.map((v) => [v * 10, 2, -1]);
    const p = partition(order, vals);
    expect(resolveWindowFunction('lag', [T.Int32]).evalPartition(partition(order, order.map((v) => [v])), ctx)).toEqual([null, 1, 2, 2, 3]);
    expect(resolveWindowFunction('lead', [T.Int32, T.Int32, T.Int32]).evalPartition(p, ctx)).toEqual([20, 30, 50, -1, -1]);
  });
  it('value functions follow the frame (default frame includes peers)', () => {
    const p = partition(order, order.map((v) => [v]));
    expect(resolveWindowFunction('first_value', [T.Int32]).evalPartition(p, ctx)).toEqual([1, 1, 1, 1, 1]);
    expect(resolveWindowFunction('last_value', [T.Int32]).evalPartition(p, ctx)).toEqual([1, 2, 2, 3, 5]);
    expect(resolveWindowFunction('nth_value', [T.Int32, T.Int32]).evalPartition(partition(order, order.map((v) => [v, 2])), ctx)).toEqual([
      null, 2, 2, 2, 2,
    ]);
  });
  it('aggregates over sliding ROWS frames', () => {
    const spec: FrameSpec = { mode: 'rows', start: { kind: 'preceding', offset: 1 }, end: { kind: 'following', offset: 1 } };
    const p = partition(order, order.map((v) => [v]), spec);
    expect(resolveWindowFunction('sum', [T.Int32]).evalPartition(p, ctx)).toEqual([3n, 5n, 7n, 10n, 8n]);
    expect(resolveWindowFunction('max', [T.Int32]).evalPartition(p, ctx)).toEqual([2, 2, 3, 5, 5]);
    expect(resolveWindowFunction('count', []).evalPartition(p, ctx)).toEqual([2n, 3n, 3n, 3n, 2n]);
  });
  it('running aggregate with the default RANGE frame counts peers together', () => {
    const p = partition(order, order.map((v) => [v]));
    expect(resolveWindowFunction('sum', [T.Int32]).evalPartition(p, ctx)).toEqual([1n, 5n, 5n, 8n, 13n]);
  });
  it('RANGE with offsets', () => {
    const spec: FrameSpec = { mode: 'range', start: { kind: 'preceding', offset: 1 }, end: { kind: 'current_row' } };
    const p = partition(order, order.map((v) => [v]), spec);
    expect(resolveWindowFunction('sum', [T.Int32]).evalPartition(p, ctx)).toEqual([1n, 5n, 5n, 7n, 5n]);
    const hour = 3600e6;
    const ts = [0, hour, 3 * hour];
    const tsSpec: FrameSpec = { mode: 'range', start: { kind: 'preceding', offset: new Interval(0, 0, 2 * hour) }, end: { kind: 'current_row' } };
    const peers = buildPeers(3, (a, b) => ts[a] === ts[b]);
    const f = buildFrames(tsSpec, 3, peers, ctx, { values: ts, type: T.Timestamp, descending: false, offsetType: T.Interval });
    expect([...f.start]).toEqual([0, 0, 1]);
    expect([...f.end]).toEqual([1, 2, 3]);
  });
  it('GROUPS frames', () => {
    const spec: FrameSpec = { mode: 'groups', start: { kind: 'preceding', offset: 1 }, end: { kind: 'current_row' } };
    const p = partition(order, order.map((v) => [v]), spec);
    expect(resolveWindowFunction('count', []).evalPartition(p, ctx)).toEqual([1n, 3n, 3n, 3n, 2n]);
  });
});
