/**
 * Part files: where checkpoints keep their large values — the ~256 KiB parts of segments
 * and overlay segments (state-store/segments.ts, overlays.ts) — beside LevelDB instead of
 * in it. LevelDB holds a 20-byte pointer under the part's key; the part's bytes are
 * appended to a file of our own. The separation of keys and values is WiscKey's (and
 * RocksDB's BlobDB).
 *
 * Why: a part handed to LevelDB is copied into its write-ahead log and memtable, then, at
 * each memtable flush, compressed and checksummed into a table, which compactions read and
 * write again until the part's delete meets it. Overlay parts mostly die within seconds, so
 * all of that is waste. With every value over 16 KiB replaced by an 8-byte stub, checkpoints
 * cost 1.8 µs of CPU per event less, two thirds of all they cost (docs/performance.md,
 * "Session 26"). A part written here costs one copy and a share of one write and one
 * fdatasync per checkpoint, on the thread pool.
 *
 * Layout: files `<n>.parts` in the LevelDB directory, numbered from 1 — there LevelDB leaves
 * them alone (it deletes only files it names), the uploader's pin links them with LevelDB's
 * own (leveldb-files/live-files.ts) and a restore writes them back (object-store/restore.ts).
 * Parts are appended back to back to the newest file, the head, with no framing: the
 * pointer says where a part is. A pointer (POINTER_BYTES):
 * `[0xff][1][file u32][offset u48][length u32][crc32 u32]`, all big-endian; a part record
 * (batch-record.ts) starts with a u32 op count far below 0xff000000, so the two never meet,
 * and values stored inline by an older build still read as they are.
 *
 * Rules:
 * - **Durable before named.** A batch's parts are written and fdatasync'ed before the
 *   LevelDB batch naming them is written (`Db.write`'s `after`): a durable pointer points at
 *   durable bytes. A crash in between leaves bytes nothing names.
 * - **Live bytes.** Every part put and delete goes through a `PartBatch`, which applies them
 *   once its LevelDB batch is durable (`commit`): the log knows each part key's location and
 *   each file's live bytes. A file that is not the head and has no live bytes is deleted.
 *   Recovery rebuilds this from the pointers LevelDB holds (`adopt`, as the state is loaded)
 *   and deletes every file none names (`sweep`).
 * - **Collection.** Once the files hold more garbage than live bytes (and more than
 *   COLLECT_SLACK_BYTES), the least live file other than the head, if under half live, is
 *   read back in the background (`collect`), and the next batch writes its live parts again,
 *   first, so that a delete of the same key in that batch wins. The file goes with the
 *   batch's commit. The files thus hold at most about twice the live bytes plus the slack
 *   and the head.
 * - **A new head after a restart.** A head may end in bytes of a batch that never became
 *   durable; nothing is appended after them.
 * - **One batch at a time** (the durable store writes one checkpoint at a time).
 */
