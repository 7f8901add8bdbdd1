/**
 * Overlay segments: how a checkpoint writes the changed keys of a state table stored a key
 * per row (`s/<id>/<key>`: MV rows, aggregate groups, join sides…) without a LevelDB key
 * per changed row. The changed keys of one checkpoint go into ONE value per table, an
 * *overlay segment* (`h/<id>/<epoch>[part]`, parts of ~256 KiB as segments.ts writes them),
 * which holds each key's row or a tombstone and overrides the `s/` rows.
 *
 * Why: what a checkpoint costs at scale is the LevelDB key, not its bytes. At 100,000 users
 * the seed pipeline's checkpoints wrote ~6 random keys per event; a classic-level
 * micro-benchmark put 7 random keys per event at 11.4 CPU µs and the same bytes in
 * 500-row values at 1.3 (docs/performance.md, "Session 20"). A key rewritten at every
 * checkpoint now costs a share of one value per checkpoint; only a key that stays unchanged
 * for the life of its segment is written as an `s/` row of its own (settled), once.
 *
 * Rules:
 * - **Live counts.** Each segment counts the keys whose latest stored version it holds.
 *   The in-memory store tells, for every key a checkpoint takes, the take round that held
 *   it before (`PublishedKeys.prevRounds`); once the checkpoint is durable the segment of
 *   that round loses one. A segment with no live key is deleted without being read. A
 *   count never goes below the truth (an entry recreated after a delete forgets its round:
 *   its old segment keeps counting it), so a segment is deleted only when dead.
 * - **Settle.** While a table's segments hold more than `cap` entries (OverlayLimits), the oldest one
 *   is settled: each of its keys still live there (`valueIfLastTaken`: last taken in its
 *   round) is written as an `s/` row — the value it holds, since the key was not published
 *   since — or, if the key is gone, as an `s/` delete. That is done synchronously when the
 *   checkpoint is planned (the committed view is the checkpoint's epoch only then), at most
 *   `settleMaxKeys` keys per checkpoint over all tables (the lookups stall the engine
 *   thread); the segment is deleted with its last key.
 *   A key settled early holds the same value in `s/` and in the segment, so a segment
 *   settled over several checkpoints is consistent at every one of them.
 * - **Large takes** (a backfill, a bulk load: more than `bigTake` keys) and retried keys of a
 *   failed checkpoint are written a key per row, after every segment of the table has been
 *   settled in the same batch: an `s/` row must never be older than a segment over it.
 * - **Append-like tables** — half or more of a settled segment's keys still live, so most
 *   keys are written once (rows keyed by a new time per event) — are written a key per row from
 *   then on, the same way: overlays would only write each of their keys twice.
 * - Settling looks a key up through the in-memory store's handle on its entry, kept with the
 *   segment (`PublishedKeys.handles`), not by key: a field read, not a hash lookup. Only
 *   segments recovered at a restart look keys up.
 * - **Sweeping.** A segment dies by its count only once every key it holds is taken again;
 *   under a steady load most keep a few that are not (~25 of 50,000 at 100,000 users), and
 *   live until settled, their whole key and handle arrays with them. Settling is rationed
 *   (`settleMaxKeys` per checkpoint, the first tables planned first): at 50,000 events/s
 *   two tables never got any of it, and their segments grew by a checkpoint's keys every
 *   second — 1.8M keys a table after 35 s, a key string each, the largest share of what
 *   V8's full collections marked (docs/performance.md, session 28). Between checkpoints
 *   the durable store sweeps each segment with handles (`sweepSegment`) at ages that
 *   double: the keys a later take holds leave its arrays, and its live count is recounted
 *   from the handles. A segment
 *   with nothing left to settle is dropped; one cut to an eighth or less is *sparse*, and
 *   settled (cheaply: few keys) once it is the oldest, so its parts leave the part files.
 * - **Restart** without a memory limit keeps the overlays: their latest versions are applied
 *   over the rows loaded from `s/` (`OverlayLoader`, `overlayRows`), or, for a key-read
 *   table loaded in the background, put in memory first (tombstones included), where they
 *   win over what the background load and reads by key find in `s/`. Their segments carry
 *   on with live counts recomputed and their entries marked with the segment's round.
 *   Under a memory limit an evicted key would be read back from a stale `s/` row, so a
 *   restart with a limit folds the overlays into the `s/` rows first, in one batch
 *   (`foldOverlays`, in epoch order: the later wins). Either is bounded by about `cap`
 *   entries per table.
 * - **Only without a memory limit.** Under a limit, key-read tables are caches whose evicted
 *   keys are read back from their `s/` rows, which must therefore be current: every table
 *   is written a key per row there, as before.
 */
