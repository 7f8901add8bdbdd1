/**
 * Buffers lent to writers that give them back once done: storage's batch records once
 * LevelDB has written them, and its checkpoint uploader's reads of LevelDB's files.
 *
 * Why not let the GC have them: every Buffer's bytes live outside V8's heap, and V8 counts
 * them twice against its collections.
 * - While the Buffer is young, every ~32 MiB of new outside bytes forces a scavenge ("external
 *   memory pressure" in `--trace-gc`), however large the young generation: measured on
 *   Node 20, one per 33 MB of new typed arrays with 512 MiB semi-spaces. A scavenge copies
 *   everything young that is still alive, so an early one costs about as much as a due one.
 * - Once promoted, it counts towards the 64 MiB of outside growth past the last full
 *   collection that starts a full mark of the heap. A checkpoint's record is megabytes and
 *   lives through its LevelDB write, long enough to be promoted: new records every second
 *   started 25 of 31 full marks in a 2M-event run at 100,000 users, each costing seconds of
 *   CPU with millions of state rows on the heap (docs/performance.md, session 17).
 * Reused buffers are old and already counted: they leave both flat.
 *
 * Idle buffers are kept by size class (powers of two), a few per class, so that the many
 * small buffers of DML commits and the few large ones of checkpoints do not push each other
 * out. With one list of eight, 413 of a 500,000-event ingest's ~1,000 commit records were
 * allocated anew while checkpoints held the pool (docs/performance.md, session 25).
 *
 * A buffer given back must not be referenced by anything else any more (no views of it
 * kept): its next borrower overwrites it.
 */
export class BufferPool {
  /** Idle buffers by size class: class `c` holds buffers of 2^c to 2^(c+1) − 1 bytes. */
  private readonly classes: Buffer[][] = [];
  private freeBuffers = 0;
  private freeBytes = 0;

  /**
   * `perClass`: the most idle buffers kept per size class; `maxBytes`: the most idle bytes
   * kept in all (beyond it the shortest go to the GC; a buffer larger than `maxBytes` is
   * never kept).
   */
  constructor(
    readonly perClass = 6,
    private maxBytes = 64 << 20,
  ) {}

  /** Lowers (or raises) the idle bytes kept, dropping idle buffers over it now. */
  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.trim();
  }

  /** Idle buffers and their bytes (tests, diagnostics). */
  get idle(): { buffers: number; bytes: number } {
    return { buffers: this.freeBuffers, bytes: this.freeBytes };
  }

  /**
   * A buffer of at least `min` bytes: an idle one of the smallest class that has one and
   * fits, up to 8× `min` + 256 KiB (a far longer one is kept for a big borrower), else a new
   * one of the next power of two (at least 4 KiB), so that buffers fit borrowers of similar
   * sizes.
   */
  take(min: number): Buffer {
    if (min > MAX_POOLED) return Buffer.allocUnsafeSlow(min);
    const lo = classAtLeast(min);
    // The class below holds buffers from half to all of 2^lo: those of `min` bytes or more fit.
    const below = lo > 0 ? this.classes[lo - 1] : undefined;
    if (below !== undefined) {
      for (let i = below.length - 1; i >= 0; i--) if (below[i].length >= min) return this.lend(below, i);
    }
    const hi = Math.min(this.classes.length - 1, 31 - Math.clz32(Math.min(8 * min + (256 << 10), 2 ** 31 - 1)));
    for (let c = lo; c <= hi; c++) {
      const list = this.classes[c];
      if (list !== undefined && list.length > 0) return this.lend(list, list.length - 1);
    }
    let size = 4096;
    while (size < min) size *= 2;
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives `buf` back (see the class comment: nothing may hold a view of it). */
  give(buf: Buffer): void {
    if (buf.length === 0 || buf.length > this.maxBytes || buf.length > MAX_POOLED) return;
    const c = 31 - Math.clz32(buf.length);
    let list = this.classes[c];
    if (list === undefined) {
      while (this.classes.length <= c) this.classes.push([]);
      list = this.classes[c];
    }
    if (list.length >= this.perClass) return; // the class is full: this one goes to the GC
    list.push(buf);
    this.freeBuffers++;
    this.freeBytes += buf.length;
    this.trim();
  }

  private lend(list: Buffer[], i: number): Buffer {
    const b = list[i];
    list[i] = list[list.length - 1];
    list.pop();
    this.freeBuffers--;
    this.freeBytes -= b.length;
    return b;
  }

  /** Drops idle buffers, shortest class first, until at most `maxBytes` are idle. */
  private trim(): void {
    for (let c = 0; this.freeBytes > this.maxBytes && c < this.classes.length; c++) {
      const list = this.classes[c];
      while (list.length > 0 && this.freeBytes > this.maxBytes) {
        this.freeBytes -= list.pop()!.length;
        this.freeBuffers--;
      }
    }
  }
}

/** Buffers past 1 GiB are neither kept nor rounded up (and their size classes would pass 2^31). */
const MAX_POOLED = 1 << 30;

/** The smallest size class whose every buffer holds `min` bytes (2^c ≥ min). */
function classAtLeast(min: number): number {
  return min <= 1 ? 0 : 32 - Math.clz32(min - 1);
}

/** The process's pool: storage's batch records and the checkpoint uploader's file reads. */
export const bufferPool = new BufferPool();
