/**
 * What a checkpoint upload consists of (docs/durability.md):
 *
 *   manifests/<gen, 12 digits>.json   the manifest: which objects, in which order, make
 *                                     the database image at write sequence `wseq`
 *   data/<gen>-base-<n>.bin           a full copy of the LevelDB (every key/value), in parts
 *   data/<gen>-delta.bin              the LevelDB batches written since the previous upload
 *
 * An image is a base followed by the deltas uploaded after it, each applied in order. The
 * manifest is written last, so a partial upload (objects without a manifest) is never
 * used; each object's size and SHA-256 are in the manifest, so a truncated or garbled
 * object is detected before anything is applied.
 *
 * Object bytes: "FRSHOBJ1" + kind byte ('B' base, 'D' delta), then records. A base holds
 * [u32 klen][key][u32 vlen][value]…; a delta holds batches, each [u32 nops] then ops
 * [u8 1 put | 2 del][u32 klen][key]([u32 vlen][value] for puts).
 */
import { createHash } from 'node:crypto';
import type { DbOp } from '../db';

export const MANIFEST_PREFIX = 'manifests/';
export const DATA_PREFIX = 'data/';
const MAGIC = Buffer.from('FRSHOBJ1');

export interface ManifestObject {
  readonly key: string;
  readonly kind: 'base' | 'delta';
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: 1;
  /** Upload generation: increases by one per manifest. */
  readonly gen: number;
  /** Write sequence (db.ts) of the last batch the image includes. */
  readonly wseq: number;
  readonly createdAt: number;
  /** When the image was cut (ms): every batch durable before this is in it. */
  readonly cutAt: number;
  /** The stream checkpoint the image holds (its MV state), if any. */
  readonly checkpoint: { readonly epoch: number; readonly time: number } | null;
  readonly objects: readonly ManifestObject[];
}

export function manifestKey(gen: number): string {
  return `${MANIFEST_PREFIX}${String(gen).padStart(12, '0')}.json`;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Bytes hashed per turn of the event loop (~0.6 ms of SHA-256 on this machine). */
const HASH_SLICE_BYTES = 1 << 20;

/**
 * The SHA-256 of `parts` back to back, hashed incrementally on the calling thread with a turn
 * of the event loop after every HASH_SLICE_BYTES: an upload of a busy stretch's batches is
 * tens of MiB, and no single piece of it may hold the engine's thread.
 * WebCrypto's digest (libuv's pool) was used before: it hashes one buffer, so the parts had
 * to be joined first, and it copies its input on the calling thread before queueing the
 * job; at 50,000 events/s the freshness bench's profile showed that as 0.29 s in one task
 * (docs/performance.md, session 9).
 */
export async function sha256Parts(parts: readonly Buffer[]): Promise<string> {
  const h = createHash('sha256');
  let sinceYield = 0;
  for (const p of parts) {
    for (let at = 0; at < p.length; ) {
      const n = Math.min(p.length - at, HASH_SLICE_BYTES - sinceYield);
      h.update(at === 0 && n === p.length ? p : p.subarray(at, at + n));
      at += n;
      sinceYield += n;
      if (sinceYield >= HASH_SLICE_BYTES) {
        await new Promise<void>((r) => setImmediate(r));
        sinceYield = 0;
      }
    }
  }
  return h.digest('hex');
}

/** Base entries are copied into chunks of this size (one allocation per chunk, not per field). */
const CHUNK_BYTES = 1 << 20;
/** Values from this size on are not copied into a chunk but kept as parts of their own. */
const OWN_PART_BYTES = 64 << 10;

/** Builds an object in memory from records appended one by one. */
export class ObjectWriter {
  private parts: Buffer[] = [];
  private _size = 0;
  /** The chunk base entries are copied into, filled up to `at`. */
  private chunk: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(kind: 'base' | 'delta') {
    this.parts.push(Buffer.concat([MAGIC, Buffer.from(kind === 'base' ? 'B' : 'D')]));
    this._size = MAGIC.length + 1;
  }

  get size(): number {
    return this._size;
  }

  /** Moves the filled part of the chunk into `parts`; the rest of it stays for later entries. */
  private seal(): void {
    if (this.at === 0) return;
    this.parts.push(this.chunk.subarray(0, this.at));
    this.chunk = this.chunk.subarray(this.at);
    this.at = 0;
  }

  /**
   * One key and value. The value must not change until the object is written: a big one
   * (a segment of state, megabytes) becomes a part of its own instead of being copied — a
   * base upload copying them was a 0.2–0.3 s stall of the engine's thread.
   */
  entry(key: Buffer, value: Buffer): void {
    const own = value.length >= OWN_PART_BYTES;
    const copied = 8 + key.length + (own ? 0 : value.length);
    if (this.at + copied > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, copied));
    }
    const c = this.chunk;
    let p = c.writeUInt32BE(key.length, this.at);
    p += key.copy(c, p);
    p = c.writeUInt32BE(value.length, p);
    if (!own) p += value.copy(c, p);
    this.at = p;
    if (own) {
      this.seal();
      this.parts.push(value);
    }
    this._size += 8 + key.length + value.length;
  }

  /** Appends encoded records (a delta's batches, journaled one buffer each: batch-record.ts). */
  append(records: readonly Buffer[]): void {
    this.seal();
    for (const r of records) {
      this.parts.push(r);
      this._size += r.length;
    }
  }

  finish(): Buffer {
    return Buffer.concat(this.finishParts(), this._size);
  }

  /** The object as the parts it was built from (to write back to back, without joining them). */
  finishParts(): Buffer[] {
    this.seal();
    return this.parts;
  }
}

