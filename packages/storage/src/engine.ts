/**
 * The storage engine: all rows in memory (MemTable per table), with an optional durable
 * log underneath. In memory mode a commit applies synchronously; in persistent mode the
 * batch is first written to LevelDB (fsynced, grouped with concurrent commits) and applied
 * to memory only once durable, so a reader never sees a write that a crash could lose.
 */
import { type Row, SqlError, SqlState } from '@freshet/common';
import type { RowChange, StorageEngine, TableReader, TableSchema, WriteBatch } from './api';
import { Batch } from './write-batch';
import { MemTable } from './mem-table';
import type { LevelLog } from './level-log';

interface Pending {
  batch: Batch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Engine implements StorageEngine {
  private readonly tables = new Map<number, MemTable>();
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

  constructor(private readonly log: LevelLog | null) {}

  get persistent(): boolean {
    return this.log !== null;
  }

  async open(): Promise<Map<string, unknown>> {
    if (this.opened) throw new Error('storage: already open');
    this.opened = true;
    if (!this.log) return new Map();
    const loaded = await this.log.open();
    for (const [tableId, rows] of loaded.tables) {
      const t = new MemTable(tableId);
      for (const [key, row] of rows) t.putKey(key, row);
      this.tables.set(tableId, t);
    }
    for (const [tableId, value] of loaded.counters) this.counters.set(tableId, value);
    return loaded.meta;
  }

  createTable(tableId: number, schema: TableSchema): void {
    const existing = this.tables.get(tableId);
    if (existing) existing.setSchema(schema);
    else this.tables.set(tableId, new MemTable(tableId, schema));
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

  private requireTable(tableId: number): MemTable {
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
      this.apply(batch);
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
        try {
          await log.write(
            group.map((p) => p.batch),
            counters,
            (id) => this.tables.get(id)?.rows.keys() ?? [].values(),
          );
        } catch (e) {
          for (const id of counters.keys()) this.dirtyCounters.add(id);
          const err = new SqlError(SqlState.InternalError, `storage write failed: ${e instanceof Error ? e.message : String(e)}`);
          for (const p of group) p.reject(err);
          continue;
        }
        for (const p of group) this.apply(p.batch);
        for (const p of group) p.resolve();
      }
    } finally {
      this.writing = false;
      const waiters = this.idle;
      this.idle = [];
      for (const w of waiters) w();
    }
  }

  private apply(batch: Batch): void {
    // Changes of watched tables are collected as they are applied and reported after the
    // batch, so listeners see the statement's changes at once, in order.
    let changes: Map<number, RowChange[]> | null = null;
    for (const op of batch.ops) {
      if (op.kind === 'drop') {
        this.tables.delete(op.tableId);
        this.counters.delete(op.tableId);
        this.dirtyCounters.delete(op.tableId);
        continue;
      }
      // The table may have been dropped by an earlier commit; its writes go with it.
      const t = this.tables.get(op.tableId);
      if (!t) continue;
      if (this.watchers.has(op.tableId)) {
        const old = t.rows.get(op.key);
        const row = op.kind === 'put' ? (op.row as Row) : undefined;
        if (old !== row) {
          changes ??= new Map();
          let list = changes.get(op.tableId);
          if (!list) changes.set(op.tableId, (list = []));
          list.push({ old, row });
        }
      }
      if (op.kind === 'put') t.putKey(op.key, op.row as Row);
      else t.deleteKey(op.key);
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
    await this.log?.close();
  }
}
