/**
 * A batch of rows stored column by column, with an optional visibility mask (1 = the row
 * is part of the chunk). Filters clear visibility instead of copying columns; consumers
 * skip invisible rows, and `compact()` materialises a dense chunk when that pays off.
 */
import type { Datum, Row } from '../datum';
import type { DataType } from '../types';
import { Column } from './column';

export class DataChunk {
  constructor(
    readonly columns: readonly Column[],
    /** Physical row count (visible or not). */
    readonly capacity: number,
    /** 1 = visible; null = every row visible. */
    readonly visibility: Uint8Array | null = null,
  ) {}

  static fromRows(types: readonly DataType[], rows: readonly Row[]): DataChunk {
    const cols = types.map((t, j) => Column.fromDatums(t, rows.map((r) => r[j] ?? null)));
    return new DataChunk(cols, rows.length);
  }

  get types(): DataType[] {
    return this.columns.map((c) => c.type);
  }

  /** Number of visible rows. */
  get cardinality(): number {
    return countVisible(this.visibility, this.capacity);
  }

  isVisible(i: number): boolean {
    return this.visibility === null || this.visibility[i] === 1;
  }

  datum(col: number, i: number): Datum {
    return this.columns[col].get(i);
  }

  /** Row `i` as datums (allocates: tests and cold paths). */
  row(i: number): Row {
    return rowOf(this.columns, i, new Array(this.columns.length));
  }

  /** Row `i` written into `out` (reused scratch on warm paths). */
  rowInto(i: number, out: Datum[]): Datum[] {
    return rowOf(this.columns, i, out);
  }

  /** Visible rows as datum arrays. */
  rows(): Row[] {
    const out: Row[] = [];
    for (let i = 0; i < this.capacity; i++) if (this.isVisible(i)) out.push(this.row(i));
    return out;
  }

  withVisibility(visibility: Uint8Array | null): DataChunk {
    return new DataChunk(this.columns, this.capacity, visibility);
  }

  /** Same rows, with the given columns (projection). */
  withColumns(columns: readonly Column[]): DataChunk {
    return new DataChunk(columns, this.capacity, this.visibility);
  }

  compact(): DataChunk {
    if (this.visibility === null) return this;
    const idx = visibleIndices(this.visibility, this.capacity);
    return new DataChunk(
      this.columns.map((c) => takeRows(c, idx)),
      idx.length,
    );
  }
}

export function rowOf(columns: readonly Column[], i: number, out: Datum[]): Datum[] {
  for (let j = 0; j < columns.length; j++) out[j] = columns[j].get(i);
  return out;
}

export function countVisible(visibility: Uint8Array | null, capacity: number): number {
  if (visibility === null) return capacity;
  let n = 0;
  for (let i = 0; i < capacity; i++) n += visibility[i];
  return n;
}

export function visibleIndices(visibility: Uint8Array, capacity: number): Int32Array {
  const idx = new Int32Array(countVisible(visibility, capacity));
  let k = 0;
  for (let i = 0; i < capacity; i++) if (visibility[i] === 1) idx[k++] = i;
  return idx;
}

/** A new column holding rows `idx` of `c`, in that order. */
export function takeRows(c: Column, idx: Int32Array): Column {
  const n = idx.length;
  if (c.repr === 3) {
    const src = c.values as Datum[];
    const out = new Array<Datum>(n);
    for (let k = 0; k < n; k++) out[k] = src[idx[k]];
    return new Column(c.type, out, null, n);
  }
  const src = c.values as Uint8Array;
  const out = new (src.constructor as Uint8ArrayConstructor)(n);
  for (let k = 0; k < n; k++) out[k] = src[idx[k]];
  let nulls: Uint8Array | null = null;
  if (c.nulls !== null) {
    nulls = new Uint8Array(n);
    let any = 0;
    for (let k = 0; k < n; k++) any |= nulls[k] = c.nulls[idx[k]];
    if (!any) nulls = null;
  }
  return new Column(c.type, out, nulls, n);
}