/** Checks an object against its manifest entry; returns the reason it is unusable, or null. */
export function verifyObject(entry: ManifestObject, body: Buffer | null): string | null {
  if (body === null) return `object ${entry.key} is missing`;
  if (body.length !== entry.size) return `object ${entry.key} has ${body.length} bytes, the manifest says ${entry.size}`;
  if (sha256(body) !== entry.sha256) return `object ${entry.key} does not match its checksum`;
  const kind = entry.kind === 'base' ? 'B' : 'D';
  if (body.length < 9 || !body.subarray(0, 8).equals(MAGIC) || String.fromCharCode(body[8]) !== kind) return `object ${entry.key} has no valid header`;
  return null;
}

/** The batches of a verified object: a base is one batch of puts, a delta its batches in order. */
export function* objectBatches(entry: ManifestObject, body: Buffer, batchSize = 10_000): Generator<DbOp[]> {
  let p = 9;
  const u32 = () => {
    const n = body.readUInt32BE(p);
    p += 4;
    return n;
  };
  const bytes = (n: number) => {
    const b = body.subarray(p, p + n);
    if (b.length !== n) throw new Error(`object ${entry.key} is truncated`);
    p += n;
    return b;
  };
  if (entry.kind === 'base') {
    let ops: DbOp[] = [];
    while (p < body.length) {
      const key = bytes(u32());
      ops.push({ type: 'put', key, value: bytes(u32()) });
      if (ops.length >= batchSize) {
        yield ops;
        ops = [];
      }
    }
    if (ops.length > 0) yield ops;
    return;
  }
  while (p < body.length) {
    const n = u32();
    const ops: DbOp[] = [];
    for (let i = 0; i < n; i++) {
      const type = body[p++];
      const key = bytes(u32());
      if (type === 1) ops.push({ type: 'put', key, value: bytes(u32()) });
      else if (type === 2) ops.push({ type: 'del', key });
      else throw new Error(`object ${entry.key} has an invalid operation`);
    }
    yield ops;
  }
}

export function parseManifest(key: string, body: Buffer): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(body.toString('utf8')) as Manifest;
  } catch {
    throw new Error(`manifest ${key} is not valid JSON`);
  }
  if (m?.format !== 1 || !Number.isInteger(m.gen) || !Number.isInteger(m.wseq) || !Array.isArray(m.objects) || m.objects[0]?.kind !== 'base') {
    throw new Error(`manifest ${key} is not a Freshet manifest`);
  }
  return m;
}
