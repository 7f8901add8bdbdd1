/**
 * One column of a chunk. Fixed-width types live in typed arrays with a separate null
 * mask; everything else (decimal, varchar, bytea, interval, jsonb, list, struct) in a
 * plain array of datums where NULL is `null`.
 *
 * | type                                 | values          | datum      |
 * |--------------------------------------|-----------------|------------|
 * | boolean                              | Uint8Array 0/1  | boolean    |
 * | int16                                | Int16Array      | number     |
 * | int32, date                          | Int32Array      | number     |
 * | int64, serial                        | BigInt64Array   | bigint     |
 * | float32                              | Float32Array    | number     |
 * | float64, time, timestamp, timestamptz| Float64Array    | number     |
 * | anything else                        | Datum[]         | as datum.ts|
 *
 * The null mask is one byte per row (1 = NULL), or `null` when the column has no NULLs.
 * A byte per row rather than a bit: chunks hold at most a few thousand rows, and a byte
 * test is a single indexed load on the hot path with no shifting or masking. The value
 * slot of a NULL row in a typed array is 0 and must be ignored.
 *
 * Columns are immutable once built; hot loops read `values` / `nulls` directly after
 * checking `repr`, everything else uses `get(i)`.
 */
import type { Datum } from '../datum';
import type { DataType } from '../types';

export const Repr = {
  /** A typed array of numbers (int16, int32, date, float32, float64, time, timestamps). */
  Number: 0,
  /** BigInt64Array (int64, serial). */
  BigInt: 1,
  /** Uint8Array holding 0/1 (boolean). */
  Bool: 2,
  /** Datum[] with `null` for NULL. */
  Object: 3,
} as const;
export type Repr = (typeof Repr)[keyof typeof Repr];

export type NumberArray = Int16Array | Int32Array | Float32Array | Float64Array;
export type ColumnValues = NumberArray | BigInt64Array | Uint8Array | Datum[];

type NumberArrayCtor = Int16ArrayConstructor | Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/** The typed-array constructor for a number-represented type, or undefined. */
export function numberArrayFor(t: DataType): NumberArrayCtor | undefined {
  switch (t.kind) {
    case 'int16':
      return Int16Array;
    case 'int32':
    case 'date':
      return Int32Array;
    case 'float32':
      return Float32Array;
    case 'float64':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return Float64Array;
    default:
      return undefined;
  }
}

export function reprOf(t: DataType): Repr {
  switch (t.kind) {
    case 'boolean':
      return Repr.Bool;
    case 'int64':
    case 'serial':
      return Repr.BigInt;
    default:
      return numberArrayFor(t) ? Repr.Number : Repr.Object;
  }
}

function allocValues(t: DataType, repr: Repr, n: number): ColumnValues {
  switch (repr) {
    case Repr.Number:
      return new (numberArrayFor(t)!)(n);
    case Repr.BigInt:
      return new BigInt64Array(n);
    case Repr.Bool:
      return new Uint8Array(n);
    default:
      return new Array<Datum>(n).fill(null);
  }
}

export class Column {
  readonly repr: Repr;

  constructor(
    readonly type: DataType,
    readonly values: ColumnValues,
    /** One byte per row, 1 = NULL; null when no row is NULL (always null for Repr.Object). */
    readonly nulls: Uint8Array | null,
    readonly length: number,
  ) {
    this.repr = reprOf(type);
  }

  static fromDatums(type: DataType, datums: readonly Datum[]): Column {
    const b = new ColumnBuilder(type, datums.length);
    for (let i = 0; i < datums.length; i++) b.push(datums[i]);
    return b.finish();
  }

  /** A column of `n` NULLs. */
  static nulls(type: DataType, n: number): Column {
    const repr = reprOf(type);
    if (repr === Repr.Object) return new Column(type, allocValues(type, repr, n), null, n);
    return new Column(type, allocValues(type, repr, n), new Uint8Array(n).fill(1), n);
  }

  isNull(i: number): boolean {
    if (this.nulls !== null) return this.nulls[i] === 1;
    return this.repr === Repr.Object && (this.values as Datum[])[i] === null;
  }

  get(i: number): Datum {
    if (this.nulls !== null && this.nulls[i] === 1) return null;
    switch (this.repr) {
      case Repr.Bool:
        return (this.values as Uint8Array)[i] === 1;
      default:
        return (this.values as Datum[])[i];
    }
  }

  /** All values as datums (tests, debugging). */
  toDatums(): Datum[] {
    const out = new Array<Datum>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i);
    return out;
  }
}

