/**
 * The paged multiset against a model (a sorted map of value key → count per group): random
 * adds and removals in several groups, one of them large enough for a tree three levels
 * deep, values of very different key lengths (one longer than a whole leaf), groups that
 * empty and come back. After every step the returned count, the first and last value and
 * — now and then — every entry in order and the number of nodes stored are checked, so a
 * separator that routes a value to the wrong leaf (a duplicate entry, an order break), a
 * node left behind or a lost count fails.
 */
import { type Datum, Decimal, T, encodeKeyString, packRow, unpackRow } from '@freshet/common';
import { describe, expect, it } from 'vitest';
import { MemStateStore } from './mem-store';
import { StateTable } from './state-table';
import { type KeyBound, LEAF_CHARS, NODE_ID_TYPE, PagedMultiset } from './paged-multiset';
import { rng } from '../test-util';

function newMultiset(datums: boolean, nodeChars?: number) {
  const store = new MemStateStore();
  const table = new StateTable(store, { tableId: 1, types: [T.Int32, NODE_ID_TYPE, T.Varchar], pk: [0, 1] }).declarePointReads();
  return { table, set: new PagedMultiset(table, { payloads: datums, leafChars: nodeChars, innerChars: nodeChars }) };
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
    for (let i = 0; i < 6000; i++) set.add(g, vk(i), 1, null);
    expect(set.entries(g).depth).toBe(3);
    // Emptying every leaf but the first leaves a root over one child, and so on down.
    for (let i = 3; i < 6000; i++) set.add(g, vk(i), -1, null);
    expect(set.entries(g)).toEqual({ entries: [0, 1, 2].map((i) => [vk(i), 1]), nodes: 1, leaves: 1, depth: 1 });
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
    // As ExtremeCall stores them: the value packed, with additions only.
    const add = (v: Datum, s: number) => set.add(g, vk(v), s, s > 0 ? packRow([v]) : null);
    const value = (end: [string, string | null] | undefined) => String(unpackRow(end![1]!)[0]);
    for (const v of values) add(v, 1);
    // An equal value with another scale shares the entry, which keeps the value added last.
    expect(value(set.last(g))).toBe('499.000');
    add(Decimal.parse('499'), 1);
    expect(value(set.last(g))).toBe('499');
    expect(value(set.first(g))).toBe(String(values[0]));
    for (let i = 0; i < 300; i++) add(values[i], -1);
    expect(value(set.first(g))).toBe(String(values[300]));
    // A removal leaves the value in place.
    expect(add(values[499], -1)).toBe(1);
    expect(value(set.last(g))).toBe('499');
    expect(set.entries(g).entries.length).toBe(200);
    expect(table.keysWithPrefix(g).length).toBe(set.entries(g).nodes);
  });

  it('removes the entries below a bound and scans a range by leading key, as a temporal filter does', () => {
    // Keys (time, id) as the temporal filter keeps its rows, each with its row as payload;
    // small nodes, so that a few thousand entries make a tree four levels deep.
    const { table, set } = newMultiset(true, 96);
    const g = groupKey(1);
    const timeKey = (t: number) => encodeKeyString([T.Int64], [t]);
    const model = new Map<string, [number, number]>();
    const key = (t: number, id: number) => encodeKeyString([T.Int64, T.Int64], [t, id]);
    const payload = (t: number, id: number) => packRow([t, id, `row ${id}`]);
    const inRange = (t: number, lo: [number, boolean] | undefined, hi: [number, boolean] | undefined) =>
      (lo === undefined || t > lo[0] || (lo[1] && t === lo[0])) && (hi === undefined || t < hi[0] || (hi[1] && t === hi[0]));
    const sortedModel = () => [...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const bound = (b: [number, boolean] | undefined): KeyBound | undefined => (b === undefined ? undefined : { prefix: timeKey(b[0]), inclusive: b[1] });
    const rand = rng(11);
    let low = 0;
    let nextId = 0;
    let maxDepth = 0;
    let removedTotal = 0;
    for (let round = 0; round < 60; round++) {
      // Inserts at times from the low end up to 400 ahead, out of order in odd rounds and in
      // order in even ones (appends to the last leaf), then deletes of rows present or not.
      for (let i = 0; i < 150; i++) {
        const t = round % 2 === 0 ? low + 250 + i : low + Math.floor(rand() * 400);
        const id = nextId++;
        expect(set.add(g, key(t, id), 1, payload(t, id))).toBe(1);
        model.set(key(t, id), [t, id]);
      }
      const present = [...model.values()];
      for (let i = 0; i < 40; i++) {
        const [t, id] = rand() < 0.8 && present.length > 0 ? present[Math.floor(rand() * present.length)] : [low + 7, nextId + 5];
        const had = model.delete(key(t, id));
        expect(set.add(g, key(t, id), -1, null)).toBe(had ? 0 : -1);
      }
      maxDepth = Math.max(maxDepth, set.entries(g).depth);
      // A scan of a random range gives exactly the model's entries in it, in order, with their payloads.
      const lo: [number, boolean] | undefined = rand() < 0.2 ? undefined : [low + Math.floor(rand() * 300), rand() < 0.5];
      const hi: [number, boolean] | undefined = rand() < 0.2 ? undefined : [(lo?.[0] ?? low) + Math.floor(rand() * 200), rand() < 0.5];
      const scanned: unknown[] = [];
      set.scan(g, bound(lo), bound(hi), (k, c, p) => scanned.push([k, c, unpackRow(p!)]));
      const want = sortedModel()
        .filter(([, [t]]) => inRange(t, lo, hi))
        .map(([k, [t, id]]) => [k, 1, [t, id, `row ${id}`]]);
      expect(scanned).toEqual(want);
      // The bound moves up by 0–120 (inclusive or not): exactly the entries below it go, in order.
      const b: [number, boolean] = [low + Math.floor(rand() * 120), rand() < 0.5];
      const removed: string[] = [];
      set.removeBelow(g, bound(b)!, (k, c, p) => {
        expect(c).toBe(1);
        expect(unpackRow(p!)[1]).toBe(model.get(k)?.[1]);
        removed.push(k);
      });
      const below = sortedModel().filter(([, [t]]) => t < b[0] || (b[1] && t === b[0]));
      expect(removed).toEqual(below.map(([k]) => k));
      for (const [k] of below) model.delete(k);
      removedTotal += removed.length;
      low = b[0];
      const { entries, nodes } = set.entries(g);
      expect(entries).toEqual(sortedModel().map(([k]) => [k, 1]));
      expect(table.keysWithPrefix(g).length).toBe(nodes);
      if (round % 10 === 0) table.commit(table.epoch);
    }
    expect(maxDepth).toBeGreaterThanOrEqual(4);
    expect(removedTotal).toBeGreaterThan(3000);
    // A bound past everything empties the tree, root and all.
    set.removeBelow(g, { prefix: timeKey(low + 1000), inclusive: true }, () => {});
    expect(set.entries(g).nodes).toBe(0);
    expect(table.size).toBe(0);
  });

  it('appends in key order fill their leaves and keep the tree whole through splits at every level', () => {
    // A temporal filter's rows arriving in time order: every key past the last, a bound
    // that removes the oldest now and then. Tiny nodes, so that inner nodes and the root
    // split again and again while the tail leaf is being appended to.
    const { table, set } = newMultiset(true, 80);
    const g = groupKey(2);
    const key = (i: number) => encodeKeyString([T.Int64, T.Int64], [Math.floor(i / 3), i]);
    let low = 0;
    for (let i = 0; i < 6000; i++) {
      expect(set.add(g, key(i), 1, packRow([i]))).toBe(1);
      if (i % 700 === 699) {
        const bound = Math.floor((i - 300) / 3);
        let n = 0;
        set.removeBelow(g, { prefix: encodeKeyString([T.Int64], [bound]), inclusive: false }, (k, _c, p) => {
          expect(k).toBe(key(low + n));
          expect(unpackRow(p!)[0]).toBe(low + n);
          n++;
        });
        expect(n).toBe(bound * 3 - low);
        low = bound * 3;
      }
      if (i % 97 === 0 || i === 5999) {
        const { entries, nodes, depth } = set.entries(g);
        expect(entries).toEqual(Array.from({ length: i + 1 - low }, (_, j) => [key(low + j), 1]));
        expect(table.keysWithPrefix(g).length).toBe(nodes);
        if (i === 5999) expect(depth).toBeGreaterThanOrEqual(4);
      }
      if (i % 300 === 0) table.commit(table.epoch);
    }
    // Leaves split with the new key alone on the right stay full: ~3 entries of 25 characters
    // per 80-character leaf, against ~2 when splitting in the middle.
    const live = 6000 - low;
    expect(set.entries(g).leaves).toBeLessThan(live / 2.5);
    // Out of order again, the tree still takes keys anywhere.
    for (let i = 0; i < 200; i++) set.add(g, key(low + 1 + ((i * 37) % (live - 2))), 1, packRow([-1]));
    expect(set.entries(g).entries.reduce((n, [, c]) => n + c, 0)).toBe(live + 200);
  });
});
