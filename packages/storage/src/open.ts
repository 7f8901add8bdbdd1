/**
 * The one way to get a StorageEngine: with a data dir, rows are durable in LevelDB under
 * `<dataDir>/state` and checkpoints are uploaded to an object store (by default the
 * directory `<dataDir>/checkpoints`); without one, everything lives in memory (playground
 * mode, tests).
 */
import { DEFAULT_OVERLAY_LIMITS, type OverlayLimits } from './state-store/overlays';
import { join } from 'node:path';
import { bufferPool } from '@freshet/common';
import type { StorageEngine } from './api';
import type { LevelMemoryOptions } from './db';
import { Engine } from './engine';
import { LevelLog } from './level-log';
import type { ObjectStore } from './object-store/api';
import { LocalDirObjectStore } from './object-store/local-dir';
import { S3ObjectStore, parseS3Url } from './object-store/s3';

export interface StorageOptions {
  /** Directory for persistent state; omitted → in memory only. */
  dataDir?: string;
  /**
   * Where checkpoints are uploaded: `s3://bucket/prefix`, a directory path, or `none`.
   * Default: the directory `<dataDir>/checkpoints`.
   */
  objectStore?: string;
  /** S3 connection (with an `s3://` object store); credentials come from AWS_* variables. */
  s3?: { endpoint?: string; region?: string; forcePathStyle?: boolean };
  /** Time between checkpoint uploads, ms (default 1000). */
  uploadIntervalMs?: number;
  /** Uploaded checkpoints kept (default 5). */
  checkpointHistory?: number;
  /** Where storage reports what it did (restores, upload failures). */
  log?: (msg: string) => void;
  /**
   * Bytes of stream state (MV rows, aggregate groups) kept in memory; the rest is read
   * from LevelDB on demand (docs/durability.md). Omitted or 0: no limit. Needs a data dir.
   */
  memoryLimit?: number;
  /**
   * After a restart, table rows loaded before `open()` returns (default 100,000); the rest
   * load in the background while the node serves. 0: all in the background.
   */
  tableRowsBeforeServing?: number;
  /** How much overlay segments may hold before they are settled (overlays.ts; tests use tiny ones). */
  overlayLimits?: OverlayLimits;
}

export function openStorage(opts: StorageOptions = {}): StorageEngine {
  if (!opts.dataDir) return new Engine(null);
  // Idle buffers the pool keeps are resident memory: under a limit, a sixteenth of it.
  if (opts.memoryLimit) bufferPool.setMaxBytes(clamp(opts.memoryLimit / 16, MiB, 64 * MiB));
  return new Engine(new LevelLog(opts.dataDir, levelMemoryFor(opts.memoryLimit)), {
    objectStore: objectStoreFor(opts.dataDir, opts),
    uploadIntervalMs: opts.uploadIntervalMs,
    history: opts.checkpointHistory,
    log: opts.log,
    memoryLimit: opts.memoryLimit,
    tableRowsBeforeServing: opts.tableRowsBeforeServing,
    overlayLimits: opts.overlayLimits ?? overlayLimitsFromEnv(process.env.FRESHET_OVERLAY_LIMITS),
  });
}

const MiB = 2 ** 20;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(v)));

