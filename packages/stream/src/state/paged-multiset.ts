/**
 * A counted multiset of keys per group, each entry optionally carrying a payload string,
 * kept as pages that are read only by key. Two users:
 * - MIN/MAX over an input that retracts (agg/materialized-calls.ts's ExtremeCall): a
 *   group's values, with the value itself as payload when its key does not give it back;
 * - the temporal filter (executor/temporal-filter.ts): one group of (time, stream key)
 *   keys, each row packed as its payload, expired from the low end and released by range.
 *
 * Both used to keep a state row per entry, and read a group's first or last entries by
 * seeking into the table's order: a range read, which under a memory limit LevelDB cannot
 * answer synchronously (classic-level has `getSync`, no synchronous iterator) while
 * executors push chunks synchronously. So such tables were kept whole, most of the serving
 * load's state (docs/performance.md, "Session 34" and "Session 35").
 *
 * Here a group's entries are a B+tree whose nodes are state rows keyed by (group, node id):
 * every read is a point read, so the table declares point reads and a memory limit evicts
 * nodes like any other cached rows. A node is one string: a leaf holds (key, count[,
 * payload]) entries in key order, an inner node (separator, child id) entries, child i
 * holding the keys from its separator up to the next one's. Node 0 is the root, which also
 * carries the group's next free node id.
 *
 * Writes are copy on write (the store keeps the committed row beside the working one):
 * a change rewrites the one leaf it lands in, and its parents only when a node splits or
 * empties. Nodes are small (`leafChars`) so that the rewrite, and the row a checkpoint
 * writes for every leaf changed, stay cheap. Nodes are never merged: a leaf that empties
 * is removed, and a root left with one child takes that child's place.
 *
 * Keys are memcomparable and ascending, so a group's smallest key is the first entry of
 * its leftmost leaf and its largest the last of its rightmost one, and the keys below a
 * bound are a leading run of leaves (`removeBelow`).
 */
import { ByteWriter, T, concatKeys, encodeKeyString } from '@freshet/common';
import type { StateTable } from './state-table';

/** A leaf past this many characters splits in two, by default (about 20 BIGINT or timestamp values). */
export const LEAF_CHARS = 256;
/** An inner node past this many characters splits in two, by default (about 80 children). */
export const INNER_CHARS = 1024;

/** Levels no tree reaches (80^16 values): past it a descent is following a cycle. */
const MAX_DEPTH = 16;

const LEAF = 0;
const INNER = 1;

/**
 * The pk type a multiset's table needs after its group columns (the node id). Ids are never
 * reused (the root only counts up), and a long-lived group under churn — a global MAX over
 * a sliding window — splits a leaf every ten-odd inserts: 32 bits would run out in days at
 * 50,000 events/s. Ids stay JS numbers (exact to 2^53).
 */
export const NODE_ID_TYPE = T.Int64;

/** Where a value or the end of a varint was read (module scratch, so that a scan allocates nothing). */
let readEnd = 0;

/** The unsigned LEB128 varint at `pos` of a node string; sets `readEnd`. */
function varintAt(s: string, pos: number): number {
  let n = 0;
  let mul = 1;
  for (;;) {
    // Past the end charCodeAt gives NaN, which would never end the loop.
    if (pos >= s.length) throw new Error('a multiset node ends inside a varint (corrupt state)');
    const b = s.charCodeAt(pos++);
    n += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  readEnd = pos;
  return n;
}

/** One entry of a node, as read by `entryAt` (module scratch). */
let keyPos = 0;
let keyLen = 0;
/** A leaf's count, an inner node's child id. */
let entryValue = 0;
let payloadPos = 0;
let payloadLen = 0;
let entryEnd = 0;

/** Reads the entry starting at `pos`: `keyPos`/`keyLen`, `entryValue`, the payload when `payloads`, `entryEnd`. */
function entryAt(s: string, pos: number, payloads: boolean): void {
  keyLen = varintAt(s, pos);
  keyPos = readEnd;
  entryValue = varintAt(s, keyPos + keyLen);
  if (payloads) {
    payloadLen = varintAt(s, readEnd);
    payloadPos = readEnd;
    entryEnd = payloadPos + payloadLen;
  } else entryEnd = readEnd;
}

/** Compares characters [pos, pos + len) of `s` with all of `k`, as key strings order. */
function compareAt(s: string, pos: number, len: number, k: string): number {
  const n = len < k.length ? len : k.length;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(pos + i) - k.charCodeAt(i);
    if (d !== 0) return d;
  }
  return len - k.length;
}

