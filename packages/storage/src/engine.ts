/**
 * The storage engine: tables' rows in memory (MemTable per table), with an optional durable
 * log underneath. In memory mode a commit applies synchronously; in persistent mode the
 * batch is first written to LevelDB (fsynced, grouped with concurrent commits) and applied
 * to memory only once durable, so a reader never sees a write that a crash could lose.
 * Under a memory limit the rows stay in LevelDB instead, behind a bounded cache (DiskTable).
 *
 * In persistent mode every group that changes rows also writes a change-log record (its
 * row changes, old and new) under a sequence number `appliedSeq` advances to when the group
 * is applied. Streaming checkpoints record the seq their state includes; recovery replays
 * the records after it (`changesAfter`), so no acknowledged change is lost or counted twice.
 */
import { type Row, SqlError, SqlState, packRow } from '@freshet/common';
import type { RowChange, StorageEngine, TableReader, TableSchema, WriteBatch } from './api';
import { decodeChanges } from './change-log';
import type { GroupItem, LevelLog, LoadedState } from './level-log';
import type { TrackingStateStore } from './state-store/api';
import { DurableStateStore } from './state-store/durable-store';
import { Batch } from './write-batch';
import { MemTable } from './mem-table';
import { type DiskRows, DiskTable } from './disk-table';
import type { StoredTable } from './stored-table';
import { TableRowCache } from './table-row-cache';
import type { ObjectStore } from './object-store/api';
import { needsRestore, restoreFromObjectStore } from './object-store/restore';
import { CheckpointUploader, type UploadStatus } from './object-store/uploader';
import type { OverlayLimits } from './state-store/overlays';

export interface EngineOptions {
  /** Checkpoints are uploaded here (persistent mode only). */
  readonly objectStore?: ObjectStore | null;
  readonly uploadIntervalMs?: number;
  readonly history?: number;
  readonly log?: (msg: string) => void;
  /**
   * Bytes of stream state kept in memory (0/undefined: no limit; docs/durability.md, cold
   * mode). In persistent mode it also keeps tables' rows in LevelDB, with a cache of
   * limit / TABLE_CACHE_SHARE bytes of them in memory (DiskTable).
   */
  readonly memoryLimit?: number;
  /** Table rows loaded before `open()` returns after a restart (default TABLE_ROWS_BEFORE_SERVING; 0: all in the background). */
  readonly tableRowsBeforeServing?: number;
  /** Overlay segment limits (overlays.ts; default DEFAULT_OVERLAY_LIMITS). */
  readonly overlayLimits?: OverlayLimits;
}

/** Rows per LevelDB read of the background table load: a few ms of decoding between two turns of the event loop. */
const LOAD_BATCH = 1000;

/**
 * Under a memory limit, the tables' cached rows may take limit / TABLE_CACHE_SHARE bytes
 * (estimated; at least MIN_TABLE_CACHE). Not more: the limit is meant for stream state, and
 * the rows a commit needs (its old rows) are read by key when not cached (~1.3–6 µs each:
 * disk-table.ts).
 */
const TABLE_CACHE_SHARE = 8;
const MIN_TABLE_CACHE = 1 << 20;

/** Keys per LevelDB read of the background count of a table's rows after a restart under a memory limit. */
const COUNT_BATCH = 8192;

/**
 * Table rows loaded before the node serves after a restart (EngineOptions.tableRowsBeforeServing):
 * ~0.1–0.3 s of loading; smaller data dirs restart with every table whole, bigger ones
 * serve sooner and load the rest in the background.
 */
export const TABLE_ROWS_BEFORE_SERVING = 100_000;

interface Pending {
  batch: Batch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A group without rewrites lists no keys. */
const NO_KEYS: ReadonlyMap<number, string[]> = new Map();

export class Engine implements StorageEngine {
  private readonly tables = new Map<number, StoredTable>();
  private readonly counters = new Map<number, bigint>();
  /** Counters advanced since the last durable write; persisted with the next group. */
  private readonly dirtyCounters = new Set<number>();
  private queue: Pending[] = [];
  private writing = false;
  private idle: (() => void)[] = [];
  private opened = false;
  private closed = false;
  /** Streaming: listeners per watched table (see `watchTable`). */
  private readonly watchers = new Map<number, Set<(changes: RowChange[]) => void>>();
  /** Relations served from outside (materialized views), by id. */
  private readonly readers = new Map<number, TableReader>();
  /** Change-log seq of the last applied group. */
  private seq = 0;
  /** What `open()` loaded for the state store and replay; released once consumed. */
  private recovery: Pick<LoadedState, 'state' | 'checkpoint' | 'changeLog' | 'params' | 'coldState' | 'segmented' | 'overlays'> | null = null;
  private durableStore: DurableStateStore | null = null;
  /** Committed meta records (`getMeta`), kept in step with every applied group. */
  private readonly meta = new Map<string, unknown>();

