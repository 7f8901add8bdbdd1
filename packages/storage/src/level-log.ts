/**
 * Durable tables and catalog in LevelDB (through db.ts). Key layout (all keys are bytes;
 * the one-letter prefix names the space):
 *
 *   t/<tableId>/<memcomparable pk>  → value-encoded row (codec/value.ts)
 *   m/<key>                         → JSON meta record (the catalog)
 *   c/<tableId>                     → row-id counter, 8-byte big-endian
 *   l/<seq, 8 bytes BE>             → table change log record (change-log.ts)
 *   s/<stateTableId>/<key>          → stream state row (state-store/)
 *   g/<stateTableId>/s<epoch>       → a segment of a segmented state table (state-store/segments.ts)
 *   g/<stateTableId>/w              → that table's low water
 *   h/<stateTableId>/<epoch>        → an overlay segment over the table's s/ rows (state-store/overlays.ts)
 *                                     (segments and overlays: pointers into the part files, part-log.ts)
 *   k/checkpoint                    → the last checkpoint: epoch, time, change-log seq (JSON)
 *   k/params                        → system parameters set by ALTER SYSTEM (JSON)
 *   x/format                        → layout version (FORMAT_VERSION)
 *   x/wseq                          → sequence number of the last batch (db.ts)
 *
 * Rows of one table are contiguous and in pk order, so a table can be streamed or
 * range-deleted without the in-memory copy. `open()` loads everything except table rows
 * (only the ids of the tables with rows are found, by seeking; the engine loads the rows
 * in the background: `tableBatches`, `readRowSync`) and the state tables the last
 * checkpoint lists as key-read (read key by key, or loaded in the background, by the
 * durable state store). Both are skipped: the ranges around them are read.
 */
import { type Row, decodeRow } from '@freshet/common';
import { BatchRecord } from './batch-record';
import { ChangeLogWriter, changeLogKey, changeLogSeq } from './change-log';
import { Db, type LevelMemoryOptions } from './db';
import type { PartLog } from './part-log';
import {
  type CheckpointRecord,
  PARAMS_KEY,
  OVERLAY_PREFIX,
  SEGMENT_PREFIX,
  STATE_PREFIX,
  checkpointKey,
  decodeCheckpoint,
  isCheckpointKey,
  prefixedKey,
  stateKeyPrefix,
} from './state-store/keys';
import { OverlayLoader, type RecoveredOverlays, foldOverlays, overlayRows } from './state-store/overlays';
import { SegmentedTableLoader, type SegmentedTableState } from './state-store/segments';

/** 2: segment and overlay parts are pointers into part files (part-log.ts). */
export const FORMAT_VERSION = 2;
/**
 * Older formats this build opens, and raises to FORMAT_VERSION: 1 stored parts inline, which
 * still read as they are (`PartLog.adopt`). Raised, so that a build of format 1, which would
 * take a pointer for a part, refuses the data dir instead.
 */
const UPGRADED_FORMATS: readonly number[] = [1];

export interface LoadedState {
  meta: Map<string, unknown>;
  /** Ids of the tables that have rows in LevelDB (their rows are not loaded: `tableBatches`). */
  tableIds: number[];
  counters: Map<number, bigint>;
  /** Stream state tables as of the last checkpoint: tableId → [latin1 key, row] (in key order, but for segmented tables). */
  state: Map<number, [string, Row][]>;
  /** The segmented ones among them: what LevelDB holds of each. */
  segmented: Map<number, SegmentedTableState>;
  checkpoint: CheckpointRecord | null;
  /** Change-log records not covered by the checkpoint, in seq order. */
  changeLog: [number, Buffer][];
  /** System parameters (ALTER SYSTEM SET). */
  params: Record<string, string>;
  /** Key-read state tables left in LevelDB, with their live key counts. */
  coldState: Map<number, number>;
  /** Entries of overlay segments folded into state rows at open (overlays.ts; with `foldOverlays`). */
  overlayEntriesFolded: number;
  /**
   * Overlay segments kept (without `foldOverlays`), per table: applied to the rows in
   * `state` already; for the key-read tables left in LevelDB (`coldState`), to be put in memory.
   */
  overlays: Map<number, RecoveredOverlays>;
}