/** Where a node's entries begin: after its kind, and the root's next free id. */
function entriesStart(s: string, root: boolean): number {
  if (!root) return 1;
  varintAt(s, 1);
  return readEnd;
}

/**
 * Builds node strings, flat: a node made of slices of the old one would keep the old one
 * alive. (The tail's appends are the exception: `leaf + entry` holds the whole old leaf,
 * which is the new one's prefix, and is flattened when the leaf is next read whole.)
 */
const out = new ByteWriter(2 * INNER_CHARS);

/** Runs longer than this are copied by Buffer.write (native) rather than a character at a time. */
const NATIVE_COPY_FROM = 48;

function copyChars(s: string, from: number, to: number): void {
  out.ensure(to - from);
  const b = out.buf;
  if (to - from > NATIVE_COPY_FROM) {
    out.len += b.write(s.slice(from, to), out.len, 'latin1');
    return;
  }
  let at = out.len;
  for (let i = from; i < to; i++) b[at++] = s.charCodeAt(i);
  out.len = at;
}

function writeHeader(kind: number, nextId: number | null): void {
  out.reset();
  out.u8(kind);
  if (nextId !== null) out.uvarint(nextId);
}

function writeEntry(key: string, value: number, payload: string | null): void {
  out.uvarint(key.length);
  copyChars(key, 0, key.length);
  out.uvarint(value);
  if (payload !== null) {
    out.uvarint(payload.length);
    copyChars(payload, 0, payload.length);
  }
}

/**
 * A bound on keys by their leading characters: a key is below it when its first
 * `prefix.length` characters sort before `prefix` (or equal it, when `inclusive`), and above
 * it when they sort after (or equal). The temporal filter's keys begin with the time column's
 * key, so a bound on the time is a bound on the keys.
 */
export interface KeyBound {
  readonly prefix: string;
  readonly inclusive: boolean;
}

/** Compares the leading characters of the key at [pos, pos + len) of `s` with `prefix`; a key shorter than it sorts before. */
function comparePrefixAt(s: string, pos: number, len: number, prefix: string): number {
  return compareAt(s, pos, len < prefix.length ? len : prefix.length, prefix);
}

/** Whether the key at [pos, pos + len) of `s` is below `b` (see KeyBound). */
function belowAt(s: string, pos: number, len: number, b: KeyBound): boolean {
  const c = comparePrefixAt(s, pos, len, b.prefix);
  return c < 0 || (c === 0 && b.inclusive);
}

/** Whether the key at [pos, pos + len) of `s` is above `b` (see KeyBound). */
function aboveAt(s: string, pos: number, len: number, b: KeyBound): boolean {
  const c = comparePrefixAt(s, pos, len, b.prefix);
  return c > 0 || (c === 0 && b.inclusive);
}

/** Receives an entry of a scan or a removal: its key, multiplicity and payload (null without payloads). */
export type EntryVisitor = (key: string, count: number, payload: string | null) => void;

/** Hands the leaf entry `entryAt` just read to `visit`. */
function visitEntry(node: string, payloads: boolean, visit: EntryVisitor): void {
  visit(node.slice(keyPos, keyPos + keyLen), entryValue, payloads ? node.slice(payloadPos, payloadPos + payloadLen) : null);
}

/** A node on the path from the root to a leaf: its key, its string, and where its child's entry is. */
interface PathStep {
  readonly key: string;
  readonly node: string;
  /** The entry (start, end) that led down to the next step. */
  readonly at: number;
  readonly end: number;
}

export interface PagedMultisetOptions {
  /** Entries carry a payload string beside their key and count (MIN/MAX: the value, when its key does not give it back; the temporal filter: the row). */
  readonly payloads?: boolean;
  /** A leaf past this many characters splits (default LEAF_CHARS). */
  readonly leafChars?: number;
  /** An inner node past this many characters splits (default INNER_CHARS). */
  readonly innerChars?: number;
}

