/**
 * Pins of a LevelDB taken while it is written, flushed and compacted (small memtables and
 * tables, so every pin races LevelDB's background work) open as databases that hold every
 * batch written before the pin, and a prefix of the batches: nothing torn, nothing missing
 * in between.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClassicLevel } from 'classic-level';
import { LiveLevelFiles } from './live-files';
import { installVersion } from './install';

const open = async (dir: string, opts: object = {}) => {
  const db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8', ...opts });
  await db.open();
  return db;
};

describe('LiveLevelFiles', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('pins crash-consistent images of a database being written and compacted', async () => {
    root = mkdtempSync(join(tmpdir(), 'freshet-pin-'));
    const dbDir = join(root, 'db');
    const db = await open(dbDir, { writeBufferSize: 64 << 10, maxFileSize: 64 << 10 });
    const files = new LiveLevelFiles(dbDir);
    let written = 0;
    let stop = false;
    const KEYS = 2000;
    const writer = (async () => {
      for (let n = 1; !stop; n++) {
        // Each batch rewrites 50 keys (so compactions drop old versions) and records its number.
        const b = db.batch();
        for (let i = 0; i < 50; i++) b.put(`k/${String((n * 37 + i * 101) % KEYS).padStart(5, '0')}`, `${n}:${'x'.repeat(200)}`);
        b.put('last', String(n));
        await b.write({ sync: false });
        written = n;
      }
    })();
    const pins: { dir: string; before: number; tables: number[] }[] = [];
    for (let p = 0; p < 25; p++) {
      // Pinned by volume, not time, so a loaded machine writes as much between pins (~0.4 MB:
      // several memtables and tables), while the writer goes on during each pin.
      while (written < (p + 1) * 40) await new Promise((r) => setImmediate(r));
      const before = written;
      const dir = join(root, `pin-${p}`);
      const image = files.pin(dir);
      // A copy as the uploader makes one: the tables, and the logs as long as they are now.
      const copy = join(root, `copy-${p}`);
      mkdirSync(copy);
      for (const t of image.tables) copyFileSync(t.path!, join(copy, t.name));
      for (const l of image.logs) copyFileSync(l.path, join(copy, l.name));
      installVersion(copy, image.version);
      pins.push({ dir: copy, before, tables: image.tables.map((t) => t.file.number) });
    }
    stop = true;
    await writer;
    // The writes were heavy enough for LevelDB to flush many tables and to compact some
    // away between one pin and the next (the races the pins must survive).
    expect(new Set(pins.flatMap((p) => p.tables)).size).toBeGreaterThan(10);
    expect(pins.some((p, i) => i > 0 && pins[i - 1].tables.some((t) => !p.tables.includes(t)))).toBe(true);
    const finalState = new Map<string, string>();
    for await (const [k, v] of db.iterator()) finalState.set(k, v);
    await db.close();

    for (const { dir, before } of pins) {
      const restored = await open(dir);
      const last = Number(await restored.get('last'));
      expect(last).toBeGreaterThanOrEqual(before);
      // Every key holds the value of the last batch up to `last` that wrote it.
      const expected = new Map<string, string>();
      for (let n = 1; n <= last; n++) {
        for (let i = 0; i < 50; i++) expected.set(`k/${String((n * 37 + i * 101) % KEYS).padStart(5, '0')}`, `${n}:${'x'.repeat(200)}`);
      }
      let seen = 0;
      for await (const [k, v] of restored.iterator({ gte: 'k/', lt: 'k0' })) {
        expect(v).toBe(expected.get(k));
        seen++;
      }
      expect(seen).toBe(expected.size);
      await restored.close();
    }
    expect(finalState.get('last')).toBe(String(written));
  }, 60_000);
});
