/**
 * In-memory secondary indexes over a table's or MV's rows, for `WHERE col = $1` lookups on
 * a column a `CREATE INDEX` names (IndexLookupExecutor). Index data is not stored: an index
 * is a hash map from the key columns' values to the primary keys of the rows holding them,
 * built from one scan of the relation the first time a query needs it and rebuilt after
 * the relation changes; rows are then read by primary key (`TableReader.get`), which also
 * serves an MV partly on disk under a memory limit. So a serving query pays one scan per
 * change of the relation, not one per query.
 *
 * "Changed" is known by a version: readers that expose `version` (an MV's reader) give it
 * directly; for others (tables) the storage engine's `watchTable` feed bumps a counter kept
 * here. Keys are the hash-join keys (`compositeKey`), so a hit means SQL `=` holds; NULL
 * keys are not indexed (`col = NULL` is never true).
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { RowChange, TableReader } from '@freshet/storage';
import { type HashKey, compositeKey } from './keys';

/** Subscribes to a table's committed changes (StorageEngine.watchTable); returns the unsubscribe. */
export type WatchTable = (tableId: number, listener: (changes: RowChange[]) => void) => () => void;

/** A reader whose rows change only when `version` does (MV readers). */
interface VersionedReader extends TableReader {
  readonly version?: number;
}

/** Key values → primary keys (datums in pk column order) of the rows holding them. */
export type IndexMap = Map<HashKey, Datum[][]>;

interface Built {
  readonly version: number;
  readonly map: IndexMap;
}

/**
 * Collects one index from the rows of a scan; `finish` installs it. `end` must be called
 * either way (after `finish`, or when the build is abandoned: a cancelled query), so that
 * queries waiting for this build go on.
 */
export class IndexBuilder {
  private readonly map: IndexMap = new Map();
  private readonly key: Datum[];
  private readonly pk: readonly number[];

  constructor(
    reader: TableReader,
    private readonly columns: readonly number[],
    private readonly types: readonly DataType[],
    private readonly install: (map: IndexMap) => void,
    /** Called once by `end`. */
    private readonly onEnd: () => void,
  ) {
    this.key = new Array(columns.length);
    this.pk = reader.schema.pk;
  }

  end(): void {
    this.onEnd();
  }

  add(row: Row): void {
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) {
      const d = row[cols[i]];
      if (d === null) return;
      this.key[i] = d;
    }
    const k = compositeKey(this.types, this.key);
    const pk = this.pk.map((c) => row[c]);
    const list = this.map.get(k);
    if (list) list.push(pk);
    else this.map.set(k, [pk]);
  }

  finish(): IndexMap {
    this.install(this.map);
    return this.map;
  }
}

export class SecondaryIndexes {
  /** Per reader object (a re-created table or restarted MV gets a new reader), per key-column list. */
  private readonly built = new WeakMap<TableReader, Map<string, Built>>();
  /** Builds under way (see `building`). */
  private readonly inProgress = new WeakMap<TableReader, Map<string, { version: number; done: Promise<void> }>>();
  /** Change counters of readers without their own version, by table id. */
  private readonly counters = new Map<number, { n: number; unwatch: () => void }>();

  constructor(private readonly watch: WatchTable) {}

  /** The index of `reader` on `columns` if one is built and the rows have not changed since; else null. */
  current(reader: TableReader, columns: readonly number[]): IndexMap | null {
    const b = this.built.get(reader)?.get(columns.join(','));
    return b && b.version === this.versionOf(reader) ? b.map : null;
  }

  /**
   * A build of this index already under way for the current rows (by a query paused in its
   * scan): a promise settled when it ends, so concurrent queries after a change wait for one
   * build instead of each scanning. Null if none.
   */
  building(reader: TableReader, columns: readonly number[]): Promise<void> | null {
    const b = this.inProgress.get(reader)?.get(columns.join(','));
    return b && b.version === this.versionOf(reader) ? b.done : null;
  }

  /** Starts building the index of `reader` on `columns` from the rows as they are now. */
  builder(reader: TableReader, columns: readonly number[], types: readonly DataType[]): IndexBuilder {
    const version = this.versionOf(reader);
    const sig = columns.join(',');
    let perReader = this.inProgress.get(reader);
    if (!perReader) this.inProgress.set(reader, (perReader = new Map()));
    let resolve!: () => void;
    const entry = { version, done: new Promise<void>((r) => (resolve = r)) };
    perReader.set(sig, entry);
    const install = (map: IndexMap) => {
      let built = this.built.get(reader);
      if (!built) this.built.set(reader, (built = new Map()));
      built.set(sig, { version, map });
    };
    const end = () => {
      if (perReader.get(sig) === entry) perReader.delete(sig);
      resolve();
    };
    return new IndexBuilder(reader, columns, types, install, end);
  }

  private versionOf(reader: TableReader): number {
    const own = (reader as VersionedReader).version;
    if (typeof own === 'number') return own;
    let c = this.counters.get(reader.tableId);
    if (!c) {
      const counter = { n: 0, unwatch: () => {} };
      counter.unwatch = this.watch(reader.tableId, () => {
        counter.n++;
      });
      this.counters.set(reader.tableId, (c = counter));
    }
    return c.n;
  }

  /** Stops watching tables (tests, shutdown). */
  close(): void {
    for (const c of this.counters.values()) c.unwatch();
    this.counters.clear();
  }
}
