/**
 * ORDER BY … LIMIT n [OFFSET m] over a stream (RisingWave's top_n.rs): the group top-N
 * with no partition, so the MV holds exactly the current top rows.
 */
import type { StateTableAllocator } from '../state/state-table';
import type { DataType } from '@freshet/common';
import { GroupTopNExecutor, type TopNOrderItem } from './group-top-n';

export interface TopNOptions {
  readonly types: readonly DataType[];
  readonly orderBy: readonly TopNOrderItem[];
  readonly pk: readonly number[];
  readonly limit: number;
  readonly offset?: number;
  readonly tables: StateTableAllocator;
  readonly chunkSize?: number;
}

export class TopNExecutor extends GroupTopNExecutor {
  override readonly name = 'StreamTopN';
  constructor(options: TopNOptions) {
    super({ ...options, groupKey: [] });
  }
}
