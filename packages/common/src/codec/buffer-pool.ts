/**
 * Buffers lent to writers that give them back once done: storage's batch records once
 * LevelDB has written them, and its checkpoint uploader's reads of LevelDB's files.
 *
 * Why not let the GC have them: every Buffer's bytes live outside V8's heap, and V8 starts a
 * full mark of the heap whenever that outside memory grows 64 MiB past what the last full
 * collection left. A checkpoint's record is megabytes and lives through its LevelDB write,
 * long enough to be promoted, so it stays counted until a full collection; new records every
 * second started one every few seconds. On the seed pipeline at 100,000 users 25 of 31
 * full marks in a 2M-event run were started that way, and with millions of state rows on
 * the heap each one costs seconds of CPU (docs/performance.md, session 17). Reused buffers
 * leave that outside memory flat.
 *
 * A buffer given back must not be referenced by anything else any more (no views of it
 * kept): its next borrower overwrites it.
 */
export class BufferPool {
  /** Idle buffers, shortest first. */
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  /**
   * `maxBuffers`, `maxBytes`: the most idle buffers, and idle bytes, kept; beyond them the
   * shortest go to the GC (a buffer larger than `maxBytes` is never kept).
   */
  constructor(
    readonly maxBuffers = 8,
    private maxBytes = 64 << 20,
  ) {}

  /** Lowers (or raises) the idle bytes kept, dropping idle buffers over it now. */
  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.trim();
  }

  /** Idle buffers and their bytes (tests, diagnostics). */
  get idle(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.freeBytes };
  }

  /**
   * A buffer of at least `min` bytes: the shortest idle one that fits, unless that is
   * far too long (it is kept for a big borrower), else a new one of the next power of two,
   * so that buffers fit borrowers of similar sizes.
   */
  take(min: number): Buffer {
    const free = this.free;
    for (let i = 0; i < free.length; i++) {
      const b = free[i];
      if (b.length < min) continue;
      if (b.length > 8 * min + (256 << 10)) break;
      free.splice(i, 1);
      this.freeBytes -= b.length;
      return b;
    }
    let size = 4096;
    while (size < min) size *= 2;
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives `buf` back (see the class comment: nothing may hold a view of it). */
  give(buf: Buffer): void {
    if (buf.length === 0 || buf.length > this.maxBytes) return;
    const free = this.free;
    let i = free.length;
    while (i > 0 && free[i - 1].length > buf.length) i--;
    free.splice(i, 0, buf);
    this.freeBytes += buf.length;
    this.trim();
  }

  private trim(): void {
    const free = this.free;
    while (free.length > this.maxBuffers || this.freeBytes > this.maxBytes) this.freeBytes -= free.shift()!.length;
  }
}

/** The process's pool: storage's batch records and the checkpoint uploader's file reads. */
export const bufferPool = new BufferPool();
