/**
 * An aggregate without GROUP BY (RisingWave's simple_agg.rs): exactly one output row,
 * present from the first barrier on even over empty input (`count(*)` = 0), updated with
 * U-/U+ pairs and never deleted.
 */
import type { DataType } from '@freshet/common';
import type { AggCallDesc } from '../agg/call';
import type { StateTableAllocator } from '../state/state-table';
import { HashAggExecutor } from './hash-agg';

export interface SimpleAggOptions {
  readonly inputTypes: readonly DataType[];
  readonly calls: readonly AggCallDesc[];
  readonly tables: StateTableAllocator;
  /** Two-phase global side: the partial row-count column (see HashAggOptions). */
  readonly rowCountColumn?: number;
}

export class SimpleAggExecutor extends HashAggExecutor {
  override readonly name = 'StreamSimpleAgg';

  constructor(options: SimpleAggOptions) {
    super({ ...options, groupKey: [] });
    // The single group exists from the start; if nothing was emitted yet (no stored
    // state), mark it dirty so the first barrier emits the initial row.
    const g = this.newGroup('', []);
    this.cache.set('', g);
    if (g.prevOutputs === null) {
      g.dirty = true;
      this.dirty.push(g);
    }
  }
}