import type { Row } from '@freshet/common';
import { BatchRecord } from '../batch-record';
import type { Db } from '../db';
import type { PartBatch } from '../part-log';
import { AFTER_OVERLAY_KEYS, OVERLAY_KEYS, overlayKey, overlayKeyTable, prefixedKey, stateKeyPrefix } from './keys';
import { encodeParts } from './segments';

/** One overlay segment of a table. */
export interface OverlaySegment {
  readonly epoch: number;
  /** The take round whose keys it holds (TrackingStateStore.valueIfLastTaken). */
  readonly round: number;
  /**
   * Its keys not settled yet, in the order written (a key deleted and recreated within one
   * take appears twice, older first); a sweep keeps only those it still holds.
   */
  keys: readonly string[];
  /** The in-memory store's handles on their entries, by index of `keys` (PublishedKeys.handles; absent for a recovered segment: lookups by key). */
  handles?: readonly unknown[];
  /** LevelDB values it is stored in (overlayKey's parts 0 … parts − 1). */
  readonly parts: number;
  /** Keys whose latest stored version it holds (an upper bound). */
  live: number;
  /** Keys [0, settled) are settled into `s/` rows already. */
  settled: number;
  /** The durable epoch at its last sweep (its own epoch until then): the next is due at twice that age. */
  sweptAt: number;
  /** A sweep cut it to an eighth or less: settled once it is the oldest, whatever the cap. */
  sparse?: boolean;
}

/** What storage holds of one table's overlays, oldest first. */
export interface OverlayTable {
  segments: OverlaySegment[];
  /**
   * Its keys are mostly written once (half or more of a settled segment was still live): it
   * is written a key per row from now on, since overlays would only write each key twice.
   */
  appendLike?: boolean;
}

/** Keys a settle must look at before its live share may call the table append-like. */
const APPEND_LIKE_SAMPLE = 1024;

export interface OverlayLimits {
  /** Entries a table's overlay segments may hold before the oldest is settled (also what a restart folds, at most). */
  readonly cap: number;
  /** A take of more keys than this is written a key per row. */
  readonly bigTake: number;
  /** Keys looked up to settle per checkpoint, over all tables, at most (synchronous, in the commit). */
  readonly settleMaxKeys: number;
}

/** The settle budget bounds the synchronous work of a checkpoint (by handle, a field read per key; recovered segments look keys up); a restart reads ≤ ~256k entries per table. */
export const DEFAULT_OVERLAY_LIMITS: OverlayLimits = { cap: 1 << 18, bigTake: 1 << 17, settleMaxKeys: 1 << 17 };

/** One table's keys for a checkpoint (PublishedKeys without the segmented fields). */
export interface OverlayTake {
  readonly keys: readonly string[];
  readonly rows: readonly (Row | null)[];
  readonly prevRounds: readonly number[];
  readonly round: number;
  readonly handles?: readonly unknown[];
}

/**
 * A failed checkpoint's keys of a table (`retried`, values as of now) ahead of its take: both
 * are written a key per row (the keys' entries were taken in a round that names no segment).
 */
export function withRetried(retried: OverlayTake, take: OverlayTake): OverlayTake {
  return {
    keys: [...retried.keys, ...take.keys],
    rows: [...retried.rows, ...take.rows],
    prevRounds: [...retried.prevRounds, ...take.prevRounds],
    round: take.round,
  };
}

