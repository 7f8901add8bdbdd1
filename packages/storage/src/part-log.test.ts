/**
 * The part files (part-log.ts) on their own: pointers put into a batch record, what becomes
 * live at commit, which files go, collection of files under half live, restarts and damage.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchRecord } from './batch-record';
import { POINTER_BYTES, PartLog, isPartPointer, partFileName } from './part-log';

/** Small files: four 1000-byte parts fill one, and the next batch starts another. */
const FILE_BYTES = 4000;

/** A part of `n` bytes, each byte derived from `seed`. */
function part(seed: number, n = 1000): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

/** The ops of a record: key (latin1) → value (null: a delete), later ops winning. */
function opsOf(rec: BatchRecord): Map<string, Buffer | null> {
  const out = new Map<string, Buffer | null>();
  BatchRecord.decode(rec.bytes(), (k, v) => out.set(k.toString('latin1'), v === null ? null : Buffer.from(v)));
  return out;
}

describe('part log', () => {
  let dir: string;
  /** What "LevelDB" holds: the pointers of committed batches, by key. */
  let stored: Map<string, Buffer>;
  let log: PartLog;
  let errors: string[];

  const openLog = () => {
    // No slack: files are collected as soon as the garbage outweighs the live bytes.
    const l = new PartLog(dir, FILE_BYTES, 0);
    l.onError = (m) => errors.push(m);
    l.open();
    return l;
  };

  /** One batch: puts (key → part) and deletes, written, then committed (or abandoned) like a checkpoint. */
  async function batch(puts: [string, Buffer][], dels: string[] = [], fail = false): Promise<Map<string, Buffer | null>> {
    const rec = new BatchRecord();
    const b = log.begin(rec);
    for (const [k, bytes] of puts) b.put(rec, Buffer.from(k, 'latin1'), bytes);
    for (const k of dels) b.del(rec, Buffer.from(k, 'latin1'));
    await b.write();
    const ops = opsOf(rec);
    if (fail) {
      b.abandon();
      return ops;
    }
    for (const [k, v] of ops) {
      if (v === null) stored.delete(k);
      else stored.set(k, v);
    }
    b.commit();
    return ops;
  }

  /** A restart: a new log over the directory, adopting what "LevelDB" holds, then the sweep. */
  function restart(): Map<string, Buffer> {
    log = openLog();
    const parts = new Map<string, Buffer>();
    for (const [k, v] of stored) parts.set(k, log.adopt(Buffer.from(k, 'latin1'), v));
    log.sweep();
    return parts;
  }

  const files = () => readdirSync(dir).filter((f) => f.endsWith('.parts')).sort();
  const settle = () => new Promise((r) => setTimeout(r, 30));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'freshet-parts-'));
    stored = new Map();
    errors = [];
    log = openLog();
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a pointer in the record and the part in the head file, read back whole', async () => {
    const ops = await batch([
      ['g/1/a', part(1)],
      ['g/1/b', part(2, 300)],
    ]);
    const a = ops.get('g/1/a')!;
    expect(a.length).toBe(POINTER_BYTES);
    expect(isPartPointer(a)).toBe(true);
    expect((await log.read(a)).equals(part(1))).toBe(true);
    expect((await log.read(ops.get('g/1/b')!)).equals(part(2, 300))).toBe(true);
    expect(log.readValueSync(a).equals(part(1))).toBe(true);
    // A value that is not a pointer (stored inline by an older build) reads as itself.
    expect((await log.read(Buffer.from('inline'))).toString()).toBe('inline');
    expect(files()).toEqual([partFileName(1)]);
    expect(statSync(join(dir, partFileName(1))).size).toBe(1300);
    expect(log.stats()).toMatchObject({ liveBytes: 1300, liveParts: 2 });
  });

  it('deletes a file once it is sealed and its last part is deleted or replaced, and keeps the head', async () => {
    await batch([['h/1/x', part(99)]]);
    await batch([], ['h/1/x']);
    // Nothing live in file 1, but new parts still go there.
    expect(files()).toEqual([partFileName(1)]);
    expect(log.stats().liveBytes).toBe(0);
    await batch([0, 1, 2].map((i) => [`h/1/${i}`, part(i)]));
    // File 1 is full: the next batch starts file 2.
    await batch([['h/1/4', part(4)]]);
    expect(files()).toEqual([partFileName(1), partFileName(2)]);
    // Replacing two and deleting one leaves nothing live in file 1: it goes.
    await batch(
      [1, 2].map((i) => [`h/1/${i}`, part(10 + i)]),
      ['h/1/0'],
    );
    expect(files()).toEqual([partFileName(2)]);
    expect(log.deletedFiles).toBe(1);
    for (const i of [1, 2]) expect((await log.read(stored.get(`h/1/${i}`)!)).equals(part(10 + i))).toBe(true);
    expect(log.stats()).toMatchObject({ liveParts: 3, liveBytes: 3000 });
  });

  it('an abandoned batch leaves garbage that the next batch writes after, and nothing becomes live', async () => {
    await batch([['g/1/a', part(1)]]);
    const failed = await batch([['g/1/a', part(2)]], [], true);
    await batch([['g/1/b', part(3)]]);
    expect((await log.read(stored.get('g/1/a')!)).equals(part(1))).toBe(true);
    expect((await log.read(stored.get('g/1/b')!)).equals(part(3))).toBe(true);
    // The abandoned part's bytes are in the file, between the two committed ones.
    expect((await log.read(failed.get('g/1/a')!)).equals(part(2))).toBe(true);
    expect(statSync(join(dir, partFileName(1))).size).toBe(3000);
    expect(log.stats()).toMatchObject({ liveParts: 2, liveBytes: 2000 });
  });

  it('collects a file under half live: the next batch writes its live parts again, a delete in it wins, and the file goes', async () => {
    await batch([0, 1, 2, 3].map((i) => [`g/1/${i}`, part(i)]));
    await batch([['g/1/9', part(9)]]); // file 2 is the head now
    // Three of file 1's four parts die: a quarter live, under half.
    await batch([], ['g/1/0', 'g/1/1', 'g/1/2']);
    await settle(); // the background read of file 1's live parts
    expect(files()).toContain(partFileName(1));
    const old = stored.get('g/1/3')!;
    await batch([]);
    expect(files()).not.toContain(partFileName(1));
    const moved = stored.get('g/1/3')!;
    expect(moved.equals(old)).toBe(false);
    expect(moved.readUInt32BE(2)).toBe(2); // now in file 2
    expect((await log.read(moved)).equals(part(3))).toBe(true);
    // The same, with the collected key deleted by the batch that collects it.
    await batch([4, 5, 6].map((i) => [`g/1/${i}`, part(i)]));
    await batch([['g/1/7', part(7)]]); // sealed file 2 (g/1/9, 3, 4, 5, 6): file 3 is the head
    await batch([], ['g/1/9', 'g/1/4', 'g/1/5']); // 2 of 5 parts live in file 2
    await settle();
    const collected = await batch([], ['g/1/6']);
    // Put again first, then deleted in the same record: the delete wins.
    expect(collected.get('g/1/6')).toBeNull();
    expect(stored.has('g/1/6')).toBe(false);
    expect((await log.read(stored.get('g/1/3')!)).equals(part(3))).toBe(true);
    expect(files()).not.toContain(partFileName(2));
    expect(errors).toEqual([]);
    // A restart finds every live part where the pointers say.
    const parts = restart();
    expect([...parts.keys()].sort()).toEqual(['g/1/3', 'g/1/7']);
    expect(parts.get('g/1/3')!.equals(part(3))).toBe(true);
    expect(parts.get('g/1/7')!.equals(part(7))).toBe(true);
  });

  it('collects nothing while the files hold less garbage than live bytes', async () => {
    await batch([0, 1, 2, 3].map((i) => [`g/1/${i}`, part(i)]));
    await batch([4, 5, 6].map((i) => [`g/1/${i}`, part(i)])); // file 2
    await batch([], ['g/1/0', 'g/1/1', 'g/1/2']); // file 1 a quarter live; 3000 garbage, 4000 live
    await settle();
    const before = stored.get('g/1/3')!;
    await batch([]);
    expect(stored.get('g/1/3')!.equals(before)).toBe(true);
    expect(files()).toEqual([partFileName(1), partFileName(2)]);
    // One more dead part tips it: 4000 garbage against 3000 live.
    await batch([], ['g/1/4']);
    await settle();
    await batch([]);
    expect(files()).toEqual([partFileName(2)]);
    expect((await log.read(stored.get('g/1/3')!)).equals(part(3))).toBe(true);
  });

  it('after a restart: a new head, and the files no pointer names are deleted (a crash before the LevelDB batch)', async () => {
    await batch([['g/1/a', part(1)]]);
    await batch([
      ['g/1/b', part(2)],
      ['g/1/c', part(3)],
      ['g/1/d', part(4)],
    ]);
    await batch([['g/1/e', part(5)]]); // file 2
    // Parts written and synced, but the LevelDB batch never was: a crash.
    const rec = new BatchRecord();
    const b = log.begin(rec);
    b.put(rec, Buffer.from('g/1/z'), part(26));
    await b.write();
    await log.close();
    stored.delete('g/1/a');
    stored.delete('g/1/b');
    stored.delete('g/1/c');
    stored.delete('g/1/d'); // file 1 named by nothing now
    const parts = restart();
    expect(files()).toEqual([partFileName(2)]);
    expect(parts.get('g/1/e')!.equals(part(5))).toBe(true);
    // New parts go to a new file, not after the crashed batch's bytes in file 2.
    await batch([['g/1/f', part(6)]]);
    expect(files()).toEqual([partFileName(2), partFileName(3)]);
    expect((await log.read(stored.get('g/1/f')!)).equals(part(6))).toBe(true);
  });

  it('refuses a second open batch', () => {
    const rec = new BatchRecord();
    log.begin(rec);
    expect(() => log.begin(new BatchRecord())).toThrow(/already open/);
  });

  it('detects a garbled, truncated or missing part file instead of returning wrong bytes', async () => {
    await batch([
      ['g/1/a', part(1)],
      ['g/1/b', part(2)],
    ]);
    await log.close();
    const path = join(dir, partFileName(1));
    const bytes = readFileSync(path);
    bytes[1500] ^= 0x40; // inside g/1/b
    writeFileSync(path, bytes);
    log = openLog();
    expect(log.adopt(Buffer.from('g/1/a'), stored.get('g/1/a')!).equals(part(1))).toBe(true);
    expect(() => log.adopt(Buffer.from('g/1/b'), stored.get('g/1/b')!)).toThrow(/checksum mismatch/);
    await expect(log.read(stored.get('g/1/b')!)).rejects.toThrow(/checksum mismatch/);
    truncateSync(path, 1200);
    await log.close();
    log = openLog();
    expect(() => log.adopt(Buffer.from('g/1/b'), stored.get('g/1/b')!)).toThrow(/truncated \(read 200 of 1000 bytes\)/);
    await log.close();
    rmSync(path);
    log = openLog();
    expect(existsSync(path)).toBe(false);
    expect(() => log.adopt(Buffer.from('g/1/a'), stored.get('g/1/a')!)).toThrow(/part file 000001\.parts .* is missing/);
  });
});
