/**
 * The paged multiset against a model (a sorted map of value key → count per group): random
 * adds and removals in several groups, one of them large enough for a tree three levels
 * deep, values of very different key lengths (one longer than a whole leaf), groups that
 * empty and come back. After every step the returned count, the first and last value and
 * — now and then — every entry in order and the number of nodes stored are checked, so a
 * separator that routes a value to the wrong leaf (a duplicate entry, an order break), a
 * node left behind or a lost count fails.
 */
import { type Datum, Decimal, T, encodeKeyString } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from '../state/mem-store';
import { StateTable } from '../state/state-table';
import { LEAF_CHARS, NODE_ID_TYPE, PagedMultiset } from './paged-multiset';
import { rng } from '../test-util';

function newMultiset(datums: boolean) {
  const store = new MemStateStore();
  const table = new StateTable(store, { tableId: 1, types: [T.Int32, NODE_ID_TYPE, T.Varchar], pk: [0, 1] }).declarePointReads();
  return { table, set: new PagedMultiset(table, datums) };
}

const groupKey = (g: number) => encodeKeyString([T.Int32], [g]);

class Model {
  readonly groups = new Map<string, Map<string, number>>();
  add(g: string, vk: string, s: number): number {
    let m = this.groups.get(g);
    if (m === undefined) this.groups.set(g, (m = new Map()));
    const c = (m.get(vk) ?? 0) + s;
    if (c > 0) m.set(vk, c);
    else m.delete(vk);
    return c;
  }
  /** The smallest and largest key of a group (undefined when empty). */
  ends(g: string): [string | undefined, string | undefined] {
    let lo: string | undefined;
    let hi: string | undefined;
    for (const k of (this.groups.get(g) ?? new Map<string, number>()).keys()) {
      if (lo === undefined || k < lo) lo = k;
      if (hi === undefined || k > hi) hi = k;
    }
    return [lo, hi];
  }
  sorted(g: string): [string, number][] {
    return [...(this.groups.get(g) ?? new Map<string, number>()).entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

function checkGroup(set: PagedMultiset, table: StateTable, model: Model, g: string, full: boolean): void {
  const [lo, hi] = model.ends(g);
  expect(set.first(g)?.[0]).toBe(lo);
  expect(set.last(g)?.[0]).toBe(hi);
  if (!full) return;
  const want = model.sorted(g);
  const { entries, nodes } = set.entries(g);
  expect(entries).toEqual(want);
  // Every node stored is reachable from the root, none is left behind.
  expect(table.keysWithPrefix(g).length).toBe(nodes);
  if (want.length === 0) expect(nodes).toBe(0);
}

const STEPS = 24_000;

describe('PagedMultiset', () => {
  it('matches a sorted multiset model through splits, removals and groups that empty', () => {
    const { table, set } = newMultiset(false);
    const model = new Model();
    const rand = rng(7);
    const groups = [0, 1, 2, 3].map(groupKey);
    // Group 0 is large (a tree of three levels), the others small; value keys vary in length.
    const valueKey = (g: number): string => {
      if (g === 0) return encodeKeyString([T.Int64], [Math.floor(rand() * 6_000)]);
      const r = rand();
      if (r < 0.02) return encodeKeyString([T.Varchar], ['x'.repeat(LEAF_CHARS + 10) + Math.floor(rand() * 5)]);
      return encodeKeyString([T.Varchar], [String(Math.floor(rand() * 400)).repeat(1 + Math.floor(rand() * 6))]);
    };
    let maxDepthSeen = 0;
    for (let step = 0; step < STEPS; step++) {
      const gi = step < STEPS / 2 ? (rand() < 0.6 ? 0 : 1 + Math.floor(rand() * 3)) : rand() < 0.3 ? 0 : 1 + Math.floor(rand() * 3);
      const g = groups[gi];
      // Grow for the first half, then mostly shrink (removals of values present or not).
      const growing = step < STEPS / 2;
      let vk: string;
      const present = growing ? [] : [...(model.groups.get(g)?.keys() ?? [])];
      if (present.length > 0 && rand() < 0.8) vk = present[Math.floor(rand() * present.length)];
      else vk = valueKey(gi);
      const s = growing ? (rand() < 0.8 ? 1 : -1) : rand() < 0.85 ? -1 - Math.floor(rand() * 2) : 1;
      expect(set.add(g, vk, s, null)).toBe(model.add(g, vk, s));
      checkGroup(set, table, model, g, step % 499 === 0);
      if (gi === 0 && step % 1000 === 0) maxDepthSeen = Math.max(maxDepthSeen, set.entries(g).depth);
      if (step % 250 === 0) table.commit(table.epoch);
    }
    for (const g of groups) checkGroup(set, table, model, g, true);
    // Drain everything: no node is left.
    for (const g of groups) for (const [vk, c] of model.sorted(g)) expect(set.add(g, vk, -c, null)).toBe(model.add(g, vk, -c));
    for (const g of groups) checkGroup(set, table, model, g, true);
    expect(table.size).toBe(0);
    expect(maxDepthSeen).toBeGreaterThanOrEqual(3);
  });

  it('shrinks back to a single leaf once the values left fit in one', () => {
    const { table, set } = newMultiset(false);
    const g = groupKey(5);
    const vk = (i: number) => encodeKeyString([T.Int64], [i]);
    for (let i = 0; i < 2000; i++) set.add(g, vk(i), 1, null);
    expect(set.entries(g).depth).toBe(3);
    // Emptying every leaf but the first leaves a root over one child, and so on down.
    for (let i = 3; i < 2000; i++) set.add(g, vk(i), -1, null);
    expect(set.entries(g)).toEqual({ entries: [0, 1, 2].map((i) => [vk(i), 1]), nodes: 1, depth: 1 });
    expect(table.size).toBe(1);
    expect(set.last(g)?.[0]).toBe(vk(2));
    // It grows again from there, with fresh node ids.
    for (let i = 3; i < 200; i++) set.add(g, vk(i), 1, null);
    expect(set.entries(g).entries.length).toBe(200);
    expect(table.keysWithPrefix(g).length).toBe(set.entries(g).nodes);
  });

  it('gives nodes distinct keys past 2^32 ids (a long-lived group under churn)', () => {
    const { table, set } = newMultiset(false);
    const g = groupKey(6);
    const vk = (i: number) => encodeKeyString([T.Int64], [i]);
    set.add(g, vk(0), 1, null);
    // The root leaf is [kind][next free id as a varint = 1][entries]: pretend 2^33 ids were taken.
    const root = table.getByKey(table.keysWithPrefix(g)[0])![0] as string;
    expect(root.charCodeAt(1)).toBe(1);
    let varint = '';
    for (let n = 2 ** 33; ; n = Math.floor(n / 128)) {
      if (n < 128) {
        varint += String.fromCharCode(n);
        break;
      }
      varint += String.fromCharCode((n % 128) | 0x80);
    }
    table.putByKey(table.keysWithPrefix(g)[0], [root[0] + varint + root.slice(2)]);
    for (let i = 1; i < 300; i++) set.add(g, vk(i), 1, null);
    const { entries, nodes } = set.entries(g);
    expect(entries).toEqual(Array.from({ length: 300 }, (_, i) => [vk(i), 1]));
    expect(nodes).toBeGreaterThan(10);
    expect(table.keysWithPrefix(g).length).toBe(nodes);
  });

  it('keeps each value with its entry when the key does not give it back', () => {
    const { table, set } = newMultiset(true);
    const g = groupKey(9);
    const values = Array.from({ length: 500 }, (_, i) => Decimal.parse(`${i}.${'0'.repeat(i % 4)}`));
    const vk = (v: Datum) => encodeKeyString([T.Decimal], [v]);
    for (const v of values) set.add(g, vk(v), 1, v);
    // An equal value with another scale shares the entry, which keeps the value added last.
    expect(String(set.last(g)![1])).toBe('499.000');
    set.add(g, vk(Decimal.parse('499')), 1, Decimal.parse('499'));
    expect(String(set.last(g)![1])).toBe('499');
    expect(String(set.first(g)![1])).toBe(String(values[0]));
    for (let i = 0; i < 300; i++) set.add(g, vk(values[i]), -1, values[i]);
    expect(String(set.first(g)![1])).toBe(String(values[300]));
    // A removal leaves the value in place.
    expect(set.add(g, vk(values[499]), -1, values[499])).toBe(1);
    expect(String(set.last(g)![1])).toBe('499');
    expect(set.entries(g).entries.length).toBe(200);
    expect(table.keysWithPrefix(g).length).toBe(set.entries(g).nodes);
  });
});
