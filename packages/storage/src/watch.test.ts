import { T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import type { RowChange } from './api';
import { openStorage } from './open';

describe('streaming hooks', () => {
  it('watchTable reports each applied batch as old → new row changes, once per commit', async () => {
    const s = openStorage();
    await s.open();
    s.createTable(1, { types: [T.Int32, T.Int32], pk: [0] });
    const seen: RowChange[][] = [];
    const unwatch = s.watchTable(1, (c) => seen.push(c));
    const b = s.newBatch();
    b.put(1, [1, 10]);
    b.put(1, [2, 20]);
    b.put(1, [1, 11]); // overwrite within the batch: an update of the row put before
    b.delete(1, [3]); // absent key: no change
    await s.commit(b);
    expect(seen).toEqual([
      [
        { old: undefined, row: [1, 10] },
        { old: undefined, row: [2, 20] },
        { old: [1, 10], row: [1, 11] },
      ],
    ]);
    const d = s.newBatch();
    d.delete(1, [2]);
    await s.commit(d);
    expect(seen[1]).toEqual([{ old: [2, 20], row: undefined }]);
    unwatch();
    const e = s.newBatch();
    e.put(1, [5, 5]);
    await s.commit(e);
    expect(seen.length).toBe(2);
  });

  it('attachReader serves a relation stored elsewhere until detached', async () => {
    const s = openStorage();
    await s.open();
    const reader = { tableId: 7, schema: { types: [T.Int32], pk: [0] }, size: 1, get: () => [1], scan: () => [[1]] };
    s.attachReader(reader);
    expect(s.table(7)).toBe(reader);
    s.detachReader(7);
    expect(() => s.table(7)).toThrow(/does not exist/);
  });
});
