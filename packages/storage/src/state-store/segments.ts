/**
 * Segmented state tables: a table a checkpoint writes as ONE LevelDB value — a *segment*
 * holding every key of the table the checkpoint changed, with its row or a tombstone —
 * instead of one LevelDB key per row. It is for state whose rows are written once, kept in
 * memory whole, and mostly leave in key order: a temporal filter's rows, keyed by (time,
 * …), one per event that passes it. (A MIN/MAX's multiset of (group, value) rows was one
 * until session 35, when its values went into pages read by key.)
 *
 * Why: a row handed to LevelDB on its own costs a native call on the engine's thread, a
 * memtable insert on the thread pool, and its share of every compaction after that; a
 * segment costs those once per table per checkpoint. The rows are still encoded one by
 * one, into the segment (the same bytes an `s/` row would have).
 *
 * Layout (keys.ts): `g/<id>/s<epoch, 8 bytes BE>[<part, 4 bytes BE>]` → a segment, in parts
 * of about SEGMENT_PART_BYTES: each a batch record of some of the table's keys
 * (batch-record.ts). A busy second of a temporal
 * filter is megabytes, and one LevelDB value of 17 MB took 0.1 s to hand to LevelDB's
 * batch in one native call, a stall no time slicing could split. `g/<id>/w` → the table's
 * low water as of the last checkpoint that wrote the table.
 *
 * Rules:
 * - Recovery applies a table's segments in epoch order (a later segment wins per key) and
 *   then drops the keys below the low water.
 * - The low water (`StoreTable.expireBelow`) is the owner's promise that every key below it
 *   has been deleted and will never be written again: a temporal filter's lower bound as it
 *   grows. Deletes below it need no tombstone, and a segment whose keys are all below it is
 *   deleted by the next checkpoint that writes the table. Time-ordered state thus leaves
 *   storage a segment at a time, never key by key.
 * - Cleaning, as in a log-structured file system: when the live segments hold more than
 *   twice as many entries as the table has rows (plus a slack), the oldest segments' keys
 *   are read back from LevelDB in the background; the next checkpoint writes those still
 *   in the table again, with their values as of its epoch, into its own segment and
 *   deletes the oldest ones. Tombstones in them go too: nothing older is left for them to
 *   hide. At most CLEAN_MAX_KEYS keys per checkpoint, so no checkpoint rewrites a whole
 *   table.
 * - Only tables kept whole in memory can be segmented: a key not in memory could not be
 *   read from LevelDB by its key. Tables read by key under a memory limit (MV rows,
 *   aggregate groups) keep their `s/` rows.
 * - Not for rows rewritten in place over and over (counts of DISTINCT values): every
 *   rewrite leaves a dead entry that this cleaning does on the engine's thread, where
 *   LevelDB's compaction drops old versions on its own. Segmenting those doubled the CPU
 *   of checkpointed ingest on the seed pipeline by INSERT. (That measurement also put the
 *   MIN/MAX multiset here, but its harness gave every event one timestamp, so every event
 *   rewrote a count; with a timestamp per batch, as a load has, segmenting it halved the
 *   checkpoint overhead: docs/performance.md, "Session 23".)
 */
import type { Row } from '@freshet/common';
import { BatchRecord } from '../batch-record';
import type { PartBatch } from '../part-log';
import { lowWaterKey, segmentKey } from './keys';

/** One live segment of a table. */
export interface SegmentInfo {
  readonly epoch: number;
  /** The greatest key in it: once the low water passes it, the segment holds nothing live. */
  readonly maxKey: string;
  /** Entries (rows and tombstones). */
  readonly entries: number;
  /** LevelDB values it is stored in (segmentKey's parts 0 … parts − 1). */
  readonly parts: number;
}

/** What storage holds of one segmented table. */
export interface SegmentedTableState {
  /** Live segments, oldest first. */
  segments: SegmentInfo[];
  /** The low water as stored. */
  lowWater: string | undefined;
  /** The newest low water the in-memory store reported (stored by the next checkpoint that writes the table). */
  seenLowWater: string | undefined;
  /** The oldest segments' keys, read back for cleaning (null: none ready), and whether a read is running. */
  cleaning: { readonly epochs: readonly number[]; readonly keys: readonly string[] } | null;
  reading: boolean;
}

export function emptySegmentedTable(): SegmentedTableState {
  return { segments: [], lowWater: undefined, seenLowWater: undefined, cleaning: null, reading: false };
}

/** Dead entries (beyond the table's rows) a table's segments may hold before the oldest is cleaned. */
const CLEAN_SLACK = 65_536;

/** Keys one checkpoint reads back and looks up for cleaning, at most (a few ms of lookups). */
const CLEAN_MAX_KEYS = 131_072;

/**
 * The oldest segments to clean, oldest first: while the live segments hold more than
 * twice as many entries as the table has rows (beyond a slack), enough of them to cover
 * that excess, up to CLEAN_MAX_KEYS entries, and never the newest. Empty: none needed.
 */