/**
 * Appends values to a column under construction. Grows by doubling. Two ways out:
 * - `finish` hands the arrays to an immutable Column (trimmed views, no copy); the builder
 *   must not be used afterwards. For one-shot columns sized up front.
 * - `take` copies the rows out into a Column of exactly their length and empties the
 *   builder, which keeps its arrays for the next rows. For a builder that emits chunk
 *   after chunk (StreamChunkBuilder): each chunk then allocates only its own rows, not a
 *   fresh capacity plus its doublings. Typed arrays live outside V8's heap, and V8 forces
 *   a young-generation collection for every 32 MiB of them, so those bytes set the
 *   scavenge rate of a streaming server (docs/performance.md, session 31).
 */
export class ColumnBuilder {
  readonly repr: Repr;
  values: ColumnValues;
  nulls: Uint8Array | null = null;
  length = 0;
  private capacity: number;

  constructor(
    readonly type: DataType,
    capacity = 256,
  ) {
    this.repr = reprOf(type);
    this.capacity = Math.max(1, capacity);
    this.values = allocValues(type, this.repr, this.capacity);
  }

  private grow(): void {
    const cap = this.capacity * 2;
    if (this.repr === Repr.Object) {
      (this.values as Datum[]).length = cap;
      (this.values as Datum[]).fill(null, this.capacity);
    } else {
      const next = allocValues(this.type, this.repr, cap) as Uint8Array;
      next.set(this.values as Uint8Array);
      this.values = next;
    }
    if (this.nulls !== null) {
      const n = new Uint8Array(cap);
      n.set(this.nulls);
      this.nulls = n;
    }
    this.capacity = cap;
  }

  /**
   * Row `i` is NULL. The value slot is written too: a builder reused by `take` may hold
   * the previous chunk's value there, and a NULL's typed slot is 0 by contract.
   */
  private setNull(i: number): void {
    switch (this.repr) {
      case Repr.Object:
        (this.values as Datum[])[i] = null;
        return;
      case Repr.BigInt:
        (this.values as BigInt64Array)[i] = 0n;
        break;
      default:
        (this.values as Uint8Array)[i] = 0;
    }
    if (this.nulls === null) this.nulls = new Uint8Array(this.capacity);
    this.nulls[i] = 1;
  }

  push(d: Datum): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    if (d === null) {
      this.setNull(i);
      return;
    }
    switch (this.repr) {
      case Repr.Bool:
        (this.values as Uint8Array)[i] = d ? 1 : 0;
        return;
      case Repr.BigInt:
        (this.values as BigInt64Array)[i] = typeof d === 'bigint' ? d : BigInt(d as number);
        return;
      default:
        (this.values as Datum[])[i] = d;
    }
  }

  pushNull(): void {
    this.push(null);
  }

  /** Appends row `i` of `src` (same type) without boxing typed values. */
  pushFrom(src: Column, i: number): void {
    if (this.length === this.capacity) this.grow();
    const j = this.length++;
    if (src.nulls !== null && src.nulls[i] === 1) {
      this.setNull(j);
      return;
    }
    (this.values as Uint8Array)[j] = (src.values as Uint8Array)[i];
  }

  finish(): Column {
    const n = this.length;
    const values = this.repr === Repr.Object ? (this.values as Datum[]).slice(0, n) : (this.values as Uint8Array).subarray(0, n);
    const nulls = this.hasNull(n) ? this.nulls!.subarray(0, n) : null;
    return new Column(this.type, values, nulls, n);
  }

  /** The rows so far as a Column of their own (copied); the builder is then empty, and reusable. */
  take(): Column {
    const n = this.length;
    let values: ColumnValues;
    if (this.repr === Repr.Object) {
      const all = this.values as Datum[];
      values = all.slice(0, n);
      // Drop the references, so the builder does not keep the last chunk's datums alive.
      all.fill(null, 0, n);
    } else {
      values = (this.values as Uint8Array).slice(0, n);
    }
    let nulls: Uint8Array | null = null;
    if (this.hasNull(n)) {
      nulls = this.nulls!.slice(0, n);
      this.nulls!.fill(0, 0, n);
    }
    this.length = 0;
    return new Column(this.type, values, nulls, n);
  }

  private hasNull(n: number): boolean {
    const nulls = this.nulls;
    if (nulls === null) return false;
    for (let i = 0; i < n; i++) if (nulls[i] === 1) return true;
    return false;
  }
}
