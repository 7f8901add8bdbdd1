/**
 * A relational table of one operator's state over a StateStore (RisingWave's StateTable):
 * rows of datums keyed by the memcomparable encoding of their primary-key columns, so the
 * store's key order is the pk order (with per-column ASC/DESC and NULLS FIRST/LAST) and a
 * pk prefix selects a contiguous key range (all rows of one group, one join key, …).
 *
 * Writes go to the store at once, tagged with the epoch the table is in; reads see them
 * immediately (an operator reads its own writes). `commit(epoch)` ends the table's epoch:
 * later writes belong to the next one. What readers outside the operator see is decided by
 * the store's committed epoch (see store.ts), never by this class.
 *
 * Rows handed to `insert`/`update` become owned by the table and must not be mutated
 * afterwards; rows returned by reads are shared and must not be mutated either.
 */
import { createHash } from 'node:crypto';
import { type Column, type DataType, type Datum, type KeyOrder, type Row, encodeKeyString, keyPrefixLength, packRow, typeName, unpackRow } from '@freshet/common';
import type { ColdScan, ColdSnapshot, StateStore, StoreTable } from './store';

export interface StateTableDesc {
  /** Store-wide table id (allocated by the graph builder; stable across restarts). */
  readonly tableId: number;
  /**
   * Types of the stored row's columns. Only the pk columns' types matter for encoding;
   * the others document the layout (the value codec is schema-free).
   */
  readonly types: readonly DataType[];
  /** Primary key: row column indices, most significant first. */
  readonly pk: readonly number[];
  /** Per pk column; default ASC NULLS LAST. */
  readonly orders?: readonly KeyOrder[];
  /**
   * Store rows packed (`packRow`: one string in the value encoding) and unpack them on
   * read. For state written far more often than read: a temporal filter's rows (`true`),
   * an MV's rows, an aggregate's group rows, a unique join side (`'large'`). A row kept as
   * an array holds a box per BIGINT and float; written per event and replaced seconds
   * later, those objects outlive the young generation and the garbage collector copies them
   * twice. One string instead: fewer objects and bytes for it, and a checkpoint copies the
   * bytes as they are. Every read unpacks (a fresh array: callers may keep or change it).
   * Rows recovered from LevelDB arrive unpacked; reads accept both forms.
   *
   * `'large'` packs from the first write that finds the table holding PACK_LARGE_FROM keys
   * or more, or a cache under a memory limit (where smaller rows mean more of them cached),
   * on; that write packs the rows stored before it too. A row is replaced
   * every keys / writes-per-second seconds: in a small table that is sooner than the young
   * generation is collected (~0.2 s at 50,000 writes/s), so the array dies young anyway
   * and encoding it is pure cost (Nexmark q4's groups by auction: 8% more CPU packed).
   */
  readonly packed?: boolean | 'large';
  /**
   * Checkpoint the table as segments (StoreTable.declareSegmented): for state written once,
   * kept whole in memory, and deleted in key order (with `expireBelow`).
   */
  readonly segmented?: boolean;
}

/** How a table's rows are kept (StateTableAllocator.create). */
export interface StateTableLayout {
  /** StateTableDesc.packed */
  readonly packed?: boolean | 'large';
  /** StateTableDesc.segmented */
  readonly segmented?: boolean;
}

/**
 * Keys from which a `packed: 'large'` table packs the rows it writes (StateTableDesc.packed):
 * at 50,000 writes/s a row of a table this size lives ~0.7 s, past a young-generation cycle.
 */
export const PACK_LARGE_FROM = 1 << 15;

/** A row's packed string, typed as the row the store holds (it never looks inside). */
const packAsRow = (row: Row): Row => packRow(row) as unknown as Row;

/** A store value of a packed table: a row or its packed string (see StateTableDesc.packed). */
function unpacked(v: Row | undefined): Row | undefined {
  return typeof v === 'string' ? unpackRow(v) : v;
}

