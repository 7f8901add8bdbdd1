/**
 * Append-only min/max (AppendOnlyExtremeCall): the same outputs as the retractable
 * multiset version on insert-only input, one accumulator value per group and no state
 * table of values, restored from the intermediate table, and a retraction is refused.
 */
import { type DataType, Decimal, Op, StreamChunkBuilder, T } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { HashAggExecutor } from '../executor/hash-agg';
import { SourceExecutor } from '../executor/source';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { Collector, aggCall, bag } from '../test-util';

const TYPES: DataType[] = [T.Int32, T.Int64, T.Float64, T.Varchar, T.Decimal];

function run(appendOnly: boolean, batches: (readonly unknown[])[][], store = new MemStateStore()) {
  const src = new SourceExecutor(TYPES);
  const tables = new StateTableAllocator(store, 100);
  const calls = [1, 2, 3, 4].flatMap((c) => [aggCall('min', [c], TYPES, { appendOnly }), aggCall('max', [c], TYPES, { appendOnly })]);
  const agg = new HashAggExecutor({ inputTypes: TYPES, groupKey: [0], calls, tables });
  src.connect(agg);
  const out = agg.connect(new Collector());
  let epoch = store.committedEpoch;
  const outputs: string[][] = [];
  for (const rows of batches) {
    const b = new StreamChunkBuilder(TYPES, 4096);
    for (const r of rows) b.append(Op.Insert, r as never);
    src.pushChunk(b.take()!);
    src.injectBarrier(new Barrier(++epoch));
    void store.commitEpoch(epoch);
    outputs.push(bag(out.take().map(([op, row]) => [op, ...row])));
  }
  return { outputs, agg, store };
}

/** Deterministic rows with NULLs, NaN, negative numbers and ties. */
function rows(seed: number, n: number): unknown[][] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: n }, () => {
    const v = (next() % 2001) - 1000;
    const nul = next() % 10 === 0;
    return [
      next() % 7,
      nul ? null : BigInt(v) * 1_000_000_000_000n,
      nul ? null : next() % 50 === 0 ? NaN : v / 8,
      nul ? null : `s${v}`,
      nul ? null : Decimal.fromInt(v),
    ];
  });
}

describe('append-only min/max', () => {
  it('matches the retractable version epoch by epoch on insert-only input', () => {
    const batches = [rows(1, 50), rows(2, 300), rows(3, 5), rows(4, 200)];
    const a = run(true, batches);
    const r = run(false, batches);
    expect(a.outputs).toEqual(r.outputs);
    // One intermediate table and no value tables (the retractable one has one per column:
    // MIN and MAX of a column share it, agg/shared-extremes.test.ts).
    expect(a.agg.stateTables().length).toBe(1);
    expect(r.agg.stateTables().length).toBe(5);
  });

  it('resumes from the intermediate table when a group leaves the cache', () => {
    const store = new MemStateStore();
    run(true, [rows(5, 100)], store);
    const resumed = run(true, [rows(6, 100)], store).outputs;
    expect(resumed).toEqual(run(false, [rows(5, 100), rows(6, 100)]).outputs.slice(1));
  });

  it('refuses a retraction', () => {
    const src = new SourceExecutor([T.Int32, T.Int32]);
    const agg = new HashAggExecutor({
      inputTypes: [T.Int32, T.Int32],
      groupKey: [0],
      calls: [aggCall('max', [1], [T.Int32, T.Int32], { appendOnly: true })],
      tables: new StateTableAllocator(new MemStateStore(), 100),
    });
    src.connect(agg);
    const b = new StreamChunkBuilder([T.Int32, T.Int32]);
    b.append(Op.Delete, [1, 2]);
    expect(() => src.pushChunk(b.take()!)).toThrow(/append-only max: the input retracted a row/);
  });
});