/** One effective row change of a commit group (only changes that alter the table). */
export type GroupItem =
  | {
      readonly kind: 'change';
      readonly tableId: number;
      readonly key: string;
      readonly old: Row | undefined;
      readonly row: Row | undefined;
      /** `row` packed (packRow), encoded once for LevelDB and the table in memory. */
      readonly packed?: string;
      /** A row rewritten in place (`WriteBatch.rewriteTable`): not in the change log, not reported to watchers. */
      readonly quiet?: true;
    }
  | { readonly kind: 'drop'; readonly tableId: number };

/** Rows of one table as stored (LevelLog.tableRows). */
export interface TableRowReader {
  /** Up to `n` more rows, in key order, as [latin1 key without the table's prefix, stored value]; none at the end. */
  nextv(n: number): Promise<[string, Buffer][]>;
  close(): Promise<void>;
}

/** Everything one group commit writes. */
export interface GroupWrite {
  readonly items: readonly GroupItem[];
  /** Meta records in write order; `undefined` deletes. */
  readonly meta: readonly (readonly [string, unknown])[];
  readonly counters: ReadonlyMap<number, bigint>;
  /** Change-log seq of this group (0: write no change-log record). */
  readonly seq: number;
  /** The committed keys of a table, which a drop must delete (LevelDB batches have no range delete). */
  readonly tableKeys: (tableId: number) => Iterable<string> | AsyncIterable<string>;
}

const SLASH = 0x2f;
const EMPTY = Buffer.alloc(0);
const FORMAT_KEY = Buffer.from('x/format');
/** All table rows: `t/…`, and the first key after them. */
const TABLE_ROWS = Buffer.from('t/', 'latin1');
const AFTER_TABLE_ROWS = rangeEnd(TABLE_ROWS);

export class LevelLog {
  readonly db: Db;
  /** Bytes of the last batch written: the next one's record starts that big. */
  private lastWriteBytes = 1 << 12;
  /** The change-log record's encoder, reused by every write (its bytes are copied into the batch). */
  private readonly changeLog = new ChangeLogWriter();

  constructor(
    readonly dataDir: string,
    levelOptions: LevelMemoryOptions = {},
  ) {
    this.db = new Db(dataDir, levelOptions);
  }

  get location(): string {
    return this.db.location;
  }

