/**
 * One epoch of the Redis sink's changes, kept as RESP bytes from the moment they are written.
 *
 * `set` / `del` encode the key (and value) as bulk strings into one growing arena Buffer at
 * once, so the strings the row encoders produce die young: an epoch's values held in a Map
 * until the commit survived scavenges and were copied and promoted, which is what stalled
 * the engine thread. A Map from key to slot keeps the last change of each key within the
 * epoch (RisingWave's semantics); an overwritten slot is marked dead and skipped.
 *
 * `take` turns the live slots into multi-key DEL and MSET commands (KEYS_PER_COMMAND keys
 * each) in one Buffer: mostly one memcpy per command, since live slots are contiguous unless
 * a key changed twice in the epoch. A key is either deleted or set in a batch, so the order
 * of the commands does not matter.
 */
import { BufferPool } from '@freshet/common';
import { bulkSize, headerSize, maxBulkSize, writeBulk, writeBulkBytes, writeHeader } from './resp';

/** Keys per MSET / DEL command. */
export const KEYS_PER_COMMAND = 1_000;

const DEAD = 0;
const SET = 1;
const DEL = 2;

const INITIAL_ARENA = 64 * 1024;
/**
 * Delivered payload buffers a sink keeps for its next epochs: a few in flight, so a few
 * per size class, and never more than this many idle bytes.
 */
const PAYLOADS_PER_CLASS = 4;
const PAYLOAD_IDLE_BYTES = 16 * 1024 * 1024;
/** An arena above this, less than a quarter used by an epoch, is given back. */
const SHRINK_ABOVE = 4 * 1024 * 1024;

/** Commands ready for the socket. */
export interface RedisPayload {
  /** The commands: a prefix of `pooled`. */
  readonly bytes: Buffer;
  /** Borrowed from the sink's own pool; `recycle` gives it back once the batch is delivered. */
  readonly pooled: Buffer;
  /** Commands in `bytes` (replies to wait for). */
  readonly commands: number;
  /** Keys set / deleted. */
  readonly sets: number;
  readonly dels: number;
}

export class RedisWriteBuffer {
  private arena = Buffer.allocUnsafe(INITIAL_ARENA);
  private end = 0;
  /** Slot i's bytes are arena[starts[i], starts[i + 1] or end). */
  private starts = new Int32Array(1024);
  private kinds = new Uint8Array(1024);
  private slots = 0;
  private readonly index = new Map<string, number>();
  /**
   * The payloads' buffers, reused. New outside-heap bytes force a scavenge every ~32 MiB
   * (common/codec/buffer-pool.ts). A pool of the sink's own: in the shared one, checkpoint
   * buffers filled the idle bytes and the payloads' smaller ones were dropped first, so 355
   * MiB a minute were still allocated here under the Kafka bench (docs/performance.md,
   * sessions 31 and 32).
   */
  private readonly payloads = new BufferPool(PAYLOADS_PER_CLASS, PAYLOAD_IDLE_BYTES);
  private sets = 0;
  private setBytes = 0;
  private dels = 0;
  private delBytes = 0;

  /** Distinct keys buffered. */
  get size(): number {
    return this.index.size;
  }

  set(key: string, value: string): void {
    const start = this.claim(key, SET, maxBulkSize(key.length) + maxBulkSize(value.length));
    const p = writeBulk(this.arena, value, writeBulk(this.arena, key, start));
    this.setBytes += p - start;
    this.sets++;
    this.end = p;
  }

  /** `set` of a value already encoded: `value[0, length)`. */
  setEncoded(key: string, value: Buffer, length: number): void {
    const start = this.claim(key, SET, maxBulkSize(key.length) + bulkSize(length));
    const p = writeBulkBytes(this.arena, value, length, writeBulk(this.arena, key, start));
    this.setBytes += p - start;
    this.sets++;
    this.end = p;
  }

  del(key: string): void {
    const start = this.claim(key, DEL, maxBulkSize(key.length));
    const p = writeBulk(this.arena, key, start);
    this.delBytes += p - start;
    this.dels++;
    this.end = p;
  }

