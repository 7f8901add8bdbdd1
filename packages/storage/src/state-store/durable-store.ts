/**
 * The durable StateStore: an in-memory store (the working and committed views every
 * operator and reader uses, injected so storage need not depend on the stream engine)
 * plus LevelDB checkpoints.
 *
 * - Reads and writes go straight to the in-memory store (its tables are handed out as they
 *   are); it keeps the keys each commit publishes (`TrackingStateStore`) until a checkpoint
 *   takes them.
 * - `commitEpoch(N)` publishes N in memory (synchronously, as the contract requires). If N
 *   is a checkpoint epoch (every `checkpointFrequency` epochs, or when one was requested),
 *   it then writes ONE atomic LevelDB batch: for every key published since the last
 *   checkpoint (written in epochs ≤ N) its value as of N, deletes of dropped tables, the
 *   checkpoint record (epoch, time, the table change-log seq the state includes, and the
 *   streaming engine's info), and deletes of the change-log records that seq covers. Keys
 *   written in later epochs (if a barrier commit ever lags the data) are not published yet
 *   and so go into the next one.
 * - Segmented tables (segments.ts: a temporal filter's rows) go into that batch as one
 *   segment per table instead of a key per row, and so, without a memory limit, do the
 *   others' changed keys: as overlay segments over their `s/` rows (overlays.ts).
 * - Recovery: the constructor loads the last checkpoint's rows into the in-memory store and
 *   commits them as the checkpoint's epoch, so epochs continue from there.
 *
 * Memory: without a limit everything is kept in memory. With `memoryLimit` (cold mode) the
 * in-memory store becomes a cache for tables declared point-read (MV rows, aggregate
 * groups, DISTINCT counts): recovery does not load them (the checkpoint record lists them,
 * `pointTables`), a key not in memory is read from LevelDB synchronously (`getSync`, one
 * lookup, no prefetch needed), and after each commit that leaves the store over the limit
 * the clean entries — written in epochs the last durable checkpoint covers — are evicted,
 * least recently read first. Dirty entries stay until their checkpoint is durable; tables
 * not declared point-read are loaded and kept whole. Dropping a partly loaded table deletes
 * its LevelDB keys found by a scan, in the next checkpoint's batch.
 */
import { type Row, decodeRow } from '@freshet/common';
import { changeLogKey } from '../change-log';
import { BatchRecord } from '../batch-record';
import type { Db } from '../db';
import type { PartBatch } from '../part-log';
import type { ColdStateReader, PublishedKeys, StateStore, StoreTable, TrackingStateStore } from './api';
import { type CheckpointRecord, PARAMS_KEY, checkpointKey, encodeCheckpoint, prefixedKey, stateKeyPrefix } from './keys';
import { DEFAULT_OVERLAY_LIMITS, type OverlayLimits, type RecoveredOverlays, type OverlayTable, type OverlayTake, type OverlayWrite, withRetried, applyOverlayWrite, dropOverlays, encodeOverlay, planOverlay, sweepDue, sweepSegment } from './overlays';
import {
  type SegmentInfo,
  type SegmentWrite,
  type SegmentedTableState,
  applySegmentWrite,
  dropSegments,
  emptySegmentedTable,
  encodeSegment,
  isOldest,
  planSegment,
  segmentKeys,
  segmentPartKeys,
  segmentsToClean,
} from './segments';

/**
 * Default barriers per checkpoint (RisingWave's `checkpoint_frequency`): 100 × 10 ms
 * barriers = a checkpoint a second, RisingWave's cadence. Acknowledged DML is durable
 * through the change log before its ack, so the cadence only bounds what recovery replays;
 * 1 s instead of 100 ms lets a checkpoint coalesce ten times more rewrites of hot keys
 * (−18% CPU per ingested event on the seed pipeline, docs/performance.md).
 */
export const DEFAULT_CHECKPOINT_FREQUENCY = 100;

/** What the streaming engine records with a checkpoint of `epoch`. */
export interface CheckpointSource {
  /** The last table change-log seq whose changes are in the state of `epoch`. */
  readonly seq: number;
  /** JSON-serialisable (e.g. which jobs the state is complete for). */
  readonly info: unknown;
}

/** Cold mode's memory use (rw_checkpoint_status, bench). */
export interface CacheStats {
  readonly limitBytes: number;
  /** Approximate bytes of the cache the limit applies to (tables read by key). */
  readonly bytes: number;
  /** Approximate bytes of all stream state in memory (also what is kept whole). */
  readonly stateBytes: number;
  /** Entries evicted and keys read from LevelDB since the start. */
  readonly evicted: number;
  readonly coldReads: number;
}