/** One table's part of a checkpoint, planned synchronously (`planOverlay`), encoded later. */
export interface OverlayWrite {
  readonly tableId: number;
  readonly table: OverlayTable;
  readonly take: OverlayTake;
  /** The take as a new segment (false: a key per row). */
  readonly asSegment: boolean;
  /** `s/` rows settled from older segments (null: a delete), written before the take. */
  readonly settleKeys: string[];
  readonly settleRows: (Row | null)[];
  /** Segments this checkpoint deletes (dead, or settled to the end). */
  readonly drop: OverlaySegment[];
  /** Segments settled part of the way: their cursor once the checkpoint is durable. */
  readonly cursors: [OverlaySegment, number][];
  /** Keys looked at to settle, and how many of them were still live. */
  readonly looked: number;
  readonly live: number;
}

/**
 * Plans a table's part of a checkpoint. `valueIfLastTaken` reads the committed view, which
 * is the checkpoint's epoch only now: call it in the commit, synchronously. `forcePerKey`:
 * retried keys are in the take (their entries' rounds name no segment). `budget.left`:
 * keys the checkpoint may still look up to settle (lowered here; a large take settles all
 * of its table's segments whatever is left).
 */
export function planOverlay(
  tableId: number,
  table: OverlayTable,
  take: OverlayTake,
  limits: OverlayLimits,
  budget: { left: number },
  forcePerKey: boolean,
  valueIfLastTaken: (key: string, round: number, handle?: unknown) => Row | null | undefined,
): OverlayWrite {
  const asSegment = !forcePerKey && !table.appendLike && take.keys.length <= limits.bigTake;
  const drop: OverlaySegment[] = [];
  const cursors: [OverlaySegment, number][] = [];
  const settleKeys: string[] = [];
  const settleRows: (Row | null)[] = [];
  let total = asSegment ? take.keys.length : 0;
  for (const s of table.segments) {
    if (s.live <= 0) drop.push(s);
    else total += s.keys.length;
  }
  let left = asSegment ? budget.left : Infinity;
  let looked = 0;
  // Oldest first, and only in that order: a key deleted and created again can leave an older
  // segment holding its tombstone while a younger one holds the row (see sweepSegment).
  for (const s of table.segments) {
    if (s.live <= 0) continue;
    if ((asSegment && total <= limits.cap && !s.sparse) || left <= 0) break;
    const end = Math.min(s.keys.length, s.settled + left);
    const h = s.handles;
    for (let i = s.settled; i < end; i++) {
      const v = valueIfLastTaken(s.keys[i], s.round, h === undefined ? undefined : h[i]);
      if (v === undefined) continue; // taken again since: a later segment, or this take, holds it
      settleKeys.push(s.keys[i]);
      settleRows.push(v);
    }
    looked += end - s.settled;
    left -= end - s.settled;
    if (asSegment) budget.left = left;
    if (end === s.keys.length) {
      drop.push(s);
      total -= s.keys.length;
    } else cursors.push([s, end]);
  }
  return { tableId, table, take, asSegment, settleKeys, settleRows, drop, cursors, looked, live: settleKeys.length };
}

/** Encodes a planned write into the checkpoint's record; returns the parts of its new segment (0: none). */
export async function encodeOverlay(rec: BatchRecord, partBatch: PartBatch, epoch: number, w: OverlayWrite, yieldIfDue: () => Promise<void> | null): Promise<number> {
  const prefix = stateKeyPrefix(w.tableId);
  await putRows(rec, prefix, w.settleKeys, w.settleRows, yieldIfDue);
  for (const s of w.drop) deleteOverlay(rec, partBatch, w.tableId, s);
  const { keys, rows } = w.take;
  if (!w.asSegment) {
    await putRows(rec, prefix, keys, rows, yieldIfDue);
    return 0;
  }
  const { parts } = await encodeParts(rec, partBatch, (p) => overlayKey(w.tableId, epoch, p), keys, rows, null, yieldIfDue);
  return parts;
}

async function putRows(rec: BatchRecord, prefix: Buffer, keys: readonly string[], rows: readonly (Row | null)[], yieldIfDue: () => Promise<void> | null): Promise<void> {
  for (let i = 0; i < keys.length; i++) {
    rec.putRow(prefix, keys[i], rows[i]);
    if ((i & 255) === 255) {
      const y = yieldIfDue();
      if (y !== null) await y;
    }
  }
}

