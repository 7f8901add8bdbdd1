/**
 * The one LevelDB of a data dir, shared by the table log (level-log.ts) and the durable
 * state store (state-store/). Every write goes through `write`, which serialises batches
 * (one in flight at a time, in call order, but for batches that declare they may be
 * overtaken: `WriteOptions.mayBeOvertaken`), so the order in which batches reach LevelDB is
 * the order callers issued them, and numbers them (`x/wseq`, written inside each batch): the
 * object-store uploader names the image it copies by the last number it surely holds.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { BatchRecord, type BatchSink } from './batch-record';
import { PartLog } from './part-log';

export type DbOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export const WSEQ_KEY = Buffer.from('x/wseq');

/** Every key starts with an ASCII letter (level-log.ts, state-store/keys.ts): 0xff sorts after all of them. */
const AFTER_ALL_KEYS = Buffer.from([0xff]);

/** Batches above LevelDB's default write buffer (4 MiB) are flushed from the memtable at once. */
const FLUSH_AFTER_BYTES = 4 << 20;

/**
 * Ops handed to LevelDB's batch between two turns of the event loop: ~2 ms at ~0.25 µs per
 * op (32,768 was a 8–15 ms stall in every checkpoint, in the tail of lookups and freshness).
 */
const OPS_PER_SLICE = 8192;
/** Bytes handed to LevelDB's batch between two turns of the event loop, at most (plus one op). */
const BYTES_PER_SLICE = 1 << 20;

/**
 * Bytes one `nextv` of our iterators reads at most (`Db.iterator`). classic-level stops a
 * `nextv` once it has read 16 KiB by default, ~160 of our entries whatever count was asked
 * for, and every call is a round trip through the thread pool and a turn of the event
 * loop. While the engine is busy a turn takes milliseconds: the uploader's copy of a
 * 101 MB database for a base took 48 s (~6,000 turns) during an ingest, and its deltas
 * piled up in memory meanwhile. The count asked for bounds the entries; this bounds their
 * bytes, so no read hands the engine's thread more than ~1 ms of decoding.
 */
export const READ_AHEAD_BYTES = 1 << 20;

/** A key range of `Db.iterator` (LevelDB's order; `values: false` reads keys only). */
export interface KeyRange {
  gte?: Buffer;
  lt?: Buffer;
  values?: boolean;
}

/** LevelDB settings that decide its memory (classic-level's open options; its defaults when omitted). */
export interface LevelMemoryOptions {
  /** Block cache of uncompressed blocks, bytes (default 8 MiB). */
  cacheSize?: number;
  /** Memtable size before it is written out, bytes (default 4 MiB; two may exist at once). */
  writeBufferSize?: number;
  /** Files kept open (default 1000; LevelDB raises anything under 74): table files are memory-mapped, resident where read. */
  maxOpenFiles?: number;
  /** Size of the table files LevelDB writes, bytes (default 2 MiB). */
  maxFileSize?: number;
}

export interface WriteOptions {
  /**
   * Batches issued after this one may be written before it, until it is handed to LevelDB
   * whole: it takes its turn once its ops are in LevelDB's batch, not at the call. Only for a
   * batch whose keys no batch issued after it (until it is durable) writes — a state
   * checkpoint: `s/`, `g/`, `k/checkpoint`, and deletes of change-log records older than
   * any a later batch writes. Handing a checkpoint's ops to LevelDB is sliced over many turns
   * of the event loop (tens of ms for a busy second's ~150k ops), and DML commits issued
   * meanwhile — whose acknowledgements wait for their batch — used to wait for all of it
   * first; with nothing acknowledged, the engine had no rows to work on meanwhile.
   */
  readonly mayBeOvertaken?: boolean;
  /**
   * Written only once this resolves (a rejection fails the write): the part files the batch
   * points into are durable (part-log.ts). The batch is handed to LevelDB meanwhile.
   */
  readonly after?: Promise<void>;
}

export class Db {
  private _level: Level<Buffer, Buffer> | null = null;
  readonly location: string;
  /** The large values of checkpoints, in files beside LevelDB's (part-log.ts). */
  readonly parts: PartLog;
  private chain: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private _wseq = 0;
  private _writtenBytes = 0;

