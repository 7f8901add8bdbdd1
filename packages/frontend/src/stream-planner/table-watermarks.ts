/**
 * Late rows of a watermarked table are not stored, as in RisingWave, whose table job runs
 * DML and connector rows through a WatermarkFilter before the table's Materialize (plan:
 * Materialize ← RowIdGen ← WatermarkFilter ← Source/Dml). The INSERT still reports every
 * row (RisingWave counts the rows sent to the table job); the late ones just never appear.
 *
 * The table's watermark is the maximum of the watermark expression over the rows kept so
 * far, as the filter computes it. It is kept in memory per table and rebuilt on first use
 * after a restart from the stored rows, which are exactly the rows kept (the tables are
 * append-only). Like the stream executor, one statement (one chunk) is judged against the
 * watermark as it was before the statement, so a statement never drops its own rows.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, compareDatum } from '@freshet/common';
import { newRuntime } from '@freshet/batch';
import { type StorageEngine, readAllRows } from '@freshet/storage';
import type { Catalog } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { compileExpr } from '../query/compile-expr';
import { bindWatermarkExpr } from './watermark';

const NO_CANCEL = { cancelled: false, throwIfCancelled() {} };

interface TableWatermark {
  readonly rel: RelationCatalog;
  readonly column: number;
  readonly type: DataType;
  readonly eval: (row: Row) => Datum;
  current: Datum;
}

export class TableWatermarks {
  private readonly tables = new Map<number, TableWatermark>();
  /** Reads of tables' rows from disk that rebuild their watermarks (`loading`), by table id. */
  private readonly reads = new Map<number, Promise<void>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly storage: StorageEngine,
  ) {}

  /**
   * For one statement writing `rel`: a predicate that is true for a late row (below the
   * watermark before the statement, or NULL once there is one) and otherwise advances the
   * watermark with the row. Undefined for a table without `WATERMARK FOR`.
   */
  lateFilter(rel: RelationCatalog): ((row: Row) => boolean) | undefined {
    if (!rel.watermarks || rel.watermarks.length === 0) return undefined;
    const t = this.watermarkOf(rel);
    const before = t.current;
    return (row) => {
      const v = row[t.column];
      if (before !== null && (v === null || compareDatum(t.type, v, before) < 0)) return true;
      const w = t.eval(row);
      if (w !== null && (t.current === null || compareDatum(t.type, w, t.current) > 0)) t.current = w;
      return false;
    };
  }

  /**
   * The read to await before `rel`'s watermark can be rebuilt from its rows after a restart
   * (null: known, or the rows can be scanned now): the table's load, or under a memory
   * limit a read of its rows from disk, which rebuilds it.
   */
  loading(rel: RelationCatalog): Promise<void> | null {
    const known = this.tables.get(rel.id);
    if (known && known.rel === rel) return null;
    const load = this.storage.tableLoading(rel.id);
    if (load !== null || !this.storage.hasTable(rel.id)) return load;
    const reader = this.storage.table(rel.id);
    if (reader.scanCold === undefined) return null;
    let read = this.reads.get(rel.id);
    if (!read) {
      read = readAllRows(reader)
        .then((rows) => {
          if (this.storage.hasTable(rel.id)) this.tables.set(rel.id, this.rebuild(rel, rows));
        })
        .finally(() => this.reads.delete(rel.id));
      // A failed read is reported to the statements awaiting it; a feed only polls.
      read.catch(() => {});
      this.reads.set(rel.id, read);
    }
    return read;
  }

  private watermarkOf(rel: RelationCatalog): TableWatermark {
    const known = this.tables.get(rel.id);
    if (known && known.rel === rel) return known;
    const t = this.rebuild(rel, this.storage.hasTable(rel.id) ? this.storage.table(rel.id).scan() : []);
    this.tables.set(rel.id, t);
    return t;
  }

  /** `rel`'s watermark as its rows `rows` give it. */
  private rebuild(rel: RelationCatalog, rows: Iterable<Row>): TableWatermark {
    const wm = rel.watermarks![0];
    const q = { catalog: this.catalog, storage: this.storage, database: rel.database, searchPath: [rel.schema], user: rel.owner, timeZone: 'UTC', now: () => Date.now() * 1000 };
    const e = bindWatermarkExpr(q, rel.name, rel.columns, wm.expr);
    const rt = newRuntime([], { timeZone: 'UTC', now: Date.now() * 1000 }, NO_CANCEL);
    const evaluate = compileExpr(e, rt, () => {
      throw new SqlError(SqlState.FeatureNotSupported, 'subqueries in watermark expressions');
    });
    const t: TableWatermark = { rel, column: wm.column, type: rel.columns[wm.column].type, eval: evaluate, current: null };
    for (const row of rows) {
      const w = evaluate(row);
      if (w !== null && (t.current === null || compareDatum(t.type, w, t.current) > 0)) t.current = w;
    }
    return t;
  }
}

const installed = new WeakMap<StorageEngine, TableWatermarks>();

/** Called once per server (StreamingEngine): the watermarks of `storage`'s tables. */
export function installTableWatermarks(catalog: Catalog, storage: StorageEngine): TableWatermarks {
  let t = installed.get(storage);
  if (!t) installed.set(storage, (t = new TableWatermarks(catalog, storage)));
  return t;
}

/**
 * Right after a restart: the load of `rel`'s rows (StorageEngine.tableLoading), or their
 * read from disk under a memory limit, when its watermark must still be rebuilt from them — a statement writing `rel` awaits it before
 * `lateRowFilter`, which scans them. Null when there is nothing to wait for.
 */
export function watermarkLoading(storage: StorageEngine, rel: RelationCatalog): Promise<void> | null {
  if (!rel.watermarks || rel.watermarks.length === 0) return null;
  return installed.get(storage)?.loading(rel) ?? storage.tableLoading(rel.id);
}

/** The watermarked tables a batch plan writes (cached per plan: DML runs it once per statement). */
const writtenWatermarked = new WeakMap<object, RelationCatalog[]>();

/** `watermarkLoading` of the tables a batch plan (INSERT/UPDATE/DELETE) writes, or null. */
export function planWatermarksLoading(storage: StorageEngine, plan: object): Promise<void> | null {
  let rels = writtenWatermarked.get(plan);
  if (!rels) {
    rels = [];
    for (let p = plan as { kind?: string; table?: RelationCatalog; input?: object }; p; p = p.input as typeof p) {
      if ((p.kind === 'insert' || p.kind === 'update' || p.kind === 'delete') && p.table?.watermarks?.length) rels.push(p.table);
    }
    writtenWatermarked.set(plan, rels);
  }
  if (rels.length === 0) return null;
  const loads = rels.map((r) => watermarkLoading(storage, r)).filter((l) => l !== null);
  return loads.length === 0 ? null : Promise.all(loads).then(() => {});
}

/** The late-row predicate for a statement writing `rel` (see `TableWatermarks.lateFilter`). */
export function lateRowFilter(storage: StorageEngine, rel: RelationCatalog): ((row: Row) => boolean) | undefined {
  if (!rel.watermarks || rel.watermarks.length === 0) return undefined;
  return installed.get(storage)?.lateFilter(rel);
}
