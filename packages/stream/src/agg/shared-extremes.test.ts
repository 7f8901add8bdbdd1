/**
 * MIN and MAX of one column keep one multiset (ExtremeCall's `owner`): the MIN reads the
 * other end of the MAX's multiset. Against a batch evaluation of every group after every
 * epoch, over inserts and deletes that often take a group's current extreme (so the cached
 * extreme is lost and the multiset is read from either end), groups that empty and come
 * back, FILTERs (a filtered pair shares, a filtered and an unfiltered call do not), NaN and
 * NULLs, and a new executor over the same store (every group loaded afresh: no cached
 * extreme at all).
 */
import { type DataType, type Datum, Op, type Row, StreamChunkBuilder, T, compareDatum } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../message';
import { HashAggExecutor } from '../executor/hash-agg';
import { SourceExecutor } from '../executor/source';
import { MemStateStore } from '../state/mem-store';
import { StateTableAllocator } from '../state/state-table';
import { aggCall, Collector, rng } from '../test-util';

// (group, id, x float8, s varchar, keep boolean)
const TYPES: DataType[] = [T.Int32, T.Int64, T.Float64, T.Varchar, T.Boolean];
/** [name, argument column, FILTER column or undefined]. */
const CALLS: [string, number, number | undefined][] = [
  ['max', 2, undefined],
  ['min', 2, undefined],
  ['min', 3, undefined],
  ['max', 3, undefined],
  ['max', 2, 4],
  ['min', 2, 4],
  ['max', 3, 4],
  ['max', 3, undefined], // the same call twice: one more reader of the same table
];

function build(store: MemStateStore) {
  const src = new SourceExecutor(TYPES);
  const calls = CALLS.map(([name, col, filter]) => aggCall(name, [col], TYPES, { filter }));
  const agg = new HashAggExecutor({ inputTypes: TYPES, groupKey: [0], calls, tables: new StateTableAllocator(store, 100) });
  src.connect(agg);
  const out = agg.connect(new Collector());
  return { src, agg, out };
}

/** What each call gives for `rows` of one group, computed directly. */
function expected(rows: readonly Row[]): Datum[] {
  return CALLS.map(([name, col, filter]) => {
    let best: Datum = null;
    for (const r of rows) {
      const v = r[col];
      if (v === null || (filter !== undefined && r[filter] !== true)) continue;
      const c = best === null ? 0 : compareDatum(TYPES[col], v, best);
      if (best === null || (name === 'max' ? c > 0 : c < 0)) best = v;
    }
    return best;
  });
}

describe('MIN and MAX of one column share a multiset', () => {
  it('equal a batch evaluation epoch by epoch, through deleted extremes and a fresh executor', () => {
    const r = rng(7);
    const store = new MemStateStore();
    let g = build(store);
    // Four value tables for eight calls (x, s, x FILTER keep, s FILTER keep) and the intermediate.
    expect(g.agg.stateTables().length).toBe(1 + 4);
    const live = new Map<bigint, Row>();
    const view = new Map<number, Row>();
    let nextId = 0n;
    let epoch = 0;
    for (let e = 0; e < 60; e++) {
      if (e === 30) g = build(store); // every group loaded from the intermediate table
      const b = new StreamChunkBuilder(TYPES, 256);
      const push = (op: Op, row: Row) => {
        const c = b.append(op, row);
        if (c) g.src.pushChunk(c);
      };
      for (let i = 0; i < 40; i++) {
        const roll = r();
        if (roll < 0.55 || live.size === 0) {
          const x = r() < 0.05 ? NaN : r() < 0.1 ? null : Math.round(r() * 200) / 4 - 25;
          const row: Row = [Math.floor(r() * 6), nextId++, x, r() < 0.1 ? null : `s${Math.floor(r() * 30)}`, r() < 0.5];
          live.set(row[1] as bigint, row);
          push(Op.Insert, row);
        } else {
          // Half the deletes take a group's current MIN or MAX of x or s.
          const rows = [...live.values()];
          let victim = rows[Math.floor(r() * rows.length)];
          if (roll < 0.8) {
            const grp = rows.filter((row) => row[0] === victim[0]);
            const col = r() < 0.5 ? 2 : 3;
            const dir = r() < 0.5 ? 1 : -1;
            for (const row of grp) if (row[col] !== null && (victim[col] === null || dir * compareDatum(TYPES[col], row[col], victim[col]) > 0)) victim = row;
          }
          live.delete(victim[1] as bigint);
          push(Op.Delete, victim);
        }
      }
      const last = b.take();
      if (last) g.src.pushChunk(last);
      g.src.injectBarrier(new Barrier(++epoch));
      void store.commitEpoch(epoch);
      for (const [op, row] of g.out.take()) {
        if (op === Op.Insert || op === Op.UpdateInsert) view.set(row[0] as number, row);
        else view.delete(row[0] as number);
      }
      const groups = new Map<number, Row[]>();
      for (const row of live.values()) groups.set(row[0] as number, [...(groups.get(row[0] as number) ?? []), row]);
      const want = [...groups].map(([k, rows]) => [k, ...expected(rows)]).sort((a, b) => (a[0] as number) - (b[0] as number));
      const got = [...view.values()].map((row) => [row[0], ...row.slice(1)]).sort((a, b) => (a[0] as number) - (b[0] as number));
      expect(got, `epoch ${epoch}`).toEqual(want);
    }
  });
});
