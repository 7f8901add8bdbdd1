/**
 * Uploads checkpoints to the object store (format.ts). It records every LevelDB batch as
 * it becomes durable (Db's listener) and, every `intervalMs`, uploads what was written
 * since the last upload as one delta object plus a manifest naming the base and all
 * deltas since. The first upload of a process whose local data is ahead of the object
 * store, and any upload after the deltas have grown past the base, is a new base: a full
 * copy of the database taken between two batches (a consistent snapshot), which also
 * compacts the chain. After each upload, manifests beyond the `history` newest are deleted,
 * and so are the objects no kept manifest names.
 *
 * The image an upload describes is the LevelDB as of one batch: tables, catalog, the last
 * stream checkpoint's MV state and the change log after it — exactly what a local restart
 * recovers from, so a node restored from the object store recovers the same way.
 *
 * Failures (store unavailable) are logged and retried at the next interval; the batches
 * not yet uploaded stay in memory until then. Local durability never waits for uploads.
 */
import type { Db } from '../db';
import type { ObjectStore } from './api';
import {
  DATA_PREFIX,
  MANIFEST_PREFIX,
  type Manifest,
  type ManifestObject,
  ObjectWriter,
  manifestKey,
  parseManifest,
  sha256Parts,
} from './format';

export interface UploaderOptions {
  /** Time between uploads, ms (default 1000). */
  readonly intervalMs?: number;
  /** Manifests kept (default 5): older ones and the objects only they name are deleted. */
  readonly history?: number;
  /** Largest base object part, bytes (default 16 MiB). */
  readonly partBytes?: number;
  readonly log?: (msg: string) => void;
}

export interface UploadStatus {
  readonly objectStore: string;
  readonly lastManifest: Manifest | null;
  readonly lastUploadAt: number | null;
  readonly lastError: string | null;
  /** Bytes written locally and not yet uploaded. */
  readonly pendingBytes: number;
}

/**
 * A new base once the deltas since the last one exceed this many times its size. A base is
 * a full copy of the database read entry by entry on the engine's thread; at a ratio of 1
 * a busy ingest (deltas ~10 MiB/s, mostly the same keys rewritten) copied a ~100 MiB
 * database every few seconds, as many bytes as the deltas themselves. At 3 the copying is
 * a third of that, and a restore from the store reads at most four times the database.
 */
const DELTAS_PER_BASE = 3;

/** Entries per read of a base's copy, at most (Db.iterator bounds each read's bytes). */
const BASE_READ_ENTRIES = 65_536;

export class CheckpointUploader {
  private journal: Buffer[] = [];
  private journalBytes = 0;
  private journalWseq = 0;
  /** Objects of the last manifest written (null: the next upload must be a base). */
  private chain: ManifestObject[] | null = null;
  private chainWseq = 0;
  private baseBytes = 0;
  private deltaBytes = 0;
  private gen = 0;
  private readonly manifests = new Map<string, Manifest>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  /** close() has returned: an upload still running fails once the database closes under it. */
  private stopped = false;
  private lastManifest: Manifest | null = null;
  private lastUploadAt: number | null = null;
  private lastError: string | null = null;
  private readonly intervalMs: number;
  private readonly history: number;
  private readonly partBytes: number;
  private readonly log: (msg: string) => void;

  constructor(
    readonly store: ObjectStore,
    private readonly db: Db,
    private readonly checkpointOf: () => { epoch: number; time: number } | null,
    opts: UploaderOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.history = Math.max(1, opts.history ?? 5);
    this.partBytes = opts.partBytes ?? 16 << 20;
    this.log = opts.log ?? (() => {});
  }