import { closeSync, openSync, readSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { type FileHandle, open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { bufferPool } from '@freshet/common';
import type { BatchRecord } from './batch-record';

/** Bytes of a stored pointer. */
export const POINTER_BYTES = 20;
const MARK = 0xff;
const VERSION = 1;

/** A head past this size is sealed at the next batch. */
export const PART_FILE_BYTES = 32 << 20;

/**
 * The least a batch's chunk holds (its parts are copied into pooled chunks, each sized to
 * the last batch's bytes: usually one per batch, reused from checkpoint to checkpoint).
 */
const CHUNK_BYTES = 1 << 20;
/** …and the most it holds (but for one larger part): a bulk load's checkpoint takes several. */
const CHUNK_MAX_BYTES = 32 << 20;

/**
 * Garbage (file bytes not live) below which no file is collected, whatever the live bytes.
 * Overlay parts die within seconds to minutes (overlays.ts), so a file soon after it is
 * sealed is partly live only for a while: collecting it then copies parts that die
 * anyway (at 100,000 users, a tenth of all part bytes written, and more scavenges).
 */
export const COLLECT_SLACK_BYTES = 256 << 20;

/** The name of part file `n` (`000007.parts`). */
export function partFileName(n: number): string {
  return `${String(n).padStart(6, '0')}.parts`;
}

const PART_FILE = /^(\d+)\.parts$/;

/** The number of a part file's name, or null if it is not one. */
export function partFileNumber(name: string): number | null {
  const m = PART_FILE.exec(name);
  return m ? Number(m[1]) : null;
}

/** Where a part is. */
interface Loc {
  readonly file: number;
  readonly offset: number;
  readonly length: number;
  readonly crc: number;
}

/** Whether a stored value is a pointer into the part files (else the value itself). */
export function isPartPointer(value: Buffer): boolean {
  return value.length === POINTER_BYTES && value[0] === MARK && value[1] === VERSION;
}

function encodePointer(l: Loc): Buffer {
  const b = Buffer.allocUnsafe(POINTER_BYTES);
  b[0] = MARK;
  b[1] = VERSION;
  b.writeUInt32BE(l.file, 2);
  b.writeUIntBE(l.offset, 6, 6);
  b.writeUInt32BE(l.length, 12);
  b.writeUInt32BE(l.crc, 16);
  return b;
}

function decodePointer(b: Buffer): Loc {
  return { file: b.readUInt32BE(2), offset: b.readUIntBE(6, 6), length: b.readUInt32BE(12), crc: b.readUInt32BE(16) };
}

/** A part file's live bytes and size. */
interface FileInfo {
  live: number;
  size: number;
}

/** The live parts of a file being collected, read back (`PartLog.collect`). */
interface Collected {
  readonly file: number;
  /** `bytes`: a view of `buf`, a pooled buffer (given back by `releaseCollected`). */
  readonly parts: { readonly key: string; readonly loc: Loc; readonly bytes: Buffer; readonly buf: Buffer }[];
}

/** Fills `bytes` from the file at `offset`, as far as the file goes; returns the bytes read. */
async function readAt(h: FileHandle, bytes: Buffer, offset: number): Promise<number> {
  let got = 0;
  while (got < bytes.length) {
    const { bytesRead } = await h.read(bytes, got, bytes.length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

function releaseCollected(c: Collected): void {
  for (const p of c.parts) bufferPool.give(p.buf);
  c.parts.length = 0;
}

export class PartLog {
  /** Committed part keys (latin1) → where their parts are. */
  private readonly live = new Map<string, Loc>();
  private readonly files = new Map<number, FileInfo>();
  private head = 0;
  private headSize = 0;
  private headHandle: FileHandle | null = null;
  /** The head's directory entry has been fsynced. */
  private headNamed = false;
  private batch: PartBatch | null = null;
  /** A file whose live parts were read back, for the next batch to write again. */
  private collected: Collected | null = null;
  private collecting = false;
  /** Sync reads' descriptors while the state is loaded (closed by `sweep`). */
  private readonly fds = new Map<number, number>();
  /** Files deleted since the start (tests, diagnostics). */
  deletedFiles = 0;
  /** Where failures of the background work (deletes, collection reads) are reported. */
  onError: (msg: string) => void = (msg) => console.error(msg);

  /** Bytes of the parts the last batch wrote (its chunks are sized from it). */
  lastBatchBytes = 0;

  constructor(
    readonly dir: string,
    private readonly fileBytes = PART_FILE_BYTES,
    private readonly collectSlack = COLLECT_SLACK_BYTES,
  ) {}

  /** Lists the part files (the directory exists: LevelDB has opened it). */
  open(): void {
    this.live.clear();
    this.files.clear();
    this.collected = null;
    let max = 0;
    for (const name of readdirSync(this.dir)) {
      const n = partFileNumber(name);
      if (n === null) continue;
      this.files.set(n, { live: 0, size: statSync(join(this.dir, name)).size });
      max = Math.max(max, n);
    }
    // Never appended to: a crash may have left bytes of a batch that was never durable at its end.
    this.head = max + 1;
    this.headSize = 0;
    this.headNamed = false;
  }

  /**
   * The bytes a value stored under `key` stands for, read synchronously (while the state is
   * loaded): a pointer's part, which becomes live, or the value itself.
   */
  adopt(key: Buffer, value: Buffer): Buffer {
    if (!isPartPointer(value)) return value;
    const loc = decodePointer(value);
    const bytes = this.readSync(loc);
    this.setLive(key.toString('latin1'), loc);
    return bytes;
  }

  /** Deletes every file no adopted pointer names; closes the reads' descriptors. */
  sweep(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    for (const [n, f] of this.files) if (f.live === 0) this.unlink(n);
  }

  /** The bytes a stored value stands for (a pointer's part, or the value itself). */
  async read(value: Buffer): Promise<Buffer> {
    if (!isPartPointer(value)) return value;
    const loc = decodePointer(value);
    const h = await openFile(join(this.dir, partFileName(loc.file)), 'r');
    try {
      const bytes = Buffer.allocUnsafe(loc.length);
      return this.checked(loc, bytes, await readAt(h, bytes, loc.offset));
    } finally {
      await h.close();
    }
  }

  /** The bytes a stored value stands for, read synchronously. */
  readValueSync(value: Buffer): Buffer {
    return isPartPointer(value) ? this.readSync(decodePointer(value)) : value;
  }

  private readSync(loc: Loc): Buffer {
    let fd = this.fds.get(loc.file);
    if (fd === undefined) {
      try {
        fd = openSync(join(this.dir, partFileName(loc.file)), 'r');
      } catch (e) {
        throw new Error(`part file ${partFileName(loc.file)} in ${this.dir} is missing (${(e as Error).message}); a stored pointer names it`);
      }
      this.fds.set(loc.file, fd);
    }
    const bytes = Buffer.allocUnsafe(loc.length);
    let got = 0;
    while (got < loc.length) {
      const n = readSync(fd, bytes, got, loc.length - got, loc.offset + got);
      if (n === 0) break;
      got += n;
    }
    return this.checked(loc, bytes, got);
  }

  private checked(loc: Loc, bytes: Buffer, got: number): Buffer {
    const where = `part file ${partFileName(loc.file)} in ${this.dir}, bytes ${loc.offset}–${loc.offset + loc.length}`;
    if (got < loc.length) throw new Error(`${where}: truncated (read ${got} of ${loc.length} bytes)`);
    if (crc32(bytes) >>> 0 !== loc.crc) throw new Error(`${where}: checksum mismatch (the file is corrupt)`);
    return bytes;
  }

  /**
   * Starts the part writes of one LevelDB batch, `rec`: first the live parts of a file read
   * back for collection, so that a delete of one of those keys later in `rec` wins.
   */
  begin(rec: BatchRecord): PartBatch {
    if (this.batch !== null) throw new Error('part log: a batch is already open');
    if (this.headSize >= this.fileBytes) this.seal();
    const b = new PartBatch(this, this.head, this.headSize);
    this.batch = b;
    const c = this.collected;
    this.collected = null;
    if (c !== null) {
      for (const p of c.parts) {
        // Only if the key still points where it was read from (it may have died or moved since).
        if (this.live.get(p.key) === p.loc) b.put(rec, Buffer.from(p.key, 'latin1'), p.bytes);
      }
      releaseCollected(c);
    }
    return b;
  }

  /** Appends a batch's chunks to the head at `at` and makes them durable. */
  async write(head: number, at: number, chunks: readonly Buffer[], used: readonly number[]): Promise<void> {
    if (head !== this.head) throw new Error('part log: the head moved under a batch');
    try {
      if (this.headHandle === null) this.headHandle = await openFile(join(this.dir, partFileName(head)), 'a');
      let pos = at;
      for (let i = 0; i < chunks.length; i++) {
        let done = 0;
        while (done < used[i]) {
          const { bytesWritten } = await this.headHandle.write(chunks[i], done, used[i] - done, pos);
          done += bytesWritten;
          pos += bytesWritten;
        }
      }
      await this.headHandle.datasync();
      if (!this.headNamed) {
        // A new file's name is durable only once its directory is (on the thread pool: a
        // directory's fsync commits the file system's journal, milliseconds at times).
        const d = await openFile(this.dir, 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
        this.headNamed = true;
      }
      this.headSize = pos;
      const f = this.files.get(head);
      if (f) f.size = pos;
      else this.files.set(head, { live: 0, size: pos });
    } catch (e) {
      // What reached the file is unknown: later batches go to a new head.
      this.headSize = this.fileBytes;
      throw e;
    }
  }

  /** A batch's LevelDB batch is durable: its puts and deletes take effect, in order. */
  applyCommitted(b: PartBatch, ops: readonly (readonly [string, Loc | null])[]): void {
    if (this.batch === b) this.batch = null;
    for (const [key, loc] of ops) this.setLive(key, loc);
    for (const [n, f] of this.files) if (f.live === 0 && n !== this.head) this.unlink(n);
    this.collect();
  }

  /** A batch failed: its parts are garbage in the head. */
  abandoned(b: PartBatch): void {
    if (this.batch === b) this.batch = null;
  }

  /** Part key `key` is now at `loc` (null: gone): the files' live bytes follow. */
  private setLive(key: string, loc: Loc | null): void {
    const old = this.live.get(key);
    if (old !== undefined) {
      const f = this.files.get(old.file);
      if (f) f.live -= old.length;
    }
    if (loc === null) {
      this.live.delete(key);
      return;
    }
    this.live.set(key, loc);
    const f = this.files.get(loc.file);
    if (f) f.live += loc.length;
  }

  private seal(): void {
    const h = this.headHandle;
    this.headHandle = null;
    if (h) void h.close().catch(() => {});
    const f = this.files.get(this.head);
    if (f && f.live === 0) this.unlink(this.head);
    this.head++;
    this.headSize = 0;
    this.headNamed = false;
  }

  private unlink(n: number): void {
    if (this.collected?.file === n) {
      releaseCollected(this.collected);
      this.collected = null;
    }
    this.files.delete(n);
    try {
      unlinkSync(join(this.dir, partFileName(n)));
      this.deletedFiles++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(`part log: deleting ${partFileName(n)} failed: ${(e as Error).message}`);
    }
  }

  /**
   * Reads back the live parts of the least live file under half live, if none is being read
   * and the files hold more garbage than live bytes (and than the slack).
   */
  private collect(): void {
    if (this.collecting || this.collected !== null) return;
    const { liveBytes, fileBytes } = this.stats();
    if (fileBytes - liveBytes < Math.max(this.collectSlack, liveBytes)) return;
    let victim = -1;
    let ratio = 0.5;
    for (const [n, f] of this.files) {
      if (n === this.head || f.size === 0) continue;
      const r = f.live / f.size;
      if (r < ratio) {
        ratio = r;
        victim = n;
      }
    }
    if (victim < 0) return;
    const wanted: [string, Loc][] = [];
    for (const [k, loc] of this.live) if (loc.file === victim) wanted.push([k, loc]);
    this.collecting = true;
    void this.readBack(victim, wanted).then(
      (c) => {
        this.collecting = false;
        if (this.files.has(victim)) this.collected = c;
        else releaseCollected(c);
      },
      (e: unknown) => {
        this.collecting = false;
        // Deleted meanwhile (its last part died): nothing to collect.
        if (this.files.has(victim)) this.onError(`part log: reading ${partFileName(victim)} back for collection failed: ${(e as Error).message}`);
      },
    );
  }

  private async readBack(file: number, wanted: readonly [string, Loc][]): Promise<Collected> {
    const h = await openFile(join(this.dir, partFileName(file)), 'r');
    try {
      const parts: Collected['parts'][number][] = [];
      try {
        for (const [key, loc] of wanted) {
          // Pooled: copied into the collecting batch's chunk, then given back (buffer-pool.ts).
          const buf = bufferPool.take(loc.length);
          const bytes = buf.subarray(0, loc.length);
          parts.push({ key, loc, bytes, buf });
          this.checked(loc, bytes, await readAt(h, bytes, loc.offset));
        }
      } catch (e) {
        releaseCollected({ file, parts });
        throw e;
      }
      return { file, parts };
    } finally {
      await h.close();
    }
  }

  /** Files and their live and total bytes (tests, diagnostics). */
  stats(): { files: number; liveBytes: number; fileBytes: number; liveParts: number } {
    let liveBytes = 0;
    let fileBytes = 0;
    for (const f of this.files.values()) {
      liveBytes += f.live;
      fileBytes += f.size;
    }
    return { files: this.files.size, liveBytes, fileBytes, liveParts: this.live.size };
  }

  async close(): Promise<void> {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    const h = this.headHandle;
    this.headHandle = null;
    await h?.close();
  }
}

/**
 * The part puts and deletes of one LevelDB batch: `put` copies a part into the batch's
 * chunks and puts a pointer to where it will be; `write` makes the chunks durable (before
 * the LevelDB batch is written); `commit` or `abandon` once that batch is durable or failed.
 */
export class PartBatch {
  private readonly ops: [string, Loc | null][] = [];
  private readonly chunks: Buffer[] = [];
  private readonly used: number[] = [];
  private bytes = 0;
  private writing: Promise<void> | null = null;
  private done = false;

  constructor(
    private readonly log: PartLog,
    private readonly head: number,
    private readonly at: number,
  ) {}

  /** Bytes of the parts put. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Puts `bytes` (copied) under `key` in `rec`, as a pointer. */
  put(rec: BatchRecord, key: Buffer, bytes: Uint8Array): void {
    const n = bytes.length;
    let i = this.chunks.length - 1;
    if (i < 0 || this.chunks[i].length - this.used[i] < n) {
      const size = Math.min(CHUNK_MAX_BYTES, Math.max(CHUNK_BYTES, Math.ceil(this.log.lastBatchBytes * 1.25)));
      this.chunks.push(bufferPool.take(Math.max(size, n)));
      this.used.push(0);
      i++;
    }
    const chunk = this.chunks[i];
    chunk.set(bytes, this.used[i]);
    const loc: Loc = { file: this.head, offset: this.at + this.bytes, length: n, crc: crc32(chunk.subarray(this.used[i], this.used[i] + n)) >>> 0 };
    this.used[i] += n;
    this.bytes += n;
    this.ops.push([key.toString('latin1'), loc]);
    rec.put(key, encodePointer(loc));
  }

  /** Deletes the part under `key` in `rec`. */
  del(rec: BatchRecord, key: Buffer): void {
    this.ops.push([key.toString('latin1'), null]);
    rec.del(key);
  }

  /**
   * Writes the parts put so far to the head and fdatasyncs it (nothing to do without parts).
   * Once only; the batch must not be committed or abandoned before this settles, since the
   * next batch appends after it.
   */
  write(): Promise<void> {
    if (this.writing === null) {
      this.log.lastBatchBytes = this.bytes;
      this.writing = (this.bytes > 0 ? this.log.write(this.head, this.at, this.chunks, this.used) : Promise.resolve()).finally(() => this.release());
    }
    return this.writing;
  }

  /** The LevelDB batch is durable. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    this.log.applyCommitted(this, this.ops);
  }

  /** The LevelDB batch failed (or was never written). */
  abandon(): void {
    if (this.done) return;
    this.done = true;
    if (this.writing === null) this.release();
    this.log.abandoned(this);
  }

  private release(): void {
    for (const c of this.chunks) bufferPool.give(c);
    this.chunks.length = 0;
    this.used.length = 0;
  }
}
