/**
 * LevelDB's MANIFEST (db/version_edit.cc): a log (log-format.ts) of version edits, each
 * naming the table files added to and removed from a level and the database's log number,
 * next file number and last sequence number. Replaying the edits gives the set of live
 * table files — what a copy of the database must hold — and one edit listing that set is
 * all a restored database's MANIFEST needs.
 */
import { ByteReader, ByteWriter } from '@freshet/common';
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

/** Applies version edits one by one, as LevelDB replays its MANIFEST (VersionSet::Recover). */
export class VersionBuilder {
  private comparator: string | null = null;
  private logNumber: number | null = null;
  private prevLogNumber = 0;
  private nextFileNumber: number | null = null;
  private lastSequence: number | null = null;
  private readonly live: Map<number, TableFile>[] = Array.from({ length: LEVELS }, () => new Map());

  apply(edit: Buffer): void {
    // Varints are LEB128, as common's codec writes them; lengths prefix byte strings.
    const r = new ByteReader(edit);
    const bytes = () => Buffer.from(r.bytes(r.uvarint()));
    const level = () => {
      const l = r.uvarint();
      if (l >= LEVELS) throw new Error(`version edit names level ${l}`);
      return l;
    };
    const added: TableFile[] = [];
    while (!r.done) {
      const tag = r.uvarint();
      switch (tag) {
        case COMPARATOR:
          this.comparator = bytes().toString('latin1');
          break;
        case LOG_NUMBER:
          this.logNumber = r.uvarint();
          break;
        case PREV_LOG_NUMBER:
          this.prevLogNumber = r.uvarint();
          break;
        case NEXT_FILE_NUMBER:
          this.nextFileNumber = r.uvarint();
          break;
        case LAST_SEQUENCE:
          this.lastSequence = r.uvarint();
          break;
        case COMPACT_POINTER:
          level();
          bytes();
          break;
        case DELETED_FILE: {
          this.live[level()].delete(r.uvarint());
          break;
        }
        case NEW_FILE: {
          const l = level();
          const number = r.uvarint();
          const size = r.uvarint();
          added.push({ level: l, number, size, smallest: bytes(), largest: bytes() });
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

/** A MANIFEST holding `version` as one edit, as LevelDB writes a new one when it opens. */
export function writeManifest(version: LevelVersion): Buffer {
  const w = new ByteWriter();
  const bytes = (b: Buffer) => {
    w.uvarint(b.length);
    w.bytes(b);
  };
  w.uvarint(COMPARATOR);
  bytes(Buffer.from(version.comparator, 'latin1'));
  for (const [tag, n] of [
    [LOG_NUMBER, version.logNumber],
    [PREV_LOG_NUMBER, version.prevLogNumber],
    [NEXT_FILE_NUMBER, version.nextFileNumber],
    [LAST_SEQUENCE, version.lastSequence],
  ]) {
    w.uvarint(tag);
    w.uvarint(n);
  }
  for (const f of version.tables) {
    w.uvarint(NEW_FILE);
    w.uvarint(f.level);
    w.uvarint(f.number);
    w.uvarint(f.size);
    bytes(f.smallest);
    bytes(f.largest);
  }
  return writeLogRecords([w.toBuffer()]);
}

/** LevelDB's file names (db/filename.cc). */
export const tableFileName = (n: number) => `${String(n).padStart(6, '0')}.ldb`;
export const logFileName = (n: number) => `${String(n).padStart(6, '0')}.log`;
export const manifestFileName = (n: number) => `MANIFEST-${String(n).padStart(6, '0')}`;