export function segmentsToClean(state: SegmentedTableState, liveRows: number): number[] {
  const lw = state.seenLowWater;
  const live = state.segments.filter((s) => lw === undefined || s.maxKey >= lw);
  let excess = live.reduce((n, s) => n + s.entries, 0) - 2 * liveRows - CLEAN_SLACK;
  const out: number[] = [];
  let keys = 0;
  // Cleaning starts at the oldest segment: a tombstone may only go with every older segment.
  for (const s of state.segments) {
    if (excess <= 0 || out.length === state.segments.length - 1) break;
    if (out.length > 0 && keys + s.entries > CLEAN_MAX_KEYS) break;
    out.push(s.epoch);
    keys += s.entries;
    excess -= s.entries;
  }
  return out;
}

/** The keys of a segment read back from LevelDB (for cleaning). */
export function segmentKeys(segment: Buffer): string[] {
  const keys: string[] = [];
  BatchRecord.decode(segment, (key) => keys.push(key.toString('latin1')));
  return keys;
}

/**
 * One segmented table's part of a checkpoint: the keys it changed, with their values as of
 * the checkpoint's epoch (the cleaned segment's live keys first, if one is cleaned).
 */
export interface SegmentWrite {
  readonly tableId: number;
  readonly state: SegmentedTableState;
  readonly keys: readonly string[];
  readonly rows: readonly (Row | null)[];
  readonly lowWater: string | undefined;
  /** The epochs of the segments this write cleans (deletes). */
  readonly cleans: readonly number[];
}

/**
 * Plans a table's segment: its changed keys and, when the oldest segment's keys have been
 * read back for cleaning, those of them still in the table. `committed` reads a key's value
 * as of the checkpoint's epoch: the plan must be made synchronously, in the commit.
 */
export function planSegment(
  tableId: number,
  state: SegmentedTableState,
  keys: readonly string[],
  rows: readonly (Row | null)[],
  committed: (key: string) => Row | undefined,
): SegmentWrite {
  const lowWater = state.seenLowWater;
  const c = state.cleaning;
  if (c === null || !isOldest(state, c.epochs)) return { tableId, state, keys, rows, lowWater, cleans: [] };
  const allKeys: string[] = [];
  const allRows: (Row | null)[] = [];
  for (const k of c.keys) {
    const v = committed(k);
    if (v !== undefined) {
      allKeys.push(k);
      allRows.push(v);
    }
  }
  // The changed keys after: their values are as of the same epoch, and a later entry wins anyway.
  for (let i = 0; i < keys.length; i++) {
    allKeys.push(keys[i]);
    allRows.push(rows[i]);
  }
  return { tableId, state, keys: allKeys, rows: allRows, lowWater, cleans: c.epochs };
}

/** Whether `epochs` are still the table's oldest segments, in order (a low water may have deleted some since they were read). */
export function isOldest(state: SegmentedTableState, epochs: readonly number[]): boolean {
  if (epochs.length > state.segments.length) return false;
  for (let i = 0; i < epochs.length; i++) if (state.segments[i].epoch !== epochs[i]) return false;
  return true;
}

/** Rows between two checks of the clock while a segment is encoded. */
const CHECK_EVERY = 256;

/** A segment part is closed once it holds this many bytes. */
export const SEGMENT_PART_BYTES = 256 << 10;

/**
 * Encodes a planned segment into the checkpoint's record: the segment itself, the low water
 * if it moved, and deletes of the segments it makes dead. `yieldIfDue` is awaited every few
 * hundred rows (the checkpoint's time slicing). Returns what the table will hold once the
 * record is durable (apply with `applySegmentWrite`).
 */
export async function encodeSegment(rec: BatchRecord, parts: PartBatch, epoch: number, w: SegmentWrite, yieldIfDue: () => Promise<void> | null): Promise<SegmentInfo[]> {
  const lw = w.lowWater;
  // Below the low water a delete needs no tombstone: recovery drops those keys anyway.
  const skip = lw === undefined ? null : (key: string, row: Row | null) => row === null && key < lw;
  const written = await encodeParts(rec, parts, (p) => segmentKey(w.tableId, epoch, p), w.keys, w.rows, skip, yieldIfDue);
  const kept: SegmentInfo[] = [];
  for (const s of w.state.segments) {
    if (w.cleans.includes(s.epoch) || (lw !== undefined && s.maxKey < lw)) deleteSegment(rec, parts, w.tableId, s);
    else kept.push(s);
  }
  if (written.parts > 0) kept.push({ epoch, maxKey: written.maxKey, entries: written.entries, parts: written.parts });
  if (lw !== w.state.lowWater) {
    if (lw === undefined) rec.del(lowWaterKey(w.tableId));
    else rec.put(lowWaterKey(w.tableId), Buffer.from(lw, 'latin1'));
  }
  return kept;
}