  private uploader: CheckpointUploader | null = null;
  /** Under a memory limit (persistent mode): the budget of the DiskTables' cached rows; null: tables are MemTables. */
  private readonly rowCache: TableRowCache | null;
  /** How DiskTables read LevelDB and the group in flight. */
  private readonly diskRows: DiskRows;
  /**
   * The commit group being written to LevelDB and not applied yet (null: none), with the
   * keys it changes per table and their rows before it, built when a DiskTable asks.
   */
  private flying: { readonly items: readonly GroupItem[]; readonly byTable: Map<number, Map<string, Row | undefined>> } | null = null;
  /** The background count of DiskTables' stored rows after a restart (null: none, or done). */
  private counting: Promise<void> | null = null;

  constructor(
    private readonly log: LevelLog | null,
    private readonly opts: EngineOptions = {},
  ) {
    const limit = opts.memoryLimit ?? 0;
    this.rowCache = log !== null && limit > 0 ? new TableRowCache(Math.max(MIN_TABLE_CACHE, Math.floor(limit / TABLE_CACHE_SHARE))) : null;
    this.diskRows = {
      readSync: (tableId, key) => log!.readPackedSync(tableId, key),
      reader: (tableId, o) => log!.tableRows(tableId, o),
      inFlight: (tableId) => this.inFlight(tableId),
    };
  }

  /** Estimated bytes of tables' rows cached under a memory limit, and their limit (null: tables are in memory). */
  get tableCache(): { readonly bytes: number; readonly limit: number } | null {
    return this.rowCache;
  }

  /** A table of this engine's kind: rows in memory, or in LevelDB under a memory limit. */
  private newTable(tableId: number, schema?: TableSchema): StoredTable {
    return this.rowCache ? new DiskTable(tableId, this.diskRows, this.rowCache, schema) : new MemTable(tableId, schema);
  }

  /** Keys of `tableId` that the group in flight changes, with their rows before it. */
  private inFlight(tableId: number): ReadonlyMap<string, Row | undefined> | null {
    const f = this.flying;
    if (f === null) return null;
    let m = f.byTable.get(tableId);
    if (m === undefined) {
      m = new Map();
      for (const item of f.items) if (item.kind === 'change' && item.tableId === tableId && !m.has(item.key)) m.set(item.key, item.old);
      f.byTable.set(tableId, m);
    }
    return m;
  }

  get persistent(): boolean {
    return this.log !== null;
  }