/** A bound of a pk range: the first `values.length` pk columns equal/after `values`. */
export interface PkBound {
  readonly values: readonly Datum[];
  readonly inclusive: boolean;
}

/**
 * The smallest key greater than every key starting with `prefix` (undefined: none, i.e.
 * unbounded): the prefix with trailing 0xFF bytes dropped and its last byte incremented.
 * Staying within latin1 keeps range bounds one-byte strings, which compare fastest.
 */
export function prefixEnd(prefix: string): string | undefined {
  let n = prefix.length;
  while (n > 0 && prefix.charCodeAt(n - 1) === 0xff) n--;
  if (n === 0) return undefined;
  return prefix.slice(0, n - 1) + String.fromCharCode(prefix.charCodeAt(n - 1) + 1);
}

export class StateTable {
  readonly tableId: number;
  readonly pk: readonly number[];
  readonly types: readonly DataType[];
  private readonly store: StoreTable;
  private readonly pkTypes: DataType[];
  private readonly orders: KeyOrder[] | undefined;
  /** prefixTypes[n] = the first n pk types (encodeKeyString takes types and datums of one length). */
  private readonly prefixTypes: DataType[][];
  private readonly prefixOrders: (KeyOrder[] | undefined)[];
  private readonly pkScratch: Datum[];
  /** Rows may be stored packed: reads unpack (StateTableDesc.packed). */
  private readonly packed: boolean;
  /** Writes pack only in a large or bounded table (`packed: 'large'`). */
  private readonly packOnlyLarge: boolean;
  /** `packOnlyLarge`: whether the rows stored while the table was small have been packed (`stored`). */
  private repacked = false;
  /** A packed table's writes pack while this is on (`setPackWrites`). */
  private packWrites = true;
  private _epoch: number;

  constructor(store: StateStore, desc: StateTableDesc, initialEpoch = store.committedEpoch + 1) {
    this.tableId = desc.tableId;
    this.pk = desc.pk;
    this.types = desc.types;
    this.store = store.table(desc.tableId);
    this.pkTypes = desc.pk.map((i) => desc.types[i]);
    this.orders = desc.orders ? [...desc.orders] : undefined;
    this.prefixTypes = [];
    this.prefixOrders = [];
    for (let n = 0; n <= this.pkTypes.length; n++) {
      this.prefixTypes.push(this.pkTypes.slice(0, n));
      this.prefixOrders.push(this.orders?.slice(0, n));
    }
    this.pkScratch = new Array(desc.pk.length);
    this.packed = desc.packed === true || desc.packed === 'large';
    this.packOnlyLarge = desc.packed === 'large';
    this._epoch = initialEpoch;
    if (desc.segmented) this.store.declareSegmented();
  }

  /**
   * The owner reads this table only by key (`get`, `getByKey`, `getCommitted`): under a
   * memory limit its rows may be evicted and read back from LevelDB (StoreTable.declarePointReads).
   */
  declarePointReads(): this {
    this.store.declarePointReads();
    return this;
  }

  /**
   * The owner reads ranges only within a group of the first `columns` pk columns (their
   * prefix's rows: `iterKeyPrefix`, `keysWithPrefix`, `firstKeyWithPrefix` with a whole
   * group key): the store may keep its order group by group (StoreTable.declarePrefixReads).
   * Only when those columns' keys have a fixed width (integers, timestamps…); otherwise
   * nothing changes.
   */
  declarePrefixReads(columns: number): this {
    const prefixLength = columns > 0 ? keyPrefixLength(this.pkTypes.slice(0, columns)) : null;
    if (prefixLength !== null) this.store.declarePrefixReads(prefixLength);
    return this;
  }

