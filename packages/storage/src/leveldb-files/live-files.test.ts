/**
 * Pins of a LevelDB taken while it is written, flushed and compacted (small memtables and
 * tables, so every pin races LevelDB's background work) open as databases that hold every
 * batch written before the pin, and a prefix of the batches: nothing torn, nothing missing
 * in between.
 */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClassicLevel } from 'classic-level';
import { LiveLevelFiles } from './live-files';
import { installVersion } from './install';

/** The first `size` bytes of `from`, as a file `to`. */
function copyPrefix(from: string, to: string, size: number): void {
  const b = Buffer.alloc(size);
  const fd = openSync(from, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, b, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(to, b);
}

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
      // A copy as the uploader makes one: the tables, and the logs as long as they were at
      // the pin (the writer has appended to them since).
      const copy = join(root, `copy-${p}`);
      mkdirSync(copy);
      for (const t of image.tables) copyFileSync(t.path!, join(copy, t.name));
      for (const l of image.logs) copyPrefix(l.path, join(copy, l.name), l.size);
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

  it('pins the part files beside the database, each with its size at the pin', async () => {
    root = mkdtempSync(join(tmpdir(), 'freshet-pin-'));
    const dbDir = join(root, 'db');
    const db = await open(dbDir);
    await db.put('a', '1');
    writeFileSync(join(dbDir, '000001.parts'), Buffer.alloc(300, 1));
    writeFileSync(join(dbDir, '000003.parts'), Buffer.alloc(100, 3));
    const image = new LiveLevelFiles(dbDir).pin(join(root, 'pin'));
    // Appended after the pin: not part of the image.
    appendFileSync(join(dbDir, '000003.parts'), Buffer.alloc(50, 3));
    expect(image.parts.map((p) => [p.number, p.name, p.size])).toEqual([
      [1, '000001.parts', 300],
      [3, '000003.parts', 100],
    ]);
    // Linked: a delete by the part log after the pin leaves the image whole.
    rmSync(join(dbDir, '000001.parts'));
    expect(statSync(image.parts[0].path).size).toBe(300);
    expect(image.logs.every((l) => l.name.endsWith('.log'))).toBe(true);
    await db.close();
  });
});