export interface DurableStoreOptions {
  /** Bytes of state to keep in memory (0: no limit, everything in memory). */
  readonly memoryLimit?: number;
  /** Point-read tables recovery left in LevelDB (cold mode): table id → live key count. */
  readonly cold?: ReadonlyMap<number, number>;
  /** Segmented tables recovery loaded: what LevelDB holds of each (segments.ts). */
  readonly segmented?: ReadonlyMap<number, SegmentedTableState>;
  /** Overlay segment limits (overlays.ts; default DEFAULT_OVERLAY_LIMITS). */
  readonly overlayLimits?: OverlayLimits;
  /** Overlay segments recovery kept (not folded): already applied to `loaded`'s rows, but not to the cold tables'. */
  readonly overlays?: ReadonlyMap<number, RecoveredOverlays>;
}

/** Cold mode evicts down to this fraction of the limit, so it does not run at every commit. */
const EVICT_TO = 0.85;

/**
 * Cold mode checkpoints once the state written since the last checkpoint reaches this
 * fraction of the limit, whatever `checkpointFrequency` says. Only a checkpoint makes that
 * state evictable, and its batch is held several times over while it is written (the
 * record, LevelDB's copy of the batch, its memtable): at the 1 s cadence a fast load into
 * a 64 MiB limit wrote ~10 MiB batches of ~200k keys, the whole cache, and the native
 * memory beside the heap was ~150 MiB; at an eighth, ~1.5 MiB batches, ~75 MiB.
 */
const CHECKPOINT_AT = 1 / 8;
/**
 * …and at most this many bytes, whatever the limit: the batch's copies need not grow with
 * it (a 256 MiB limit at an eighth wrote ~5 MiB batches, native memory ~260 MiB; capped, ~130).
 */
const CHECKPOINT_AT_MAX = 8 << 20;

export interface CheckpointStats {
  readonly epoch: number;
  readonly time: number;
  readonly keys: number;
  readonly bytes: number;
  /** From the commit to the batch being durable. */
  readonly durationMs: number;
}

export class DurableStateStore implements StateStore {
  checkpointFrequency = DEFAULT_CHECKPOINT_FREQUENCY;
  /**
   * Wall-clock time after which a checkpoint is due whatever the barrier count (0: by the
   * count alone). The engine sets it to checkpoint_frequency × barrier_interval_ms, what the
   * two settings promise. Under load barriers come late (each flushes every group changed in
   * it), and the count alone stretched "a checkpoint a second" to one per 2.2 s on the INSERT
   * pipeline and one per 7 s from datagen: fewer, bigger checkpoints, each a longer stall.
   */
  checkpointIntervalMs = 0;
  private lastCheckpointStart = performance.now();
  /** The checkpoint recovery started from (null: none, a fresh start). */
  readonly recovered: CheckpointRecord | null;
  /** Keys of a checkpoint that failed, per table: written again (with their values then) by the next one. */
  private readonly retry = new Map<number, string[]>();
  /** Dropped tables → keys that may be on disk and must be deleted by the next checkpoint. */
  private readonly drops = new Map<number, Set<string>>();
  /** State tables loaded (or left cold) at recovery, for `retainOnly`. */
  private readonly loadedIds: number[];
  /** Segmented tables (segments.ts): what LevelDB holds of each. */
  private readonly segmented = new Map<number, SegmentedTableState>();
  /** Dropped segmented tables, whose segments the next checkpoint deletes. */
  private segmentDrops: [number, SegmentedTableState][] = [];
  /** Tables written as overlay segments (overlays.ts; only without a memory limit): what LevelDB holds of each. */
  private readonly overlays = new Map<number, OverlayTable>();
  private readonly overlayLimits: OverlayLimits;
  /** Dropped tables with overlay segments, which the next checkpoint deletes. */
  private overlayDrops: [number, OverlayTable][] = [];
  /** The round of the last take whose checkpoint was applied (sweepSegment). */
  private appliedRound = 0;
  /** A sweep of the overlay segments is scheduled or running (`startSweeping`). */
  private sweeping = false;
  /** Dropped tables that were partly in memory: their LevelDB keys, being listed for the next checkpoint. */
  private dropScans: Promise<Buffer[]>[] = [];
  /** Cold mode: bytes of state kept in memory (0: no limit). */
  readonly memoryLimit: number;
  /** The epoch of the last durable checkpoint: entries last written in epochs ≤ it are clean. */
  private durableEpoch: number;
  private evicted = 0;
  private coldReads = 0;
  private lastEpoch: number;
  private lastSeq: number;
  private lastInfo: string;
  private forced = false;
  /** The checkpoint batch in flight: checkpoints are written one at a time, in order. */
  private writing: Promise<void> | null = null;
  private waiters: { after: number; resolve: (r: CheckpointRecord | null) => void }[] = [];
  private source: (epoch: number) => CheckpointSource;
  private _lastCheckpoint: CheckpointRecord | null;
  private _lastStats: CheckpointStats | null = null;
  private _checkpointsTaken = 0;
  /** Size of the last checkpoint's record (the next one starts at about that size). */
  private lastRecordBytes = 0;
  /** Keys the last checkpoint's record was encoded from (its bytes per key size the next). */
  private lastRecordKeys = 0;
  private _committedAt = 0;
  private _params: Record<string, string>;
  /** The last checkpoint failure (cleared by the next success). */
  lastError: string | null = null;
  private _onError: (msg: string) => void = (msg) => console.error(msg);
  /**
   * Where checkpoint failures are reported (they are retried at the next commit), and the
   * part files' background failures (part-log.ts).
   */
  get onError(): (msg: string) => void {
    return this._onError;
  }
  set onError(f: (msg: string) => void) {
    this._onError = f;
    this.db.parts.onError = f;
  }

