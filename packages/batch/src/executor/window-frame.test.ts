import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAME, type WindowFrame, excludedFrom, frameRanges, peerGroups } from './window-frame';

// Sorted ORDER BY values of one partition: peers are equal values.
const keys = [1, 2, 2, 3, 5];
const peers = peerGroups(keys.length, (i, j) => keys[i] === keys[j]);
const ranges = (f: WindowFrame) => {
  const { lo, hi } = frameRanges(f, keys.length, peers);
  return [...lo].map((l, i) => [l, hi[i]]);
};

describe('window frames', () => {
  it('groups peers', () => {
    expect([...peers.groupOf]).toEqual([0, 1, 1, 2, 3]);
    expect([...peers.groupStart]).toEqual([0, 1, 3, 4, 5]);
  });

  it('default frame: partition start through the last peer of the current row', () => {
    expect(ranges(DEFAULT_FRAME)).toEqual([[0, 0], [0, 2], [0, 2], [0, 3], [0, 4]]);
  });

  it('ROWS offsets count rows and are clamped to the partition', () => {
    const f: WindowFrame = { unit: 'rows', start: { kind: 'offset', offset: -1 }, end: { kind: 'offset', offset: 1 }, exclude: 'no_others' };
    expect(ranges(f)).toEqual([[0, 1], [0, 2], [1, 3], [2, 4], [3, 4]]);
  });

  it('ROWS frames entirely past the partition are empty', () => {
    const f: WindowFrame = { unit: 'rows', start: { kind: 'offset', offset: 2 }, end: { kind: 'offset', offset: 3 }, exclude: 'no_others' };
    const r = ranges(f);
    expect(r[4][0]).toBeGreaterThan(r[4][1]);
    expect(r[0]).toEqual([2, 3]);
  });

  it('RANGE CURRENT ROW starts at the first peer', () => {
    const f: WindowFrame = { unit: 'range', start: { kind: 'current_row' }, end: { kind: 'unbounded' }, exclude: 'no_others' };
    expect(ranges(f)).toEqual([[0, 4], [1, 4], [1, 4], [3, 4], [4, 4]]);
  });

  it('GROUPS offsets count peer groups', () => {
    const f: WindowFrame = { unit: 'groups', start: { kind: 'offset', offset: -1 }, end: { kind: 'current_row' }, exclude: 'no_others' };
    expect(ranges(f)).toEqual([[0, 0], [0, 2], [0, 2], [1, 3], [3, 4]]);
  });

  it('EXCLUDE CURRENT ROW / GROUP / TIES', () => {
    const f = (exclude: WindowFrame['exclude']): WindowFrame => ({ ...DEFAULT_FRAME, exclude });
    expect([0, 1, 2].map((j) => excludedFrom(f('current_row'), peers, 1, j))).toEqual([false, true, false]);
    expect([0, 1, 2].map((j) => excludedFrom(f('group'), peers, 1, j))).toEqual([false, true, true]);
    expect([0, 1, 2].map((j) => excludedFrom(f('ties'), peers, 1, j))).toEqual([false, false, true]);
  });
});
