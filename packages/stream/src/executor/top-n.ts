/**
 * ORDER BY … LIMIT n [OFFSET m] over a stream (RisingWave's top_n.rs): the group top-N
 * with no partition, so the MV holds exactly the current top rows.
 */
import { GroupTopNExecutor, type GroupTopNOptions } from './group-top-n';

/** The group top-N's options without a partition: kept as one type so the two cannot drift. */
export type TopNOptions = Omit<GroupTopNOptions, 'groupKey'>;

export class TopNExecutor extends GroupTopNExecutor {
  override readonly name = 'StreamTopN';
  constructor(options: TopNOptions) {
    super({ ...options, groupKey: [] });
  }
}