  constructor(
    private readonly inner: TrackingStateStore,
    private readonly db: Db,
    loaded: ReadonlyMap<number, [string, Row][]>,
    checkpoint: CheckpointRecord | null,
    appliedSeq: () => number,
    params: Record<string, string> = {},
    opts: DurableStoreOptions = {},
  ) {
    this._params = { ...params };
    if (inner.committedEpoch !== 0) throw new Error('durable state store: the in-memory store must be empty');
    this.recovered = checkpoint;
    this._lastCheckpoint = checkpoint;
    this.memoryLimit = opts.memoryLimit ?? 0;
    this.overlayLimits = opts.overlayLimits ?? DEFAULT_OVERLAY_LIMITS;
    // Key-read tables recovery left in LevelDB are read from there until in memory: with a
    // limit they stay a cache; without one they are loaded in the background (loadCold).
    inner.enableColdReads(this.coldReader(), this.memoryLimit > 0);
    for (const [id, live] of opts.cold ?? []) inner.markCold(id, live);
    this.durableEpoch = checkpoint?.epoch ?? 0;
    this.lastEpoch = checkpoint?.epoch ?? 0;
    this.lastSeq = checkpoint?.seq ?? 0;
    this.lastInfo = JSON.stringify(checkpoint?.info ?? null);
    this.source = () => ({ seq: appliedSeq(), info: null });
    this.loadedIds = [...loaded.keys(), ...(opts.cold?.keys() ?? [])];
    for (const [id, st] of opts.segmented ?? []) this.segmented.set(id, st);
    if (checkpoint) {
      // Loaded as epoch 1 and published as the checkpoint's epoch: the committed view is
      // the checkpoint, and the next epoch is the one after it.
      for (const [id, rows] of loaded) {
        const t = inner.table(id);
        for (const [k, row] of rows) t.write(1, k, row);
      }
      // A cold table's overlays go in memory over its rows in LevelDB, tombstones too (a
      // partial table keeps them), so neither reads by key nor the background load find an
      // older row there. Its live count stays the checkpoint's.
      for (const [id, o] of opts.overlays ?? []) {
        const live = opts.cold?.get(id);
        if (live === undefined) continue;
        const t = inner.table(id);
        for (let i = 0; i < o.keys.length; i++) t.write(1, o.keys[i], o.rows[i]);
        inner.markCold(id, live);
      }
      void inner.commitEpoch(checkpoint.epoch);
      this.recoverOverlays(opts.overlays);
      this._committedAt = checkpoint.time;
    }
    // After loading: the checkpoint's own rows are on disk already.
    inner.trackPublished();
    if (this.memoryLimit === 0 && opts.cold && opts.cold.size > 0) {
      this.loading = this.loadCold([...opts.cold.keys()]).finally(() => (this.loading = null));
    }
  }

  /**
   * Carries on with the overlay segments recovery kept: each gets a round of its own
   * (negative, below every take's), and the entries whose latest version it holds are
   * marked with it, so that live counts and settling work as for segments written since.
   */
  private recoverOverlays(recovered: ReadonlyMap<number, RecoveredOverlays> | undefined): void {
    let round = 0;
    for (const [id, o] of recovered ?? []) {
      const segments = o.segments.map((s) => ({ ...s, round: --round }));
      const keysOf: string[][] = segments.map(() => []);
      for (let i = 0; i < o.keys.length; i++) keysOf[o.segmentOf[i]].push(o.keys[i]);
      for (let i = 0; i < segments.length; i++) this.inner.markTaken(id, keysOf[i], segments[i].round);
      this.overlays.set(id, { segments });
    }
  }

  /** The background load of key-read state after a restart without a memory limit (null: none, or done). */
  loading: Promise<void> | null = null;
  private closing = false;

  /**
   * Restart without a memory limit: the key-read tables (MV rows, aggregate groups…) were
   * not loaded before serving — the node serves as soon as the catalog and the rest are
   * back, reading keys not in memory yet from LevelDB — and are read into memory here, in
   * batches between which the node serves. A 1M-key MV used to take ~25 s to load before
   * the first lookup. Once a table is in, it is whole again (range reads work).
   */
  private async loadCold(ids: number[]): Promise<void> {
    const t0 = performance.now();
    let rows = 0;
    for (const id of ids) {
      const prefix = stateKeyPrefix(id);
      const end = Buffer.from(prefix);
      end[end.length - 1]++;
      const it = this.db.iterator({ gte: prefix, lt: end });
      let complete = true;
      try {
        for (;;) {
          const entries = await it.nextv(1000);
          if (this.closing) return;
          if (entries.length === 0) break;
          const batch = entries.map(([k, v]): [string, Row] => [k.toString('latin1', prefix.length), decodeRow(v)]);
          rows += batch.length;
          if (!this.inner.fillLoaded(id, batch)) {
            complete = false; // dropped, or whole already
            break;
          }
        }
      } catch (e) {
        if (this.closing) return;
        this.onError(`state: loading table ${id} after the restart failed (its keys are still read from disk): ${(e as Error).message}`);
        continue;
      } finally {
        await it.close().catch(() => {});
      }
      if (complete) this.inner.finishLoad(id, this.durableEpoch);
    }
    this.onLoaded(`state: ${ids.length} key-read state tables (${rows} rows) loaded in the background in ${((performance.now() - t0) / 1000).toFixed(1)} s after the restart`);
  }