/**
 * Encodes keys and their rows (null: a tombstone) as values of about SEGMENT_PART_BYTES
 * each, stored under `partKey(0)`, `partKey(1)`, … (in the part files, with pointers in
 * `rec`: part-log.ts): each part a batch record of its keys. `skip` leaves entries out; `yieldIfDue` is awaited every few hundred
 * rows (the checkpoint's time slicing). Returns the parts written, the entries in them and
 * the greatest key.
 */
export async function encodeParts(
  rec: BatchRecord,
  partBatch: PartBatch,
  partKey: (part: number) => Buffer,
  keys: readonly string[],
  rows: readonly (Row | null)[],
  skip: ((key: string, row: Row | null) => boolean) | null,
  yieldIfDue: () => Promise<void> | null,
): Promise<{ parts: number; entries: number; maxKey: string }> {
  const partInitialBytes = Math.min(SEGMENT_PART_BYTES + (SEGMENT_PART_BYTES >> 2), Math.max(1 << 12, keys.length * 48));
  // One record for every part: `partBatch.put` copies a closed part's bytes, so it is
  // cleared and reused, and its buffer is the pool's (buffer-pool.ts says why Buffers are reused).
  const seg = BatchRecord.pooled(partInitialBytes);
  let parts = 0;
  let entries = 0;
  const closePart = () => {
    partBatch.put(rec, partKey(parts++), seg.bytes());
    entries += seg.length;
    seg.clear();
  };
  let maxKey = '';
  try {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const row = rows[i];
      if (skip !== null && skip(key, row)) continue;
      seg.putRow(EMPTY, key, row);
      if (key > maxKey) maxKey = key;
      if (seg.byteLength >= SEGMENT_PART_BYTES) closePart();
      if (i % CHECK_EVERY === CHECK_EVERY - 1) {
        const y = yieldIfDue();
        if (y !== null) await y;
      }
    }
    if (seg.length > 0) closePart();
  } finally {
    seg.recycle();
  }
  return { parts, entries, maxKey };
}

/** Records a segment write made durable. */
export function applySegmentWrite(w: SegmentWrite, kept: SegmentInfo[]): void {
  w.state.segments = kept;
  w.state.lowWater = w.lowWater;
  if (w.cleans.length > 0) w.state.cleaning = null;
}

/** The LevelDB keys of a segment's parts. */
export function segmentPartKeys(tableId: number, s: SegmentInfo): Buffer[] {
  const keys: Buffer[] = [];
  for (let p = 0; p < s.parts; p++) keys.push(segmentKey(tableId, s.epoch, p));
  return keys;
}

function deleteSegment(rec: BatchRecord, parts: PartBatch, tableId: number, s: SegmentInfo): void {
  for (const k of segmentPartKeys(tableId, s)) parts.del(rec, k);
}

/** Deletes of everything a dropped segmented table has in LevelDB. */
export function dropSegments(rec: BatchRecord, parts: PartBatch, tableId: number, state: SegmentedTableState): void {
  for (const s of state.segments) deleteSegment(rec, parts, tableId, s);
  rec.del(lowWaterKey(tableId));
  // `state` is left as it is: if this checkpoint fails, the next one deletes them again.
  state.cleaning = null;
}

const EMPTY = new Uint8Array(0);

/**
 * Recovery of one segmented table: its segments' parts, in (epoch, part) order as LevelDB
 * lists them (`add`), and its low water (`lowWater`), become its rows and what storage
 * holds of it (`finish`). Each part is applied as it is read, so the raw segments are not
 * all held.
 */
export class SegmentedTableLoader {
  private readonly latest = new Map<string, Row | null>();
  private readonly infos: SegmentInfo[] = [];
  private lw: string | undefined;

  constructor(private readonly decode: (value: Buffer) => Row) {}

  /** One part of the segment of `epoch` (the parts of a segment come in order, one after another). */
  add(epoch: number, part: Buffer): void {
    const last = this.infos.length > 0 ? this.infos[this.infos.length - 1] : undefined;
    const same = last !== undefined && last.epoch === epoch;
    let maxKey = same ? last.maxKey : '';
    let entries = 0;
    BatchRecord.decode(part, (key, v) => {
      const k = key.toString('latin1');
      this.latest.set(k, v === null ? null : this.decode(v));
      if (k > maxKey) maxKey = k;
      entries++;
    });
    if (same) this.infos[this.infos.length - 1] = { epoch, maxKey, entries: last.entries + entries, parts: last.parts + 1 };
    else this.infos.push({ epoch, maxKey, entries, parts: 1 });
  }

  set lowWater(key: string) {
    this.lw = key;
  }

  finish(): { rows: [string, Row][]; state: SegmentedTableState } {
    const lw = this.lw;
    const rows: [string, Row][] = [];
    for (const [k, row] of this.latest) if (row !== null && (lw === undefined || k >= lw)) rows.push([k, row]);
    return {
      rows,
      // Segments wholly below the low water are listed too: the next checkpoint of the table deletes them.
      state: { segments: this.infos, lowWater: lw, seenLowWater: lw, cleaning: null, reading: false },
    };
  }
}