  /**
   * Every row whose key is below the key of the pk prefix `bound` (or, `inclusive`, at or
   * below every key extending it) has been deleted in the current epoch and will never be
   * written again: a segmented table then needs no tombstone per row (StoreTable.expireBelow).
   */
  expireBelow(bound: PkBound): void {
    const k = this.keyOfPk(bound.values);
    const below = bound.inclusive ? prefixEnd(k) : k;
    if (below !== undefined) this.store.expireBelow(this._epoch, below);
  }

  /** Whether rows of this table may leave memory (a memory limit and declared point reads). */
  get bounded(): boolean {
    return this.store.bounded;
  }

  /** The epoch current writes belong to. */
  get epoch(): number {
    return this._epoch;
  }

  /** Rows in the working view. */
  get size(): number {
    return this.store.size;
  }

  /** The storage key of a full row. */
  keyOfRow(row: readonly Datum[]): string {
    const pk = this.pk;
    const s = this.pkScratch;
    for (let i = 0; i < pk.length; i++) s[i] = row[pk[i]] ?? null;
    return encodeKeyString(this.pkTypes, s, this.orders);
  }

  /** The storage key of row `i` of a chunk's columns, without materialising the row. */
  keyOfChunkRow(columns: readonly Column[], i: number): string {
    const pk = this.pk;
    const s = this.pkScratch;
    for (let k = 0; k < pk.length; k++) s[k] = columns[pk[k]].get(i);
    return encodeKeyString(this.pkTypes, s, this.orders);
  }

  /**
   * Rows `i` and `j` of a chunk's columns certainly have the same key: each pk datum is the
   * same value (Object.is), so they encode alike. Without building either key string. False
   * may still be an equal key (equal decimals in two objects): callers treat it as a change
   * of key, which is correct either way.
   */
  sameKeyInChunk(columns: readonly Column[], i: number, j: number): boolean {
    const pk = this.pk;
    for (let k = 0; k < pk.length; k++) {
      const c = columns[pk[k]];
      if (!Object.is(c.get(i), c.get(j))) return false;
    }
    return true;
  }

  /** The storage key of pk datums, or of a prefix of them (fewer datums than pk columns). */
  keyOfPk(pk: readonly Datum[]): string {
    const n = pk.length;
    if (n > this.pkTypes.length) throw new Error(`state table ${this.tableId}: ${n} key values for a ${this.pkTypes.length}-column pk`);
    return encodeKeyString(this.prefixTypes[n], pk, this.prefixOrders[n]);
  }

  /** The value stored for `row`: the row itself, or its packed string (typed as a row for the store, which never looks inside). */
  private stored(row: Row): Row {
    if (!this.packed || !this.packWrites) return row;
    if (this.packOnlyLarge && !this.repacked) {
      if (this.store.size < PACK_LARGE_FROM && !this.store.bounded) return row;
      this.repacked = true;
      // The rows written while the table was small stay arrays unless rewritten, and a table
      // written once (a backfill, a dimension) never rewrites them: each then keeps a row of
      // boxes in the old generation, which every full collection marks. Packed once, here,
      // while there are about PACK_LARGE_FROM of them: one packRow each, what those writes
      // would have cost had the table packed from the start. A larger table (recovered from
      // LevelDB, whose rows arrive unpacked) is left to its rewrites: one pass would hold the
      // engine thread for a packRow per row, millions of them at once.
      if (this.store.size < 2 * PACK_LARGE_FROM) this.store.repackRows(packAsRow);
    }
    return packAsRow(row);
  }

  /**
   * Whether the writes of a `packed` table pack their rows (on by default): its owner turns
   * it off while the rows are read more often than written, since every read of a packed
   * row unpacks it. Rows stored either way stay readable.
   */
  setPackWrites(on: boolean): void {
    this.packWrites = on;
  }

  insert(row: Row): void {
    this.store.write(this._epoch, this.keyOfRow(row), this.stored(row));
  }

  delete(row: readonly Datum[]): void {
    this.store.write(this._epoch, this.keyOfRow(row), null);
  }

