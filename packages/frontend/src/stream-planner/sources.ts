/**
 * Connector sources at run time (see packages/connectors):
 *
 * - **In a materialized view** (`sourceUpstream`): every job reading a source gets its own
 *   reader from the beginning (RisingWave's non-shared sources) inside a
 *   ConnectorSourceExecutor; the job's chain over it has an empty snapshot. The executor
 *   joins the barrier manager when the chain connects and leaves when the job is dropped.
 *   Its position at each barrier (`offsets()` / `position`, `seek()`) is what a checkpoint
 *   stores: `SourceHooks.onBarrier` is the hook for the durable state store.
 * - **Ad-hoc SELECT** (`attachSourceReader`): a bounded generator is read in full at scan
 *   time through a TableReader attached to storage; others answer 0A000.
 * - **Tables fed by a connector** (`ConnectorTables`): each such table has a reader whose
 *   rows are written like DML rows (upserts by primary key, else a new `_row_id`), one
 *   committed batch per pull, so MVs over the table see them through the table's changes.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState } from '@freshet/common';
import { ConnectorSourceExecutor, type SourceChange, type SourcePosition, type SourceReader, type SplitOffsets, readBoundedSource, sourceConnector } from '@freshet/connectors';
import { newRuntime } from '@freshet/batch';
import type { Barrier, BarrierInjectable } from '@freshet/stream';
import type { StorageEngine, TableReader, TableSchema } from '@freshet/storage';
import type { QueryContext } from '../binder/context';
import type { Catalog } from '../catalog/catalog';
import type { RelationCatalog } from '../catalog/model';
import { sourceSpec } from '../handler/ddl/create-source';
import { compileExpr } from '../query/compile-expr';
import { rowsPerSecondOption } from '../session/config';
import { lateRowFilter, watermarkLoading } from './table-watermarks';
import { bindWatermarkExpr } from './watermark';

/** Checkpoint / monitoring hooks of the source executors a StreamingEngine creates. */
export interface SourceHooks {
  /** After each barrier passed a source executor (reading `source`). */
  onBarrier?(source: RelationCatalog, executor: ConnectorSourceExecutor, barrier: Barrier, position: SourcePosition): void;
  log?(msg: string): void;
  /** Persistent mode: where positions go into checkpoints and come back from one. */
  checkpoints?: SourceCheckpoints;
  /** The job is being restored from a checkpoint: resume at its checkpointed position. */
  restoring?: boolean;
}

/**
 * Source positions for checkpoints. Each source executor of a job has a key (job id,
 * source id, ordinal: a job may read one source twice) and records its position at every
 * barrier; the checkpoint of epoch E stores each key's position at E (`at`), and recovery
 * seeks a restored job's executors to those (`restored`). So an MV restored from a
 * checkpoint continues its sources exactly after the rows its state already contains.
 */
export class SourceCheckpoints {
  private readonly live = new Map<string, Map<number, SourcePosition>>();
  private job = 0;
  private ordinal = 0;

  constructor(private readonly recovered: () => Readonly<Record<string, SourcePosition>> | undefined) {}

  /** Starts numbering the source executors of job `jobId` (built in a fixed order). */
  beginJob(jobId: number): void {
    this.job = jobId;
    this.ordinal = 0;
  }

  nextKey(sourceId: number): string {
    return `${this.job}/${sourceId}/${this.ordinal++}`;
  }

  record(key: string, epoch: number, position: SourcePosition): void {
    let m = this.live.get(key);
    if (!m) this.live.set(key, (m = new Map()));
    m.set(epoch, position);
  }

  /** Each key's position at barrier `epoch` (forgets older ones; keys gone quiet are dropped). */
  at(epoch: number): Record<string, SourcePosition> {
    const out: Record<string, SourcePosition> = {};
    for (const [key, m] of this.live) {
      const p = m.get(epoch);
      if (p) out[key] = p;
      for (const e of m.keys()) if (e <= epoch) m.delete(e);
      if (m.size === 0 && !p) this.live.delete(key);
    }
    return out;
  }

  restored(key: string): SourcePosition | undefined {
    return this.recovered()?.[key];
  }
}

const NO_CANCEL = { cancelled: false, throwIfCancelled() {} };

