/**
 * GROUP BY with retractable aggregates (RisingWave's hash_agg.rs). Output rows are
 * [group key…, one value per call]; the output's stream key is the group key.
 *
 * Per chunk: every visible row finds its group in the cache (or loads/creates it), the
 * group's row count moves by the op's sign, and each call folds the chunk in with one
 * loop over typed arrays. Nothing is emitted per chunk. On a barrier, `flush` visits the
 * groups dirtied in this epoch and emits one change per group: Insert for a new group,
 * Delete when its last row left, an adjacent U-/U+ pair when the outputs changed —
 * then the barrier order of executor.ts commits the state tables and passes the barrier.
 *
 * State: the intermediate-state table holds one row per group,
 * [group key…, row count, accumulator slots…, last emitted outputs…], so a restarted or
 * evicted group reloads exactly; min/max/string_agg/… and DISTINCT keep their own tables
 * (agg/*.ts). Groups leave the cache under a memory limit (MAX_CACHED_GROUPS) and, without
 * one, when no row came to them for a while (IDLE_GROUPS_FROM).
 */
import {
  BigMap,
  type DataType,
  type Datum,
  OP_SIGN,
  Op,
  Repr,
  type Row,
  type StreamChunk,
  StreamChunkBuilder,
  T,
  datumEquals,
  reprOf,
} from '@freshet/common';
import type { AggCallDesc } from '../agg/call';
import { type BuiltAggCall, createAggCall, foldCalls } from '../agg/create';
import { type AggGroup, GroupKeyer, keepOutput, sameBigIntOutput } from '../agg/group';
import { type EvalErrorReporter, defaultErrorReporter } from '../eval-errors';
import type { Barrier, Watermark } from '../message';
import type { StateTable, StateTableAllocator } from '../state/state-table';
import { StatefulExecutor } from './executor';

export interface HashAggOptions {
  readonly inputTypes: readonly DataType[];
  /** Input columns of the group key (empty: a simple/global aggregate). */
  readonly groupKey: readonly number[];
  readonly calls: readonly AggCallDesc[];
  readonly tables: StateTableAllocator;
  /** Output chunk size. */
  readonly chunkSize?: number;
  /**
   * Two-phase aggregation, global side: an int8 input column holding each row's number of
   * input rows (a stateless local agg's partial row count), added to the group's row count
   * instead of one per row, so a group still leaves when its last input row does.
   */
  readonly rowCountColumn?: number;
  /** Where aggregate result errors (e.g. sum overflow) go; the output becomes NULL. */
  readonly errors?: EvalErrorReporter;
  /** Idle groups: the cache size from which they leave it, and how long they stay idle (see IDLE_GROUPS_FROM). */
  readonly idleGroups?: { readonly from: number; readonly afterMs: number };
}

/** Groups the cache keeps under a memory limit (~200 bytes each); unbounded without one. */
const MAX_CACHED_GROUPS = 20_000;

/**
 * Without a memory limit, a cache of this many groups or more drops the groups no row came
 * to in IDLE_GROUP_MS (between one and two sweeps of the cache that long); they reload from
 * the intermediate table by key if rows come again. A cached group is about ten heap objects
 * (the group, its key, accumulators and outputs, their boxes) which every full collection
 * marks: 100,000 groups of a dimension that no longer changes (the seed's purchases per user,
 * under a stream of clicks) are about a million of them. Session 29 dropped every group after each
 * commit instead, and the reloads of the busy ones cost more than the marking saved.
 */
const IDLE_GROUPS_FROM = 1 << 15;
const IDLE_GROUP_MS = 30_000;

export class HashAggExecutor extends StatefulExecutor {
  readonly name: string = 'StreamHashAgg';
  readonly types: readonly DataType[];
  protected readonly groupTypes: DataType[];
  protected readonly keyer: GroupKeyer;
  protected readonly calls: BuiltAggCall[];
  protected readonly intermediate: StateTable;
  /** Groups in memory (a BigMap: a GROUP BY can have more groups than a V8 Map holds, 2^24). */
  protected readonly cache = new BigMap<unknown, AggGroup>();
  protected dirty: AggGroup[] = [];
  private readonly slotCount: number;
  /** Per call: its output is a BIGINT, kept as a number where exact (`keepOutput`). */
  private readonly bigIntOutputs: boolean[];
  /** Where `flush` computes a group's outputs (see there). */
  private readonly freshOutputs: Datum[];
  private readonly builder: StreamChunkBuilder;
  private readonly allTables: StateTable[];
  /** Reused per-chunk arrays (grown on demand). */
  private rowGroups: (AggGroup | undefined)[] = [];
  private signs = new Int8Array(0);
  private callSigns = new Int8Array(0);
  /** Where the idle sweep stopped (an iterator over the cache), and when it last ran. */
  private idleHand: Iterator<[unknown, AggGroup]> | null = null;
  private idleSweptAt = performance.now();