  /** The buffered changes as DEL and MSET commands (null when there are none); empties the buffer. */
  take(): RedisPayload | null {
    if (this.index.size === 0) return null;
    let size = this.delBytes + this.setBytes;
    for (let left = this.dels; left > 0; left -= KEYS_PER_COMMAND) size += headerSize(1 + Math.min(left, KEYS_PER_COMMAND)) + bulkSize(3);
    for (let left = this.sets; left > 0; left -= KEYS_PER_COMMAND) size += headerSize(1 + 2 * Math.min(left, KEYS_PER_COMMAND)) + bulkSize(4);
    const pooled = this.payloads.take(size);
    const bytes = pooled.subarray(0, size);
    let p = this.copy(bytes, 0, DEL, 'DEL', 1, this.dels);
    p = this.copy(bytes, p, SET, 'MSET', 2, this.sets);
    if (p !== size) throw new Error(`Redis sink: encoded ${p} bytes, expected ${size}`);
    const payload: RedisPayload = { bytes, pooled, commands: Math.ceil(this.dels / KEYS_PER_COMMAND) + Math.ceil(this.sets / KEYS_PER_COMMAND), sets: this.sets, dels: this.dels };
    if (this.arena.length > SHRINK_ABOVE && this.end < this.arena.length / 4) this.arena = Buffer.allocUnsafe(Math.max(INITIAL_ARENA, 2 * this.end));
    this.index.clear();
    this.end = 0;
    this.slots = 0;
    this.sets = this.setBytes = this.dels = this.delBytes = 0;
    return payload;
  }

  /**
   * Gives a delivered payload's buffer back for a later epoch. Only after every reply
   * arrived: the socket no longer holds it then, and nothing else keeps a view of it.
   */
  recycle(payload: RedisPayload): void {
    this.payloads.give(payload.pooled);
  }

  /** A new slot of at most `bytes` bytes at the end for `key` (its previous change, if any, dies); returns its start. */
  private claim(key: string, kind: number, bytes: number): number {
    const old = this.index.get(key);
    if (old !== undefined) this.kill(old);
    if (this.slots === this.starts.length) {
      const starts = new Int32Array(2 * this.slots);
      starts.set(this.starts);
      this.starts = starts;
      const kinds = new Uint8Array(2 * this.slots);
      kinds.set(this.kinds);
      this.kinds = kinds;
    }
    if (this.end + bytes > this.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.end + bytes));
      this.arena.copy(arena, 0, 0, this.end);
      this.arena = arena;
    }
    const slot = this.slots++;
    this.starts[slot] = this.end;
    this.kinds[slot] = kind;
    this.index.set(key, slot);
    return this.end;
  }

  private kill(slot: number): void {
    const len = (slot + 1 < this.slots ? this.starts[slot + 1] : this.end) - this.starts[slot];
    if (this.kinds[slot] === SET) {
      this.sets--;
      this.setBytes -= len;
    } else {
      this.dels--;
      this.delBytes -= len;
    }
    this.kinds[slot] = DEAD;
  }

  /**
   * Writes the live slots of `kind` into `out` at `p` as `name` commands of up to
   * KEYS_PER_COMMAND keys (`argsPerKey` arguments each); contiguous slots are copied together.
   */
  private copy(out: Buffer, p: number, kind: number, name: string, argsPerKey: number, count: number): number {
    const { arena, starts, kinds, slots, end } = this;
    let left = count;
    let inCommand = 0;
    let runStart = -1;
    let runEnd = -1;
    for (let s = 0; s < slots; s++) {
      if (kinds[s] !== kind) continue;
      const a = starts[s];
      const b = s + 1 < slots ? starts[s + 1] : end;
      if (inCommand === 0) {
        if (runStart >= 0) p += arena.copy(out, p, runStart, runEnd);
        runStart = runEnd = -1;
        const k = Math.min(left, KEYS_PER_COMMAND);
        left -= k;
        inCommand = k;
        p = writeBulk(out, name, writeHeader(out, 0x2a, 1 + argsPerKey * k, p));
      }
      if (a === runEnd) runEnd = b;
      else {
        if (runStart >= 0) p += arena.copy(out, p, runStart, runEnd);
        runStart = a;
        runEnd = b;
      }
      inCommand--;
    }
    if (runStart >= 0) p += arena.copy(out, p, runStart, runEnd);
    return p;
  }
}
