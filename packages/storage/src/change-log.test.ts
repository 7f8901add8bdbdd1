import { packRow } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { ChangeLogWriter, decodeChanges } from './change-log';

describe('ChangeLogWriter', () => {
  it('round-trips inserts, updates and deletes, rows packed or not, grouped by table in order', () => {
    const w = new ChangeLogWriter();
    const a = [1n, 'a', 1.5, null];
    const b = [2n, 'b'.repeat(70_000), -0, true]; // longer than the writer's first buffer
    w.add(7, undefined, a);
    w.add(8, undefined, packRow(b));
    w.add(7, a, packRow(b));
    w.add(7, b, undefined);
    expect(w.length).toBe(4);
    const decoded = decodeChanges(Buffer.from(w.bytes()));
    expect([...decoded.keys()]).toEqual([7, 8]);
    expect(decoded.get(7)).toEqual([
      { old: undefined, row: a },
      { old: a, row: b },
      { old: b, row: undefined },
    ]);
    expect(decoded.get(8)).toEqual([{ old: undefined, row: b }]);
    // Reused: a reset starts an empty record.
    w.reset().add(9, undefined, ['x']);
    expect(w.length).toBe(1);
    expect([...decodeChanges(Buffer.from(w.bytes()))]).toEqual([[9, [{ old: undefined, row: ['x'] }]]]);
  });
});
