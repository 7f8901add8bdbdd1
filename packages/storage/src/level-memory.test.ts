/**
 * LevelDB's memory sized from `--memory-limit` (open.ts `levelMemoryFor`): its defaults
 * without a limit; under one, mapped table files bounded to half the limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { levelMemoryFor, openStorage } from './open';

const MiB = 2 ** 20;

describe('levelMemoryFor', () => {
  it("keeps LevelDB's defaults without a limit", () => {
    expect(levelMemoryFor(undefined)).toEqual({});
    expect(levelMemoryFor(0)).toEqual({});
  });

  it('sizes caches, memtables and table files from the limit', () => {
    expect(levelMemoryFor(64 * MiB)).toEqual({ cacheSize: 4 * MiB, writeBufferSize: 2 * MiB, maxFileSize: 512 << 10, maxOpenFiles: 74 });
    expect(levelMemoryFor(256 * MiB)).toEqual({ cacheSize: 8 * MiB, writeBufferSize: 4 * MiB, maxFileSize: 2 * MiB, maxOpenFiles: 74 });
    expect(levelMemoryFor(4096 * MiB)).toEqual({ cacheSize: 8 * MiB, writeBufferSize: 4 * MiB, maxFileSize: 2 * MiB, maxOpenFiles: 1000 });
    // Open table files (all but LevelDB's 10 others) of the largest size fill at most half the limit (64 files at least).
    for (const limit of [64, 256, 1024, 1536].map((m) => m * MiB)) {
      const o = levelMemoryFor(limit);
      expect((o.maxOpenFiles! - 10) * o.maxFileSize!).toBeLessThanOrEqual(Math.max(limit / 2, 64 * o.maxFileSize!));
    }
  });

  it('opens and reopens a memory-limited data dir with them (LevelDB accepts the sizes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'freshet-level-memory-'));
    try {
      for (let round = 0; round < 2; round++) {
        const storage = openStorage({ dataDir: dir, objectStore: 'none', memoryLimit: 8 * MiB, log: () => {} });
        await storage.open();
        await storage.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