  /**
   * `fold`: write the overlay segments into the state rows first (a memory limit: evicted keys
   * are read back from their rows), instead of returning them (overlays.ts).
   */
  async open(opts: { foldOverlays?: boolean } = {}): Promise<LoadedState> {
    await this.db.open();
    // First: the state rows below are then the last checkpoint's.
    const overlayEntriesFolded = opts.foldOverlays ? await foldOverlays(this.db) : 0;
    const state: LoadedState = {
      overlayEntriesFolded,
      overlays: new Map(),
      meta: new Map(),
      tableIds: [],
      counters: new Map(),
      state: new Map(),
      checkpoint: null,
      changeLog: [],
      params: {},
      coldState: new Map(),
      segmented: new Map(),
    };
    const segmentLoaders = new Map<number, SegmentedTableLoader>();
    const overlayLoaders = new Map<number, OverlayLoader>();
    let format: number | undefined;
    // The checkpoint's key-read state tables stay in LevelDB: the durable store reads them by
    // key until loaded (in the background, or never under a memory limit).
    const cp = await this.db.level.get(checkpointKey());
    for (const [id, live] of (cp ? decodeCheckpoint(cp).pointTables : undefined) ?? []) state.coldState.set(id, live);
    // The key ranges to load: everything but the cold tables' `s/<id>/` ranges and the table rows `t/`.
    const skip = [...[...state.coldState.keys()].map((id) => stateKeyPrefix(id)), TABLE_ROWS].sort(Buffer.compare);
    const ranges: { gte?: Buffer; lt?: Buffer }[] = [];
    let from: Buffer | undefined;
    for (const p of skip) {
      ranges.push({ gte: from, lt: p });
      from = rangeEnd(p);
    }
    ranges.push({ gte: from });
    for (const range of ranges) {
      const it = this.db.iterator(range);
      try {
        for (;;) {
          const entries = await it.nextv(1000);
          if (entries.length === 0) break;
          for (const [key, value] of entries) {
            if (key[0] === SEGMENT_PREFIX) loadSegmentEntry(segmentLoaders, key, value, this.db.parts);
            else if (key[0] === OVERLAY_PREFIX) loadOverlayEntry(overlayLoaders, key, this.db.parts.adopt(key, value));
            else this.loadEntry(state, key, value, (v) => (format = v));
          }
        }
      } finally {
        await it.close();
      }
    }
    // Every pointer has been seen: the part files none names go (a crash's, or folded overlays').
    this.db.parts.sweep();
    for (const [id, loader] of segmentLoaders) {
      const { rows, state: held } = loader.finish();
      state.state.set(id, rows);
      state.segmented.set(id, held);
    }
    for (const [id, loader] of overlayLoaders) {
      const o = loader.finish(decodeRow);
      state.overlays.set(id, o);
      if (!state.coldState.has(id)) state.state.set(id, overlayRows(state.state.get(id) ?? [], o));
    }
    state.tableIds = await this.findTableIds();
    if (format === undefined || UPGRADED_FORMATS.includes(format)) {
      await this.db.level.put(FORMAT_KEY, Buffer.from(String(FORMAT_VERSION)), { sync: true });
    } else if (format !== FORMAT_VERSION) {
      throw new Error(`data directory ${this.dataDir} has storage format ${format}; this build reads formats ${[...UPGRADED_FORMATS, FORMAT_VERSION].join(', ')}`);
    }
    return state;
  }

  /**
   * The ids of the tables with rows: one seek per table past its `t/<id>/` range, not a
   * read of every row (iterating 1M rows alone takes ~1.2 s).
   */
  private async findTableIds(): Promise<number[]> {
    const ids: number[] = [];
    const it = this.db.iterator({ gte: TABLE_ROWS, lt: AFTER_TABLE_ROWS, values: false });
    try {
      for (;;) {
        const [entry] = await it.nextv(1);
        if (entry === undefined) break;
        const key = entry[0];
        const id = Number(key.toString('latin1', 2, key.indexOf(SLASH, 2)));
        ids.push(id);
        it.seek(rangeEnd(rowKeyPrefix(id)));
      }
    } finally {
      await it.close();
    }
    return ids;
  }

  /**
   * Table `tableId`'s rows as stored, in key order, `batch` rows at a time (latin1 keys
   * without the prefix). The iterator reads the database as of this call; the engine's
   * loader skips the keys written since the restart, which it has in memory already.
   */
  async *tableBatches(tableId: number, batch: number): AsyncGenerator<[string, string][]> {
    const rows = this.tableRows(tableId);
    try {
      for (;;) {
        const entries = await rows.nextv(batch);
        if (entries.length === 0) return;
        // Rows stay packed (the stored bytes as a one-byte string: mem-table.ts), not decoded.
        const out = new Array<[string, string]>(entries.length);
        for (let i = 0; i < entries.length; i++) out[i] = [entries[i][0], entries[i][1].toString('latin1')];
        yield out;
      }
    } finally {
      await rows.close();
    }
  }

