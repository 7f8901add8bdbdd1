/**
 * A hash agg whose group key carries a watermark and whose input is append-only: groups
 * below the watermark can never change again (late rows were dropped upstream and no
 * retraction can come), so after the epoch that closed them they leave the cache and
 * every state table (RisingWave's state cleaning by watermark). Their results stay where
 * they were emitted (the MV, or an EOWC buffer that releases them).
 *
 * Groups are indexed by their window value (the watermarked key column), kept in ascending
 * order, so cleaning after a barrier only visits the windows that closed — not every
 * cached group (the watermark advances at nearly every barrier under load).
 */
import { type Datum, compareDatum, datumKey } from '@freshet/common';
import type { AggGroup } from '../agg/group';
import type { Barrier, Watermark } from '../message';
import { HashAggExecutor, type HashAggOptions } from './hash-agg';

export interface WatermarkHashAggOptions extends HashAggOptions {
  /** Position in the group key of the watermark column whose watermark cleans groups. */
  readonly cleanKey: number;
}

interface WindowGroups {
  readonly value: Datum;
  readonly groups: unknown[];
}

export class WatermarkHashAggExecutor extends HashAggExecutor {
  private cleanBelow: Datum = null;
  private cleanPending = false;
  /** Window value key → the cache keys of its groups. */
  private readonly windows = new Map<unknown, WindowGroups>();
  /** Distinct non-NULL window values, ascending. */
  private readonly windowOrder: Datum[] = [];

  constructor(private readonly wmOptions: WatermarkHashAggOptions) {
    super(wmOptions);
  }

  protected override newGroup(mapKey: unknown, keyDatums: Datum[]): AggGroup {
    const g = super.newGroup(mapKey, keyDatums);
    const v = keyDatums[this.wmOptions.cleanKey];
    if (v !== null) {
      const t = this.groupTypes[this.wmOptions.cleanKey];
      const k = datumKey(t, v);
      let w = this.windows.get(k);
      if (w === undefined) {
        w = { value: v, groups: [] };
        this.windows.set(k, w);
        // New windows are usually the latest: search from the end.
        let at = this.windowOrder.length;
        while (at > 0 && compareDatum(t, this.windowOrder[at - 1], v) > 0) at--;
        this.windowOrder.splice(at, 0, v);
      }
      w.groups.push(mapKey);
    }
    return g;
  }

  protected override onWatermark(w: Watermark): void {
    super.onWatermark(w);
    // The filter upstream emits one per chunk: only the latest per column needs to go out.
    const p = this.pendingWatermarks;
    const col = p.length > 0 ? p[p.length - 1].column : -1;
    for (let i = p.length - 2; i >= 0; i--) {
      if (p[i].column === col) {
        p.splice(i, 1);
        break; // earlier calls left at most one per column
      }
    }
    const k = this.wmOptions.cleanKey;
    if (w.column !== this.keyer.indices[k] || w.value === null) return;
    const t = this.groupTypes[k];
    if (this.cleanBelow !== null && compareDatum(t, w.value, this.cleanBelow) <= 0) return;
    this.cleanBelow = w.value;
    this.cleanPending = true;
  }

  /** Closed windows are cleaned by key-prefix scans of every table, the intermediate one too. */
  protected override readsIntermediateByKeyOnly(): boolean {
    return false;
  }

  override afterCommit(b: Barrier): void {
    super.afterCommit(b);
    if (!this.cleanPending || this.stopped) return;
    this.cleanPending = false;
    const t = this.groupTypes[this.wmOptions.cleanKey];
    const below = this.cleanBelow!;
    const tables = this.stateTables();
    const order = this.windowOrder;
    let closed = 0;
    while (closed < order.length && compareDatum(t, order[closed], below) < 0) closed++;
    for (const v of order.splice(0, closed)) {
      const key = datumKey(t, v);
      const w = this.windows.get(key)!;
      this.windows.delete(key);
      for (const mapKey of w.groups) {
        const g = this.cache.get(mapKey);
        if (g === undefined) continue; // already gone (its rows were all deleted)
        this.cache.delete(mapKey);
        for (const table of tables) for (const sk of table.keysWithPrefix(g.key)) table.deleteByKey(sk);
      }
    }
  }
}
