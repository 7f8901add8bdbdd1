/**
 * LevelDB's MANIFEST (db/version_edit.cc): a log (log-format.ts) of version edits, each
 * naming the table files added to and removed from a level and the database's log number,
 * next file number and last sequence number. Replaying the edits gives the set of live
 * table files — what a copy of the database must hold — and one edit listing that set is
 * all a restored database's MANIFEST needs.
 */
import { readLogRecords, writeLogRecords } from './log-format';

const COMPARATOR = 1;
const LOG_NUMBER = 2;
const NEXT_FILE_NUMBER = 3;
const LAST_SEQUENCE = 4;
const COMPACT_POINTER = 5;
const DELETED_FILE = 6;
const NEW_FILE = 7;
const PREV_LOG_NUMBER = 9;

const LEVELS = 7;

/** A live table file: its level, number, size and key range (internal keys: user key + 8 bytes). */
export interface TableFile {
  readonly level: number;
  readonly number: number;
  readonly size: number;
  readonly smallest: Buffer;
  readonly largest: Buffer;
}

/** A database's version: its live table files and the counters recovery starts from. */
export interface LevelVersion {
  readonly comparator: string;
  /** Write-ahead logs numbered from this one on hold writes not yet in a table. */
  readonly logNumber: number;
  /** An older log still to replay (0: none; written by LevelDB before 1.x, kept for them). */
  readonly prevLogNumber: number;
  readonly nextFileNumber: number;
  readonly lastSequence: number;
  readonly tables: readonly TableFile[];
}

class Reader {
  at = 0;
  constructor(private readonly b: Buffer) {}
  get done(): boolean {
    return this.at >= this.b.length;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (this.at >= this.b.length) throw new Error('version edit is truncated');
      const byte = this.b[this.at++];
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error('version edit has an overlong varint');
    }
  }
  bytes(): Buffer {
    const n = this.varint();
    if (this.at + n > this.b.length) throw new Error('version edit is truncated');
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  level(): number {
    const l = this.varint();
    if (l >= LEVELS) throw new Error(`version edit names level ${l}`);
    return l;
  }
}

/** Applies version edits one by one, as LevelDB replays its MANIFEST (VersionSet::Recover). */
export class VersionBuilder {
  private comparator: string | null = null;
  private logNumber: number | null = null;
  private prevLogNumber = 0;
  private nextFileNumber: number | null = null;
  private lastSequence: number | null = null;
  private readonly live: Map<number, TableFile>[] = Array.from({ length: LEVELS }, () => new Map());

  apply(edit: Buffer): void {
    const r = new Reader(edit);
    const added: TableFile[] = [];
    while (!r.done) {
      const tag = r.varint();
      switch (tag) {
        case COMPARATOR:
          this.comparator = r.bytes().toString('latin1');
          break;
        case LOG_NUMBER:
          this.logNumber = r.varint();
          break;
        case PREV_LOG_NUMBER:
          this.prevLogNumber = r.varint();
          break;
        case NEXT_FILE_NUMBER:
          this.nextFileNumber = r.varint();
          break;
        case LAST_SEQUENCE:
          this.lastSequence = r.varint();
          break;
        case COMPACT_POINTER:
          r.level();
          r.bytes();
          break;
        case DELETED_FILE: {
          const level = r.level();
          this.live[level].delete(r.varint());
          break;
        }
        case NEW_FILE: {
          const level = r.level();
          const number = r.varint();
          const size = r.varint();
          added.push({ level, number, size, smallest: Buffer.from(r.bytes()), largest: Buffer.from(r.bytes()) });
          break;
        }
        default:
          throw new Error(`version edit has unknown tag ${tag}`);
      }
    }
    // LevelDB applies an edit's deletions before its additions (VersionSet::Builder).
    for (const f of added) this.live[f.level].set(f.number, f);
  }

  /** The version the edits so far describe. */
  version(): LevelVersion {
    const { comparator, logNumber, nextFileNumber, lastSequence } = this;
    if (comparator === null || logNumber === null || nextFileNumber === null || lastSequence === null) {
      throw new Error('MANIFEST lacks the comparator, log number, next file number or last sequence');
    }
    const tables = this.live.flatMap((m) => [...m.values()]);
    return { comparator, logNumber, prevLogNumber: this.prevLogNumber, nextFileNumber, lastSequence, tables };
  }
}

/** The version a whole MANIFEST describes. */
export function replayManifest(manifest: Buffer): LevelVersion {
  const b = new VersionBuilder();
  for (const edit of readLogRecords(manifest).records) b.apply(edit);
  return b.version();
}

class Writer {
  private readonly parts: Buffer[] = [];
  varint(v: number): void {
    const out: number[] = [];
    while (v >= 128) {
      out.push((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    this.parts.push(Buffer.from(out));
  }
  bytes(b: Buffer): void {
    this.varint(b.length);
    this.parts.push(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A MANIFEST holding `version` as one edit, as LevelDB writes a new one when it opens. */
export function writeManifest(version: LevelVersion): Buffer {
  const w = new Writer();
  w.varint(COMPARATOR);
  w.bytes(Buffer.from(version.comparator, 'latin1'));
  w.varint(LOG_NUMBER);
  w.varint(version.logNumber);
  w.varint(PREV_LOG_NUMBER);
  w.varint(version.prevLogNumber);
  w.varint(NEXT_FILE_NUMBER);
  w.varint(version.nextFileNumber);
  w.varint(LAST_SEQUENCE);
  w.varint(version.lastSequence);
  for (const f of version.tables) {
    w.varint(NEW_FILE);
    w.varint(f.level);
    w.varint(f.number);
    w.varint(f.size);
    w.bytes(f.smallest);
    w.bytes(f.largest);
  }
  return writeLogRecords([w.finish()]);
}

/** LevelDB's file names (db/filename.cc). */
export const tableFileName = (n: number) => `${String(n).padStart(6, '0')}.ldb`;
export const logFileName = (n: number) => `${String(n).padStart(6, '0')}.log`;
export const manifestFileName = (n: number) => `MANIFEST-${String(n).padStart(6, '0')}`;