/** Records a planned write made durable: segments dropped and added, cursors moved, live counts lowered. */
export function applyOverlayWrite(w: OverlayWrite, epoch: number, parts: number): void {
  const t = w.table;
  if (w.asSegment && w.looked >= APPEND_LIKE_SAMPLE && w.live * 2 >= w.looked) t.appendLike = true;
  if (w.drop.length > 0) t.segments = t.segments.filter((s) => !w.drop.includes(s));
  for (const [s, to] of w.cursors) s.settled = to;
  const segs = t.segments;
  if (segs.length > 0) {
    // Each key's previous round names the segment that held its latest version until now.
    const prev = w.take.prevRounds;
    let last: OverlaySegment | undefined;
    for (let i = 0; i < prev.length; i++) {
      const r = prev[i];
      if (r === 0) continue;
      if (last === undefined || last.round !== r) last = segs.find((s) => s.round === r);
      if (last !== undefined) last.live--;
    }
  }
  const keys = w.take.keys;
  if (parts > 0) segs.push({ epoch, round: w.take.round, keys, handles: w.take.handles, parts, live: keys.length, settled: 0, sweptAt: epoch });
}

/** A sweep leaving this share of a segment's keys or less makes it sparse. */
const SPARSE_SHARE = 8;

/** Whether a segment is due a sweep at durable epoch `now`: it has handles, and its age has doubled since the last (overlays.ts, "Sweeping"). */
export function sweepDue(s: OverlaySegment, now: number): boolean {
  return s.handles !== undefined && s.live > 0 && now - s.epoch >= 2 * (s.sweptAt - s.epoch) && now > s.sweptAt;
}

/**
 * Sweeps a segment: keeps the unsettled keys still last taken in its round (it holds their
 * latest stored version) and recounts its live keys from the handles. Call it only between
 * checkpoints (no plan in flight names the segment).
 *
 * The count must never fall below the truth, because every later take of a key the segment
 * counts lowers it by one. So it counts the keys still last taken in its round, settled or
 * not, and the keys taken again in a round whose checkpoint has not been applied
 * (`takenRound` > `appliedRound`: a take pending or failed), whose decrement may still come.
 * A key taken again in an applied round had its decrement already. With no unsettled key
 * left the segment holds nothing the `s/` rows or a later write lack: its count goes to 0
 * and the next checkpoint drops it (a later decrement of a dropped segment finds nothing).
 */
export function sweepSegment(s: OverlaySegment, now: number, appliedRound: number, takenRound: (handle: unknown) => number): void {
  const h = s.handles!;
  const n = h.length;
  const keys: string[] = [];
  const handles: unknown[] = [];
  let held = 0;
  let pending = 0;
  for (let i = 0; i < n; i++) {
    const r = takenRound(h[i]);
    if (r === s.round) {
      held++;
      if (i >= s.settled) {
        keys.push(s.keys[i]);
        handles.push(h[i]);
      }
    } else if (r > appliedRound) pending++;
  }
  const before = n - s.settled;
  s.keys = keys;
  s.handles = handles;
  s.settled = 0;
  s.live = keys.length === 0 ? 0 : held + pending;
  s.sweptAt = now;
  if (keys.length * SPARSE_SHARE <= before) s.sparse = true;
}

/** Deletes of every part of a segment. */
function deleteOverlay(rec: BatchRecord, parts: PartBatch, tableId: number, s: OverlaySegment): void {
  for (let p = 0; p < s.parts; p++) parts.del(rec, overlayKey(tableId, s.epoch, p));
}

/**
 * Deletes of everything a dropped table has in overlays: the segments, and the `s/` rows of
 * their keys (a key deleted since its `s/` row was written has only a tombstone in a
 * segment, and the table's keys in memory no longer name it).
 */
export function dropOverlays(rec: BatchRecord, parts: PartBatch, tableId: number, t: OverlayTable): void {
  const prefix = stateKeyPrefix(tableId);
  for (const s of t.segments) {
    deleteOverlay(rec, parts, tableId, s);
    for (const k of s.keys) rec.putRow(prefix, k, null);
  }
}

