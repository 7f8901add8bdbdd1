import { describe, expect, it } from 'vitest';
import { type DataType, type Datum, type Row, T } from '@freshet/common';
import type { ChangeCursor, ColdScan, RowChange, TableReader } from '@freshet/storage';
import { newRuntime } from './executor';
import { PlanRunner, drainSync } from './driver';
import { IndexLookupExecutor } from './executor/index-lookup';
import { SecondaryIndexes, eachIndexedPk } from './secondary-index';

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

/** The first page of the values (column 2) of `reader`'s rows with key `k`, run as the server runs it (cold reads awaited). */
function firstPage(indexes: SecondaryIndexes, reader: Rows, k: number) {
  const runtime = rt();
  return new PlanRunner(new IndexLookupExecutor(indexes, reader, [1], [T.Int32], [() => k], [2], runtime), runtime).next(0);
}

/** Versioned rows (i, i % 2, `r${i}`) for i in 0..4. */
function fiveRows<R extends Rows>(r: R): R {
  r.version = 1;
  for (let i = 0; i < 5; i++) r.put(i, i % 2, `r${i}`);
  return r;
}

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
    const r = fiveRows(new Rows(3, true));
    const indexes = new SecondaryIndexes(() => () => {});
    expect((await firstPage(indexes, r, 1)).rows.sort()).toEqual([['r1'], ['r3']]);
    expect(drainSync(lookup(indexes, r, 0)).map((x) => x[2]).sort()).toEqual(['r0', 'r2', 'r4']);
    expect(r.scans).toBe(1);
  });

  it('lets a query wait for the build another query has under way instead of scanning again', async () => {
    const r = fiveRows(new Rows(4, true));
    const indexes = new SecondaryIndexes(() => () => {});
    const [a, b] = await Promise.all([firstPage(indexes, r, 1), firstPage(indexes, r, 0)]);
    expect(a.rows.sort()).toEqual([['r1'], ['r3']]);
    expect(b.rows.sort()).toEqual([['r0'], ['r2'], ['r4']]);
    expect(r.scans).toBe(1);
  });

  it('waits for another query\'s build as long as it reads on, and builds itself only when that build stalled', async () => {
    /** A cold scan that hands out one row every 400 ms: slower in all than the 1 s a waiter allows a build without progress. */
    class SlowRows extends Rows {
      override scanCold(): ColdScan {
        this.scans++;
        const rows = [...this.rows.values()];
        let i = 0;
        let waited = false;
        return {
          next: () => {
            if (i >= rows.length) return null;
            if (!waited) {
              waited = true;
              return new Promise<void>((r) => setTimeout(r, 400));
            }
            waited = false;
            return [rows[i++]];
          },
          close: () => {},
        };
      }
    }
    const r = fiveRows(new SlowRows(7, true));
    const indexes = new SecondaryIndexes(() => () => {});
    const started = performance.now();
    const [a, b] = await Promise.all([firstPage(indexes, r, 1), firstPage(indexes, r, 0)]);
    expect(performance.now() - started).toBeGreaterThan(1500);
    expect(a.rows.sort()).toEqual([['r1'], ['r3']]);
    expect(b.rows.sort()).toEqual([['r0'], ['r2'], ['r4']]);
    expect(r.scans).toBe(1);

    // A build abandoned without `end` (it never reads again): the next query builds its own after the stall window.
    const s = new Rows(8, true);
    s.version = 1;
    for (let i = 0; i < 3; i++) s.put(i, 5, `s${i}`);
    indexes.builder(s, [1], [T.Int32]);
    const c = await firstPage(indexes, s, 5);
    expect(c.rows.sort()).toEqual([['s0'], ['s1'], ['s2']]);
    expect(s.scans).toBe(1);
  });

  it('follows an MV through its change cursor: moves, deletes and re-inserts without rescanning, committed epochs only', () => {
    const r = new FollowedRows(5);
    r.write(1, [1, 10, 'a'], 1);
    r.write(1, [2, 10, 'b'], 1);
    r.write(1, [3, 20, 'c'], 1);
    r.committed = 1;
    const indexes = new SecondaryIndexes(() => () => {});
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([1, 2]);
    // Epoch 2: 1 moves to key 20, 2 is deleted, 4 is new; not committed yet.
    r.write(2, [1, 10, 'a'], -1);
    r.write(2, [1, 20, 'a'], 1);
    r.write(2, [2, 10, 'b'], -1);
    r.write(2, [4, 10, 'd'], 1);
    r.write(2, [5, null, 'e'], 1);
    expect(ids(drainSync(lookup(indexes, r, 20)))).toEqual([3]); // the rows are epoch 1's
    r.committed = 2;
    expect(ids(drainSync(lookup(indexes, r, 10)))).toEqual([4]);
    expect(ids(drainSync(lookup(indexes, r, 20)))).toEqual([1, 3]);
    // Epoch 3: 2 comes back under 20, 4 is deleted and re-inserted.
    r.write(3, [2, 20, 'b'], 1);
    r.write(3, [4, 10, 'd'], -1);
    r.write(3, [4, 10, 'd2'], 1);
    r.committed = 3;
    expect(ids(drainSync(lookup(indexes, r, 20)))).toEqual([1, 2, 3]);
    expect(drainSync(lookup(indexes, r, 10))).toEqual([[4, 10, 'd2']]);
    // The entries themselves moved (not just filtered by the re-check): nothing stale is kept.
    const map = indexes.current(r, [1])!;
    expect([...map.keys()].sort()).toEqual([10, 20]);
    // A lone primary key is filed as its datums; two or more by their encoding.
    expect(map.get(10)).toEqual([4]);
    expect([...eachIndexedPk(map.get(20)!)].map((pk) => pk[0]).sort()).toEqual([1, 2, 3]);
    expect(r.scans).toBe(1);
    expect(r.openCursors).toBe(1);
    indexes.close();
    expect(r.openCursors).toBe(0);
  });

  it('applies what committed during an awaited build scan, and rebuilds when its cursor fell behind', async () => {
    const r = new FollowedRows(6, true);
    for (let i = 0; i < 5; i++) r.write(1, [i, i % 2, `r${i}`], 1);
    r.committed = 1;
    const indexes = new SecondaryIndexes(() => () => {});
    const runtime = rt();
    const runner = new PlanRunner(new IndexLookupExecutor(indexes, r, [1], [T.Int32], [() => 1], [2], runtime), runtime);
    const pending = runner.next(0);
    // Committed while the scan awaits its disk reads (the scan then still sees the old rows).
    r.cursors[0].record(2, [9, 1, 'r9'], 1);
    r.committed = 2;
    expect((await pending).rows.sort()).toEqual([['r1'], ['r3']]);
    r.rows.set(9, [9, 1, 'r9']);
    expect(drainSync(lookup(indexes, r, 1)).map((x) => x[2]).sort()).toEqual(['r1', 'r3', 'r9']);
    expect(r.scans).toBe(1);
    r.cursors[0].lost = true;
    r.write(3, [10, 1, 'r10'], 1);
    r.committed = 3;
    expect(drainSync(lookup(indexes, r, 1)).map((x) => x[2]).sort()).toEqual(['r1', 'r10', 'r3', 'r9']);
    expect(r.scans).toBe(2);
    expect(r.openCursors).toBe(1);
  });
});

