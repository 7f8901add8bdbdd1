import { describe, expect, it } from 'vitest';
import { type DataType, type Datum, type Row, T } from '@freshet/common';
import type { ColdScan, RowChange, TableReader } from '@freshet/storage';
import { newRuntime } from './executor';
import { PlanRunner, drainSync } from './driver';
import { IndexLookupExecutor } from './executor/index-lookup';
import { SecondaryIndexes } from './secondary-index';

/** Rows (id, k, v) keyed by id; `cold` makes full scans go through an awaited ColdScan, as an MV under a memory limit. */
class Rows implements TableReader {
  readonly schema = { types: [T.Int32, T.Int32, T.Varchar] as DataType[], pk: [0] };
  readonly rows = new Map<number, Row>();
  version?: number;
  scans = 0;
  constructor(
    readonly tableId: number,
    private readonly cold = false,
  ) {}
  get size(): number {
    return this.rows.size;
  }
  get(pk: readonly unknown[]): Row | undefined {
    return this.rows.get(pk[0] as number);
  }
  scan(): Iterable<Row> {
    this.scans++;
    return [...this.rows.values()];
  }
  scanCold(): ColdScan | null {
    if (!this.cold) return null;
    this.scans++;
    const batches = [[...this.rows.values()].slice(0, 2), [...this.rows.values()].slice(2)];
    let step = 0;
    return {
      next: () => (step >= 4 ? null : step++ % 2 === 0 ? Promise.resolve() : batches[(step - 1) >> 1]),
      close: () => {},
    };
  }
  put(id: number, k: number | null, v: string): void {
    this.rows.set(id, [id, k, v]);
  }
}

const cancel = { cancelled: false, throwIfCancelled() {} };
const rt = () => newRuntime([], { timeZone: 'UTC', now: 0 }, cancel);

function lookup(indexes: SecondaryIndexes, reader: Rows, k: Datum): IndexLookupExecutor {
  return new IndexLookupExecutor(indexes, reader, [1], [T.Int32], [() => k], null, rt());
}

const ids = (rows: Row[]) => rows.map((r) => r[0]).sort();

describe('secondary indexes', () => {
  it('finds every row with the key, skips NULL keys, and builds once per version', () => {
    const r = new Rows(1);
    r.version = 1;
    r.put(1, 10, 'a');
    r.put(2, 10, 'b');
    r.put(3, 20, 'c');
    r.put(4, null, 'd');
    const indexes = new SecondaryIndexes(() => () => {});
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([1, 2]);
    expect(ids(drainSync(lookup(indexes, r, 20)))).toEqual([3]);
    expect(drainSync(lookup(indexes, r, null))).toEqual([]);
    expect(drainSync(lookup(indexes, r, 99))).toEqual([]);
    expect(r.scans).toBe(1);
    r.put(5, 10, 'e');
    r.put(1, 30, 'a'); // moved off key 10: the stale index entry is re-checked against the row
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([2]);
    r.version = 2;
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([2, 5]);
    expect(ids(drainSync(lookup(indexes, r, 30)))).toEqual([1]);
    expect(r.scans).toBe(2);
  });

  it('follows a table through its change feed when the reader has no version', () => {
    const r = new Rows(2);
    r.put(1, 10, 'a');
    let listener: ((c: RowChange[]) => void) | null = null;
    const indexes = new SecondaryIndexes((id, l) => {
      expect(id).toBe(2);
      listener = l;
      return () => {
        listener = null;
      };
    });
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([1]);
    r.put(2, 10, 'b');
    listener!([{ old: undefined, row: [2, 10, 'b'] }]);
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([1, 2]);
    indexes.close();
    expect(listener).toBeNull();
  });

  it('builds from an awaited cold scan when the relation is partly on disk', async () => {
    const r = new Rows(3, true);
    r.version = 1;
    for (let i = 0; i < 5; i++) r.put(i, i % 2, `r${i}`);
    const indexes = new SecondaryIndexes(() => () => {});
    const runtime = rt();
    const runner = new PlanRunner(new IndexLookupExecutor(indexes, r, [1], [T.Int32], [() => 1], [2], runtime), runtime);
    expect((await runner.next(0)).rows.sort()).toEqual([['r1'], ['r3']]);
    expect(drainSync(lookup(indexes, r, 0)).map((x) => x[2]).sort()).toEqual(['r0', 'r2', 'r4']);
    expect(r.scans).toBe(1);
  });

  it('lets a query wait for the build another query has under way instead of scanning again', async () => {
    const r = new Rows(4, true);
    r.version = 1;
    for (let i = 0; i < 5; i++) r.put(i, i % 2, `r${i}`);
    const indexes = new SecondaryIndexes(() => () => {});
    const run = (k: number) => {
      const runtime = rt();
      return new PlanRunner(new IndexLookupExecutor(indexes, r, [1], [T.Int32], [() => k], [2], runtime), runtime).next(0);
    };
    const [a, b] = await Promise.all([run(1), run(0)]);
    expect(a.rows.sort()).toEqual([['r1'], ['r3']]);
    expect(b.rows.sort()).toEqual([['r0'], ['r2'], ['r4']]);
    expect(r.scans).toBe(1);
  });
});