  /** Replaces `oldRow` by `newRow` (their pks may differ). */
  update(oldRow: readonly Datum[], newRow: Row): void {
    const k1 = this.keyOfRow(oldRow);
    const k2 = this.keyOfRow(newRow);
    if (k1 !== k2) this.store.write(this._epoch, k1, null);
    this.store.write(this._epoch, k2, this.stored(newRow));
  }

  get(pk: readonly Datum[]): Row | undefined {
    return this.getByKey(this.keyOfPk(pk));
  }

  /** Raw-key access for operators that build composite keys themselves (group key + value). */
  getByKey(key: string): Row | undefined {
    const v = this.store.get(key);
    return this.packed ? unpacked(v) : v;
  }

  /** Whether a row is stored under `key` (no row is unpacked). */
  hasKey(key: string): boolean {
    return this.store.get(key) !== undefined;
  }

  putByKey(key: string, row: Row): void {
    this.store.write(this._epoch, key, this.stored(row));
  }

  deleteByKey(key: string): void {
    this.store.write(this._epoch, key, null);
  }

  /** Rows whose pk starts with `prefix` (datums of the leading pk columns), in pk order. */
  iterPrefix(prefix: readonly Datum[], reverse = false): IterableIterator<Row> {
    const key = this.keyOfPk(prefix);
    // The store's entries, unpacked once by rowsOf (iterKeyPrefix would unpack them too).
    return this.rowsOf(this.store.iter(key === '' ? undefined : key, prefixEnd(key), reverse));
  }

  /** Entries whose key starts with the encoded prefix `prefixKey`. */
  iterKeyPrefix(prefixKey: string, reverse = false): IterableIterator<[string, Row]> {
    const it = this.store.iter(prefixKey === '' ? undefined : prefixKey, prefixEnd(prefixKey), reverse);
    return this.packed ? unpackEntries(it) : it;
  }

  /**
   * The keys starting with `prefixKey`, in order, as an array: the cheap form for short
   * ranges (a join key's matches), and safe to hold while the table is modified.
   */
  keysWithPrefix(prefixKey: string): string[] {
    return this.store.keys(prefixKey === '' ? undefined : prefixKey, prefixEnd(prefixKey));
  }

  /** The first key (in pk order) that starts with `prefixKey`, without an iterator. */
  firstKeyWithPrefix(prefixKey: string): string | undefined {
    return this.store.firstKey(prefixKey === '' ? undefined : prefixKey, prefixEnd(prefixKey));
  }

  /** The first row (in pk order) whose key starts with `prefixKey`, without an iterator. */
  firstWithKeyPrefix(prefixKey: string): Row | undefined {
    const k = this.firstKeyWithPrefix(prefixKey);
    return k === undefined ? undefined : this.getByKey(k);
  }

  /**
   * Rows between two pk bounds (each a prefix of the pk; absent = unbounded), in pk order.
   * An inclusive bound on a prefix includes every row extending it.
   */
  range(lo?: PkBound, hi?: PkBound, reverse = false): IterableIterator<Row> {
    let loKey: string | undefined;
    let hiKey: string | undefined;
    if (lo) {
      const k = this.keyOfPk(lo.values);
      // An exclusive lower bound skips every key extending the prefix; nothing is after an all-0xFF prefix.
      loKey = lo.inclusive ? k : prefixEnd(k);
      if (loKey === undefined) return [][Symbol.iterator]();
    }
    if (hi) {
      const k = this.keyOfPk(hi.values);
      hiKey = hi.inclusive ? prefixEnd(k) : k;
    }
    return this.rowsOf(this.store.iter(loKey, hiKey, reverse));
  }

  /** Every row in pk order. */
  scan(): IterableIterator<Row> {
    return this.rowsOf(this.store.iter(undefined, undefined));
  }

