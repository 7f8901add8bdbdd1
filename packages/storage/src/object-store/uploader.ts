/**
 * Uploads checkpoints to the object store (format.ts). Every `intervalMs`, if the database
 * changed since the last upload, it pins a crash-consistent image of the LevelDB's files —
 * hard links, taken without stopping LevelDB (leveldb-files/live-files.ts) — and uploads
 * what the store lacks of it: the table files LevelDB wrote since the last upload, and what
 * each write-ahead log and part file (part-log.ts) gained; then a manifest naming every
 * object of the image. A table
 * LevelDB keeps is named again by later manifests, not uploaded again. After each upload,
 * manifests beyond the `history` newest are deleted, and so are the objects no kept
 * manifest names.
 *
 * The image holds every batch durable before the pin (and maybe some after it): tables,
 * catalog, the last stream checkpoint's MV state and the change log after it — exactly
 * what a local restart recovers from, so a node restored from the object store recovers
 * the same way, through LevelDB's own recovery of its logs.
 *
 * Nothing is copied on the engine's thread: the bytes come from LevelDB's files (a base
 * once read the whole database entry by entry, and every batch was kept in memory until
 * its delta was uploaded: ~14 µs of CPU per ingested event, docs/performance.md).
 * Failures (store unavailable) are logged and retried at the next interval; what is not
 * uploaded stays in LevelDB's files meanwhile. Local durability never waits for uploads.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bufferPool } from '@freshet/common';
import type { Db } from '../db';
import { LiveLevelFiles, type PinnedImage } from '../leveldb-files/live-files';
import type { TableFile } from '../leveldb-files/manifest';
import type { ObjectStore } from './api';
import {
  DATA_PREFIX,
  type LogObject,
  MANIFEST_FORMAT,
  MANIFEST_PREFIX,
  type Manifest,
  type ManifestObject,
  type TableObject,
  hashFile,
  manifestKey,
  parseManifest,
} from './format';

export interface UploaderOptions {
  /** Time between uploads, ms (default 1000). */
  readonly intervalMs?: number;
  /** Manifests kept (default 5): older ones and the objects only they name are deleted. */
  readonly history?: number;
  readonly log?: (msg: string) => void;
}

export interface UploadStatus {
  readonly objectStore: string;
  readonly lastManifest: Manifest | null;
  readonly lastUploadAt: number | null;
  readonly lastError: string | null;
  /**
   * Bytes of batches written locally since the image last uploaded (0 once the store holds
   * the local data; at least 1 while it lags, also by batches a previous process wrote).
   */
  readonly pendingBytes: number;
}

/** Where pins are made, inside the data dir (hard links need the database's file system). */
const PIN_DIR = 'checkpoint-pin';

/** A table object's key range as the manifest keeps it. */
const keyRange = (f: TableFile) => ({ smallest: f.smallest.toString('base64'), largest: f.largest.toString('base64') });

export class CheckpointUploader {
  private readonly files: LiveLevelFiles;
  private readonly pinDir: string;
  /** Names this process's objects: a restored copy of the database numbers its files anew. */
  private readonly run = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  /** Table objects in the store, by file name: those the last manifest names (and any uploaded since). */
  private tables = new Map<string, TableObject>();
  /** The uploaded parts of each log the last manifest names, by log name, in order. */
  private logs = new Map<string, LogObject[]>();
  /** Write sequence of the image last uploaded (-1: none yet, or the store's is not the local data's). */
  private uploadedWseq = -1;
  /** `db.writtenBytes` when that image was pinned. */
  private uploadedBytes = 0;
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
  private readonly log: (msg: string) => void;

  constructor(
    readonly store: ObjectStore,
    private readonly db: Db,
    private readonly checkpointOf: () => { epoch: number; time: number } | null,
    opts: UploaderOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.history = Math.max(1, opts.history ?? 5);
    this.log = opts.log ?? (() => {});
    this.files = new LiveLevelFiles(db.location);
    this.pinDir = join(db.dataDir, PIN_DIR);
  }