  /**
   * A reader of table `tableId`'s rows as stored now: its LevelDB iterator is created by
   * this call and reads the database as of it (classic-level iterators hold a snapshot
   * from creation), whatever is written while it is read. `values: false` reads keys only
   * (the values come back empty).
   */
  tableRows(tableId: number, opts: { values?: boolean } = {}): TableRowReader {
    const prefix = rowKeyPrefix(tableId);
    const it = this.db.iterator({ gte: prefix, lt: rangeEnd(prefix), values: opts.values });
    return {
      nextv: async (n) => {
        const entries = await it.nextv(n);
        const out = new Array<[string, Buffer]>(entries.length);
        for (let i = 0; i < entries.length; i++) out[i] = [entries[i][0].toString('latin1', prefix.length), entries[i][1] ?? EMPTY];
        return out;
      },
      close: () => it.close(),
    };
  }

  /** One row of table `tableId` as stored now (undefined: none), read synchronously. */
  readRowSync(tableId: number, key: string): Row | undefined {
    const v = this.db.level.getSync(prefixedKey(rowKeyPrefix(tableId), key));
    return v === undefined ? undefined : decodeRow(v);
  }

  /** `readRowSync`'s row still packed (its stored bytes as a one-byte string: mem-table.ts). */
  readPackedSync(tableId: number, key: string): string | undefined {
    const v = this.db.level.getSync(prefixedKey(rowKeyPrefix(tableId), key));
    return v === undefined ? undefined : v.toString('latin1');
  }

  private loadEntry(state: LoadedState, key: Buffer, value: Buffer, setFormat: (v: number) => void): void {
    const kind = key[0];
    if (kind === STATE_PREFIX) {
      const slash = key.indexOf(SLASH, 2);
      const tableId = Number(key.toString('latin1', 2, slash));
      let rows = state.state.get(tableId);
      if (!rows) state.state.set(tableId, (rows = []));
      rows.push([key.toString('latin1', slash + 1), decodeRow(value)]);
    } else if (kind === 0x6d /* m */) {
      state.meta.set(key.toString('utf8', 2), JSON.parse(value.toString('utf8')));
    } else if (kind === 0x63 /* c */) {
      state.counters.set(Number(key.toString('latin1', 2)), value.readBigInt64BE(0));
    } else if (kind === 0x6c /* l */) {
      state.changeLog.push([changeLogSeq(key), value]);
    } else if (isCheckpointKey(key)) {
      state.checkpoint = decodeCheckpoint(value);
    } else if (key.equals(PARAMS_KEY)) {
      state.params = JSON.parse(value.toString('utf8')) as Record<string, string>;
    } else if (key.equals(FORMAT_KEY)) {
      setFormat(Number(value.toString()));
    }
  }