  /**
   * Every row as of now, of a table partly in memory (memory limit), for a backfill that
   * reads LevelDB while writes go on (StoreTable.snapshotCold); null when the whole table
   * is in memory (use `scan`).
   */
  snapshotCold(): ColdSnapshot | null {
    const s = this.store.snapshotCold();
    if (s === null || !this.packed) return s;
    // The rows in memory are the store's values (packed strings); LevelDB's arrive decoded.
    return { memory: s.memory.map((r) => unpacked(r)!), size: s.size, next: (n) => s.next(n), close: () => s.close() };
  }

  /** Committed view (serving reads): the row with this pk as of the store's committed epoch. */
  getCommitted(pk: readonly Datum[]): Row | undefined {
    const v = this.store.getCommitted(this.keyOfPk(pk));
    return this.packed ? unpacked(v) : v;
  }

  /** Committed view: every row in pk order. */
  scanCommitted(): IterableIterator<Row> {
    return this.rowsOf(this.store.iterCommitted());
  }

  /**
   * Committed view, every row in pk order, of a table partly in memory (memory limit): a
   * scan that reads LevelDB and must be awaited between batches (StoreTable.scanCold); null
   * when the whole table is in memory (use `scanCommitted`).
   */
  scanCommittedCold(): ColdScan | null {
    const s = this.store.scanCold();
    if (s === null || !this.packed) return s;
    return {
      next: () => {
        const rows = s.next();
        return Array.isArray(rows) ? rows.map((r) => unpacked(r)!) : rows;
      },
      close: () => s.close(),
    };
  }

  /** Ends the table's epoch `epoch`; later writes belong to the next epoch. */
  commit(epoch: number): void {
    if (epoch < this._epoch) throw new Error(`state table ${this.tableId}: commit of epoch ${epoch} while in epoch ${this._epoch}`);
    this._epoch = epoch + 1;
  }

  private *rowsOf(it: IterableIterator<[string, Row]>): IterableIterator<Row> {
    if (this.packed) for (const [, row] of it) yield unpacked(row)!;
    else for (const [, row] of it) yield row;
  }
}

function* unpackEntries(it: IterableIterator<[string, Row]>): IterableIterator<[string, Row]> {
  for (const [k, row] of it) yield [k, unpacked(row)!];
}

/**
 * Hands out state tables with consecutive ids from `firstId`. A graph builder creates one
 * per stream graph; since executors allocate their tables in a fixed order, rebuilding the
 * same plan yields the same ids, which is what recovery needs.
 */
export class StateTableAllocator {
  private next: number;
  /** What each table allocated so far stores (column types, pk, orders), for `layout`. */
  private readonly shapes: string[] = [];

  constructor(
    readonly store: StateStore,
    firstId: number,
  ) {
    this.next = firstId;
  }

  create(types: readonly DataType[], pk: readonly number[], orders?: readonly KeyOrder[], layout: StateTableLayout = {}): StateTable {
    // A segmented table's rows are stored differently (segments.ts): part of the layout.
    this.shapes.push(`${types.map(typeName).join(',')}|${pk.join(',')}|${JSON.stringify(orders ?? [])}${layout.segmented ? '|segmented' : ''}`);
    return new StateTable(this.store, { tableId: this.next++, types, pk, orders, packed: layout.packed, segmented: layout.segmented });
  }

  /**
   * A fingerprint of the tables allocated so far: their number, order and shapes. A job's
   * checkpointed state is only valid for a graph with the same layout; a newer version
   * that plans the same query differently (another operator, one state table more or less)
   * must rebuild it rather than read one table's rows as another's (recovery checks this).
   * Packing is not part of it (packed and plain rows have the same bytes in LevelDB);
   * segmenting is (a segmented table's rows are not stored one key each).
   */
  get layout(): string {
    return createHash('sha256').update(this.shapes.join('\n')).digest('hex').slice(0, 16);
  }

  /** The id the next table will get. */
  get nextId(): number {
    return this.next;
  }
}