  /** `options`: LevelDB's memory settings (open.ts sizes them from a memory limit). */
  constructor(
    readonly dataDir: string,
    private readonly options: LevelMemoryOptions = {},
  ) {
    this.location = join(dataDir, 'state');
    this.parts = new PartLog(this.location);
  }

  /** The LevelDB, once `open` has been called. */
  get level(): Level<Buffer, Buffer> {
    if (!this._level) throw new Error('storage: the database is not open');
    return this._level;
  }

  async open(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    // Created here, not in the constructor: a level opens itself in the next tick after it
    // is created, and the directory must stay untouched until then (a restore fills it).
    this._level = new Level<Buffer, Buffer>(this.location, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...this.options });
    try {
      await this.level.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new Error(`data directory ${this.dataDir} is in use by another Freshet process (its LevelDB lock is held)`);
      }
      throw new Error(`cannot open data directory ${this.dataDir}: ${cause?.message ?? (e as Error).message}`);
    }
    this.parts.open();
    await this.reload();
  }

  /** Re-reads the write sequence (after a restore wrote the database directly). */
  async reload(): Promise<void> {
    const w = await this.level.get(WSEQ_KEY);
    this._wseq = w ? Number(w.readBigUInt64BE(0)) : 0;
  }

  /** Sequence number of the last durable batch (0: none since the data dir was created). */
  get wseq(): number {
    return this._wseq;
  }

  /** Bytes of the batches written since this process opened the database (their records' sizes). */
  get writtenBytes(): number {
    return this._writtenBytes;
  }

  /**
   * Writes `batch` as one atomic, fsynced batch after every batch issued before it (and,
   * unless `opts.mayBeOvertaken`, before every batch issued after it). An op array is
   * encoded into a record first; a `BatchRecord` is written as it is, and recycled once
   * written or failed (`BatchRecord.recycle`: a pooled record's buffer goes back to the
   * pool, so the caller must not use the record after this call).
   */
  write(batch: BatchRecord | readonly DbOp[], opts: WriteOptions = {}): Promise<void> {
    const rec = batch instanceof BatchRecord ? batch : recordOf(batch);
    this.inFlight++;
    // The native batch is filled before the batch takes its turn: a checkpoint hands LevelDB
    // hundreds of thousands of ops (tens of ms, sliced), and DML commits queued behind it
    // waited for all of that and not only for LevelDB's write. Filling it does not touch the
    // database, so it may overlap the batches in flight.
    const filled = this.fill(rec);
    filled.catch(() => {}); // awaited (and reported) by `run`, which may start after it fails
    opts.after?.catch(() => {}); // the same (`run` does not await it if the fill failed)
    const run = async () => {
      try {
        const chained = await filled;
        if (opts.after) {
          try {
            await opts.after;
          } catch (e) {
            await chained.close().catch(() => {});
            throw e;
          }
        }
        const wseq = this._wseq + 1;
        const b = Buffer.allocUnsafe(8);
        b.writeBigUInt64BE(BigInt(wseq));
        // Numbered at its turn, so numbers follow LevelDB's order. Through the public API,
        // so the batch also counts as non-empty when the record had no ops.
        chained.put(WSEQ_KEY, b);
        await chained.write({ sync: true });
        this._wseq = wseq;
        const bytes = rec.byteLength;
        this._writtenBytes += bytes;
        // A batch bigger than the memtable (a big checkpoint) would otherwise sit in LevelDB's
        // log until the next write: a crash then replays all of it at the next open (2.1 s
        // for a 1M-key MV's checkpoint). Flushed in LevelDB's background thread, unless
        // another batch is in flight: that write switches memtables by itself. A forced
        // switch at every checkpoint, queued among the DML commits, cost a durable ingest ~3%
        // (docs/performance.md, session 25).
        if (bytes > FLUSH_AFTER_BYTES && this.inFlight === 1) void this.flushMemtable();
      } finally {
        rec.recycle();
        if (--this.inFlight === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const f of w) f();
        }
      }
    };
    const takeTurn = () => {
      const p = this.chain.then(run, run);
      this.chain = p.catch(() => {});
      return p;
    };
    // Numbered, written and reported at its turn like any other batch, so the wseq order is
    // still LevelDB's order; only the turn is taken later (a failed fill is reported by `run`).
    if (!opts.mayBeOvertaken) return takeTurn();
    // Its turn once filled and its parts are durable (or either failed: reported by `run`).
    const ready = opts.after ? Promise.allSettled([filled, opts.after]) : filled;
    return ready.then(takeTurn, takeTurn);
  }

  /** A chained batch holding the record's ops (a chained batch: the array form of level's
   * batch() costs ~10x more per operation, measured: 200k puts 5.6 s vs 0.6 s). */
  private async fill(rec: BatchRecord): Promise<ReturnType<Level<Buffer, Buffer>['batch']>> {
    const chained = this.level.batch();
    try {
      await rec.forEachSliced(rawOps(chained), OPS_PER_SLICE, BYTES_PER_SLICE);
    } catch (e) {
      await chained.close().catch(() => {});
      throw e;
    }
    return chained;
  }

  /**
   * Flushes LevelDB's memtable to a table file, so its write-ahead log holds nothing to
   * replay at the next open (LevelDB does not flush at close either). `compactRange` flushes
   * the memtable first; the range is past every key, so no table file is rewritten.
   */
  async flushMemtable(): Promise<void> {
    // `level`'s type covers the browser build too; on Node it is classic-level, which has it.
    const level = this._level as unknown as { status: string; compactRange(start: Buffer, end: Buffer): Promise<void> } | null;
    if (level?.status === 'open') await level.compactRange(AFTER_ALL_KEYS, AFTER_ALL_KEYS).catch(() => {});
  }

  /**
   * An iterator over `range` (the database as of this call) whose `nextv(n)` returns up to
   * `n` entries or READ_AHEAD_BYTES, whichever comes first.
   */
  iterator(range: KeyRange = {}) {
    const options: KeyRange & { highWaterMarkBytes: number } = { highWaterMarkBytes: READ_AHEAD_BYTES };
    // Only the bounds given: abstract-level encodes a bound that is present but undefined as a key.
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.values !== undefined) options.values = range.values;
    return this.level.iterator<Buffer, Buffer>(options);
  }

  /** Every key/value with the given one-letter-and-slash prefix, in key order. */
  async *scanPrefix(prefix: string): AsyncGenerator<[Buffer, Buffer]> {
    const lo = Buffer.from(prefix, 'latin1');
    const hi = Buffer.from(prefix, 'latin1');
    hi[hi.length - 1]++;
    const it = this.iterator({ gte: lo, lt: hi });
    try {
      for (;;) {
        const entries = await it.nextv(1000);
        if (entries.length === 0) break;
        for (const e of entries) yield e;
      }
    } finally {
      await it.close();
    }
  }

  async close(): Promise<void> {
    // Batches still being filled have not joined the chain yet (`mayBeOvertaken`).
    while (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    await this.chain;
    await this.parts.close();
    await this._level?.close();
  }
}

