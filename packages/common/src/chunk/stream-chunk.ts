/**
 * A batch of changes: an op per row plus the rows' columns (RisingWave's StreamChunk).
 * Rows with visibility 0 are not part of the chunk. Invariant: an UpdateDelete is
 * immediately followed (among visible rows) by its UpdateInsert.
 */
import type { Datum, Row } from '../datum';
import type { DataType } from '../types';
import { Column } from './column';
import { countVisible, DataChunk, rowOf, takeRows, visibleIndices } from './data-chunk';
import { Op } from './op';

/** The op that undoes each op, indexed by op (0 unused). */
const UNDO_OP = Uint8Array.of(0, Op.Delete, Op.Insert, Op.UpdateInsert, Op.UpdateDelete);

export class StreamChunk {
  constructor(
    /** One Op per physical row. */
    readonly ops: Uint8Array,
    readonly columns: readonly Column[],
    /** 1 = visible; null = every row visible. */
    readonly visibility: Uint8Array | null = null,
  ) {}

  /** Builds a chunk from ops and rows (tests, cold paths). */
  static fromRows(types: readonly DataType[], ops: readonly Op[], rows: readonly Row[]): StreamChunk {
    const cols = types.map((t, j) => Column.fromDatums(t, rows.map((r) => r[j] ?? null)));
    return new StreamChunk(Uint8Array.from(ops), cols);
  }

  /** An insert-only chunk over the rows of a DataChunk (visibility kept). */
  static inserts(data: DataChunk): StreamChunk {
    return new StreamChunk(new Uint8Array(data.capacity).fill(Op.Insert), data.columns, data.visibility);
  }

  /** Physical row count. */
  get capacity(): number {
    return this.ops.length;
  }

  /** Number of visible rows. */
  get cardinality(): number {
    return countVisible(this.visibility, this.ops.length);
  }

  get types(): DataType[] {
    return this.columns.map((c) => c.type);
  }

  isVisible(i: number): boolean {
    return this.visibility === null || this.visibility[i] === 1;
  }

  op(i: number): Op {
    return this.ops[i] as Op;
  }

  datum(col: number, i: number): Datum {
    return this.columns[col].get(i);
  }

  row(i: number): Row {
    return rowOf(this.columns, i, new Array(this.columns.length));
  }

  rowInto(i: number, out: Datum[]): Datum[] {
    return rowOf(this.columns, i, out);
  }

  /** Visible [op, row] pairs (tests, debugging). */
  records(): [Op, Row][] {
    const out: [Op, Row][] = [];
    for (let i = 0; i < this.capacity; i++) if (this.isVisible(i)) out.push([this.ops[i] as Op, this.row(i)]);
    return out;
  }

  withVisibility(visibility: Uint8Array | null): StreamChunk {
    return new StreamChunk(this.ops, this.columns, visibility);
  }

  withColumns(columns: readonly Column[]): StreamChunk {
    return new StreamChunk(this.ops, columns, this.visibility);
  }

  withOps(ops: Uint8Array): StreamChunk {
    return new StreamChunk(ops, this.columns, this.visibility);
  }

  /** The columns and visibility without ops. */
  data(): DataChunk {
    return new DataChunk(this.columns, this.ops.length, this.visibility);
  }

  /**
   * The changes that undo this chunk's: its visible rows last to first, each op inverted
   * (Insert ↔ Delete; an update old → new becomes new → old, still U- first then U+).
   */
  undo(): StreamChunk {
    const n = this.ops.length;
    const fwd = this.visibility === null ? null : visibleIndices(this.visibility, n);
    const m = fwd === null ? n : fwd.length;
    const idx = new Int32Array(m);
    const ops = new Uint8Array(m);
    for (let k = 0; k < m; k++) {
      const i = fwd === null ? n - 1 - k : fwd[m - 1 - k];
      idx[k] = i;
      ops[k] = UNDO_OP[this.ops[i]];
    }
    return new StreamChunk(
      ops,
      this.columns.map((c) => takeRows(c, idx)),
    );
  }

  /** Drops invisible rows. */
  compact(): StreamChunk {
    if (this.visibility === null) return this;
    const idx = visibleIndices(this.visibility, this.ops.length);
    const ops = new Uint8Array(idx.length);
    for (let k = 0; k < idx.length; k++) ops[k] = this.ops[idx[k]];
    return new StreamChunk(
      ops,
      this.columns.map((c) => takeRows(c, idx)),
    );
  }
}