  constructor(readonly options: HashAggOptions) {
    super();
    const { inputTypes, groupKey } = options;
    this.groupTypes = groupKey.map((c) => inputTypes[c]);
    this.keyer = new GroupKeyer(this.groupTypes, groupKey);
    let offset = 0;
    const ctx = { inputTypes, groupTypes: this.groupTypes, tables: options.tables, extremes: new Map() };
    // The intermediate table is allocated first so its id does not depend on the calls.
    const nk = groupKey.length;
    // Packed once large: written at every flush of a dirty group, read only when a group is
    // not cached (StateTableDesc.packed).
    this.intermediate = options.tables.create([...this.groupTypes, T.Int64], [...Array(nk).keys()], undefined, { packed: 'large' });
    // Groups are loaded by key (newGroup): under a memory limit the table may be partly in memory.
    if (this.readsIntermediateByKeyOnly()) this.intermediate.declarePointReads();
    this.calls = options.calls.map((desc) => {
      const built = createAggCall(desc, offset, ctx);
      offset += built.runner.slots;
      return built;
    });
    this.slotCount = offset;
    this.types = [...this.groupTypes, ...this.calls.map((c) => c.runner.returnType)];
    this.bigIntOutputs = this.calls.map((c) => reprOf(c.runner.returnType) === Repr.BigInt);
    this.freshOutputs = new Array<Datum>(this.calls.length).fill(null);
    this.builder = new StreamChunkBuilder(this.types, options.chunkSize);
    this.allTables = [this.intermediate];
    for (const c of this.calls) {
      this.allTables.push(...c.runner.stateTables());
      if (c.dedup) this.allTables.push(c.dedup.stateTable());
    }
  }

  stateTables(): readonly StateTable[] {
    return this.allTables;
  }

  /** Whether the intermediate table is only read by key (subclasses that scan it say no). */
  protected readsIntermediateByKeyOnly(): boolean {
    return true;
  }

  /**
   * Under a memory limit the group cache is bounded too: after the commit every group is
   * clean (its row is in the intermediate table), so the oldest are dropped and reloaded
   * by key when their group shows up again.
   */
  override afterCommit(b: Barrier): void {
    super.afterCommit(b);
    if (this.cache.size > MAX_CACHED_GROUPS && this.intermediate.bounded) {
      let drop = this.cache.size - MAX_CACHED_GROUPS / 2;
      for (const k of this.cache.keys()) {
        if (drop-- <= 0) break;
        this.cache.delete(k);
      }
    } else if (this.cache.size >= (this.options.idleGroups?.from ?? IDLE_GROUPS_FROM) && this.readsIntermediateByKeyOnly()) this.sweepIdle();
  }

  /**
   * Moves the idle sweep on by the share of the cache that the time since its last step is of
   * IDLE_GROUP_MS (a CLOCK hand): a group rows came to since the hand last passed is kept and
   * marked idle, an idle one is dropped. Every group is clean after the commit.
   */
  private sweepIdle(): void {
    const now = performance.now();
    const cycleMs = this.options.idleGroups?.afterMs ?? IDLE_GROUP_MS;
    const size = this.cache.size;
    let budget = cycleMs > 0 ? Math.min(size, Math.ceil((size * (now - this.idleSweptAt)) / cycleMs)) : size;
    this.idleSweptAt = now;
    let hand = this.idleHand ?? this.cache.entries();
    while (budget-- > 0) {
      let r = hand.next();
      if (r.done) {
        hand = this.cache.entries();
        r = hand.next();
        if (r.done) break;
      }
      const g = r.value[1];
      if (g.recent) g.recent = false;
      else this.cache.delete(g.mapKey);
    }
    this.idleHand = hand;
  }

  /** Number of groups in the cache (tests, metrics). */
  get groupCount(): number {
    return this.cache.size;
  }