/**
 * The leaf the last addition landed in, with what routes a key to it: `add` goes there
 * directly for a key in [lo, hi), and appends a key past `last` without reading the leaf
 * (a temporal filter's rows, in time order: its last leaf, every row). Valid while only
 * that leaf changes: any other write to the tree drops it.
 */
interface Tail {
  readonly group: string;
  readonly path: PathStep[];
  readonly key: string;
  leaf: string;
  /** The smallest key routed here (null: no bound), and the first key routed past it. */
  readonly lo: string | null;
  readonly hi: string | null;
  /** The leaf's largest key. */
  last: string;
}

export class PagedMultiset {
  /** Node id keys by id, for the small ids nearly every node has. */
  private readonly idKeys: string[] = [];
  private tail: Tail | null = null;
  private readonly payloads: boolean;
  private readonly leafChars: number;
  private readonly innerChars: number;

  /** `table`: pk = (the group's columns…, a NODE_ID_TYPE node id), one VARCHAR column (the node), read by key only. */
  constructor(
    private readonly table: StateTable,
    options: PagedMultisetOptions = {},
  ) {
    this.payloads = options.payloads ?? false;
    this.leafChars = options.leafChars ?? LEAF_CHARS;
    this.innerChars = options.innerChars ?? INNER_CHARS;
  }

  private nodeKey(group: string, id: number): string {
    let k = this.idKeys[id];
    if (k === undefined) {
      k = encodeKeyString([NODE_ID_TYPE], [id]);
      if (id < 4096) this.idKeys[id] = k;
    }
    return concatKeys(group, k);
  }

  /** A node id reused or a cycle: fail the job rather than loop (never seen; tree depth is ~log80 of a group's entries). */
  private corrupt(): never {
    throw new Error(`state table ${this.table.tableId}: a multiset is deeper than ${MAX_DEPTH} levels (corrupt node ids)`);
  }

  private read(key: string): string | undefined {
    const row = this.table.getByKey(key);
    return row === undefined ? undefined : (row[0] as string);
  }

  /** A node that a parent names: its absence is corrupt state. */
  private node(key: string): string {
    const node = this.read(key);
    if (node === undefined) throw new Error(`state table ${this.table.tableId}: a multiset node is missing`);
    return node;
  }

  private write(key: string, node: string): void {
    this.table.putByKey(key, [node]);
  }

  /**
   * Adds `s` to the multiplicity of the entry with key `vk` in `group` (an entry that
   * reaches zero or below leaves); returns the new multiplicity (`s` itself for a removal
   * of a key not there). With payloads, an addition stores `payload` with its entry: equal
   * values may differ in how they print (1.0 and 1.00), and the entry keeps the one added
   * last, as PostgreSQL's numeric_larger/numeric_smaller return the later of equals.
   */
  add(group: string, vk: string, s: number, payload: string | null): number {
    const payloads = this.payloads;
    const tail = this.tail;
    this.tail = null;
    let path: PathStep[];
    let key: string;
    let node: string;
    /** The leaf's largest key, when known (from the tail). */
    let last: string | null = null;
    if (tail !== null && tail.group === group && (tail.lo === null || vk >= tail.lo) && (tail.hi === null || vk < tail.hi)) {
      if (s > 0 && vk > tail.last) {
        // An append: the leaf plus one entry (a cons string, flattened when next read whole).
        out.reset();
        writeEntry(vk, s, payloads ? payload ?? '' : null);
        const grown = tail.leaf + out.toLatin1();
        if (grown.length <= this.leafChars) {
          this.write(tail.key, grown);
          tail.leaf = grown;
          tail.last = vk;
          this.tail = tail;
          return s;
        }
      }
      path = tail.path;
      key = tail.key;
      node = tail.leaf;
      last = tail.last;
    } else {
      key = this.nodeKey(group, 0);
      const rootNode = this.read(key);
      if (rootNode === undefined) {
        if (s <= 0) return s;
        writeHeader(LEAF, 1);
        writeEntry(vk, s, payloads ? payload ?? '' : null);
        this.write(key, out.toLatin1());
        return s;
      }
      node = rootNode;
      path = [];
      while (node.charCodeAt(0) === INNER) {
        if (path.length === MAX_DEPTH) this.corrupt();
        const { at, end } = this.childEntry(node, path.length === 0, vk);
        path.push({ key, node, at, end });
        key = this.nodeKey(group, entryValueAt(node, at));
        node = this.node(key);
      }
    }
    const root = path.length === 0;
    // The first entry at or past vk.
    let pos = entriesStart(node, root);
    let cmp = 1;
    while (pos < node.length) {
      entryAt(node, pos, payloads);
      cmp = compareAt(node, keyPos, keyLen, vk);
      if (cmp >= 0) break;
      pos = entryEnd;
    }
    if (pos < node.length && cmp === 0) {
      const count = entryValue + s;
      const end = entryEnd;
      if (count > 0) {
        const kept = !payloads ? null : s > 0 ? payload ?? '' : node.slice(payloadPos, payloadPos + payloadLen);
        out.reset();
        copyChars(node, 0, pos);
        writeEntry(vk, count, kept);
        copyChars(node, end, node.length);
        const rewritten = out.toLatin1();
        this.write(key, rewritten);
        if (end === node.length) last = vk;
        if (last !== null) this.keepTail(group, path, key, rewritten, last);
      } else this.removeEntry(group, path, key, node, root, pos, end);
      return count;
    }
    if (s <= 0) return s;
    out.reset();
    copyChars(node, 0, pos);
    writeEntry(vk, s, payloads ? payload ?? '' : null);
    copyChars(node, pos, node.length);
    const grown = out.toLatin1();
    if (grown.length > this.leafChars) {
      // A key past the tree's last leaf (rows in time order) splits off alone: the left leaf
      // stays full, and the right one takes the next appends as the new tail.
      const rightmost = pos === node.length && path.every((p) => p.end === p.node.length);
      this.split(group, path, key, grown, LEAF, rightmost ? vk : null);
    } else {
      this.write(key, grown);
      if (pos === node.length) last = vk;
      if (last !== null) this.keepTail(group, path, key, grown, last);
    }
    return s;
  }

