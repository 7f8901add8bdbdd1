/**
 * LevelDB's memory sized from `--memory-limit` (open.ts `levelMemoryFor`): its defaults
 * without a limit; under one, a smaller block cache and memtable, and table files as
 * without one.
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

  it('sizes the block cache and memtables from the limit, and leaves table files at their defaults', () => {
    expect(levelMemoryFor(16 * MiB)).toEqual({ cacheSize: MiB, writeBufferSize: MiB });
    expect(levelMemoryFor(64 * MiB)).toEqual({ cacheSize: 4 * MiB, writeBufferSize: 2 * MiB });
    expect(levelMemoryFor(4096 * MiB)).toEqual({ cacheSize: 8 * MiB, writeBufferSize: 4 * MiB });
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