  /** Where the end of the background load is reported (the server log). */
  onLoaded: (msg: string) => void = () => {};

  /** Stops the background load (the database is closing). */
  stopLoading(): Promise<void> {
    this.closing = true;
    return this.loading ?? Promise.resolve();
  }

  /** Point reads of keys not in memory: the value the last checkpoint wrote (undefined: none). */
  private coldReader(): ColdStateReader {
    const prefixes = new Map<number, Buffer>();
    const level = this.db.level;
    return {
      read: (tableId, key) => {
        let p = prefixes.get(tableId);
        if (p === undefined) prefixes.set(tableId, (p = stateKeyPrefix(tableId)));
        this.coldReads++;
        const v = level.getSync(prefixedKey(p, key));
        return v === undefined ? undefined : decodeRow(v);
      },
      scan: (tableId, lo, hi) => {
        const prefix = stateKeyPrefix(tableId);
        const end = Buffer.from(prefix);
        end[end.length - 1]++;
        const it = this.db.iterator({ gte: lo === undefined ? prefix : prefixedKey(prefix, lo), lt: hi === undefined ? end : prefixedKey(prefix, hi) });
        return {
          nextv: async (n) => {
            const entries = await it.nextv(n);
            this.coldReads += entries.length;
            return entries.map(([k, v]) => [k.toString('latin1', prefix.length), decodeRow(v)] as [string, Row]);
          },
          close: () => void it.close().catch(() => {}),
        };
      },
    };
  }

  get cacheStats(): CacheStats {
    return { limitBytes: this.memoryLimit, bytes: this.inner.cacheBytes(), stateBytes: this.inner.approxBytes(), evicted: this.evicted, coldReads: this.coldReads };
  }

  /**
   * Cold mode: evicts clean entries when the store is over the limit. What is still over
   * it then is dirty — written since the last durable checkpoint, so pinned — and the next
   * commit checkpoints early instead of waiting for `checkpointFrequency` barriers: under a
   * fast load a second of writes (5M-key MV fed at 65k rows/s: several hundred MiB) was
   * pinned at a time.
   */
  private maybeEvict(): void {
    if (this.memoryLimit === 0 || this.inner.cacheBytes() <= this.memoryLimit) return;
    this.evicted += this.inner.evict(this.memoryLimit * EVICT_TO, this.durableEpoch);
    if (this.inner.cacheBytes() > this.memoryLimit && this.writing === null) this.forced = true;
  }

  /**
   * Cold mode: over the limit with a checkpoint in flight (see StateStore.throttled). What
   * is over the limit then is pinned until that checkpoint is durable; while it was written
   * (0.2–2 s under a fast load) sources kept pulling and that state grew past the limit
   * (three times it in packages/stream/src/state/memory-pressure.test.ts). Held only while a
   * checkpoint is in flight, so the commit that starts the next one is never held back.
   */
  get throttled(): boolean {
    return this.writing !== null && this.memoryLimit > 0 && this.inner.cacheBytes() > this.memoryLimit;
  }

  /** System parameters persisted by `saveParams` (ALTER SYSTEM SET), as they were stored. */
  get params(): Readonly<Record<string, string>> {
    return this._params;
  }

  /** Persists one system parameter (durable when the promise resolves). */
  async saveParam(name: string, value: string): Promise<void> {
    const next = { ...this._params, [name]: value };
    await this.db.write([{ type: 'put', key: PARAMS_KEY, value: Buffer.from(JSON.stringify(next), 'utf8') }]);
    this._params = next;
  }

  /** Where checkpoints get their change-log seq and info from (the streaming engine). */
  setCheckpointSource(source: (epoch: number) => CheckpointSource): void {
    this.source = source;
  }

  get committedEpoch(): number {
    return this.inner.committedEpoch;
  }

  /** Wall-clock time of the last commit, ms. */
  get committedAt(): number {
    return this._committedAt;
  }

  /** The last durable checkpoint (or the recovered one). */
  get lastCheckpoint(): CheckpointRecord | null {
    return this._lastCheckpoint;
  }

  get lastCheckpointStats(): CheckpointStats | null {
    return this._lastStats;
  }