  /** Remembers the leaf at the end of `path` as the tail (see Tail), its key range read off the path. */
  private keepTail(group: string, path: PathStep[], key: string, leaf: string, last: string): void {
    let lo: string | null = null;
    let hi: string | null = null;
    // A deeper separator is the tighter bound: a child's keys lie within its parent's entry's range.
    for (let i = 0; i < path.length; i++) {
      const { node, at, end } = path[i];
      if (at !== entriesStart(node, i === 0)) {
        entryAt(node, at, false);
        lo = node.slice(keyPos, keyPos + keyLen);
      }
      if (end < node.length) {
        entryAt(node, end, false);
        hi = node.slice(keyPos, keyPos + keyLen);
      }
    }
    this.tail = { group, path, key, leaf, lo, hi, last };
  }

  /** The entry of an inner node whose child holds `vk`: the last separator at or below it, else the first. */
  private childEntry(node: string, root: boolean, vk: string): { at: number; end: number } {
    let pos = entriesStart(node, root);
    let at = pos;
    let end = pos;
    let first = true;
    while (pos < node.length) {
      entryAt(node, pos, false);
      if (!first && compareAt(node, keyPos, keyLen, vk) > 0) break;
      first = false;
      at = pos;
      end = entryEnd;
      pos = entryEnd;
    }
    return { at, end };
  }

  /** The group's smallest key (and its payload), or undefined when the group is empty. */
  first(group: string): [string, string | null] | undefined {
    return this.end(group, false);
  }

  /** The group's largest key (and its payload), or undefined when the group is empty. */
  last(group: string): [string, string | null] | undefined {
    return this.end(group, true);
  }

  private end(group: string, last: boolean): [string, string | null] | undefined {
    let node = this.read(this.nodeKey(group, 0));
    if (node === undefined) return undefined;
    let root = true;
    for (let depth = 0; ; depth++) {
      if (depth === MAX_DEPTH) this.corrupt();
      const kind = node.charCodeAt(0);
      const payloads = kind === LEAF && this.payloads;
      let pos = entriesStart(node, root);
      entryAt(node, pos, payloads);
      if (last) {
        while (entryEnd < node.length) {
          pos = entryEnd;
          entryAt(node, pos, payloads);
        }
      }
      if (kind === LEAF) return [node.slice(keyPos, keyPos + keyLen), payloads ? node.slice(payloadPos, payloadPos + payloadLen) : null];
      node = this.node(this.nodeKey(group, entryValue));
      root = false;
    }
  }

