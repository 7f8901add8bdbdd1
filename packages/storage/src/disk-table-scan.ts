/**
 * A full read of a DiskTable's rows (disk-table.ts): LevelDB's rows as of one instant, in
 * key order, with the keys of the commit group being written at that instant read as they
 * were before it.
 *
 * Why the overrides: the engine writes a group to LevelDB before it applies it (and tells
 * the table's watchers), so an iterator created while a group is in flight may or may not
 * see it. Its keys are read as the group found them (`GroupItem.old`): the snapshot then
 * equals the rows as applied at that instant, and the group reaches a reader that started
 * watching at that instant exactly once, as changes.
 */
import { type Row, decodeRow } from '@freshet/common';
import type { TableRowReader } from './level-log';
import type { ColdScan, ColdSnapshot } from './state-store/api';

/** Rows per LevelDB read of a scan (a few ms of decoding between two turns of the event loop). */
const SCAN_READ = 1024;

export class DiskRowsReader {
  private pos = 0;
  private done = false;

  constructor(
    private readonly rows: TableRowReader,
    /** [key, row before the in-flight group (undefined: none)], in key order. */
    private readonly overrides: readonly (readonly [string, Row | undefined])[],
  ) {}

  /** Up to about `n` more rows in key order; an empty array at the end. */
  async next(n: number): Promise<Row[]> {
    const ov = this.overrides;
    const out: Row[] = [];
    while (!this.done) {
      const entries = await this.rows.nextv(n);
      if (entries.length === 0) {
        this.done = true;
        void this.rows.close().catch(() => {});
        break;
      }
      for (let i = 0; i < entries.length; i++) {
        const key = entries[i][0];
        while (this.pos < ov.length && ov[this.pos][0] < key) this.pushOverride(out);
        if (this.pos < ov.length && ov[this.pos][0] === key) this.pushOverride(out);
        else out.push(decodeRow(entries[i][1]));
      }
      if (out.length > 0) return out;
    }
    while (this.pos < ov.length) this.pushOverride(out);
    return out;
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.pos = this.overrides.length;
    void this.rows.close().catch(() => {});
  }

  private pushOverride(out: Row[]): void {
    const row = this.overrides[this.pos++][1];
    if (row !== undefined) out.push(row);
  }
}

/** A DiskRowsReader as a committed-view scan (TableReader.scanCold: batch queries). */
export class DiskRowsScan implements ColdScan {
  private ready: Row[] | null = null;
  private reading = false;
  private finished = false;

  constructor(private readonly reader: DiskRowsReader) {}

  next(): readonly Row[] | Promise<void> | null {
    if (this.reading) throw new Error('storage: a scan that reads from disk was resumed before its read finished');
    if (this.ready !== null) {
      const rows = this.ready;
      this.ready = null;
      return rows;
    }
    if (this.finished) return null;
    this.reading = true;
    return this.reader.next(SCAN_READ).then(
      (rows) => {
        this.reading = false;
        if (rows.length === 0) this.finished = true;
        else this.ready = rows;
      },
      (e: unknown) => {
        this.reading = false;
        this.finished = true;
        throw e;
      },
    );
  }

  close(): void {
    this.finished = true;
    this.ready = null;
    this.reader.close();
  }
}

/** A DiskRowsReader as a backfill's snapshot (TableReader.snapshotCold): every row comes from `next`. */
export function diskSnapshot(reader: DiskRowsReader, size: number): ColdSnapshot {
  return { memory: [], size, next: (n) => reader.next(n), close: () => reader.close() };
}