  async open(): Promise<Map<string, unknown>> {
    if (this.opened) throw new Error('storage: already open');
    this.opened = true;
    if (!this.log) return new Map();
    const store = this.opts.objectStore ?? null;
    const report = this.opts.log ?? ((m: string) => console.error(m));
    // Key-read state is not loaded here (LevelLog.open): with a limit it stays a cache,
    // without one the durable store loads it in the background.
    if (store && needsRestore(this.log.location)) await restoreFromObjectStore(store, this.log.location, report);
    // Under a memory limit evicted keys are read back from their state rows: overlays are folded into them first.
    const loaded = await this.log.open({ foldOverlays: (this.opts.memoryLimit ?? 0) > 0 });
    if (loaded.overlayEntriesFolded > 0) report(`state: ${loaded.overlayEntriesFolded} rows of the last checkpoints' overlay segments folded into state rows`);
    if (loaded.overlays.size > 0) {
      const keys = [...loaded.overlays.values()].reduce((n, o) => n + o.keys.length, 0);
      report(`state: ${keys} keys of the last checkpoints' overlay segments (${loaded.overlays.size} state tables) applied over their state rows`);
    }
    if (store) {
      this.uploader = new CheckpointUploader(store, this.log.db, () => this.durableStore?.lastCheckpoint ?? null, {
        intervalMs: this.opts.uploadIntervalMs,
        history: this.opts.history,
        log: report,
      });
      await this.uploader.start();
    }
    // Table rows: under a memory limit they stay in LevelDB (counted in the background);
    // otherwise the first `tableRowsBeforeServing` are loaded before open() returns, the
    // rest in the background once the node serves (loadTables).
    const log = this.log;
    const ids = loaded.tableIds;
    if (this.rowCache && ids.length > 0) {
      const disk = ids.map((id) => new DiskTable(id, this.diskRows, this.rowCache!));
      for (const t of disk) this.tables.set(t.tableId, t);
      this.counting = this.countRows(disk, report).finally(() => (this.counting = null));
    } else if (ids.length > 0) {
      for (const tableId of ids) {
        const t = new MemTable(tableId);
        t.startLoad((key) => log.readRowSync(tableId, key));
        this.tables.set(tableId, t);
      }
      let foregroundDone!: () => void;
      const foreground = new Promise<void>((r) => (foregroundDone = r));
      const all = this.loadTables(ids, report, this.opts.tableRowsBeforeServing ?? TABLE_ROWS_BEFORE_SERVING, foregroundDone);
      this.tablesLoad = all.finally(() => (this.tablesLoad = null));
      await foreground;
    }
    for (const [tableId, value] of loaded.counters) this.counters.set(tableId, value);
    for (const [key, value] of loaded.meta) this.meta.set(key, value);
    const lastLogged = loaded.changeLog.length > 0 ? loaded.changeLog[loaded.changeLog.length - 1][0] : 0;
    this.seq = Math.max(lastLogged, loaded.checkpoint?.seq ?? 0);
    this.recovery = { state: loaded.state, checkpoint: loaded.checkpoint, changeLog: loaded.changeLog, params: loaded.params, coldState: loaded.coldState, segmented: loaded.segmented, overlays: loaded.overlays };
    const limit = this.opts.memoryLimit ?? 0;
    const keys = [...loaded.coldState.values()].reduce((a, b) => a + b, 0);
    if (limit > 0) {
      report(
        `state memory limit ${(limit / 2 ** 20).toFixed(1)} MiB: ${loaded.coldState.size} point-read state tables (~${keys} keys) left in LevelDB, read on demand; ${loaded.state.size} state tables loaded`,
      );
    } else if (loaded.coldState.size > 0) {
      report(`state: ${loaded.coldState.size} point-read state tables (~${keys} keys) load in the background, read from LevelDB until then; ${loaded.state.size} state tables loaded`);
    }
    return loaded.meta;
  }

  /** The background load of the tables' rows after a restart (null: none, or done). */
  private tablesLoad: Promise<void> | null = null;

  /**
   * Restart under a memory limit: the rows each DiskTable has in LevelDB, counted by keys
   * (its `size` is a lower bound until then). The iterators are created before any commit
   * (open() has not returned), so later commits' changes, which the tables count
   * themselves, are not counted twice.
   */
  private async countRows(tables: readonly DiskTable[], report: (msg: string) => void): Promise<void> {
    const t0 = performance.now();
    const readers = tables.map((t) => this.log!.tableRows(t.tableId, { values: false }));
    let rows = 0;
    try {
      for (let i = 0; i < tables.length; i++) {
        try {
          for (;;) {
            if (this.closed) return;
            const n = (await readers[i].nextv(COUNT_BATCH)).length;
            if (n === 0) break;
            tables[i].addCounted(n);
            rows += n;
          }
        } catch (e) {
          report(`counting the rows of table ${tables[i].tableId} after the restart failed: ${e instanceof Error ? e.message : String(e)} (its size is a lower bound)`);
        }
      }
    } finally {
      for (const r of readers) await r.close().catch(() => {});
    }
    report(`table rows: ${tables.length} tables (${rows} rows) kept in LevelDB under the memory limit, counted in ${((performance.now() - t0) / 1000).toFixed(1)} s after the restart`);
  }

  get tablesLoading(): Promise<void> | null {
    return this.tablesLoad;
  }

  tableLoading(tableId: number): Promise<void> | null {
    return this.tables.get(tableId)?.loading ?? null;
  }

