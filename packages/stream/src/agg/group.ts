/**
 * One aggregation group as the hash agg keeps it in memory (the group cache). The state
 * tables are the source of truth; a group missing from the cache is reloaded from the
 * agg's intermediate-state table.
 */
import {
  type Column,
  type DataType,
  type Datum,
  type Decimal,
  type Interval,
  Repr,
  encodeKeyString,
  reprOf,
} from '@freshet/common';

export interface AggGroup {
  /** The Map key the cache uses (see GroupKeyer). */
  readonly mapKey: unknown;
  /** Memcomparable key of the group-key datums: the pk prefix of every state table. */
  readonly key: string;
  readonly keyDatums: readonly Datum[];
  /** Input rows currently in the group (inserts minus deletes). */
  rowCount: number;
  /** Accumulator slots of the value-kind calls (count/sum/avg/bool_*), flat. */
  readonly acc: unknown[];
  /**
   * The agg outputs last emitted downstream, or null if no row is out there. A BIGINT output
   * within ±(2^53 − 1) is kept as a number (see `keepOutput`). A flush overwrites the array in
   * place: a group's outputs live from one flush to the next, seconds at 100,000 groups, so a
   * new array per flush was promoted and then garbage (docs/performance.md, "Session 22").
   */
  prevOutputs: Datum[] | null;
  dirty: boolean;
  /** Rows came to the group since the idle sweep last passed it (HashAggExecutor's idle groups). */
  recent: boolean;
}

/** Marks a NULL single-column key in the cache (cannot collide with any datum key). */
const NULL_KEY = Symbol('null group key');

/** No group key (simple agg): every row is in the one group. */
const MODE_EMPTY = 0;
/** One int/float/date/time/bigint column: its typed value (a BIGINT as a number where exact) is the Map key. */
const MODE_TYPED = 1;
/** One varchar column: the string itself. */
const MODE_TEXT = 2;
/** Anything else: the memcomparable key string. */
const MODE_ENCODED = 3;

/**
 * Computes cache keys for rows without materialising key datums on the hot path: a single
 * int/float/bigint/varchar key column uses its raw value (NULL → a symbol), other keys the
 * memcomparable encoding (which then doubles as the storage key).
 */
export class GroupKeyer {
  private readonly mode: number;
  private readonly scratch: Datum[];

  constructor(
    readonly types: readonly DataType[],
    readonly indices: readonly number[],
  ) {
    this.scratch = new Array(indices.length);
    const repr = indices.length === 1 ? reprOf(types[0]) : -1;
    if (indices.length === 0) this.mode = MODE_EMPTY;
    else if (repr === Repr.Number || repr === Repr.BigInt) this.mode = MODE_TYPED;
    else if (indices.length === 1 && types[0].kind === 'varchar') this.mode = MODE_TEXT;
    else this.mode = MODE_ENCODED;
  }

  mapKey(cols: readonly Column[], i: number): unknown {
    switch (this.mode) {
      case MODE_EMPTY:
        return '';
      case MODE_TYPED: {
        const c = cols[this.indices[0]];
        if (c.nulls !== null && c.nulls[i] === 1) return NULL_KEY;
        const v = (c.values as Float64Array | BigInt64Array)[i];
        if (typeof v !== 'bigint') return v;
        // A BIGINT within ±(2^53 − 1) as that number: V8 hashes and compares a small number
        // in place, a BigInt by its digits (100,000 groups: 60 against 138 ns a lookup,
        // bench/tools/map-key-lookups.ts).
        return exactNumber(v);
      }
      case MODE_TEXT: {
        const v = (cols[this.indices[0]].values as Datum[])[i];
        return v === null ? NULL_KEY : v;
      }
      default:
        return encodeKeyString(this.types, this.datumsInto(cols, i, this.scratch));
    }
  }

  /**
   * The key datums of row i (a fresh array), as RisingWave outputs group keys: they come
   * back from its hash-key encoding, which normalizes decimals (5266.30 → 5266.3) and
   * justifies intervals, so equal keys print the same whichever row opened the group.
   */
  datums(cols: readonly Column[], i: number): Datum[] {
    const out = this.datumsInto(cols, i, new Array(this.indices.length));
    for (let j = 0; j < out.length; j++) {
      const d = out[j];
      if (d === null) continue;
      const kind = this.types[j].kind;
      if (kind === 'decimal') out[j] = (d as Decimal).normalize();
      else if (kind === 'interval') out[j] = (d as Interval).canonical();
    }
    return out;
  }

  storageKey(datums: readonly Datum[]): string {
    return this.indices.length === 0 ? '' : encodeKeyString(this.types, datums);
  }

  private datumsInto(cols: readonly Column[], i: number, out: Datum[]): Datum[] {
    for (let j = 0; j < this.indices.length; j++) out[j] = cols[this.indices[j]].get(i);
    return out;
  }
}

/**
 * A BIGINT output as a group keeps it between flushes: a number where exact. A group's
 * outputs stay until its next flush, seconds at 100,000 groups, so a BigInt there (every
 * count) outlived the young generation and was then garbage in the old one, and the old
 * generation held one per count per group for every full collection to mark. A count is a
 * small integer, which V8 stores in the array slot itself. A chunk column of BIGINTs takes
 * either form (Column.push), and `sameBigIntOutput` compares the two.
 */
export function keepOutput(d: Datum): Datum {
  return typeof d === 'bigint' ? exactNumber(d) : d;
}

/**
 * `v` as a number where that is exact (within ±(2^53 − 1)), else `v`. Bijective: a BigInt
 * outside the range converts to an unsafe number, so it stays a BigInt and never meets a
 * number that came from another value.
 */
function exactNumber(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/**
 * Whether a kept BIGINT output (`keepOutput`) is a freshly computed one. A number is only
 * kept for an exact value, and a BigInt past ±(2^53 − 1) converts to a number past it too,
 * so `Number(fresh)` cannot meet a kept number unless the two are equal.
 */
export function sameBigIntOutput(kept: Datum, fresh: Datum): boolean {
  if (kept === null || fresh === null) return kept === fresh;
  if (typeof kept === 'number') return typeof fresh === 'bigint' ? Number(fresh) === kept : fresh === kept;
  return typeof fresh === 'bigint' ? kept === fresh : Number(kept) === fresh;
}
