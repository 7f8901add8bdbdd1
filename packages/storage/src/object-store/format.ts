/**
 * What a checkpoint upload consists of (docs/durability.md, "Checkpoints in the object store"):
 *
 *   manifests/<gen, 12 digits>.json   the manifest: the LevelDB version and the objects that
 *                                     make the database image at write sequence `wseq`
 *   data/<run>/<000123.ldb>           a LevelDB table file, uploaded once and named by every
 *                                     manifest while LevelDB keeps it
 *   data/<run>/<000124.log>.<offset>  bytes [offset, offset + size) of a write-ahead log: a
 *                                     log is uploaded in parts, each what it gained since
 *                                     the previous upload
 *   data/<run>/<000007.parts>.<offset> the same for a part file (part-log.ts: checkpoints'
 *                                     large values, which LevelDB holds pointers to); a
 *                                     'log' object too, since it is only appended to
 *
 * `run` names one uploading process: LevelDB numbers its files anew in a restored copy, so
 * two databases may both have a 000123.ldb. An image is the tables and the logs' parts, put
 * back into a directory, plus a MANIFEST written from the manifest's version
 * (leveldb-files/install.ts); LevelDB opens it as after a crash. The manifest is written
 * last, so a partial upload is never used; each object's size and SHA-256 are in it, so a
 * truncated or garbled object is detected before anything is restored.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { bufferPool } from '@freshet/common';
import type { LevelVersion } from '../leveldb-files/manifest';

export const MANIFEST_PREFIX = 'manifests/';
export const DATA_PREFIX = 'data/';
export const MANIFEST_FORMAT = 2;

interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
  /** The file's name in the LevelDB directory. */
  readonly name: string;
}

export interface TableObject extends StoredObject {
  readonly kind: 'table';
  readonly level: number;
  readonly number: number;
  /** The table's first and last internal keys, base64 (the MANIFEST records them). */
  readonly smallest: string;
  readonly largest: string;
}

export interface LogObject extends StoredObject {
  readonly kind: 'log';
  /** Where in the log these bytes start: a log's parts follow each other without gaps. */
  readonly offset: number;
}

export type ManifestObject = TableObject | LogObject;

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** Upload generation: increases by one per manifest. */
  readonly gen: number;
  /** Write sequence (db.ts) of the last batch the image surely includes (it may hold later ones). */
  readonly wseq: number;
  readonly createdAt: number;
  /** When the image was cut (ms): every batch durable before this is in it. */
  readonly cutAt: number;
  /** The stream checkpoint the image holds (its MV state), if any. */
  readonly checkpoint: { readonly epoch: number; readonly time: number } | null;
  /** The LevelDB version of the image, but for its tables (listed among the objects). */
  readonly leveldb: Omit<LevelVersion, 'tables'>;
  readonly objects: readonly ManifestObject[];
}

export function manifestKey(gen: number): string {
  return `${MANIFEST_PREFIX}${String(gen).padStart(12, '0')}.json`;
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Bytes read and hashed per turn of the event loop (~0.6 ms of SHA-256 on this machine). */
const HASH_SLICE_BYTES = 1 << 20;

/**
 * The SHA-256 of `length` bytes of the file at `path` from `offset` (to its end if
 * `length` is omitted), read and hashed a slice per turn of the event loop: a table file
 * is megabytes, and no single piece of the work may hold the engine's thread. With `into`
 * (at least `length` bytes long), the bytes are read into it and returned as `body`, a view
 * of it; without, they are read a slice at a time into a buffer lent by the pool.
 */
export async function hashFile(
  path: string,
  offset = 0,
  length = Infinity,
  into?: Buffer,
): Promise<{ size: number; sha256: string; body: Buffer | null }> {
  if (into !== undefined && into.length < length) throw new Error(`hashFile: a buffer of ${into.length} bytes cannot hold ${length}`);
  const h = createHash('sha256');
  const f = await open(path, 'r');
  const slice = into ?? bufferPool.take(HASH_SLICE_BYTES);
  let size = 0;
  try {
    while (size < length) {
      const n = Math.min(HASH_SLICE_BYTES, length - size);
      const at = into ? size : 0;
      const { bytesRead } = await f.read(slice, at, n, offset + size);
      if (bytesRead === 0) break;
      h.update(slice.subarray(at, at + bytesRead));
      size += bytesRead;
    }
  } finally {
    await f.close();
    // Hashing copies what it reads: nothing holds the slice now.
    if (into === undefined) bufferPool.give(slice);
  }
  if (into && size < length) throw new Error(`${path} is shorter than ${offset + length} bytes`);
  return { size, sha256: h.digest('hex'), body: into ? into.subarray(0, size) : null };
}

/** Checks an object against its manifest entry; returns the reason it is unusable, or null. */
export function verifyObject(entry: ManifestObject, body: Buffer | null): string | null {
  if (body === null) return `object ${entry.key} is missing`;
  if (body.length !== entry.size) return `object ${entry.key} has ${body.length} bytes, the manifest says ${entry.size}`;
  if (sha256(body) !== entry.sha256) return `object ${entry.key} does not match its checksum`;
  return null;
}

const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

export function parseManifest(key: string, body: Buffer): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(body.toString('utf8')) as Manifest;
  } catch {
    throw new Error(`manifest ${key} is not valid JSON`);
  }
  if (m?.format !== MANIFEST_FORMAT) {
    const f = (m as { format?: unknown } | null)?.format;
    throw new Error(
      f === 1
        ? `manifest ${key} is in format 1 (batches), which this version no longer restores: restore it with the version that wrote it`
        : `manifest ${key} is not a Freshet manifest`,
    );
  }
  const v = m.leveldb;
  const objectsOk =
    Array.isArray(m.objects) &&
    m.objects.every(
      (o) =>
        typeof o?.key === 'string' &&
        typeof o.name === 'string' &&
        /^[0-9]+\.(ldb|sst|log|parts)$/.test(o.name) &&
        isCount(o.size) &&
        typeof o.sha256 === 'string' &&
        (o.kind === 'log' ? isCount(o.offset) : o.kind === 'table' && isCount(o.level) && isCount(o.number) && typeof o.smallest === 'string' && typeof o.largest === 'string'),
    );
  const versionOk = typeof v?.comparator === 'string' && [v.logNumber, v.prevLogNumber, v.nextFileNumber, v.lastSequence].every(isCount);
  if (!Number.isInteger(m.gen) || !Number.isInteger(m.wseq) || !versionOk || !objectsOk) throw new Error(`manifest ${key} is not a Freshet manifest`);
  return m;
}

/** The LevelDB version a manifest describes. */
export function versionOf(m: Manifest): LevelVersion {
  const tables = m.objects.flatMap((o) =>
    o.kind === 'table' ? [{ level: o.level, number: o.number, size: o.size, smallest: Buffer.from(o.smallest, 'base64'), largest: Buffer.from(o.largest, 'base64') }] : [],
  );
  return { ...m.leveldb, tables };
}
