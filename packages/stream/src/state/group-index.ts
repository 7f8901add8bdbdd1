/**
 * The ordered index of a state table whose owner reads ranges one group at a time
 * (StoreTable.declarePrefixReads): per group prefix, the group's live keys in order.
 *
 * Why not one SortedMap over the whole table: a MIN/MAX over an input that retracts keeps
 * every (group, value) in a state table and seeks the group's first key. Over a table fed by
 * INSERTs that is one new key per event at a random place among all of them, and a
 * SortedMap insert there is two binary searches over strings scattered through the heap:
 * ~2 µs, 11% of the server's engine thread in the seed pipeline's ingest benchmark
 * (docs/performance.md, "Session 23"). Here it is one hash lookup of the prefix (a small
 * BIGINT group key is a number to KeyMap) and a short array, usually touched at an end:
 * a MAX's newest value sorts first, and the oldest leaves last.
 */
import { KeyMap } from '@freshet/common';
import { SortedMap, lowerBound } from './sorted-map';
import { prefixEnd } from './state-table';

/**
 * Keys a group keeps in a plain array; a larger group moves to a SortedMap (bucketed), so a
 * write into the middle of a big group (a MAX grouped by a column of few values) stays cheap.
 */
const MAX_ARRAY = 1024;

/**
 * A group of one key is the key itself: most groups of a MIN/MAX over a dimension table hold
 * one value, and an array for each (two heap objects) is what every full collection marks.
 */
type Group = string | string[] | SortedMap<true>;

export class GroupIndex {
  private readonly groups = new KeyMap<Group>();

  /** `prefixLength(key)`: characters of `key` its group prefix takes (StoreTable.declarePrefixReads). */
  constructor(private readonly prefixLength: (key: string) => number) {}

  /** An index of `keys` (any order, distinct). */
  static of(prefixLength: (key: string) => number, keys: Iterable<string>): GroupIndex {
    const index = new GroupIndex(prefixLength);
    const groups = index.groups;
    for (const k of keys) {
      const p = k.slice(0, prefixLength(k));
      const g = groups.get(p) as string[] | undefined;
      if (g === undefined) groups.set(p, [k]);
      else g.push(k);
    }
    for (const [p, g] of groups) {
      const keys = g as string[];
      // Default sort compares UTF-16 code units: byte order for these latin1 keys.
      keys.sort();
      // Replacing an existing key's value leaves the iteration as it is.
      if (keys.length === 1) groups.set(p, keys[0]);
      else if (keys.length > MAX_ARRAY) groups.set(p, SortedMap.fromSorted(keys, new Array<true>(keys.length).fill(true)));
    }
    return index;
  }

  /** Whether [lo, hi) is exactly the range of one group: lo a whole group prefix, hi the end of its keys. */
  covers(lo: string | undefined, hi: string | undefined): lo is string {
    return lo !== undefined && lo.length > 0 && this.prefixLength(lo) === lo.length && hi === prefixEnd(lo);
  }

  /** The first key of the group `prefix`. */
  first(prefix: string): string | undefined {
    const g = this.groups.get(prefix);
    if (g === undefined || typeof g === 'string') return g;
    return Array.isArray(g) ? g[0] : g.first(undefined, undefined);
  }

  /** The keys of the group `prefix` in order, as a new array. */
  keys(prefix: string): string[] {
    const g = this.groups.get(prefix);
    if (g === undefined) return [];
    if (typeof g === 'string') return [g];
    return Array.isArray(g) ? g.slice() : g.collect(undefined, undefined, []);
  }

  /** The keys of the group `prefix` in order, or in reverse (live: do not change the table while reading them). */
  keysIn(prefix: string, reverse: boolean): Iterable<string> {
    const g = this.groups.get(prefix);
    if (g === undefined) return [];
    if (typeof g === 'string') return [g];
    if (!Array.isArray(g)) return g.keysIn(undefined, undefined, reverse);
    return reverse ? g.slice().reverse() : g;
  }

  insert(key: string): void {
    const p = key.slice(0, this.prefixLength(key));
    const g = this.groups.get(p);
    if (g === undefined) {
      this.groups.set(p, key);
      return;
    }
    if (typeof g === 'string') {
      if (key !== g) this.groups.set(p, key < g ? [key, g] : [g, key]);
      return;
    }
    if (!Array.isArray(g)) {
      g.insert(key, true);
      return;
    }
    const last = g.length - 1;
    if (key > g[last]) g.push(key);
    else if (key < g[0]) g.unshift(key);
    else {
      const i = lowerBound(g, key);
      if (g[i] === key) return;
      g.splice(i, 0, key);
    }
    if (g.length > MAX_ARRAY) this.groups.set(p, SortedMap.fromSorted(g, new Array<true>(g.length).fill(true)));
  }

  delete(key: string): void {
    const p = key.slice(0, this.prefixLength(key));
    const g = this.groups.get(p);
    if (g === undefined) return;
    if (typeof g === 'string') {
      if (g === key) this.groups.delete(p);
      return;
    }
    if (!Array.isArray(g)) {
      if (g.delete(key) && g.size === 0) this.groups.delete(p);
      return;
    }
    const last = g.length - 1;
    if (g[last] === key) g.pop();
    else if (g[0] === key) g.shift();
    else {
      const i = lowerBound(g, key);
      if (g[i] !== key) return;
      g.splice(i, 1);
    }
    if (g.length === 1) this.groups.set(p, g[0]);
    else if (g.length === 0) this.groups.delete(p);
  }
}