  /** Continues the object store's chain if it ends where the local data does; starts the timer. */
  async start(): Promise<void> {
    this.journalWseq = this.db.wseq;
    this.db.setListener((wseq, record) => this.record(wseq, record));
    try {
      const keys = await this.store.list(MANIFEST_PREFIX);
      if (keys.length > 0) {
        const latest = keys[keys.length - 1];
        this.gen = Number(latest.slice(MANIFEST_PREFIX.length, -'.json'.length)) || 0;
        const m = await this.readManifest(latest);
        if (m && m.wseq === this.db.wseq) {
          this.chain = [...m.objects];
          this.chainWseq = m.wseq;
          this.lastManifest = m;
          for (const o of m.objects) (o.kind === 'base' ? (this.baseBytes += o.size) : (this.deltaBytes += o.size));
        }
      }
    } catch (e) {
      this.fail(e);
    }
    // A tick finding an upload still running skips: queued behind it, every tick of a slow
    // upload (a base copying a big database) ran an upload of its own afterwards, back to
    // back, and at shutdown each failed and logged once the database closed under it.
    this.timer = setInterval(() => {
      if (!this.running) void this.uploadNow();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  status(): UploadStatus {
    return {
      objectStore: this.store.description,
      lastManifest: this.lastManifest,
      lastUploadAt: this.lastUploadAt,
      lastError: this.lastError,
      pendingBytes: this.journalBytes,
    };
  }

  private record(wseq: number, record: Buffer): void {
    this.journalWseq = wseq;
    // Nothing to journal until a base exists: the base will copy these batches anyway.
    if (this.chain === null) return;
    // The batch's own bytes (batch-record.ts), kept as they are until the next upload.
    this.journal.push(record);
    this.journalBytes += record.length;
  }

  /** Uploads now (if anything changed), after any upload in progress; resolves when done. */
  async uploadNow(): Promise<void> {
    while (this.running) await this.running;
    // close() gave up waiting (the database may be closed already): the data dir has it all.
    if (this.stopped) return;
    if (this.chain !== null && this.journalWseq === this.chainWseq) return;
    this.running = this.upload().finally(() => (this.running = null));
    await this.running;
  }

  private async upload(): Promise<void> {
    const compact = this.chain !== null && this.deltaBytes > Math.max(this.baseBytes * DELTAS_PER_BASE, 4 << 20);
    try {
      if (this.chain === null || compact) await this.uploadBase();
      else await this.uploadDelta();
      this.lastError = null;
    } catch (e) {
      this.fail(e);
      return;
    }
    try {
      await this.retain();
    } catch (e) {
      this.log(`object store ${this.store.description}: cleaning up old checkpoints failed: ${(e as Error).message}`);
    }
  }

  private async uploadDelta(): Promise<void> {
    const records = this.journal;
    const bytes = this.journalBytes;
    const wseq = this.journalWseq;
    const cutAt = Date.now();
    this.journal = [];
    this.journalBytes = 0;
    try {
      const w = new ObjectWriter('delta');
      w.append(records);
      const gen = this.gen + 1;
      const obj = await this.putObject(`${DATA_PREFIX}${String(gen).padStart(12, '0')}-delta.bin`, 'delta', w.finishParts());
      await this.putManifest(gen, wseq, cutAt, [...this.chain!, obj]);
      this.deltaBytes += obj.size;
    } catch (e) {
      // Not uploaded: the batches go back in front of those recorded meanwhile.
      this.journal = records.concat(this.journal);
      this.journalBytes += bytes;
      throw e;
    }
  }

  private async uploadBase(): Promise<void> {
    // A snapshot between two batches; the journal up to it is in the base, so it is dropped
    // (in the same synchronous step, so no batch is both in the base and in a later delta).
    // Batches from then on are journaled for the next delta (even if this base fails, in
    // which case the chain is dropped and the next upload is a base again).
    const { wseq, it, cutAt } = await this.db.atQuietPoint((w) => {
      this.journal = [];
      this.journalBytes = 0;
      this.chain ??= [];
      return { wseq: w, it: this.db.iterator(), cutAt: Date.now() };
    });
    const gen = this.gen + 1;
    const objects: ManifestObject[] = [];
    try {
      let w = new ObjectWriter('base');
      const flush = async () => {
        objects.push(await this.putObject(`${DATA_PREFIX}${String(gen).padStart(12, '0')}-base-${objects.length}.bin`, 'base', w.finishParts()));
        w = new ObjectWriter('base');
      };
      try {
        for (;;) {
          // Up to READ_AHEAD_BYTES (1 MiB) per read: the count is only an upper bound.
          const entries = await it.nextv(BASE_READ_ENTRIES);
          if (entries.length === 0) break;
          for (const [k, v] of entries) w.entry(k, v);
          if (w.size >= this.partBytes) await flush();
        }
      } finally {
        await it.close();
      }
      if (w.size > 9 || objects.length === 0) await flush();
      await this.putManifest(gen, wseq, cutAt, objects);
    } catch (e) {
      this.chain = null;
      this.journal = [];
      this.journalBytes = 0;
      throw e;
    }
    this.baseBytes = objects.reduce((n, o) => n + o.size, 0);
    this.deltaBytes = 0;
  }

  private async putObject(key: string, kind: 'base' | 'delta', parts: Buffer[]): Promise<ManifestObject> {
    const digest = await sha256Parts(parts);
    await this.store.put(key, parts);
    return { key, kind, size: parts.reduce((n, p) => n + p.length, 0), sha256: digest };
  }

  private async putManifest(gen: number, wseq: number, cutAt: number, objects: ManifestObject[]): Promise<void> {
    const m: Manifest = { format: 1, gen, wseq, createdAt: Date.now(), cutAt, checkpoint: this.checkpointOf(), objects };
    const key = manifestKey(gen);
    await this.store.put(key, Buffer.from(JSON.stringify(m), 'utf8'));
    this.manifests.set(key, m);
    this.gen = gen;
    this.chain = objects;
    this.chainWseq = wseq;
    this.lastManifest = m;
    this.lastUploadAt = m.createdAt;
  }

  /** Deletes manifests beyond the newest `history`, and objects none of the kept ones names. */
  private async retain(): Promise<void> {
    const keys = await this.store.list(MANIFEST_PREFIX);
    const kept = keys.slice(-this.history);
    const drop = keys.slice(0, Math.max(0, keys.length - this.history));
    const referenced = new Set<string>();
    for (const k of kept) {
      const m = await this.readManifest(k);
      // An unreadable manifest names nothing we know of; keep every object rather than guess.
      if (!m) return;
      for (const o of m.objects) referenced.add(o.key);
    }
    if (drop.length > 0) await this.store.delete(drop);
    for (const k of drop) this.manifests.delete(k);
    const unused = (await this.store.list(DATA_PREFIX)).filter((k) => !referenced.has(k));
    if (unused.length > 0) await this.store.delete(unused);
  }

  private async readManifest(key: string): Promise<Manifest | null> {
    const cached = this.manifests.get(key);
    if (cached) return cached;
    const body = await this.store.get(key);
    if (!body) return null;
    try {
      const m = parseManifest(key, body);
      this.manifests.set(key, m);
      return m;
    } catch {
      return null;
    }
  }

  private fail(e: unknown): void {
    if (this.stopped) {
      // The database closed under an upload that outlived close()'s wait: nothing to retry.
      this.log(
        `object store ${this.store.description}: the upload in progress at shutdown did not finish; the object store holds the previous checkpoint (the data dir has everything, and the next start uploads from it)`,
      );
      return;
    }
    const msg = `object store ${this.store.description}: upload failed (retrying): ${e instanceof Error ? e.message : String(e)}`;
    if (msg !== this.lastError) this.log(msg);
    this.lastError = msg;
  }

  /** Stops the timer and uploads what is left (bounded by `timeoutMs`). */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.uploadNow(), new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
    this.stopped = true;
    this.db.setListener(null);
  }
}