  /**
   * Checkpoints made durable since start (one with nothing new to write counts: its epoch is
   * durable all the same). `checkpoint_frequency` counts barriers, and under load barriers
   * come late: this tells the real cadence (the ingest benchmark reports it).
   */
  get checkpointsTaken(): number {
    return this._checkpointsTaken;
  }

  table(tableId: number): StoreTable {
    return this.inner.table(tableId);
  }

  dropTable(tableId: number): void {
    const seg = this.segmented.get(tableId);
    if (seg) {
      // Its rows are in segments, not keys: the next checkpoint deletes those (and any a
      // checkpoint in flight adds to `seg`). Recorded in `drops` too (empty), so a failing
      // checkpoint in flight has somewhere to put the table's keys.
      this.segmented.delete(tableId);
      this.segmentDrops.push([tableId, seg]);
      this.retry.delete(tableId);
      if (!this.drops.has(tableId)) this.drops.set(tableId, new Set());
      this.inner.dropTable(tableId);
      return;
    }
    const overlay = this.overlays.get(tableId);
    if (overlay) {
      // Its segments, and any a checkpoint in flight adds to `overlay`, go with the next checkpoint.
      this.overlays.delete(tableId);
      this.overlayDrops.push([tableId, overlay]);
    }
    if (this.inner.isPartial(tableId)) {
      // Keys only in LevelDB: listed by a scan once the checkpoint in flight (which may write
      // some of them) is done; the next checkpoint deletes them before anything else.
      const prefix = stateKeyPrefix(tableId);
      const after = this.writing ?? Promise.resolve();
      const scan = after.then(
        () => this.scanKeys(prefix),
        () => this.scanKeys(prefix),
      );
      scan.catch(() => {});
      this.dropScans.push(scan);
    }
    const keys = this.drops.get(tableId) ?? new Set<string>();
    for (const k of this.retry.get(tableId) ?? []) keys.add(k);
    this.retry.delete(tableId);
    // Whatever is on disk was either rewritten since (a published key not yet checkpointed,
    // or a key of an epoch not yet committed) or is unchanged and so still in the table.
    for (const k of this.inner.writtenKeys(tableId)) keys.add(k);
    // Recorded even when empty, so a failing checkpoint in flight knows its keys of this table go here.
    this.drops.set(tableId, keys);
    this.inner.dropTable(tableId);
  }

  private async scanKeys(prefix: Buffer): Promise<Buffer[]> {
    const hi = Buffer.from(prefix);
    hi[hi.length - 1]++;
    const out: Buffer[] = [];
    for await (const k of this.db.level.keys({ gte: prefix, lt: hi })) out.push(k);
    return out;
  }

  /** Drops every table recovery loaded that is not in `keep` (state of MVs dropped before the crash). */
  retainOnly(keep: ReadonlySet<number>): number[] {
    const gone = this.loadedIds.filter((id) => !keep.has(id));
    for (const id of gone) this.dropTable(id);
    return gone;
  }

