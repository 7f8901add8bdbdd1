/**
 * A crash-consistent copy of a LevelDB that is open and being written, made of hard links:
 * what the object-store uploader copies instead of reading the database entry by entry.
 *
 * LevelDB's files are of three kinds. Table files never change once written and are
 * deleted when a compaction no longer needs them; write-ahead logs are only appended to;
 * the MANIFEST (named by CURRENT) is a log of edits naming the live tables and the logs
 * still to replay. A set of files LevelDB could have left at a crash is therefore: the
 * MANIFEST's edits up to some point, the tables they leave live, and every log numbered
 * from the log number they name, each at least as long as when the edits were read.
 * LevelDB recovers such a set exactly as it recovers from a crash.
 *
 * `pin` makes that set out of the live directory without stopping LevelDB: it reads what
 * the MANIFEST gained since the last call, then hard-links the live tables and the logs
 * into a directory of its own, where a compaction deleting one no longer removes it. A
 * table or the log the edits name can vanish between the two steps (a compaction finished
 * in between and LevelDB deleted what it replaced): the pin is then taken again. A log
 * stays linked to the file LevelDB appends to, so it only grows; everything written to the
 * database before `pin` was called is in the pinned set, within each log's size at the pin.
 *
 * The part files beside LevelDB's (part-log.ts: the large values a pointer in LevelDB
 * names) are linked too, with their sizes at the pin. A batch is written to LevelDB only
 * once the parts it names are durable, so every pointer in the pinned logs' first `size`
 * bytes names bytes within the pinned part files' sizes. Beyond the pin a log may hold
 * batches naming parts written later, or a part file the pin did not link: an image must
 * stop at each file's `size`.
 */
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { partFileNumber } from '../part-log';
import { readLogRecords } from './log-format';
import { type LevelVersion, type TableFile, VersionBuilder, logFileName, tableFileName } from './manifest';

export interface PinnedTable {
  readonly file: TableFile;
  /** Its name in the database's directory (`000123.ldb`, or `.sst` as older LevelDBs wrote). */
  readonly name: string;
  /** The hard link in the pin directory (absent for tables `pin`'s caller already holds). */
  readonly path: string | null;
}

/** A file that is only appended to: a write-ahead log, or a part file. */
export interface PinnedLog {
  readonly number: number;
  readonly name: string;
  readonly path: string;
  /** Its size at the pin: what the image holds of it. */
  readonly size: number;
}

export interface PinnedImage {
  readonly version: LevelVersion;
  readonly tables: readonly PinnedTable[];
  /** In number order, the order LevelDB replays them. */
  readonly logs: readonly PinnedLog[];
  /** The part files (part-log.ts), in number order. */
  readonly parts: readonly PinnedLog[];
}

/** Attempts at a pin before giving up (each retry follows a compaction that finished mid-pin). */
const PIN_ATTEMPTS = 10;

class Vanished extends Error {}

export class LiveLevelFiles {
  private manifestName: string | null = null;
  private builder = new VersionBuilder();
  /** Offset in the MANIFEST just past the last edit applied. */
  private manifestEnd = 0;

  constructor(readonly dbDir: string) {}

  /** The version after the MANIFEST's edits so far, reading only what it gained since the last call. */
  private follow(): LevelVersion {
    const current = readFileSync(join(this.dbDir, 'CURRENT'), 'latin1').trim();
    if (current !== this.manifestName) {
      // LevelDB writes a new MANIFEST only when it opens: after a reopen, start over.
      this.manifestName = current;
      this.builder = new VersionBuilder();
      this.manifestEnd = 0;
    }
    const fd = openSync(join(this.dbDir, current), 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > this.manifestEnd) {
        const chunk = Buffer.allocUnsafe(size - this.manifestEnd);
        let got = 0;
        while (got < chunk.length) {
          const n = readSync(fd, chunk, got, chunk.length - got, this.manifestEnd + got);
          if (n === 0) break;
          got += n;
        }
        const { records, end } = readLogRecords(chunk.subarray(0, got), this.manifestEnd);
        for (const edit of records) this.builder.apply(edit);
        this.manifestEnd = end;
      }
    } finally {
      closeSync(fd);
    }
    return this.builder.version();
  }

  /**
   * Pins a crash-consistent image into `pinDir` (emptied first). Tables for which `held`
   * is true are not linked: the caller has a copy of them already (an uploaded object).
   * Synchronous on purpose: a few system calls per new file, and nothing else runs between
   * reading the MANIFEST and linking what it names.
   */
  pin(pinDir: string, held: (name: string, file: TableFile) => boolean = () => false): PinnedImage {
    for (let attempt = 1; ; attempt++) {
      rmSync(pinDir, { recursive: true, force: true });
      mkdirSync(pinDir, { recursive: true });
      try {
        return this.tryPin(pinDir, held);
      } catch (e) {
        if (!(e instanceof Vanished) || attempt >= PIN_ATTEMPTS) {
          rmSync(pinDir, { recursive: true, force: true });
          throw e;
        }
      }
    }
  }

  private tryPin(pinDir: string, held: (name: string, file: TableFile) => boolean): PinnedImage {
    const version = this.follow();
    const present = new Set(readdirSync(this.dbDir));
    const link = (name: string): string => {
      const to = join(pinDir, name);
      try {
        linkSync(join(this.dbDir, name), to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Vanished(name);
        throw e;
      }
      return to;
    };
    const tables: PinnedTable[] = [];
    for (const file of version.tables) {
      const ldb = tableFileName(file.number);
      const sst = ldb.replace(/\.ldb$/, '.sst');
      const name = present.has(ldb) ? ldb : present.has(sst) ? sst : null;
      if (name === null) throw new Vanished(ldb);
      if (held(name, file)) {
        tables.push({ file, name, path: null });
        continue;
      }
      const path = link(name);
      const size = statSync(path).size;
      if (size !== file.size) throw new Error(`LevelDB table ${name} has ${size} bytes, its MANIFEST says ${file.size}`);
      tables.push({ file, name, path });
    }
    const appended = (number: number, name: string): PinnedLog => {
      const path = link(name);
      return { number, name, path, size: statSync(path).size };
    };
    const logs: PinnedLog[] = [];
    const parts: PinnedLog[] = [];
    for (const name of present) {
      const part = partFileNumber(name);
      if (part !== null) {
        parts.push(appended(part, name));
        continue;
      }
      const m = /^(\d+)\.log$/.exec(name);
      if (!m) continue;
      const number = Number(m[1]);
      if (number >= version.logNumber || number === version.prevLogNumber) logs.push(appended(number, name));
    }
    // The log the MANIFEST names holds the writes no table has yet; LevelDB deletes it only
    // after an edit naming a later one, so its absence means such an edit came in between.
    if (!logs.some((l) => l.number === version.logNumber)) throw new Vanished(logFileName(version.logNumber));
    logs.sort((a, b) => a.number - b.number);
    parts.sort((a, b) => a.number - b.number);
    return { version, tables, logs, parts };
  }
}