  /**
   * Visits the group's entries between `lo` and `hi` (keys above `lo` and below `hi`;
   * absent: unbounded) in key order. Only the nodes whose keys can be in range are read.
   * `visit` must not change this multiset.
   */
  scan(group: string, lo: KeyBound | undefined, hi: KeyBound | undefined, visit: EntryVisitor): void {
    const node = this.read(this.nodeKey(group, 0));
    if (node !== undefined) this.scanNode(group, node, true, lo, hi, visit, 0);
  }

  /** `scan` under one node; returns false once past `hi` (the caller stops too). */
  private scanNode(group: string, node: string, root: boolean, lo: KeyBound | undefined, hi: KeyBound | undefined, visit: EntryVisitor, depth: number): boolean {
    if (depth === MAX_DEPTH) this.corrupt();
    if (node.charCodeAt(0) === LEAF) {
      const payloads = this.payloads;
      for (let pos = entriesStart(node, root); pos < node.length; pos = entryEnd) {
        entryAt(node, pos, payloads);
        if (lo !== undefined && !aboveAt(node, keyPos, keyLen, lo)) continue;
        if (hi !== undefined && !belowAt(node, keyPos, keyLen, hi)) return false;
        visitEntry(node, payloads, visit);
      }
      return true;
    }
    // Child i holds keys from separator i up to separator i + 1. It can hold a key above
    // `lo` only if the next separator is above it, and none below `hi` if its own separator
    // is not (the first child's separator bounds nothing). Decided before descending: a
    // read of another node overwrites entryAt's module scratch.
    const children: number[] = [];
    let past = false;
    for (let pos = entriesStart(node, root), first = true; pos < node.length; first = false) {
      entryAt(node, pos, false);
      if (!first && hi !== undefined && !belowAt(node, keyPos, keyLen, hi)) {
        past = true;
        break;
      }
      const child = entryValue;
      pos = entryEnd;
      if (lo !== undefined && pos < node.length) {
        entryAt(node, pos, false);
        if (!aboveAt(node, keyPos, keyLen, lo)) continue;
      }
      children.push(child);
    }
    for (const c of children) if (!this.scanNode(group, this.node(this.nodeKey(group, c)), false, lo, hi, visit, depth + 1)) return false;
    return !past;
  }

  /**
   * Removes every entry of the group below `bound`, visiting each (in key order) before it
   * goes: the leading leaves wholly below are read and deleted, the first one that is not is
   * rewritten without its leading entries. `visit` must not change this multiset.
   */
  removeBelow(group: string, bound: KeyBound, visit: EntryVisitor): void {
    this.tail = null;
    const rootKey = this.nodeKey(group, 0);
    const node = this.read(rootKey);
    if (node !== undefined) this.trim(group, rootKey, node, true, bound, visit, 0);
  }

  /** `removeBelow` under one node, which is rewritten, or deleted if left empty; returns whether it is left with entries. */
  private trim(group: string, key: string, node: string, root: boolean, bound: KeyBound, visit: EntryVisitor, depth: number): boolean {
    if (depth === MAX_DEPTH) this.corrupt();
    const start = entriesStart(node, root);
    let pos = start;
    if (node.charCodeAt(0) === LEAF) {
      const payloads = this.payloads;
      for (; pos < node.length; pos = entryEnd) {
        entryAt(node, pos, payloads);
        if (!belowAt(node, keyPos, keyLen, bound)) break;
        visitEntry(node, payloads, visit);
      }
    } else {
      // A child is wholly below when the next separator is (its keys sort before that one).
      // The first child that is not is trimmed, and nothing after it can be below.
      while (pos < node.length) {
        entryAt(node, pos, false);
        const childKey = this.nodeKey(group, entryValue);
        const end = entryEnd;
        let whole = false;
        if (end < node.length) {
          entryAt(node, end, false);
          whole = belowAt(node, keyPos, keyLen, bound);
        }
        if (whole) {
          this.drop(group, childKey, visit, depth + 1);
          pos = end;
          continue;
        }
        if (!this.trim(group, childKey, this.node(childKey), false, bound, visit, depth + 1)) pos = end;
        break;
      }
    }
    if (pos === start) return true;
    if (pos >= node.length) {
      this.table.deleteByKey(key);
      return false;
    }
    // What is left of the node: its header (a root keeps its next free id) and the entries from pos.
    writeHeader(node.charCodeAt(0), root ? varintAt(node, 1) : null);
    copyChars(node, pos, node.length);
    const rest = out.toLatin1();
    this.write(key, root && rest.charCodeAt(0) === INNER ? this.collapse(group, rest) : rest);
    return true;
  }