  /**
   * Makes the next committed epoch a checkpoint, whatever the frequency; resolves when a
   * checkpoint of a later epoch than the current one is durable (commit a barrier to get it).
   */
  requestCheckpoint(): Promise<CheckpointRecord | null> {
    this.forced = true;
    const after = this.committedEpoch;
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  commitEpoch(epoch: number): Promise<void> {
    const published = this.inner.commitEpoch(epoch);
    this._committedAt = Date.now();
    this.maybeEvict();
    if (this.memoryLimit > 0 && this.inner.unsavedBytes() > Math.min(this.memoryLimit * CHECKPOINT_AT, CHECKPOINT_AT_MAX)) this.forced = true;
    const due = epoch - this.lastEpoch >= this.checkpointFrequency || (this.checkpointIntervalMs > 0 && performance.now() - this.lastCheckpointStart >= this.checkpointIntervalMs);
    if (!this.forced && !due) return published;
    if (this.writing) {
      // One checkpoint at a time, so a failed one is requeued before the next is computed.
      this.forced = true;
      return published;
    }
    this.forced = false;
    const p = this.checkpoint(epoch);
    this.writing = p;
    const done = () => {
      if (this.writing === p) this.writing = null;
    };
    p.then(done, done);
    return p;
  }

  /**
   * Sweeps the overlay segments that are due (overlays.ts, "Sweeping") after a checkpoint,
   * in slices of SWEEP_SLICE_MS between other work. Only while no checkpoint is in flight:
   * a plan in flight may name a segment's keys by index (its settle cursor). One that starts
   * meanwhile ends the sweep, and the next checkpoint starts another.
   */
  private startSweeping(): void {
    if (this.sweeping || this.overlays.size === 0) return;
    this.sweeping = true;
    const step = () => {
      if (this.closing || this.writing !== null || !this.sweepOverlays(SWEEP_SLICE_MS)) this.sweeping = false;
      else setImmediate(step);
    };
    setImmediate(step);
  }

  /**
   * Sweeps due overlay segments for about `sliceMs` (each segment whole); returns whether
   * any are still due. Public for tests, which sweep between checkpoints at will.
   */
  sweepOverlays(sliceMs = Infinity): boolean {
    if (this.writing !== null) throw new Error('state: overlay segments are swept only between checkpoints');
    const start = performance.now();
    const now = this.durableEpoch;
    const takenRound = (h: unknown) => this.inner.takenRound(h);
    for (const t of this.overlays.values()) {
      // Not the two newest: most of a segment's keys are still its own a checkpoint later.
      const segs = t.segments;
      for (let i = 0; i < segs.length - 2; i++) {
        const seg = segs[i];
        if (!sweepDue(seg, now)) continue;
        if (performance.now() - start >= sliceMs) return true;
        sweepSegment(seg, now, this.appliedRound, takenRound);
      }
    }
    return false;
  }

  /**
   * Reads back the oldest segments' keys of each segmented table that needs cleaning
   * (segments.ts), in the background: the next checkpoint that writes the table cleans them.
   */
  private startCleaning(): void {
    for (const [id, st] of this.segmented) {
      // Keys read for segments the low water has deleted since: read again.
      if (st.cleaning !== null && !isOldest(st, st.cleaning.epochs)) st.cleaning = null;
      if (st.reading || st.cleaning !== null) continue;
      const epochs = segmentsToClean(st, this.inner.table(id).size);
      if (epochs.length === 0) continue;
      st.reading = true;
      // segmentsToClean returns the oldest segments, in order: their parts' keys.
      const partKeys = st.segments.slice(0, epochs.length).flatMap((s) => segmentPartKeys(id, s));
      this.db.level
        .getMany(partKeys)
        .then((values) => (values.some((v) => v === undefined) ? null : Promise.all(values.map((v) => this.db.parts.read(v!)))))
        .then(
          (parts) => {
            st.reading = false;
            if (parts === null || !isOldest(st, epochs)) return;
            const keys: string[] = [];
            for (const p of parts) for (const k of segmentKeys(p)) keys.push(k);
            st.cleaning = { epochs, keys };
          },
          (e: unknown) => {
            st.reading = false;
            // A checkpoint deleted those segments meanwhile (and their part file with them): nothing to clean.
            if (!isOldest(st, epochs)) return;
            this.onError(`state: reading segments of table ${id} for cleaning failed: ${(e as Error).message}`);
          },
        );
    }
  }

  /** Keys of a failed checkpoint, for the next one (with the drop, if their table was dropped meanwhile). */
  private requeue(tableId: number, keys: readonly string[]): void {
    const dropped = this.drops.get(tableId);
    if (dropped) {
      for (const k of keys) dropped.add(k);
      return;
    }
    const list = this.retry.get(tableId);
    if (list) for (const k of keys) list.push(k);
    else this.retry.set(tableId, [...keys]);
  }

  private notifyWaiters(epoch: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.after < epoch);
    this.waiters = this.waiters.filter((w) => w.after >= epoch);
    for (const w of ready) w.resolve(this._lastCheckpoint);
  }