/** One table's overlays as recovery found them (`OverlayLoader.finish`). */
export interface RecoveredOverlays {
  /** Oldest first; `round` is 0 until the durable store numbers them. */
  readonly segments: OverlaySegment[];
  /** Each key once, with its latest version (null: a tombstone) and the index in `segments` of the segment holding it. */
  readonly keys: readonly string[];
  readonly rows: readonly (Row | null)[];
  readonly segmentOf: readonly number[];
  /** Key → its index in `keys`. */
  readonly index: ReadonlyMap<string, number>;
}

/**
 * Recovery of one table's overlays without a fold: its segments' parts in (epoch, part)
 * order as LevelDB lists them (`add`) become, per key, the latest version and the segment
 * holding it, and per segment its keys and live count (`finish`). A value is decoded only
 * once it is known to be the latest: the raw bytes of older versions are dropped. Parallel
 * arrays rather than an object per key: a restart reads up to the cap's entries per table.
 */
export class OverlayLoader {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly values: (Buffer | null)[] = [];
  private readonly segmentOf: number[] = [];
  private readonly segments: { epoch: number; parts: number; keys: string[] }[] = [];

  add(epoch: number, part: Buffer): void {
    let last = this.segments.length > 0 ? this.segments[this.segments.length - 1] : undefined;
    if (last !== undefined && last.epoch === epoch) last.parts++;
    else this.segments.push((last = { epoch, parts: 1, keys: [] }));
    const segment = this.segments.length - 1;
    const keys = last.keys;
    BatchRecord.decode(part, (k, v) => {
      const key = k.toString('latin1');
      keys.push(key);
      const i = this.index.get(key);
      if (i === undefined) {
        this.index.set(key, this.keys.length);
        this.keys.push(key);
        this.values.push(v);
        this.segmentOf.push(segment);
      } else {
        this.values[i] = v;
        this.segmentOf[i] = segment;
      }
    });
  }

  finish(decode: (value: Buffer) => Row): RecoveredOverlays {
    const live = new Array<number>(this.segments.length).fill(0);
    const rows = this.values.map((v) => (v === null ? null : decode(v)));
    for (const s of this.segmentOf) live[s]++;
    const segments = this.segments.map((s, i): OverlaySegment => ({ epoch: s.epoch, round: 0, keys: s.keys, parts: s.parts, live: live[i], settled: 0, sweptAt: s.epoch }));
    return { segments, keys: this.keys, rows, segmentOf: this.segmentOf, index: this.index };
  }
}

/** Applies a table's recovered overlays to its rows loaded from `s/` (in key order; the result is not). */
export function overlayRows(rows: readonly [string, Row][], o: RecoveredOverlays): [string, Row][] {
  const out: [string, Row][] = [];
  for (const r of rows) if (!o.index.has(r[0])) out.push(r);
  for (let i = 0; i < o.keys.length; i++) {
    const row = o.rows[i];
    if (row !== null) out.push([o.keys[i], row]);
  }
  return out;
}

/**
 * At open, before anything is loaded: every overlay segment's entries written as `s/` rows
 * (a tombstone as a delete), in key order — a table's segments by epoch, so the later
 * wins — and the segments deleted, in one batch. Returns the entries folded. (Their parts
 * stay in the part files until the load's sweep finds no pointer to them: part-log.ts.)
 */
export async function foldOverlays(db: Db): Promise<number> {
  const rec = new BatchRecord();
  let entries = 0;
  let prefixId = -1;
  let prefix: Buffer = Buffer.alloc(0);
  const it = db.iterator({ gte: OVERLAY_KEYS, lt: AFTER_OVERLAY_KEYS });
  try {
    for (;;) {
      const batch = await it.nextv(64);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const id = overlayKeyTable(key);
        if (id !== prefixId) {
          prefixId = id;
          prefix = stateKeyPrefix(id);
        }
        BatchRecord.decode(await db.parts.read(value), (k, v) => {
          const sk = prefixedKey(prefix, k.toString('latin1'));
          if (v === null) rec.del(sk);
          else rec.put(sk, v);
          entries++;
        });
        rec.del(key);
      }
    }
  } finally {
    await it.close();
  }
  if (rec.length > 0) await db.write(rec);
  return entries;
}