  protected onChunk(chunk: StreamChunk): void {
    const n = chunk.capacity;
    if (this.signs.length < n) {
      this.signs = new Int8Array(n);
      this.callSigns = new Int8Array(n);
      this.rowGroups = new Array(n);
    }
    const groups = this.rowGroups;
    const signs = this.signs;
    const ops = chunk.ops;
    const vis = chunk.visibility;
    const cols = chunk.columns;
    const keyer = this.keyer;
    const cache = this.cache;
    const rc = this.options.rowCountColumn;
    const rowCounts = rc === undefined ? null : (cols[rc].values as BigInt64Array);
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) {
        groups[i] = undefined;
        signs[i] = 0;
        continue;
      }
      const mk = keyer.mapKey(cols, i);
      let g = cache.get(mk);
      if (g === undefined) g = this.loadGroup(mk, chunk, i);
      const s = OP_SIGN[ops[i]];
      g.rowCount += rowCounts === null ? s : s * Number(rowCounts[i]);
      if (!g.dirty) {
        g.dirty = true;
        g.recent = true;
        this.dirty.push(g);
      }
      groups[i] = g;
      signs[i] = s;
    }
    foldCalls(this.calls, chunk, groups, signs, this.callSigns, n);
  }

  /** Cache miss: the group from the intermediate table, or a new empty one. */
  private loadGroup(mapKey: unknown, chunk: StreamChunk, i: number): AggGroup {
    const keyDatums = this.keyer.datums(chunk.columns, i);
    const g = this.newGroup(mapKey, keyDatums);
    this.cache.set(mapKey, g);
    return g;
  }

  protected newGroup(mapKey: unknown, keyDatums: Datum[]): AggGroup {
    const key = this.keyer.storageKey(keyDatums);
    const nk = keyDatums.length;
    const stored = this.intermediate.getByKey(key);
    const acc = new Array<unknown>(this.slotCount);
    let rowCount = 0;
    let prevOutputs: Datum[] | null = null;
    if (stored !== undefined) {
      rowCount = stored[nk] as number;
      for (let j = 0; j < this.slotCount; j++) acc[j] = stored[nk + 1 + j];
      const outs = stored.slice(nk + 1 + this.slotCount) as Datum[];
      prevOutputs = this.keepOutputs(outs, outs);
    } else {
      for (const c of this.calls) c.runner.initSlots(acc);
    }
    return { mapKey, key, keyDatums, rowCount, acc, prevOutputs, dirty: false, recent: true };
  }

  flush(): void {
    const dirty = this.dirty;
    this.dirty = [];
    const b = this.builder;
    const nk = this.keyer.indices.length;
    const simple = nk === 0;
    for (let d = 0; d < dirty.length; d++) {
      const g = dirty[d];
      g.dirty = false;
      if (g.rowCount < 0) throw new Error(`${this.name}: group row count went negative (${g.rowCount}): the input retracted rows it never inserted`);
      if (g.rowCount === 0 && !simple) {
        if (g.prevOutputs !== null) this.emit(b.appendConcat(Op.Delete, g.keyDatums, nk, g.prevOutputs));
        this.intermediate.deleteByKey(g.key);
        this.cache.delete(g.mapKey);
        continue;
      }
      // The builder copies what it is given: the outputs are computed into one array for all
      // groups, and the group's own array is overwritten once the change is out.
      const fresh = this.freshOutputs;
      for (let c = 0; c < fresh.length; c++) fresh[c] = this.result(c, g);
      const kept = g.prevOutputs;
      if (kept === null) this.emit(b.appendConcat(Op.Insert, g.keyDatums, nk, fresh));
      else if (!this.sameOutputs(kept, fresh)) this.emit(b.appendConcatUpdate(g.keyDatums, kept, g.keyDatums, fresh, nk));
      // The stored row has the outputs as computed: readers of the table (a restart, an
      // evicted group's reload, EOWC's scans) see BIGINTs as BigInts.
      this.intermediate.putByKey(g.key, this.stateRow(g, fresh));
      g.prevOutputs = this.keepOutputs(fresh, kept ?? new Array<Datum>(fresh.length));
    }
    this.emit(b.take());
  }

  private result(c: number, g: AggGroup): Datum {
    try {
      return this.calls[c].runner.result(g);
    } catch (e) {
      (this.options.errors ?? defaultErrorReporter).report(`${this.calls[c].desc.impl.name}()`, e);
      return null;
    }
  }

  /** `fresh` as a group keeps its outputs between flushes (`keepOutput`), written into `into`. */
  private keepOutputs(fresh: readonly Datum[], into: Datum[]): Datum[] {
    for (let c = 0; c < fresh.length; c++) into[c] = this.bigIntOutputs[c] ? keepOutput(fresh[c]) : fresh[c];
    return into;
  }

  private stateRow(g: AggGroup, outs: readonly Datum[]): Row {
    const nk = g.keyDatums.length;
    const ns = this.slotCount;
    const row: Row = new Array(nk + 1 + ns + outs.length);
    for (let j = 0; j < nk; j++) row[j] = g.keyDatums[j];
    row[nk] = g.rowCount;
    for (let j = 0; j < ns; j++) row[nk + 1 + j] = g.acc[j] as Datum;
    for (let j = 0; j < outs.length; j++) row[nk + 1 + ns + j] = outs[j];
    return row;
  }

  /** Whether the kept outputs `kept` (`keepOutput`) are the fresh outputs `fresh`. */
  private sameOutputs(kept: readonly Datum[], fresh: readonly Datum[]): boolean {
    for (let c = 0; c < kept.length; c++) {
      const x = kept[c];
      const y = fresh[c];
      if (x === y) continue;
      if (this.bigIntOutputs[c]) {
        if (!sameBigIntOutput(x, y)) return false;
        continue;
      }
      if (x === null || y === null) return false;
      if (!datumEquals(this.calls[c].runner.returnType, x, y)) return false;
    }
    return true;
  }

  /** A watermark on a group-key column survives on the matching output column, after the flush. */
  protected override onWatermark(w: Watermark): void {
    const k = this.keyer.indices.indexOf(w.column);
    if (k >= 0) this.pendingWatermarks.push(w.withColumn(k));
  }
}