  /** Deletes the subtree at `key`, visiting its entries in key order. */
  private drop(group: string, key: string, visit: EntryVisitor, depth: number): void {
    if (depth === MAX_DEPTH) this.corrupt();
    const node = this.node(key);
    this.table.deleteByKey(key);
    if (node.charCodeAt(0) === LEAF) {
      const payloads = this.payloads;
      for (let pos = entriesStart(node, false); pos < node.length; pos = entryEnd) {
        entryAt(node, pos, payloads);
        visitEntry(node, payloads, visit);
      }
      return;
    }
    const children: number[] = [];
    for (let pos = entriesStart(node, false); pos < node.length; pos = entryEnd) {
      entryAt(node, pos, false);
      children.push(entryValue);
    }
    for (const c of children) this.drop(group, this.nodeKey(group, c), visit, depth + 1);
  }

  /**
   * The group's entries in key order, as (key, multiplicity), with the number of nodes
   * holding them (and of leaves among them) and the tree's levels: reads every node, for
   * checks of the structure (the tests), never on the stream path.
   */
  entries(group: string): { entries: [string, number][]; nodes: number; leaves: number; depth: number } {
    const entries: [string, number][] = [];
    let nodes = 0;
    let leaves = 0;
    let depth = 0;
    const walk = (key: string, root: boolean, level: number): void => {
      const node = root ? this.read(key) : this.node(key);
      if (node === undefined) return;
      nodes++;
      if (level > depth) depth = level;
      const kind = node.charCodeAt(0);
      if (kind === LEAF) leaves++;
      const children: number[] = [];
      for (let pos = entriesStart(node, root); pos < node.length; pos = entryEnd) {
        entryAt(node, pos, kind === LEAF && this.payloads);
        if (kind === LEAF) entries.push([node.slice(keyPos, keyPos + keyLen), entryValue]);
        else children.push(entryValue);
      }
      for (const c of children) walk(this.nodeKey(group, c), false, level + 1);
    };
    walk(this.nodeKey(group, 0), true, 1);
    return { entries, nodes, leaves, depth };
  }