  /**
   * Writes a commit group as one atomic, fsynced LevelDB batch. Rows are encoded straight
   * into one pooled record (buffer-pool.ts), the change-log record's rows too: a Buffer per
   * key and value, copied again into the record, was most of the Buffer bytes DML made.
   */
  async write(group: GroupWrite): Promise<void> {
    const rec = BatchRecord.pooled(this.lastWriteBytes);
    for (const [id, v] of group.counters) {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(v);
      rec.put(counterKey(id), b);
    }
    const log = group.seq > 0 ? this.changeLog.reset() : null;
    const items = group.items;
    // `t/<tableId>/` of the table the last item wrote (a group is mostly runs of one table).
    let prefixId = -1;
    let prefix: Buffer = Buffer.alloc(0);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item.kind === 'change') {
        if (item.tableId !== prefixId) {
          prefixId = item.tableId;
          prefix = rowKeyPrefix(prefixId);
        }
        const row = item.packed ?? item.row;
        rec.putRow(prefix, item.key, row ?? null);
        if (item.quiet === undefined) log?.add(item.tableId, item.old, row);
      } else {
        // The committed keys (from LevelDB for a table kept there: nothing else writes
        // rows while a group is written), and the keys written earlier in this group (not
        // applied yet; found by a scan back, since drops are rare and a key set per write
        // is not free). A key deleted twice is harmless.
        const p = rowKeyPrefix(item.tableId);
        const committed = group.tableKeys(item.tableId);
        if (Symbol.asyncIterator in committed) for await (const k of committed) rec.del(prefixedKey(p, k));
        else for (const k of committed) rec.del(prefixedKey(p, k));
        const seen = new Set<string>();
        for (let j = i - 1; j >= 0; j--) {
          const prev = items[j];
          if (prev.tableId !== item.tableId) continue;
          if (prev.kind === 'drop') break; // earlier writes were deleted by that drop
          if (prev.row !== undefined) seen.add(prev.key);
        }
        for (const k of seen) rec.del(prefixedKey(p, k));
        rec.del(counterKey(item.tableId));
      }
    }
    for (const [k, v] of group.meta) {
      const key = Buffer.from(`m/${k}`, 'utf8');
      if (v === undefined) rec.del(key);
      else rec.put(key, Buffer.from(JSON.stringify(v), 'utf8'));
    }
    if (log !== null && log.length > 0) rec.put(changeLogKey(group.seq), log.bytes());
    if (rec.length === 0) {
      rec.recycle();
      return;
    }
    this.lastWriteBytes = rec.byteLength;
    await this.db.write(rec);
  }

  /**
   * Flushes LevelDB's memtable, then closes: LevelDB does not flush at close, and its next
   * open would replay the write-ahead log (all of a big last checkpoint; replaying 110 MB of
   * log took 2.1 s of a 1M-key MV's restart).
   */
  async close(): Promise<void> {
    await this.db.flushMemtable();
    await this.db.close();
  }
}

/** A `g/<id>/…` key of a segmented state table: a segment (`s<epoch>`) or the low water (`w`). */
/**
 * Parts are read from the part files through their pointers, which are what keeps those
 * files (`PartLog.adopt`; part-log.ts).
 */
function loadSegmentEntry(loaders: Map<number, SegmentedTableLoader>, key: Buffer, value: Buffer, parts: PartLog): void {
  const slash = key.indexOf(SLASH, 2);
  const tableId = Number(key.toString('latin1', 2, slash));
  let loader = loaders.get(tableId);
  if (!loader) loaders.set(tableId, (loader = new SegmentedTableLoader(decodeRow)));
  const kind = key[slash + 1];
  // A segment's first part (`s<epoch>`) or a later one (`s<epoch><part>`): applied in key order.
  if (kind === 0x73 /* s */ && (key.length === slash + 10 || key.length === slash + 14)) loader.add(Number(key.readBigUInt64BE(slash + 2)), parts.adopt(key, value));
  else if (kind === 0x77 /* w */) loader.lowWater = value.toString('latin1');
  else throw new Error(`unknown state segment key ${key.toString('latin1')}`);
}

/** An `h/<id>/<epoch>[part]` key of an overlay segment (keys.ts: overlayKey), with its part's bytes. */
function loadOverlayEntry(loaders: Map<number, OverlayLoader>, key: Buffer, value: Buffer): void {
  const slash = key.indexOf(SLASH, 2);
  if (key.length !== slash + 9 && key.length !== slash + 13) throw new Error(`unknown overlay segment key ${key.toString('latin1')}`);
  const tableId = Number(key.toString('latin1', 2, slash));
  let loader = loaders.get(tableId);
  if (!loader) loaders.set(tableId, (loader = new OverlayLoader()));
  loader.add(Number(key.readBigUInt64BE(slash + 1)), value);
}

/** The first key after every key that starts with `prefix` (its last byte + 1). */
function rangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]++;
  return end;
}

function rowKeyPrefix(tableId: number): Buffer {
  return Buffer.from(`t/${tableId}/`, 'latin1');
}

function counterKey(tableId: number): Buffer {
  return Buffer.from(`c/${tableId}`, 'latin1');
}
