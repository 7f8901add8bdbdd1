/**
 * Which output column of a stream node retracts only "in order of expiry": the node is
 * append-only except for a temporal filter's lower bound (`ts > NOW() - INTERVAL …`), reached
 * through projections and filters only. Then every retraction is the clock passing a row's
 * `ts`, and at each barrier every row with `ts` at or below the bound leaves together.
 *
 * That lets MAX over that column keep one value per group (agg/value-calls.ts
 * `AppendOnlyExtremeCall` with a count): the group's largest value can only leave together
 * with every smaller one, so when anything is left, the largest value is still there. The
 * seed's `MAX(timestamp) … WHERE timestamp > NOW() - INTERVAL '30 minutes'` over a Kafka
 * source is the case: otherwise MAX keeps every (user, timestamp) in a state table.
 */
import type { StreamNode } from './plan';
import { appendOnly } from './to-stream-watermark';

/** The output column of `n` whose values only expire in order (see above), or -1. */
export function expiringColumn(n: StreamNode): number {
  switch (n.kind) {
    case 'temporal_filter':
      return n.lower !== null && appendOnly(n.input) ? n.column : -1;
    case 'filter':
      return expiringColumn(n.input);
    case 'project': {
      const below = expiringColumn(n.input);
      if (below < 0) return -1;
      // The first output that passes the column through unchanged.
      return n.exprs.findIndex((e) => e.kind === 'column' && e.index === below);
    }
    default:
      return -1;
  }
}
