/** A packed state row (packRow) checkpoints as the very bytes its unpacked row would. */
import { type Row, packRow } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { BatchRecord } from './batch-record';

describe('BatchRecord.putRow with a packed row', () => {
  it('writes the same record as the row itself', () => {
    const prefix = Buffer.from('s/7/');
    const rows: Row[] = [
      [1_700_000_000_000_000, 42n, 'click', null, 2.5],
      [0, -1n, 'ünïcödé', true, Number.NaN],
      [],
    ];
    const plain = new BatchRecord();
    const packed = new BatchRecord();
    rows.forEach((row, i) => {
      plain.putRow(prefix, `k${i}`, row);
      // The store hands a packed table's value over as its string (state-table.ts).
      packed.putRow(prefix, `k${i}`, packRow(row) as unknown as Row);
    });
    plain.putRow(prefix, 'gone', null);
    packed.putRow(prefix, 'gone', null);
    expect(packed.bytes().equals(plain.bytes())).toBe(true);
  });
});