/** Throws 0A000 unless `rel`'s connector can read (declared-only connectors cannot yet). */
export function checkSourceReadable(rel: RelationCatalog): void {
  const spec = sourceSpec(rel);
  if (!sourceConnector(spec.connector).open) {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: reading ${spec.connector} source ${rel.name}`, {
      hint: `The ${spec.connector} connector can be declared but not read yet.`,
    });
  }
}

/** A context to bind a relation's stored expressions (generated columns) outside a session. */
function relationContext(catalog: Catalog, storage: StorageEngine, rel: RelationCatalog): QueryContext {
  return { catalog, storage, database: rel.database, searchPath: [rel.schema], user: rel.owner, timeZone: 'UTC', now: () => Date.now() * 1000 };
}

/**
 * Output row of `rel` from a reader row: reader datums in the columns they fill, `_row_id`
 * at the key, generated columns computed last (they may read the others).
 */
export function rowCompleter(catalog: Catalog, storage: StorageEngine, rel: RelationCatalog): (row: Row, rowId: bigint) => Row {
  const width = rel.columns.length;
  const slots: number[] = [];
  let rowIdSlot = -1;
  const generated: { index: number; eval: (row: Row) => Datum }[] = [];
  const q = relationContext(catalog, storage, rel);
  const rt = newRuntime([], { timeZone: 'UTC', now: Date.now() * 1000 }, NO_CANCEL);
  rel.columns.forEach((c, i) => {
    if (c.hidden) {
      if (c.name === '_row_id') rowIdSlot = i;
    } else if (c.generatedExpr !== undefined) {
      const e = bindWatermarkExpr(q, rel.name, rel.columns, c.generatedExpr);
      generated.push({
        index: i,
        eval: compileExpr(e, rt, () => {
          throw new SqlError(SqlState.FeatureNotSupported, 'subqueries in generated columns');
        }),
      });
    } else slots.push(i);
  });
  return (row, rowId) => {
    const out: Row = new Array(width).fill(null);
    for (let j = 0; j < slots.length; j++) out[slots[j]] = row[j];
    if (rowIdSlot >= 0) out[rowIdSlot] = rowId;
    for (let g = 0; g < generated.length; g++) out[generated[g].index] = generated[g].eval(out);
    return out;
  };
}

/**
 * A new executor reading `rel` from the beginning, for one MV job. `columns`: the relation
 * columns the job reads; the reader may leave the others NULL (all are read when a
 * generated column could depend on them).
 */
export function sourceUpstream(
  catalog: Catalog,
  storage: StorageEngine,
  rel: RelationCatalog,
  barriers: { addSource(s: BarrierInjectable): void; removeSource(s: BarrierInjectable): void },
  hooks: SourceHooks = {},
  columns?: ReadonlySet<number>,
): { executor: ConnectorSourceExecutor; snapshot: () => Iterable<Row> } {
  checkSourceReadable(rel);
  const spec = sourceSpec(rel);
  const read =
    columns && !rel.columns.some((c) => c.generatedExpr !== undefined)
      ? rel.columns.flatMap((c, i) => (c.hidden ? [] : [columns.has(i)])) // spec.columns: the non-hidden ones
      : undefined;
  const reader = sourceConnector(spec.connector).open!(spec, { now: () => Date.now(), log: hooks.log, columns: read });
  const cp = hooks.checkpoints;
  const key = cp?.nextKey(rel.id);
  const executor: ConnectorSourceExecutor = new ConnectorSourceExecutor({
    reader,
    types: rel.columns.map((c) => c.type),
    complete: rowCompleter(catalog, storage, rel),
    barriers,
    rateLimit: rowsPerSecondOption(rel.withOptions.source_rate_limit),
    onBarrier:
      cp || hooks.onBarrier
        ? (b, pos) => {
            if (cp) cp.record(key!, b.epoch, pos);
            hooks.onBarrier?.(rel, executor, b, pos);
          }
        : undefined,
    onError: (e) => hooks.log?.(`source ${rel.name}: reader failed: ${e instanceof Error ? e.message : String(e)}`),
  });
  const restoredAt = cp && hooks.restoring ? cp.restored(key!) : undefined;
  if (restoredAt) executor.seek(restoredAt);
  return { executor, snapshot: () => [] };
}

/** Serves an ad-hoc SELECT of a source: the bounded generator's rows, read at scan time. */
class SourceSnapshotReader implements TableReader {
  readonly tableId: number;
  readonly schema: TableSchema;

  constructor(
    private readonly rel: RelationCatalog,
    private readonly complete: (row: Row, rowId: bigint) => Row,
  ) {
    this.tableId = rel.id;
    this.schema = { types: rel.columns.map((c) => c.type) as DataType[], pk: [...rel.pk] };
  }

  /** Read once per bind (a reader is attached per query), on first use. */
  private cached: Row[] | null = null;

  private rows(): Row[] {
    if (this.cached) return this.cached;
    const pre = prefetched.get(this.rel.id);
    prefetched.delete(this.rel.id);
    const raw = pre ?? readBoundedSource(sourceSpec(this.rel));
    this.cached = raw.map((r, i) => this.complete(r, BigInt(i + 1)));
    return this.cached;
  }

  get size(): number {
    return this.rows().length;
  }

  get(pk: readonly unknown[]): Row | undefined {
    const k = this.rel.pk[0];
    return this.rows().find((r) => r[k] === pk[0]);
  }

  scan(): Iterable<Row> {
    return this.rows();
  }
}

/** Rows fetched by `prefetchSourceSnapshot` for the next scan of a source, by source id. */
const prefetched = new Map<number, Row[]>();

/**
 * The asynchronous half of an ad-hoc read of a source whose data lives elsewhere (a
 * connector with `snapshot`, e.g. Kafka): fetches what is there so the synchronous scan can
 * serve it. The query path calls it for each source a bound query reads, before executing;
 * generators need no prefetch.
 */
export async function prefetchSourceSnapshot(rel: RelationCatalog, log?: (msg: string) => void): Promise<void> {
  if (rel.kind !== 'source' || !rel.connector) return;
  const spec = sourceSpec(rel);
  const connector = sourceConnector(spec.connector);
  if (!connector.snapshot) return;
  prefetched.set(rel.id, await connector.snapshot(spec, { now: () => Date.now(), log }));
}

/** Sources with a `snapshot` a plan scans (computed once per plan). */
const planSources = new WeakMap<object, RelationCatalog[]>();

function snapshotSourcesOf(plan: object): RelationCatalog[] {
  let found = planSources.get(plan);
  if (found) return found;
  const out = new Map<number, RelationCatalog>();
  const seen = new Set<object>();
  // Plans are plain objects (subqueries inside expressions too): a generic walk finds every scan.
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const n = v as { kind?: unknown; table?: RelationCatalog };
    if (n.kind === 'scan' && n.table?.kind === 'source' && n.table.connector) {
      if (sourceConnector(n.table.connector.connector).snapshot) out.set(n.table.id, n.table);
      return;
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'table' && k !== 'fn' && k !== 'type') visit(x);
  };
  visit(plan);
  found = [...out.values()];
  planSources.set(plan, found);
  return found;
}

/**
 * `prefetchSourceSnapshot` for every source `plan` scans whose connector needs it (Kafka);
 * `log` gets what the readers report (malformed messages with partition and offset).
 */
export async function prefetchPlanSources(plan: object, log?: (msg: string) => void): Promise<void> {
  const rels = snapshotSourcesOf(plan);
  if (rels.length > 0) await Promise.all(rels.map((rel) => prefetchSourceSnapshot(rel, log)));
}

/** Makes `storage.table(rel.id)` read the source (called when a query binds the source). */
export function attachSourceReader(catalog: Catalog, storage: StorageEngine, rel: RelationCatalog): void {
  storage.attachReader(new SourceSnapshotReader(rel, rowCompleter(catalog, storage, rel)));
}

/** One table fed by a connector: a reader and whether a commit is in flight. */
interface Feed {
  readonly rel: RelationCatalog;
  readonly reader: SourceReader;
  readonly complete: (row: Row, rowId: bigint) => Row;
  committing: boolean;
  /** The reader offsets last put into a batch (JSON), so an unchanged position is not rewritten. */
  storedOffsets: string;
}

/**
 * Storage meta key of a connector table's reader offsets. They are written in the same
 * batch as the rows they cover, so after a crash the table and the offsets agree: the
 * reader resumes just after the last committed row (no duplicates, nothing skipped).
 */
export function connectorTableOffsetsKey(tableId: number): string {
  return `source_offsets/${tableId}`;
}

const OPEN_RETRY_MS = 5000;

/** Rows written per table per tick at most (one batch). */
const FEED_BATCH_ROWS = 4096;

/**
 * Keeps one reader per `CREATE TABLE … WITH (connector = …)` table and writes what it has
 * ready into the table on each `tick()`, with the reader's offsets in the same batch
 * (`connectorTableOffsetsKey`): a restart seeks each reader to its table's stored offsets,
 * so ingestion into tables is exactly-once across crashes.
 */
export class ConnectorTables {
  private readonly feeds = new Map<number, Feed>();
  /** Tables whose reader failed to open, and when: retried after OPEN_RETRY_MS, not every reconcile. */
  private readonly failed = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly storage: StorageEngine,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  get size(): number {
    return this.feeds.size;
  }

  /** Starts feeds for new connector tables and stops those whose table was dropped. */
  reconcile(): void {
    for (const [id, f] of this.feeds) {
      const rel = this.catalog.getRelationById(id);
      if (!rel || rel.kind !== 'table' || !rel.connector) {
        this.feeds.delete(id);
        // Dropped: the connector releases what it holds upstream (postgres-cdc drops its slot).
        void Promise.resolve(f.reader.dropped ? f.reader.dropped() : f.reader.close()).catch(() => {});
        this.forgetOffsets(id);
      }
    }
    for (const db of this.catalog.listDatabases()) {
      for (const rel of this.catalog.listRelations(db.name, undefined, 'table')) {
        if (!rel.connector || this.feeds.has(rel.id)) continue;
        const failedAt = this.failed.get(rel.id);
        if (failedAt !== undefined && Date.now() - failedAt < OPEN_RETRY_MS) continue;
        const spec = sourceSpec(rel);
        const connector = sourceConnector(spec.connector);
        if (!connector.open) continue;
        try {
          const reader = connector.open(spec, { now: () => Date.now(), log: this.log });
          const stored = this.storage.getMeta(connectorTableOffsetsKey(rel.id)) as SplitOffsets | undefined;
          if (stored) reader.seek(stored);
          this.feeds.set(rel.id, { rel, reader, complete: rowCompleter(this.catalog, this.storage, rel), committing: false, storedOffsets: JSON.stringify(stored ?? {}) });
          this.failed.delete(rel.id);
        } catch (e) {
          this.failed.set(rel.id, Date.now());
          this.log(`table ${rel.name}: cannot open ${spec.connector} reader: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }

  /** Writes each feed's ready rows (or changes) as one batch (skipped while its previous batch commits). */
  tick(): void {
    for (const f of this.feeds.values()) {
      // Right after a restart a watermarked table's watermark is rebuilt from all its rows: its feed waits for their load.
      if (f.committing || watermarkLoading(this.storage, f.rel) !== null) continue;
      let changes: SourceChange[];
      try {
        changes = f.reader.pullChanges ? f.reader.pullChanges(FEED_BATCH_ROWS) : f.reader.pull(FEED_BATCH_ROWS).map((row) => ({ op: 'insert' as const, row }));
      } catch (e) {
        this.log(`table ${f.rel.name}: reader failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      // Offsets move without rows when a pull only skipped malformed messages: store them anyway.
      const offsets = f.reader.offsets();
      const offsetsJson = JSON.stringify(offsets);
      if (changes.length === 0 && offsetsJson === f.storedOffsets) continue;
      const batch = this.storage.newBatch();
      const { id, pk, columns } = f.rel;
      // Without a declared key every row is new (its own `_row_id`) and deletes have no target.
      const usesRowId = pk.length === 1 && columns[pk[0]].name === '_row_id';
      const late = lateRowFilter(this.storage, f.rel);
      for (const c of changes) {
        if (c.op === 'delete') {
          if (usesRowId) continue;
          const row = f.complete(c.row, 0n);
          batch.delete(id, pk.map((k) => row[k]));
        } else {
          const row = f.complete(c.row, 0n);
          if (late !== undefined && late(row)) continue;
          if (usesRowId) {
            row[pk[0]] = this.storage.nextRowId(id);
            batch.insertGenerated(id, row);
          } else batch.put(id, row);
        }
      }
      batch.putMeta(connectorTableOffsetsKey(id), offsets);
      f.committing = true;
      this.storage
        .commit(batch)
        .then(() => {
          f.storedOffsets = offsetsJson;
          // Durable now: the connector may release it upstream (postgres-cdc confirms its slot).
          f.reader.committed?.(offsets);
        })
        .catch((e) => this.reopen(f, `ingest commit failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          f.committing = false;
        });
    }
  }

  /**
   * A batch that failed to commit took its rows' offsets with it: close the reader, and the
   * next reconcile opens a new one at the stored (committed) offsets, so those rows are read again.
   */
  private reopen(f: Feed, why: string): void {
    this.log(`table ${f.rel.name}: ${why}; resuming from the last committed offsets`);
    if (this.feeds.get(f.rel.id) === f) this.feeds.delete(f.rel.id);
    void Promise.resolve(f.reader.close()).catch(() => {});
  }

  /** A dropped table's stored offsets go with it. */
  private forgetOffsets(tableId: number): void {
    if (this.storage.getMeta(connectorTableOffsetsKey(tableId)) === undefined) return;
    const batch = this.storage.newBatch();
    batch.putMeta(connectorTableOffsetsKey(tableId), undefined);
    this.storage.commit(batch).catch(() => {});
  }

  /**
   * Runs `tick` every `intervalMs` and `reconcile` every `reconcileEvery` ticks (a new
   * connector table starts within ~200 ms; idle cost is one catalog walk per reconcile).
   */
  start(intervalMs = 20, reconcileEvery = 10): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.ticks++ % reconcileEvery === 0) this.reconcile();
      if (this.feeds.size > 0) this.tick();
    }, intervalMs);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const f of this.feeds.values()) void Promise.resolve(f.reader.close()).catch(() => {});
    this.feeds.clear();
  }
}