  /**
   * Restart: every table's rows into memory, in batches between which the node serves.
   * Before, they were loaded whole before the server accepted connections (3.3 s for a
   * 1M-row table, 1.2 s of it LevelDB's iteration alone). Until a table is in, a key not in
   * memory is read from LevelDB (MemTable.get / committedRow) and a full scan waits.
   * `foregroundDone` is called once `foregroundRows` rows are in (or all of them): open()
   * returns then, so small tables are whole before the node serves, as they always were —
   * an MV rebuilt at the restart from one (not in the last checkpoint) serves at once.
   */
  private async loadTables(ids: readonly number[], report: (msg: string) => void, foregroundRows: number, foregroundDone: () => void): Promise<void> {
    const t0 = performance.now();
    let rows = 0;
    let background = false;
    if (foregroundRows <= 0) {
      background = true;
      foregroundDone();
    }
    for (const id of ids) {
      const t = this.tables.get(id);
      if (!(t instanceof MemTable) || !t.loading) continue;
      try {
        for await (const batch of this.log!.tableBatches(id, LOAD_BATCH)) {
          if (this.closed || this.tables.get(id) !== t) break;
          t.fillLoaded(batch);
          rows += batch.length;
          if (!background && rows >= foregroundRows) {
            background = true;
            foregroundDone();
          }
        }
        // Dropped meanwhile: the waiters go on (the table is gone). Closing: a scan waiting
        // for the rows must not go on with part of them.
        t.finishLoad(this.closed ? new Error('storage is closed') : undefined);
      } catch (e) {
        const err = new Error(`loading table ${id} after the restart failed: ${e instanceof Error ? e.message : String(e)}`);
        report(`${err.message} (its rows are still read from disk by key; full scans of it fail)`);
        t.finishLoad(err);
      }
    }
    foregroundDone();
    if (background && !this.closed) report(`table rows: ${ids.length} tables (${rows} rows) loaded in the background in ${((performance.now() - t0) / 1000).toFixed(1)} s after the restart`);
  }

  objectStoreStatus(): UploadStatus | null {
    return this.uploader?.status() ?? null;
  }

  async uploadCheckpoint(): Promise<void> {
    await this.uploader?.uploadNow();
  }

  get appliedSeq(): number {
    return this.seq;
  }

  openStateStore(inner: TrackingStateStore): DurableStateStore | null {
    if (!this.log) return null;
    if (this.durableStore) throw new Error('storage: state store already open');
    const r = this.recovery;
    this.durableStore = new DurableStateStore(inner, this.log.db, r?.state ?? new Map(), r?.checkpoint ?? null, () => this.seq, r?.params ?? {}, {
      memoryLimit: this.opts.memoryLimit,
      cold: r?.coldState,
      segmented: r?.segmented,
      overlayLimits: this.opts.overlayLimits,
      overlays: r?.overlays,
    });
    const log = this.opts.log;
    if (log) this.durableStore.onLoaded = log;
    if (r) r.state = new Map();
    return this.durableStore;
  }

  *changesAfter(seq: number): IterableIterator<Map<number, RowChange[]>> {
    for (const [s, buf] of this.recovery?.changeLog ?? []) if (s > seq) yield decodeChanges(buf);
  }

  releaseRecovery(): void {
    this.recovery = null;
  }

  createTable(tableId: number, schema: TableSchema): void {
    const existing = this.tables.get(tableId);
    if (existing) existing.setSchema(schema);
    else this.tables.set(tableId, this.newTable(tableId, schema));
  }

  hasTable(tableId: number): boolean {
    return this.tables.has(tableId);
  }

  dropTable(tableId: number): void {
    const b = this.newBatch();
    b.dropTable(tableId);
    // Fire and forget by contract; close() waits for the queue, and failures are reported
    // by the log's own error path rather than crashing the process.
    this.commit(b).catch(() => {});
  }

  table(tableId: number): TableReader {
    return this.tables.get(tableId) ?? this.readers.get(tableId) ?? this.requireTable(tableId);
  }

  watchTable(tableId: number, listener: (changes: RowChange[]) => void): () => void {
    let set = this.watchers.get(tableId);
    if (!set) this.watchers.set(tableId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(tableId) === set) this.watchers.delete(tableId);
    };
  }

  attachReader(reader: TableReader): void {
    this.readers.set(reader.tableId, reader);
  }

  detachReader(tableId: number): void {
    this.readers.delete(tableId);
  }

  private requireTable(tableId: number): StoredTable {
    const t = this.tables.get(tableId);
    if (!t) throw new SqlError(SqlState.InternalError, `storage: table ${tableId} does not exist`);
    return t;
  }