  private checkpoint(epoch: number): Promise<void> {
    const started = performance.now();
    const { seq, info } = this.source(epoch);
    const infoJson = JSON.stringify(info ?? null);
    this.lastEpoch = epoch;
    this.lastCheckpointStart = performance.now();
    // Published by commits up to this one, i.e. written in epochs ≤ epoch.
    const taken = this.inner.takePublished();
    if (taken.length === 0 && this.retry.size === 0 && this.drops.size === 0 && this.segmentDrops.length === 0 && this.overlayDrops.length === 0 && seq === this.lastSeq && infoJson === this.lastInfo) {
      this.durableEpoch = epoch;
      this._checkpointsTaken++;
      this.notifyWaiters(epoch);
      return Promise.resolve(); // nothing new: the last checkpoint already describes this state
    }
    // One record, encoded once: LevelDB takes views of its bytes. Sized
    // from the last one's bytes per key, so that growing it does not copy a busy second's
    // rows: checkpoints come every N barriers, and barriers late under load make some hold
    // several times as many keys as the last (tens of MB, copied in one go to grow).
    let takenKeys = 0;
    for (const p of taken) takenKeys += p.keys.length;
    const bytesPerKey = this.lastRecordKeys > 0 ? this.lastRecordBytes / this.lastRecordKeys : 0;
    // From the buffer pool (buffer-pool.ts): a new record of megabytes every second, promoted
    // while LevelDB writes it, started most of the heap's full collections.
    const rec = BatchRecord.pooled(Math.max(1 << 16, Math.ceil(Math.max(this.lastRecordBytes, bytesPerKey * takenKeys) * 1.25)));
    // Segment and overlay parts go to the part files (part-log.ts); `rec` gets pointers.
    const parts = this.db.parts.begin(rec);
    // Drops first: a table dropped and created again (an MV rebuilt at recovery) keeps its id.
    const drops = [...this.drops];
    this.drops.clear();
    for (const [id, keys] of drops) {
      const prefix = stateKeyPrefix(id);
      for (const k of keys) rec.putRow(prefix, k, null);
    }
    const segmentDrops = this.segmentDrops;
    this.segmentDrops = [];
    for (const [id, st] of segmentDrops) dropSegments(rec, parts, id, st);
    const overlayDrops = this.overlayDrops;
    this.overlayDrops = [];
    for (const [id, t] of overlayDrops) dropOverlays(rec, parts, id, t);
    const retried = [...this.retry];
    this.retry.clear();
    // Keys of segmented tables, retried or taken, go into one segment per table.
    const changedSegmentKeys = new Map<number, { keys: string[]; rows: (Row | null)[] }>();
    const useOverlays = this.memoryLimit === 0;
    // Retried keys of a table written with overlays go a key per row after its settled rows
    // (overlays.ts: a settled tombstone of an older entry of the key must not come after them).
    const retriedTakes = new Map<number, OverlayTake>();
    for (const [id, keys] of retried) {
      const t = this.inner.table(id);
      const rows = keys.map((k) => t.getCommitted(k) ?? null);
      if (this.segmented.has(id)) {
        changedSegmentKeys.set(id, { keys: [...keys], rows });
        continue;
      }
      if (useOverlays) {
        retriedTakes.set(id, { keys, rows, prevRounds: keys.map(() => 0), round: 0 });
        continue;
      }
      const prefix = stateKeyPrefix(id);
      for (let i = 0; i < keys.length; i++) rec.putRow(prefix, keys[i], rows[i]);
    }
    const perKey: PublishedKeys[] = [];
    // Planned now, while the committed view is this epoch's: settling reads keys' values.
    const overlays: OverlayWrite[] = [];
    const planned = new Set<number>();
    const settleBudget = { left: this.overlayLimits.settleMaxKeys };
    const planTable = (id: number, take: OverlayTake) => {
      let t = this.overlays.get(id);
      if (t === undefined) this.overlays.set(id, (t = { segments: [] }));
      planned.add(id);
      const retriedTake = retriedTakes.get(id);
      const all = retriedTake === undefined ? take : withRetried(retriedTake, take);
      overlays.push(planOverlay(id, t, all, this.overlayLimits, settleBudget, retriedTake !== undefined, (k, round, handle) => this.inner.valueIfLastTaken(id, k, round, handle)));
    };
    for (const p of taken) {
      if (!p.segmented) {
        if (useOverlays) planTable(p.tableId, p);
        else perKey.push(p);
        continue;
      }
      let st = this.segmented.get(p.tableId);
      if (st === undefined) this.segmented.set(p.tableId, (st = emptySegmentedTable()));
      if (p.lowWater !== undefined && (st.seenLowWater === undefined || p.lowWater > st.seenLowWater)) st.seenLowWater = p.lowWater;
      const r = changedSegmentKeys.get(p.tableId);
      if (r === undefined) changedSegmentKeys.set(p.tableId, { keys: p.keys, rows: p.rows });
      else {
        for (const k of p.keys) r.keys.push(k);
        for (const v of p.rows) r.rows.push(v);
      }
    }
    // A table with retried keys and no take: they are written with its overlays settled.
    for (const id of retriedTakes.keys()) if (!planned.has(id)) planTable(id, NO_TAKE);
    // Planned now, while the committed view is this epoch's: cleaning reads keys' values.
    const segments: SegmentWrite[] = [];
    for (const [id, { keys, rows }] of changedSegmentKeys) {
      const t = this.inner.table(id);
      segments.push(planSegment(id, this.segmented.get(id)!, keys, rows, (k) => t.getCommitted(k)));
    }
    const record: CheckpointRecord = { epoch, time: Date.now(), seq, info: info ?? null };
    // Recorded with or without a limit: a restart that turns one on leaves these in LevelDB.
    record.pointTables = this.inner.pointTables();
    const prevSeq = this.lastSeq;
    const prevInfo = this.lastInfo;
    this.lastSeq = seq;
    this.lastInfo = infoJson;
    const scans = this.dropScans;
    this.dropScans = [];
    let keyCount = 0;
    let bytes = 0;
    // Over the memory limit, with the excess pinned until this checkpoint is durable: no slicing.
    const urgent = this.memoryLimit > 0 && this.inner.cacheBytes() > this.memoryLimit;
    let kept: SegmentInfo[][] = [];
    let overlayParts: number[] = [];
    const write = encodeTaken(rec, parts, perKey, segments, overlays, epoch, urgent ? Infinity : ENCODE_SLICE_MS).then((k) => {
      kept = k.segments;
      overlayParts = k.overlayParts;
      // The parts' bytes count as written, though LevelDB gets only their pointers.
      bytes = rec.putBytes + parts.byteLength;
      rec.put(checkpointKey(), encodeCheckpoint(record));
      for (let s = prevSeq + 1; s <= seq; s++) rec.del(changeLogKey(s));
      keyCount = rec.length;
      this.lastRecordBytes = rec.bytes().length;
      this.lastRecordKeys = takenKeys;
      // No later batch writes a key of this one (state and checkpoint keys, change-log records
      // up to `seq`, all durable before the barrier read it): DML commits may go first. It is
      // handed to LevelDB while its parts are written, and written once they are durable.
      const after = parts.write();
      // Settled only once the parts' write has: the next checkpoint's parts go after them.
      const settled = () => after.catch(() => {});
      if (scans.length === 0) return this.db.write(rec, { mayBeOvertaken: true, after }).finally(settled);
      return Promise.all(scans).then((lists) => {
        // Deletes of dropped partial tables first: a table recreated with the same id writes after them.
        const first = new BatchRecord();
        for (const keys of lists) for (const key of keys) first.del(key);
        first.append(rec);
        rec.recycle();
        return this.db.write(first, { mayBeOvertaken: true, after });
      }).finally(settled);
    });
    return write.then(
      () => {
        parts.commit();
        this.durableEpoch = epoch;
        for (let i = 0; i < segments.length; i++) applySegmentWrite(segments[i], kept[i]);
        for (let i = 0; i < overlays.length; i++) applyOverlayWrite(overlays[i], epoch, overlayParts[i]);
        for (const p of taken) if (p.round > this.appliedRound) this.appliedRound = p.round;
        this.startCleaning();
        this.startSweeping();
        this._lastCheckpoint = record;
        this._lastStats = { epoch, time: record.time, keys: keyCount, bytes, durationMs: performance.now() - started };
        this._checkpointsTaken++;
        this.lastError = null;
        this.notifyWaiters(epoch);
        this.maybeEvict();
      },
      (e: unknown) => {
        parts.abandon();
        // Nothing was written: the keys, drops and log records go into the next checkpoint.
        this.dropScans = scans.concat(this.dropScans);
        this.segmentDrops = segmentDrops.concat(this.segmentDrops);
        this.overlayDrops = overlayDrops.concat(this.overlayDrops);
        for (const [id, keys] of retried) this.requeue(id, keys);
        for (const p of taken) this.requeue(p.tableId, p.keys);
        for (const [id, keys] of drops) {
          const merged = this.drops.get(id);
          if (merged) for (const k of keys) merged.add(k);
          else this.drops.set(id, keys);
        }
        this.lastSeq = prevSeq;
        this.lastInfo = prevInfo;
        this.forced = true; // retry at the next commit
        // Reported, not thrown: the barrier manager chains commits, and a rejected commit
        // would fail every later FLUSH. DML durability does not depend on checkpoints.
        this.lastError = `checkpoint of epoch ${epoch} failed: ${e instanceof Error ? e.message : String(e)}`;
        this.onError(this.lastError);
      },
    );
  }
}

