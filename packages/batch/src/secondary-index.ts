/**
 * In-memory secondary indexes over a table's or MV's rows, for `WHERE col = $1` lookups on
 * a column a `CREATE INDEX` names (IndexLookupExecutor). Index data is not stored: an index
 * is a hash map from the key columns' values to the primary keys of the rows holding them,
 * built from one scan of the relation the first time a query needs it; rows are then read
 * by primary key (`TableReader.get`), which also serves an MV partly on disk under a memory
 * limit.
 *
 * After the build the index follows the relation's committed changes instead of being
 * rebuilt: an MV's through its change cursor (`TableReader.openChangeCursor`, fed by its
 * materialize), a table's through the storage engine's `watchTable` feed. The cursor is
 * opened before the scan starts, so what commits during a long (cold, awaited) scan is
 * applied after it; applying is idempotent per primary key (each change sets or removes
 * the key a primary key is filed under), so replaying changes the scan already saw is
 * harmless. Each lookup applies what committed since the last one, then reads the rows
 * and re-checks their key. A cursor that fell too far behind reports it, and the index is
 * rebuilt. Readers with neither (only a `version`) are rebuilt when the version changes.
 *
 * Keys are the hash-join keys (`compositeKey`), so a hit means SQL `=` holds; NULL keys are
 * not indexed (`col = NULL` is never true).
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { ChangeCursor, RowChange, TableReader } from '@freshet/storage';
import { type HashKey, compositeKey } from './keys';

/** Subscribes to a table's committed changes (StorageEngine.watchTable); returns the unsubscribe. */
export type WatchTable = (tableId: number, listener: (changes: RowChange[]) => void) => () => void;

/** A reader whose rows change only when `version` does. */
interface VersionedReader extends TableReader {
  readonly version?: number;
}

/**
 * The primary keys (datums in pk column order) filed under one key: the datums themselves
 * while there is one — most keys of a large index hold one row (a user's session), and a
 * Map per key was ~40% of the index's heap — or, from two on, a Map by their encoding.
 */
export type IndexedPks = Datum[] | Map<HashKey, Datum[]>;

/** Key values (encoded) → the primary keys of the rows holding them. */
export type IndexMap = Map<HashKey, IndexedPks>;

/** Each primary key of an index entry. */
export function eachIndexedPk(pks: IndexedPks): Iterable<Datum[]> {
  return Array.isArray(pks) ? [pks] : pks.values();
}

/** One index's entries, kept per primary key so that a change can move or drop one. */
class IndexEntries {
  readonly map: IndexMap = new Map();
  /** Primary key (encoded) → the key it is filed under. */
  private readonly filedUnder = new Map<HashKey, HashKey>();
  private readonly key: Datum[];
  private readonly pkTypes: DataType[];
  private readonly pkValues: Datum[];

  constructor(
    private readonly columns: readonly number[],
    private readonly types: readonly DataType[],
    private readonly schema: TableReader['schema'],
  ) {
    this.key = new Array(columns.length);
    this.pkTypes = schema.pk.map((c) => schema.types[c]);
    this.pkValues = new Array(schema.pk.length);
  }

  /** The row is stored now (replacing whatever its primary key held). */
  add(row: Row): void {
    const p = this.pkOf(row);
    const k = this.keyOf(row);
    const was = this.filedUnder.get(p);
    if (was !== undefined && was !== k) this.unfile(was, p);
    if (k === null) {
      this.filedUnder.delete(p);
      return;
    }
    const pk = this.schema.pk.map((c) => row[c]);
    const filed = this.map.get(k);
    if (filed === undefined) this.map.set(k, pk);
    else if (!Array.isArray(filed)) filed.set(p, pk);
    else {
      const other = compositeKey(this.pkTypes, filed);
      this.map.set(
        k,
        other === p
          ? pk
          : new Map([
              [other, filed],
              [p, pk],
            ]),
      );
    }
    this.filedUnder.set(p, k);
  }

  /** The row with this primary key is gone. */
  remove(row: Row): void {
    const p = this.pkOf(row);
    const was = this.filedUnder.get(p);
    if (was === undefined) return;
    this.unfile(was, p);
    this.filedUnder.delete(p);
  }

  apply(changes: readonly RowChange[]): void {
    for (const c of changes) {
      if (c.old !== undefined && (c.row === undefined || this.pkOf(c.old) !== this.pkOf(c.row))) this.remove(c.old);
      if (c.row !== undefined) this.add(c.row);
    }
  }

  private unfile(k: HashKey, p: HashKey): void {
    const filed = this.map.get(k);
    if (filed === undefined) return;
    if (Array.isArray(filed)) {
      if (compositeKey(this.pkTypes, filed) === p) this.map.delete(k);
      return;
    }
    filed.delete(p);
    // Back to the one primary key's datums, as `add` files a lone row.
    if (filed.size === 1) this.map.set(k, filed.values().next().value!);
    else if (filed.size === 0) this.map.delete(k);
  }

  private keyOf(row: Row): HashKey | null {
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) {
      const d = row[cols[i]];
      if (d === null) return null;
      this.key[i] = d;
    }
    return compositeKey(this.types, this.key);
  }

  private pkOf(row: Row): HashKey {
    const pk = this.schema.pk;
    for (let i = 0; i < pk.length; i++) this.pkValues[i] = row[pk[i]];
    return compositeKey(this.pkTypes, this.pkValues);
  }
}

/** A table's watchTable feed as a cursor: changes are queued as they commit. */
class WatchCursor implements ChangeCursor {
  private queue: RowChange[] = [];
  private readonly unwatch: () => void;

