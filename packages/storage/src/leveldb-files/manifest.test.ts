/**
 * LevelDB's log format and MANIFEST edits, read and written here: records that span
 * blocks, torn tails of a log still being appended to, and a version written as one edit
 * that reads back the same — and that LevelDB itself opens (live-files.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { readLogRecords, writeLogRecords } from './log-format';
import { type LevelVersion, VersionBuilder, replayManifest, writeManifest } from './manifest';

const records = [Buffer.alloc(10, 1), Buffer.alloc(0), Buffer.alloc(32_761, 2), Buffer.alloc(100_000, 3), Buffer.alloc(5, 4)];

describe('LevelDB log format', () => {
  it('reads back records of every size, fragmented across 32 KiB blocks', () => {
    const log = writeLogRecords(records);
    const { records: back, end } = readLogRecords(log);
    expect(back.map((r) => r.length)).toEqual(records.map((r) => r.length));
    expect(back.every((r, i) => r.equals(records[i]))).toBe(true);
    expect(end).toBe(log.length);
  });

  it('a torn tail ends the log at the last complete record, and reading on from there picks up the rest', () => {
    const log = writeLogRecords(records);
    // Cut inside the 100,000-byte record (its fragments span blocks 2–4).
    const cut = readLogRecords(log.subarray(0, 70_000));
    expect(cut.records.map((r) => r.length)).toEqual([10, 0, 32_761]);
    const rest = readLogRecords(log.subarray(cut.end), cut.end);
    expect(rest.records.map((r) => r.length)).toEqual([100_000, 5]);
    expect(rest.end).toBe(log.length);
  });

  it('a garbled record fails its checksum', () => {
    const log = writeLogRecords(records);
    log[20] ^= 0xff;
    expect(() => readLogRecords(log)).toThrow(/fails its checksum/);
  });
});

describe('MANIFEST edits', () => {
  const version: LevelVersion = {
    comparator: 'leveldb.BytewiseComparator',
    logNumber: 1234,
    prevLogNumber: 0,
    nextFileNumber: 2 ** 40 + 5,
    lastSequence: 2 ** 50 + 3,
    // Enough tables that the one edit spans blocks.
    tables: Array.from({ length: 2000 }, (_, i) => ({
      level: i % 7,
      number: 10 + i,
      size: 2_000_000 + i,
      smallest: Buffer.from(`key-${String(i).padStart(6, '0')}-lo\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008`, 'latin1'),
      largest: Buffer.from(`key-${String(i).padStart(6, '0')}-hi\u00ff\u00fe\u0003\u0004\u0005\u0006\u0007\u0008`, 'latin1'),
    })),
  };

  it('a version written as one edit replays to the same version', () => {
    const manifest = writeManifest(version);
    expect(manifest.length).toBeGreaterThan(32_768);
    const back = replayManifest(manifest);
    expect({ ...back, tables: [] }).toEqual({ ...version, tables: [] });
    const byNumber = (a: { number: number }, b: { number: number }) => a.number - b.number;
    expect([...back.tables].sort(byNumber)).toEqual([...version.tables].sort(byNumber));
  });

  it('replays deletions and additions in order, as LevelDB applies edits (a move to the next level keeps the file)', () => {
    const b = new VersionBuilder();
    const one = (v: LevelVersion) => replayManifest(writeManifest(v));
    // Built through written edits: the first adds 3 tables, then a move of table 10 from level 0 to 1.
    const base = one({ ...version, tables: version.tables.slice(0, 3) });
    b.apply(readLogRecords(writeManifest({ ...base, tables: base.tables })).records[0]);
    expect(b.version().tables.map((t) => [t.level, t.number])).toEqual([
      [0, 10],
      [1, 11],
      [2, 12],
    ]);
    // kDeletedFile (6) level 0 file 10, then kNewFile (7) level 1 file 10: size 9, keys "a" and "b".
    b.apply(Buffer.from([6, 0, 10, 7, 1, 10, 9, 1, 0x61, 1, 0x62]));
    expect(b.version().tables.map((t) => [t.level, t.number, t.size])).toEqual([
      [1, 11, 2_000_001],
      [1, 10, 9],
      [2, 12, 2_000_002],
    ]);
    expect(() => b.apply(Buffer.from([8, 1]))).toThrow(/unknown tag 8/);
  });
});