/** Time a sweep of overlay segments runs before it yields to the event loop, ms (checked between segments). */
const SWEEP_SLICE_MS = 2;

/** Time a checkpoint encodes before it yields to the event loop, ms (checked every 256 rows). */
const ENCODE_SLICE_MS = 8;

/**
 * Encodes the published rows a checkpoint took into `rec`, `sliceMs` at a time with a turn
 * of the event loop between slices. At ~5 state rows per ingested event a one-second
 * checkpoint of a busy pipeline holds hundreds of thousands of rows: encoded in one go that
 * was a stall of tens to hundreds of milliseconds every second for every query, DML ack and
 * source read on this thread. Slices are timed, not counted: under a saturating load each
 * turn of the loop also runs a chunk of ingest, and many small slices made the checkpoint
 * (and the eviction that waits for it) take seconds. The rows are the values as of the checkpoint's epoch and stay
 * so while later epochs run: stored rows are never changed in place (a write stores a new
 * row; the store's committed view relies on the same rule).
 */
async function encodeTaken(
  rec: BatchRecord,
  parts: PartBatch,
  taken: PublishedKeys[],
  segments: readonly SegmentWrite[],
  overlays: readonly OverlayWrite[],
  epoch: number,
  sliceMs: number,
): Promise<{ segments: SegmentInfo[][]; overlayParts: number[] }> {
  let since = performance.now();
  const yieldIfDue = (): Promise<void> | null => {
    if (performance.now() - since <= sliceMs) return null;
    return new Promise<void>((r) => setImmediate(r)).then(() => {
      since = performance.now();
    });
  };
  for (const { tableId, keys, rows } of taken) {
    const prefix = stateKeyPrefix(tableId);
    for (let i = 0; i < keys.length; i++) {
      rec.putRow(prefix, keys[i], rows[i]);
      if ((i & 255) === 255) {
        const y = yieldIfDue();
        if (y !== null) await y;
      }
    }
  }
  const kept: SegmentInfo[][] = [];
  for (const w of segments) kept.push(await encodeSegment(rec, parts, epoch, w, yieldIfDue));
  const overlayParts: number[] = [];
  for (const w of overlays) overlayParts.push(await encodeOverlay(rec, parts, epoch, w, yieldIfDue));
  return { segments: kept, overlayParts };
}

/** The take of a table that has none this checkpoint (overlays.ts). */
const NO_TAKE: OverlayTake = { keys: [], rows: [], prevRounds: [], round: 0 };