  /**
   * Splits `node` (a leaf or inner node grown past its size, already holding its new entry)
   * into two halves: the left keeps the node's id, the right takes a new one and its first
   * key becomes a separator in the parent (which may split in turn). A root splits into two
   * new children under itself, so that the root's id never changes.
   */
  private split(group: string, path: PathStep[], key: string, node: string, kind: number, appended: string | null): void {
    const root = path.length === 0;
    const payloads = kind === LEAF && this.payloads;
    const start = entriesStart(node, root);
    // The entry boundary nearest the middle (or, for `appended`, before the last entry),
    // leaving at least one entry on each side.
    let mid = -1;
    let pos = start;
    const half = start + (node.length - start) / 2;
    while (pos < node.length) {
      entryAt(node, pos, payloads);
      if (pos > start && (appended !== null || mid === -1 || Math.abs(pos - half) < Math.abs(mid - half))) mid = pos;
      pos = entryEnd;
    }
    if (mid === -1) {
      // One entry larger than a node: nothing to split.
      this.write(key, node);
      return;
    }
    entryAt(node, mid, payloads);
    const sep = node.slice(keyPos, keyPos + keyLen);
    // The next free id: a splitting root carries it (its new string, not yet written); below
    // the root, the root's row as it is now (an earlier split on this path may have taken ids).
    let nextId = varintAt(root ? node : this.node(path[0].key), 1);
    if (root) {
      const left = nextId++;
      const right = nextId++;
      writeHeader(kind, null);
      copyChars(node, start, mid);
      this.write(this.nodeKey(group, left), out.toLatin1());
      writeHeader(kind, null);
      copyChars(node, mid, node.length);
      const rightNode = out.toLatin1();
      const rightKey = this.nodeKey(group, right);
      this.write(rightKey, rightNode);
      writeHeader(INNER, nextId);
      writeEntry('', left, null);
      const at = out.len;
      writeEntry(sep, right, null);
      const end = out.len;
      const rootNode = out.toLatin1();
      this.write(key, rootNode);
      if (appended !== null) this.keepTail(group, [{ key, node: rootNode, at, end }], rightKey, rightNode, appended);
      return;
    }
    const right = nextId++;
    writeHeader(kind, null);
    copyChars(node, start, mid);
    this.write(key, out.toLatin1());
    writeHeader(kind, null);
    copyChars(node, mid, node.length);
    const rightNode = out.toLatin1();
    const rightKey = this.nodeKey(group, right);
    this.write(rightKey, rightNode);
    // The parent gains (sep, right) after the entry that led here; the root also records the id taken.
    const parent = path[path.length - 1];
    const parentRoot = path.length === 1;
    out.reset();
    if (parentRoot) {
      writeHeader(INNER, nextId);
      copyChars(parent.node, entriesStart(parent.node, true), parent.end);
    } else copyChars(parent.node, 0, parent.end);
    const at = out.len;
    writeEntry(sep, right, null);
    const end = out.len;
    copyChars(parent.node, parent.end, parent.node.length);
    const grown = out.toLatin1();
    const rootNode = parentRoot ? null : this.bumpRootId(path[0].key, nextId);
    if (grown.length > this.innerChars) {
      this.split(group, path.slice(0, -1), parent.key, grown, INNER, null);
      return;
    }
    this.write(parent.key, grown);
    if (appended === null) return;
    // The new right leaf is the tail, under the path as it is now: the parent rewritten, and
    // the root's next free id (its header may have grown a byte, moving its entries).
    const tailPath = path.slice(0, -1);
    if (rootNode !== null) {
      const r = tailPath[0];
      const shift = rootNode.length - r.node.length;
      tailPath[0] = { key: r.key, node: rootNode, at: r.at + shift, end: r.end + shift };
    }
    tailPath.push({ key: parent.key, node: grown, at, end });
    this.keepTail(group, tailPath, rightKey, rightNode, appended);
  }

  /** Records `nextId` in the root, when the root is not the node being rewritten; returns the root's new string. */
  private bumpRootId(rootKey: string, nextId: number): string {
    const rootNode = this.node(rootKey);
    const start = entriesStart(rootNode, true);
    writeHeader(rootNode.charCodeAt(0), nextId);
    copyChars(rootNode, start, rootNode.length);
    const bumped = out.toLatin1();
    this.write(rootKey, bumped);
    return bumped;
  }

  /**
   * Removes the entry [pos, end) from `node`. A node left empty is deleted and removed from
   * its parent in turn; a root left with one child takes that child's entries.
   */
  private removeEntry(group: string, path: PathStep[], key: string, node: string, root: boolean, pos: number, end: number): void {
    const start = entriesStart(node, root);
    if (pos === start && end === node.length) {
      // The node empties.
      this.table.deleteByKey(key);
      if (root) return;
      const parent = path[path.length - 1];
      this.removeEntry(group, path.slice(0, -1), parent.key, parent.node, path.length === 1, parent.at, parent.end);
      return;
    }
    out.reset();
    copyChars(node, 0, pos);
    copyChars(node, end, node.length);
    const shrunk = out.toLatin1();
    if (root && shrunk.charCodeAt(0) === INNER) this.write(key, this.collapse(group, shrunk));
    else this.write(key, shrunk);
  }

  /** A root with a single child takes the child's kind and entries (repeatedly), keeping its next free id. */
  private collapse(group: string, rootNode: string): string {
    for (;;) {
      const start = entriesStart(rootNode, true);
      const nextId = varintAt(rootNode, 1);
      entryAt(rootNode, start, false);
      if (rootNode.charCodeAt(0) !== INNER || entryEnd !== rootNode.length) return rootNode;
      const childKey = this.nodeKey(group, entryValue);
      const child = this.node(childKey);
      this.table.deleteByKey(childKey);
      writeHeader(child.charCodeAt(0), nextId);
      copyChars(child, 1, child.length);
      rootNode = out.toLatin1();
    }
  }
}

/** The child id of the inner-node entry at `pos`. */
function entryValueAt(node: string, pos: number): number {
  entryAt(node, pos, false);
  return entryValue;
}