/** An MV-like relation: rows written per epoch, visible (and delivered to cursors) once the epoch is committed. */
class FollowedRows extends Rows {
  committed = 0;
  readonly cursors: TestCursor[] = [];
  private pending: [number, Row, number][] = [];
  get openCursors(): number {
    return this.cursors.filter((c) => c.open).length;
  }
  /** A change in `epoch`: visible to get/scan once committed (applied lazily on read). */
  write(epoch: number, row: Row, sign: number): void {
    this.pending.push([epoch, row, sign]);
    for (const c of this.cursors) c.record(epoch, row, sign);
  }
  private settle(): void {
    const keep: [number, Row, number][] = [];
    for (const p of this.pending) {
      if (p[0] > this.committed) keep.push(p);
      else if (p[2] > 0) this.rows.set(p[1][0] as number, p[1]);
      else this.rows.delete(p[1][0] as number);
    }
    this.pending = keep;
  }
  override get(pk: readonly unknown[]): Row | undefined {
    this.settle();
    return super.get(pk);
  }
  override scan(): Iterable<Row> {
    this.settle();
    return super.scan();
  }
  override scanCold(): ColdScan | null {
    this.settle();
    return super.scanCold();
  }
  openChangeCursor(): ChangeCursor {
    const c = new TestCursor(() => this.committed);
    this.cursors.push(c);
    return c;
  }
}

class TestCursor implements ChangeCursor {
  open = true;
  lost = false;
  private changes: [number, RowChange][] = [];
  constructor(private readonly committed: () => number) {}
  record(epoch: number, row: Row, sign: number): void {
    if (this.open) this.changes.push([epoch, sign > 0 ? { old: undefined, row } : { old: row, row: undefined }]);
  }
  take(): readonly RowChange[] | null {
    if (this.lost) return null;
    const ready = this.changes.filter(([e]) => e <= this.committed());
    this.changes = this.changes.filter(([e]) => e > this.committed());
    return ready.map(([, c]) => c);
  }
  close(): void {
    this.open = false;
  }
}
