import { Op, StreamChunk, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { ChangeRecording, changeChunks } from './change-recording';

const TYPES = [T.Int32, T.Varchar];

describe('ChangeRecording', () => {
  it('keeps changes in order up to its cap, then only counts them', () => {
    let stopped = 0;
    const r = new ChangeRecording(() => stopped++, 3);
    const a = StreamChunk.fromRows(TYPES, [Op.Insert, Op.Insert], [[1, 'a'], [2, 'b']]);
    const b = StreamChunk.fromRows(TYPES, [Op.Delete], [[1, 'a']]);
    r.add(a);
    r.add(b);
    expect(r.chunks).toEqual([a, b]);
    r.add(StreamChunk.fromRows(TYPES, [Op.Insert], [[3, 'c']]));
    expect(r.chunks).toBeNull();
    expect(r.changedRows).toBe(4);
    r.stop();
    expect(stopped).toBe(1);
  });

  it('turns a batch of row changes into chunks with updates as U-/U+ pairs', () => {
    const chunks = changeChunks(TYPES, [
      { old: undefined, row: [1, 'a'] },
      { old: [1, 'a'], row: [1, 'b'] },
      { old: [2, 'c'], row: undefined },
    ]);
    expect(chunks.flatMap((c) => c.records())).toEqual([
      [Op.Insert, [1, 'a']],
      [Op.UpdateDelete, [1, 'a']],
      [Op.UpdateInsert, [1, 'b']],
      [Op.Delete, [2, 'c']],
    ]);
  });
});