/**
 * LevelDB's own memory under a memory limit (docs/durability.md, "Bounded memory"); its
 * defaults without one. At its defaults LevelDB holds up to 8 MiB of block cache and two
 * 4 MiB memtables whatever the limit: under a limit, block cache limit/16 (1–8 MiB) and
 * memtable limit/32 (1–4 MiB). Table files and how many stay open are LevelDB's defaults
 * (2 MiB, up to 990 tables) under any limit. Open tables are memory-mapped, and the pages
 * cold reads touch stay resident while a file is open; but they are page cache, which the
 * memory manager does not weigh against the limit (server/src/memory-manager.ts: the kernel
 * takes them back under pressure). Until session 40 it did, so a limit also capped the open
 * tables (to fill half of it, 74 files of 1 MiB under 32 MiB), and cold point reads of a
 * large MV found most of its table files closed (opening one reads its index and filter):
 * 32.0 µs per lookup of a 5M-row MV (397 files) against 17.8 with 1,000 open (bench/tools/cold-lookups.ts;
 * docs/performance.md, "Session 40").
 * FRESHET_LEVELDB_OPTIONS (JSON: LevelMemoryOptions) overrides, for measuring.
 *
 * Without a limit the memtable stays at LevelDB's 4 MiB on purpose. A 16 MiB one cut LevelDB's
 * compaction thread from 9.1–9.9 to 7.6–8.1 CPU µs/event at 100,000 users (in process), but
 * a restart of the seed pipeline holding 1M events then served 1.3–1.5 s later (10.8 / 9.5 s
 * against 9.3 / 8.3 after kill -9 / SIGTERM; `npm run bench -- recovery --sizes 1000000`):
 * docs/performance.md, "Session 18".
 */
export function levelMemoryFor(memoryLimit: number | undefined): LevelMemoryOptions {
  const override = levelOptionsFromEnv(process.env.FRESHET_LEVELDB_OPTIONS);
  if (!memoryLimit) return override;
  return {
    cacheSize: clamp(memoryLimit / 16, MiB, 8 * MiB),
    writeBufferSize: clamp(memoryLimit / 32, MiB, 4 * MiB),
    ...override,
  };
}

/**
 * FRESHET_OVERLAY_LIMITS (JSON: OverlayLimits, fields as in DEFAULT_OVERLAY_LIMITS), for
 * measuring: `{"bigTake":0}` writes every changed key as its own row, as before overlays.
 */
function overlayLimitsFromEnv(text: string | undefined): OverlayLimits | undefined {
  if (!text) return undefined;
  try {
    return { ...DEFAULT_OVERLAY_LIMITS, ...(JSON.parse(text) as Partial<OverlayLimits>) };
  } catch (e) {
    throw new Error(`FRESHET_OVERLAY_LIMITS is not JSON: ${(e as Error).message}`);
  }
}

function levelOptionsFromEnv(text: string | undefined): LevelMemoryOptions {
  if (!text) return {};
  try {
    return JSON.parse(text) as LevelMemoryOptions;
  } catch (e) {
    throw new Error(`FRESHET_LEVELDB_OPTIONS is not JSON: ${(e as Error).message}`);
  }
}

/**
 * A byte size as `--memory-limit` takes it: a number with an optional unit, case-insensitive:
 * `KiB/MiB/GiB/TiB` and the bare letters `K/M/G/T` are powers of 1024, `KB/MB/GB/TB` powers
 * of 1000, no unit or `B` is bytes (`64MiB`, `1GiB`, `512MB`, `1.5G`, `65536`). Throws on
 * anything else.
 */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$/i.exec(text);
  if (!m) throw new Error(`invalid size: ${text} (expected e.g. 64MiB, 1GiB, 512MB)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'b').toLowerCase();
  const pow = { b: 0, k: 1, m: 2, g: 3, t: 4 }[unit[0] as 'b' | 'k' | 'm' | 'g' | 't'];
  const base = unit.length === 2 && unit[1] === 'b' ? 1000 : 1024;
  const bytes = Math.round(n * base ** pow);
  if (!Number.isSafeInteger(bytes)) throw new Error(`invalid size: ${text}`);
  return bytes;
}

function objectStoreFor(dataDir: string, opts: StorageOptions): ObjectStore | null {
  const spec = opts.objectStore ?? join(dataDir, 'checkpoints');
  if (spec === 'none') return null;
  if (spec.startsWith('s3://')) return new S3ObjectStore({ ...parseS3Url(spec), ...opts.s3 });
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new Error(`unsupported object store ${spec} (expected s3://bucket/prefix or a directory)`);
  return new LocalDirObjectStore(spec);
}