  constructor(watch: WatchTable, tableId: number) {
    this.unwatch = watch(tableId, (changes) => {
      for (const c of changes) this.queue.push(c);
    });
  }

  take(): readonly RowChange[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  close(): void {
    this.unwatch();
    this.queue = [];
  }
}

interface Built {
  readonly entries: IndexEntries;
  /** Null: the reader has only a version; the index is current while it is unchanged. */
  readonly cursor: ChangeCursor | null;
  readonly version: number | undefined;
}

/** A build under way (SecondaryIndexes.building): settled when it ends; `rows` counts what it has read so far. */
export interface BuildInProgress {
  readonly done: Promise<void>;
  readonly rows: number;
}

/**
 * Collects one index from the rows of a scan; `finish` installs it. `end` must be called
 * either way (after `finish`, or when the build is abandoned: a cancelled query), so that
 * queries waiting for this build go on.
 */
export class IndexBuilder {
  private readonly entries: IndexEntries;

  constructor(
    reader: TableReader,
    columns: readonly number[],
    types: readonly DataType[],
    private readonly install: (entries: IndexEntries) => IndexMap,
    /** Called once by `end`. */
    private readonly onEnd: () => void,
    /** What queries waiting for this build see of it. */
    private readonly progress: { rows: number },
  ) {
    this.entries = new IndexEntries(columns, types, reader.schema);
  }

  end(): void {
    this.onEnd();
  }

  add(row: Row): void {
    this.entries.add(row);
    this.progress.rows++;
  }

  finish(): IndexMap {
    return this.install(this.entries);
  }
}

export class SecondaryIndexes {
  /** Per reader object (a re-created table or restarted MV gets a new reader), per key-column list. */
  private readonly built = new WeakMap<TableReader, Map<string, Built>>();
  /** Builds under way (see `building`). */
  private readonly inProgress = new WeakMap<TableReader, Map<string, BuildInProgress & { rows: number; followed: boolean; version: number | undefined }>>();
  /** Open cursors, closed by `close` (shutdown, tests). */
  private readonly cursors = new Set<ChangeCursor>();

  constructor(private readonly watch: WatchTable) {}

  /** The index of `reader` on `columns`, brought up to date with the committed changes; null if there is none (or it must be rebuilt). */
  current(reader: TableReader, columns: readonly number[]): IndexMap | null {
    const sig = columns.join(',');
    const perReader = this.built.get(reader);
    const b = perReader?.get(sig);
    if (!b) return null;
    if (b.cursor === null) return b.version === versionOf(reader) ? b.entries.map : null;
    const changes = b.cursor.take();
    if (changes === null) {
      this.discard(b);
      perReader!.delete(sig);
      return null;
    }
    b.entries.apply(changes);
    return b.entries.map;
  }

  /**
   * A build of this index already under way (by a query paused in its scan): its promise
   * settles when it ends, and its row count shows whether it still reads, so concurrent
   * queries wait for one build instead of each scanning. Null if none.
   */
  building(reader: TableReader, columns: readonly number[]): BuildInProgress | null {
    const b = this.inProgress.get(reader)?.get(columns.join(','));
    // A followed build catches up with whatever commits during it; a versioned one only counts for its version.
    return b && (b.followed || b.version === versionOf(reader)) ? b : null;
  }

  /** Starts building the index of `reader` on `columns` from the rows as they are now. */
  builder(reader: TableReader, columns: readonly number[], types: readonly DataType[]): IndexBuilder {
    // The cursor first: whatever commits from here on is applied after the scan.
    const cursor = this.openCursor(reader);
    const version = cursor === null ? versionOf(reader) : undefined;
    const sig = columns.join(',');
    let perReader = this.inProgress.get(reader);
    if (!perReader) this.inProgress.set(reader, (perReader = new Map()));
    let resolve!: () => void;
    const entry = { followed: cursor !== null, version, done: new Promise<void>((r) => (resolve = r)), rows: 0 };
    perReader.set(sig, entry);
    let installed = false;
    const install = (entries: IndexEntries) => {
      let built = this.built.get(reader);
      if (!built) this.built.set(reader, (built = new Map()));
      const old = built.get(sig);
      if (old) this.discard(old);
      built.set(sig, { entries, cursor, version });
      installed = true;
      return this.current(reader, columns) ?? entries.map;
    };
    const end = () => {
      if (perReader.get(sig) === entry) perReader.delete(sig);
      // An abandoned build (a cancelled query) does not keep its cursor recording.
      if (!installed && cursor) this.closeCursor(cursor);
      resolve();
    };
    return new IndexBuilder(reader, columns, types, install, end, entry);
  }

  /** Stops following every relation (tests, shutdown). */
  close(): void {
    for (const c of this.cursors) c.close();
    this.cursors.clear();
  }

  /** A cursor on the reader's changes: its own (MVs), the table's watch feed, or none (version only). */
  private openCursor(reader: TableReader): ChangeCursor | null {
    let c: ChangeCursor;
    if (reader.openChangeCursor) c = reader.openChangeCursor();
    else if (versionOf(reader) === undefined) c = new WatchCursor(this.watch, reader.tableId);
    else return null;
    this.cursors.add(c);
    return c;
  }

  private closeCursor(c: ChangeCursor): void {
    c.close();
    this.cursors.delete(c);
  }

  private discard(b: Built): void {
    if (b.cursor) this.closeCursor(b.cursor);
  }
}

function versionOf(reader: TableReader): number | undefined {
  const v = (reader as VersionedReader).version;
  return typeof v === 'number' ? v : undefined;
}