  /**
   * Learns what the store holds (the newest manifest: its generation, and tables it names
   * that the local database still has), then starts the timer.
   */
  async start(): Promise<void> {
    rmSync(this.pinDir, { recursive: true, force: true }); // a pin left by a crash
    try {
      const keys = await this.store.list(MANIFEST_PREFIX);
      if (keys.length > 0) {
        const latest = keys[keys.length - 1];
        this.gen = Number(latest.slice(MANIFEST_PREFIX.length, -'.json'.length)) || 0;
        const m = await this.readManifest(latest);
        if (m) {
          // Candidates only: a table is taken as the local one if number, size and key
          // range (internal keys, with their sequence numbers) all match (see `holds`).
          for (const o of m.objects) if (o.kind === 'table') this.tables.set(o.name, o);
          if (m.wseq === this.db.wseq) {
            // The store already holds this data (a clean restart): nothing to upload until it changes.
            this.uploadedWseq = m.wseq;
            this.lastManifest = m;
          }
        }
      }
    } catch (e) {
      this.fail(e);
    }
    // A tick finding an upload still running skips: queued behind it, every tick of a slow
    // upload ran an upload of its own afterwards, back to back.
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
      pendingBytes: this.uploadedWseq === this.db.wseq ? 0 : Math.max(1, this.db.writtenBytes - this.uploadedBytes),
    };
  }

  /** Uploads now (if anything changed), after any upload in progress; resolves when done. */
  async uploadNow(): Promise<void> {
    while (this.running) await this.running;
    // close() gave up waiting (the database may be closed already): the data dir has it all.
    if (this.stopped) return;
    if (this.uploadedWseq === this.db.wseq) return;
    this.running = this.upload().finally(() => (this.running = null));
    await this.running;
  }

  private async upload(): Promise<void> {
    try {
      await this.uploadImage();
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

  /** The store's object for table `name` if it is the local file `f` (see `start`). */
  private holds(name: string, f: TableFile): TableObject | null {
    const o = this.tables.get(name);
    if (!o || o.number !== f.number || o.size !== f.size) return null;
    const r = keyRange(f);
    return o.smallest === r.smallest && o.largest === r.largest ? o : null;
  }

  private async uploadImage(): Promise<void> {
    // Read before the pin: every batch numbered up to here is in LevelDB's files by then.
    const wseq = this.db.wseq;
    const written = this.db.writtenBytes;
    const cutAt = Date.now();
    const image = this.files.pin(this.pinDir, (name, f) => this.holds(name, f) !== null);
    try {
      const objects = [...(await this.uploadTables(image)), ...(await this.uploadLogs(image))];
      const { tables: _, ...leveldb } = image.version;
      const gen = this.gen + 1;
      const m: Manifest = { format: MANIFEST_FORMAT, gen, wseq, createdAt: Date.now(), cutAt, checkpoint: this.checkpointOf(), leveldb, objects };
      const key = manifestKey(gen);
      await this.store.put(key, Buffer.from(JSON.stringify(m), 'utf8'));
      this.manifests.set(key, m);
      this.gen = gen;
      this.lastManifest = m;
      this.lastUploadAt = m.createdAt;
      this.uploadedWseq = wseq;
      this.uploadedBytes = written;
    } finally {
      rmSync(this.pinDir, { recursive: true, force: true });
    }
  }

  /** The image's tables as objects, uploading those the store lacks. */
  private async uploadTables(image: PinnedImage): Promise<TableObject[]> {
    const out: TableObject[] = [];
    const kept = new Map<string, TableObject>();
    for (const t of image.tables) {
      let o = this.holds(t.name, t.file);
      if (!o) {
        const { size, sha256 } = await hashFile(t.path!);
        if (size !== t.file.size) throw new Error(`LevelDB table ${t.name} has ${size} bytes, its MANIFEST says ${t.file.size}`);
        const key = `${DATA_PREFIX}${this.run}/${t.name}`;
        await this.store.putFile(key, t.path!);
        o = { key, kind: 'table', name: t.name, size, sha256, level: t.file.level, number: t.file.number, ...keyRange(t.file) };
      }
      // A compaction may move a table to the next level whole: the level is the image's.
      if (o.level !== t.file.level) o = { ...o, level: t.file.level };
      kept.set(t.name, o);
      out.push(o);
    }
    this.tables = kept;
    return out;
  }

  /**
   * The image's appended files — LevelDB's logs and the part files — as objects: the pieces
   * uploaded before, and a new one for what each gained.
   */
  private async uploadLogs(image: PinnedImage): Promise<LogObject[]> {
    const out: LogObject[] = [];
    const kept = new Map<string, LogObject[]>();
    for (const l of [...image.logs, ...image.parts]) {
      const parts = [...(this.logs.get(l.name) ?? [])];
      const last = parts[parts.length - 1];
      const from = last ? last.offset + last.size : 0;
      // The pin links the file that is appended to: it may have grown since, but only up to
      // its size at the pin is it consistent with the rest of the image (live-files.ts). A
      // torn last record there is dropped by LevelDB's recovery.
      const size = l.size;
      if (size > from) {
        const buf = bufferPool.take(size - from);
        const { sha256, body } = await hashFile(l.path, from, size - from, buf);
        const key = `${DATA_PREFIX}${this.run}/${l.name}.${from}`;
        await this.store.put(key, body!);
        // Given back only once stored: a failed request might still be sending it.
        bufferPool.give(buf);
        parts.push({ key, kind: 'log', name: l.name, offset: from, size: size - from, sha256 });
      }
      kept.set(l.name, parts);
      out.push(...parts);
    }
    this.logs = kept;
    return out;
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
  }
}