function recordOf(ops: readonly DbOp[]): BatchRecord {
  // Sized to the ops: growing the buffer would copy the record (batch-record.ts's op layout).
  let size = 4;
  for (const op of ops) size += 9 + op.key.length + (op.type === 'put' ? op.value.length : 0);
  const rec = BatchRecord.pooled(size);
  for (const op of ops) {
    if (op.type === 'put') rec.put(op.key, op.value);
    else rec.del(op.key);
  }
  return rec;
}

/** The private half of abstract-level's chained batch API (what `put`/`del` call after checks). */
interface RawChainedBatch {
  _put?(key: Buffer, value: Buffer): void;
  _del?(key: Buffer): void;
  put(key: Buffer, value: Buffer): unknown;
  del(key: Buffer): unknown;
}

/**
 * Adds ops to a chained batch through its implementation's `_put`/`_del` (classic-level:
 * straight into the native batch). The public `put` validates both arguments, builds an op
 * object with encodings and runs hooks for every op — we use none of that, the keys and
 * values are already Buffers, and a checkpoint adds hundreds of thousands of ops. Falls
 * back to the public methods if the implementation has no such members.
 */
function rawOps(batch: unknown): BatchSink {
  const b = batch as RawChainedBatch;
  if (typeof b._put !== 'function' || typeof b._del !== 'function') {
    return { put: (k, v) => void b.put(k, v), del: (k) => void b.del(k) };
  }
  // classic-level's `_put`/`_del` copy the key and value into the native batch before
  // returning (binding.cc: ToSlice), so the record may reuse the buffers it hands over.
  return { put: (k, v) => b._put!(k, v), del: (k) => b._del!(k), copies: true };
}
