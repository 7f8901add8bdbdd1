import { T, type Datum } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { BatchScalarCall, type BatchScalarImpl, InputRef } from './expr';
import { chunk } from './test-util';

const ctx = { timeZone: 'UTC', now: 0 };

/** x * 10, failing on 13; counts how it is called. */
function timesTen(): BatchScalarImpl & { batches: number; single: number } {
  const calc = (x: Datum) => {
    if (x === 13) throw new Error('unlucky');
    return x === null ? null : (x as number) * 10;
  };
  const impl = {
    name: 'times_ten',
    argTypes: [T.Int32],
    returnType: T.Int32,
    strict: false,
    batches: 0,
    single: 0,
    eval(args: Datum[]) {
      impl.single++;
      return calc(args[0]);
    },
    evalBatch(rows: Datum[][]) {
      impl.batches++;
      return rows.map((r) => calc(r[0]));
    },
  };
  return impl;
}

describe('BatchScalarCall', () => {
  it('evaluates the visible rows of a chunk in one call', () => {
    const impl = timesTen();
    const c = chunk(`
      i
      + 1
      + 2
      + .`);
    const col = new BatchScalarCall(impl, [new InputRef(0, T.Int32)], ctx).eval(c);
    expect([0, 1, 2].map((i) => col.get(i))).toEqual([10, 20, null]);
    expect(impl.batches).toBe(1);
    expect(impl.single).toBe(0);
  });

  it('falls back to row by row when the batch fails, so only the failing row is NULL', () => {
    const impl = timesTen();
    const reported: string[] = [];
    const errors = { report: (what: string, e: unknown) => reported.push(`${what}: ${(e as Error).message}`) };
    const c = chunk(`
      i
      + 1
      + 13
      + 3`);
    const col = new BatchScalarCall(impl, [new InputRef(0, T.Int32)], ctx, errors).eval(c);
    expect([0, 1, 2].map((i) => col.get(i))).toEqual([10, null, 30]);
    expect(reported).toEqual(['times_ten: unlucky']);
  });
});
