/**
 * Lookup through a secondary index (`WHERE col = $1` where `CREATE INDEX … (col)` exists):
 * the rows whose key columns equal the key values, found through SecondaryIndexes (key →
 * primary keys) and read by primary key, instead of a full scan. When the index is missing
 * this execution builds it first, from a scan that — for an MV partly on disk under a
 * memory limit — awaits its disk reads between batches (PAUSE with `rt.wait`); after that
 * the index follows the relation's changes (secondary-index.ts).
 * The key evaluators run against an empty row (constants or parameters).
 */
import type { DataType, Datum, Row } from '@freshet/common';
import type { TableReader } from '@freshet/storage';
import { CHUNK_SIZE, type ChunkStream, type Evaluator, type ExecRuntime, type Executor, PAUSE, shouldPause } from '../executor';
import { type IndexMap, type SecondaryIndexes, eachIndexedPk } from '../secondary-index';
import { compositeKey } from '../keys';

const EMPTY: Row = [];
/**
 * How long a query waits for another query's build of the same index to read more rows:
 * while it does, the query waits on (however long the build takes, since a build per
 * waiting query would scan the relation and hold its index once each); a build that read
 * nothing for this long was abandoned, and the query builds the index itself.
 */
const BUILD_STALL_MS = 1000;

export class IndexLookupExecutor implements Executor {
  readonly name = 'BatchIndexLookup';
  constructor(
    private readonly indexes: SecondaryIndexes,
    private readonly reader: TableReader,
    /** Physical key columns and their types. */
    private readonly keyColumns: readonly number[],
    private readonly keyTypes: readonly DataType[],
    /** One evaluator per key column, returning a datum of that column's type. */
    private readonly keys: readonly Evaluator[],
    /** Physical column indices to output; null = all columns as stored. */
    private readonly columns: readonly number[] | null,
    private readonly rt: ExecRuntime,
  ) {}

  *execute(): ChunkStream {
    const key: Datum[] = new Array(this.keys.length);
    for (let i = 0; i < key.length; i++) {
      const v = this.keys[i](EMPTY);
      if (v === null) return;
      key[i] = v;
    }
    let index = this.indexes.current(this.reader, this.keyColumns);
    let inProgress = index === null ? this.indexes.building(this.reader, this.keyColumns) : null;
    while (inProgress !== null) {
      // Another query is building this index for the same rows: wait for it while it reads
      // on (BUILD_STALL_MS; under drainSync the PAUSE returns at once, nothing moves, and
      // the index is built here).
      const seen = inProgress.rows;
      this.rt.wait = Promise.race([inProgress.done, new Promise<void>((r) => setTimeout(r, BUILD_STALL_MS).unref())]);
      yield PAUSE;
      index = this.indexes.current(this.reader, this.keyColumns);
      const still = index === null ? this.indexes.building(this.reader, this.keyColumns) : null;
      inProgress = still !== null && still.rows !== seen ? still : null;
    }
    if (index === null) {
      const built: { map: IndexMap | null } = { map: null };
      yield* this.build(built);
      index = built.map!;
    }
    const pks = index.get(compositeKey(this.keyTypes, key));
    if (!pks) return;
    let out: Row[] = [];
    for (const pk of eachIndexedPk(pks)) {
      const row = this.reader.get(pk);
      // Re-check the key: the row read now is the one the index saw unless it changed since.
      if (!row || !this.matches(row, key)) continue;
      out.push(this.columns === null ? row : this.project(row));
      if (out.length >= CHUNK_SIZE) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  private matches(row: Row, key: readonly Datum[]): boolean {
    const cols = this.keyColumns;
    const k: Datum[] = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) {
      k[i] = row[cols[i]];
      if (k[i] === null) return false;
    }
    return compositeKey(this.keyTypes, k) === compositeKey(this.keyTypes, key);
  }

  private project(row: Row): Row {
    const cols = this.columns!;
    const out = new Array(cols.length);
    for (let i = 0; i < cols.length; i++) out[i] = row[cols[i]];
    return out;
  }

  /** Scans the relation into a new index (installed only if the scan completes). */
  private *build(into: { map: IndexMap | null }): ChunkStream {
    const builder = this.indexes.builder(this.reader, this.keyColumns, this.keyTypes);
    const cold = this.reader.scanCold?.() ?? null;
    try {
      if (cold === null) {
        let n = 0;
        for (const row of this.reader.scan()) {
          builder.add(row);
          if (++n % CHUNK_SIZE === 0 && shouldPause(this.rt)) yield PAUSE;
        }
      } else {
        for (;;) {
          const r = cold.next();
          if (r === null) break;
          if (r instanceof Promise) {
            this.rt.wait = r;
            yield PAUSE;
            continue;
          }
          for (const row of r) builder.add(row);
        }
      }
      into.map = builder.finish();
    } finally {
      cold?.close();
      builder.end();
    }
  }
}
