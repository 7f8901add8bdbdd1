/**
 * The local phase of two-phase aggregation (RisingWave's stateless_simple_agg.rs): each
 * chunk is pre-aggregated per group into partial results and forgotten — no state, no
 * work at barriers. The global HashAggExecutor / SimpleAggExecutor downstream merges the
 * partials (`rowCountColumn`, calls with `merge`), so it updates each group once per
 * chunk instead of once per row: the win whenever a chunk holds many rows of a group
 * (a global aggregate always; GROUP BY over few keys).
 *
 * Output: one Insert per group present in the chunk, [group key…, row count, partial
 * columns of each call…] (agg/partial.ts). Partials are signed sums over the chunk's ops,
 * so deletes and updates flow through as negative contributions; the output has no stream
 * key (two rows of a group from different chunks are both inserts).
 *
 * Only decomposable calls (count, sum, avg; FILTER allowed) have a partial form; min/max
 * and the rest stay single-phase (the planner checks `partialAggSupported`).
 */
import { ColumnBuilder, type DataType, OP_SIGN, Op, StreamChunk, T } from '@freshet/common';
import type { AggCallDesc } from '../agg/call';
import { type BuiltAggCall, foldCalls } from '../agg/create';
import { type AggGroup, GroupKeyer } from '../agg/group';
import { PartialCall } from '../agg/partial';
import type { Watermark } from '../message';
import { UnaryExecutor } from './executor';

export interface StatelessLocalAggOptions {
  readonly inputTypes: readonly DataType[];
  /** Input columns of the group key; empty for the local phase of a global aggregate. */
  readonly groupKey: readonly number[];
  /** count / sum / avg calls over input columns (no DISTINCT or ORDER BY). */
  readonly calls: readonly AggCallDesc[];
}

export class StatelessLocalAggExecutor extends UnaryExecutor {
  readonly name: string;
  readonly types: readonly DataType[];
  private readonly keyer: GroupKeyer;
  private readonly partials: PartialCall[];
  private readonly calls: BuiltAggCall[];
  private readonly slotCount: number;
  /** Groups of the chunk being folded (cleared after each chunk). */
  private readonly index = new Map<unknown, AggGroup>();
  private rowGroups: (AggGroup | undefined)[] = [];
  private signs = new Int8Array(0);
  private scratch = new Int8Array(0);

  constructor(readonly options: StatelessLocalAggOptions) {
    super();
    const { inputTypes, groupKey } = options;
    const groupTypes = groupKey.map((c) => inputTypes[c]);
    this.name = groupKey.length === 0 ? 'StreamStatelessSimpleAgg' : 'StreamStatelessLocalHashAgg';
    this.keyer = new GroupKeyer(groupTypes, groupKey);
    let offset = 0;
    this.partials = options.calls.map((desc) => {
      const p = new PartialCall(desc, offset, inputTypes);
      offset += p.runner.slots;
      return p;
    });
    this.slotCount = offset;
    this.calls = this.partials.map((p) => ({ desc: p.desc, runner: p.runner, dedup: null, filter: p.desc.filter ?? -1 }));
    this.types = [...groupTypes, T.Int64, ...this.partials.flatMap((p) => p.types)];
  }

  protected onChunk(chunk: StreamChunk): void {
    this.emit(this.aggregate(chunk));
  }

  /** The pure core: the chunk's partial aggregates, one Insert per group, or null when no row is visible. */
  aggregate(chunk: StreamChunk): StreamChunk | null {
    const n = chunk.capacity;
    if (this.signs.length < n) {
      this.signs = new Int8Array(n);
      this.scratch = new Int8Array(n);
      this.rowGroups = new Array(n);
    }
    const groups = this.rowGroups;
    const signs = this.signs;
    const ops = chunk.ops;
    const vis = chunk.visibility;
    const cols = chunk.columns;
    const keyer = this.keyer;
    const index = this.index;
    const found: AggGroup[] = [];
    // No group key: every row is in the one group, no key lookups.
    const only = keyer.indices.length === 0 ? this.newGroup('', []) : null;
    for (let i = 0; i < n; i++) {
      if (vis !== null && vis[i] === 0) {
        groups[i] = undefined;
        signs[i] = 0;
        continue;
      }
      let g = only;
      if (g === null) {
        const mk = keyer.mapKey(cols, i);
        g = index.get(mk) ?? null;
        if (g === null) {
          g = this.newGroup(mk, keyer.datums(cols, i));
          index.set(mk, g);
          found.push(g);
        }
      } else if (found.length === 0) found.push(g);
      const s = OP_SIGN[ops[i]];
      g.rowCount += s;
      groups[i] = g;
      signs[i] = s;
    }
    index.clear();
    if (found.length === 0) return null;
    foldCalls(this.calls, chunk, groups, signs, this.scratch, n);
    groups.fill(undefined, 0, n);
    const m = found.length;
    const out = this.types.map((t) => new ColumnBuilder(t, m));
    const nk = keyer.indices.length;
    for (let j = 0; j < m; j++) {
      const g = found[j];
      for (let k = 0; k < nk; k++) out[k].push(g.keyDatums[k]);
      out[nk].push(BigInt(g.rowCount));
      let at = nk + 1;
      for (const p of this.partials) {
        p.write(g.acc, out, at);
        at += p.types.length;
      }
    }
    return new StreamChunk(new Uint8Array(m).fill(Op.Insert), out.map((b) => b.finish()));
  }

  private newGroup(mapKey: unknown, keyDatums: AggGroup['keyDatums']): AggGroup {
    const g: AggGroup = { mapKey, key: '', keyDatums, rowCount: 0, acc: new Array(this.slotCount), prevOutputs: null, dirty: false, recent: false };
    for (let p = 0; p < this.partials.length; p++) this.partials[p].runner.initSlots(g.acc);
    return g;
  }

  /** A watermark on a group-key column survives on the matching output column. */
  protected override onWatermark(w: Watermark): void {
    const k = this.keyer.indices.indexOf(w.column);
    if (k >= 0) this.out.push(w.withColumn(k));
  }
}