  newBatch(): WriteBatch {
    return new Batch((id) => this.requireTable(id));
  }

  nextRowId(tableId: number): bigint {
    const next = (this.counters.get(tableId) ?? 0n) + 1n;
    this.counters.set(tableId, next);
    if (this.log) this.dirtyCounters.add(tableId);
    return next;
  }

  commit(batch: WriteBatch): Promise<void> {
    if (this.closed) return Promise.reject(new SqlError(SqlState.AdminShutdown, 'storage is closed'));
    if (!(batch instanceof Batch)) return Promise.reject(new Error('storage: foreign write batch'));
    if (!this.log) {
      // Tables in memory: their keys are at hand for a rewrite.
      const { items, meta } = this.plan([batch], (id) => [...(this.tables.get(id)?.committedKeys() as Iterable<string>)]);
      this.apply(items);
      this.applyMeta(meta);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        void this.flushLoop();
      }
    });
  }

  /**
   * Group commit: everything queued while a write is in flight goes into the next single
   * LevelDB write, so N concurrent statements cost one fsync rather than N.
   */
  private async flushLoop(): Promise<void> {
    const log = this.log!;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const counters = new Map<number, bigint>();
        for (const id of this.dirtyCounters) {
          const v = this.counters.get(id);
          if (v !== undefined) counters.set(id, v);
        }
        this.dirtyCounters.clear();
        let items: GroupItem[];
        let meta: [string, unknown][];
        let seq: number;
        try {
          const batches = group.map((p) => p.batch);
          // Nothing is applied while this loop awaits, so the keys a rewrite reads are the
          // committed keys its group starts from.
          const rewriteKeys = batches.some((b) => b.rewrites) ? await this.rewriteKeys(batches) : NO_KEYS;
          ({ items, meta } = this.plan(batches, (id) => rewriteKeys.get(id) ?? []));
          seq = items.some((i) => i.kind === 'change') ? this.seq + 1 : 0;
          // A drop deletes every stored key of the table: a MemTable's must all be in memory
          // (a DiskTable lists them from LevelDB while the group is written).
          for (const item of items) if (item.kind === 'drop') await this.tables.get(item.tableId)?.loading;
          this.flying = { items, byTable: new Map() };
          await log.write({ items, meta, counters, seq, tableKeys: (id) => this.tables.get(id)?.committedKeys() ?? [] });
        } catch (e) {
          this.flying = null;
          for (const id of counters.keys()) this.dirtyCounters.add(id);
          const err = new SqlError(SqlState.InternalError, `storage write failed: ${e instanceof Error ? e.message : String(e)}`);
          for (const p of group) p.reject(err);
          continue;
        }
        // The seq advances with the rows becoming visible and the watchers being told, in
        // one synchronous step: a barrier sees either all of the group or none of it.
        if (seq > 0) this.seq = seq;
        this.flying = null;
        this.apply(items);
        this.applyMeta(meta);
        for (const p of group) p.resolve();
      }
    } finally {
      this.writing = false;
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  /** The committed keys of every table a batch of the group rewrites (`rewriteTable`). */
  private async rewriteKeys(batches: readonly Batch[]): Promise<ReadonlyMap<number, string[]>> {
    const out = new Map<number, string[]>();
    for (const batch of batches) {
      if (!batch.rewrites) continue;
      for (const op of batch.ops) {
        const t = op.kind === 'rewrite' && !out.has(op.tableId) ? this.tables.get(op.tableId) : undefined;
        if (!t) continue;
        // A MemTable's keys are all in memory once its load after a restart is done.
        await t.loading;
        const keys: string[] = [];
        for await (const k of t.committedKeys()) keys.push(k);
        out.set(op.tableId, keys);
      }
    }
    return out;
  }

  /**
   * The effective changes of a group of batches, in order, each with the row it replaces:
   * a key written twice in the group sees its first write as the old row; operations on a
   * dropped or unknown table vanish; writes that change nothing are left out. A rewrite
   * changes every row the table has at that point of the group: its committed keys
   * (`committedKeys`, read before planning) and the keys written earlier in the group.
   */
  private plan(batches: readonly Batch[], committedKeys: (tableId: number) => readonly string[]): { items: GroupItem[]; meta: [string, unknown][] } {
    const items: GroupItem[] = [];
    const meta: [string, unknown][] = [];
    // Rows written earlier in the group by table and key (null: deleted); a single write needs none.
    const overlay = new Map<number, Map<string, Row | null>>();
    const single = batches.length === 1 && batches[0].ops.length <= 1;
    const dropped = new Set<number>();
    const overlayOf = (tableId: number): Map<string, Row | null> => {
      let m = overlay.get(tableId);
      if (!m) overlay.set(tableId, (m = new Map()));
      return m;
    };
    for (const batch of batches) {
      for (const op of batch.ops) {
        if (op.kind === 'drop') {
          items.push({ kind: 'drop', tableId: op.tableId });
          dropped.add(op.tableId);
          overlay.delete(op.tableId);
          continue;
        }
        const t = this.tables.get(op.tableId);
        if (!t || dropped.has(op.tableId)) continue;
        const ov = overlay.get(op.tableId);
        if (op.kind === 'rewrite') {
          // Each key once: the committed ones not written earlier in the group, then those written.
          const written = ov ? [...ov.keys()] : [];
          const writtenSet = new Set(written);
          const m = overlayOf(op.tableId);
          const rewrite = (key: string, old: Row | undefined): void => {
            if (old === undefined) return;
            const row = op.map(old);
            m.set(key, row);
            items.push({ kind: 'change', tableId: op.tableId, key, old, row, packed: packRow(row), quiet: true });
          };
          for (const key of committedKeys(op.tableId)) if (!writtenSet.has(key)) rewrite(key, t.committedRow(key));
          for (const key of written) rewrite(key, m.get(key) ?? undefined);
          continue;
        }
        const prev = ov?.get(op.key);
        const old = op.kind === 'put' && op.generated ? undefined : prev !== undefined ? (prev ?? undefined) : t.committedRow(op.key);
        const row = op.kind === 'put' ? (op.row as Row) : undefined;
        if (old === row) continue;
        if (!single) overlayOf(op.tableId).set(op.key, row ?? null);
        items.push({ kind: 'change', tableId: op.tableId, key: op.key, old, row, packed: row === undefined ? undefined : packRow(row) });
      }
      for (const e of batch.meta) meta.push(e);
    }
    return { items, meta };
  }

  getMeta(key: string): unknown | undefined {
    return this.meta.get(key);
  }

  private applyMeta(meta: readonly (readonly [string, unknown])[]): void {
    for (const [k, v] of meta) {
      if (v === undefined) this.meta.delete(k);
      else this.meta.set(k, v);
    }
  }

  private apply(items: readonly GroupItem[]): void {
    // Changes of watched tables are collected as they are applied and reported after the
    // group, so listeners see its changes at once, in order.
    let changes: Map<number, RowChange[]> | null = null;
    for (const item of items) {
      if (item.kind === 'drop') {
        this.tables.get(item.tableId)?.finishLoad();
        this.tables.delete(item.tableId);
        this.counters.delete(item.tableId);
        this.dirtyCounters.delete(item.tableId);
        continue;
      }
      // The table may have been dropped by an earlier commit; its writes go with it.
      const t = this.tables.get(item.tableId);
      if (!t) continue;
      if (item.quiet === undefined && this.watchers.has(item.tableId)) {
        changes ??= new Map();
        let list = changes.get(item.tableId);
        if (!list) changes.set(item.tableId, (list = []));
        list.push({ old: item.old, row: item.row });
      }
      // No old row: the key is not in memory (plan looked, or the key is a fresh `_row_id`).
      if (item.row !== undefined) t.putKey(item.key, item.row, item.packed, item.old === undefined);
      else t.deleteKey(item.key);
    }
    if (changes) this.notify(changes);
  }

  /** A failing listener must not stop the commit loop: its error is reported, not thrown. */
  private notify(changes: Map<number, RowChange[]>): void {
    for (const [tableId, list] of changes) {
      for (const listener of this.watchers.get(tableId) ?? []) {
        try {
          listener(list);
        } catch (e) {
          console.error(`storage: change listener of table ${tableId} failed:`, e);
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writing) await new Promise<void>((r) => this.idle.push(r));
    await this.durableStore?.stopLoading();
    await this.tablesLoad?.catch(() => {});
    await this.counting;
    await this.uploader?.close();
    await this.log?.close();
  }
}
