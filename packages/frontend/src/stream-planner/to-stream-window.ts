/**
 * General window functions (`lag(v) OVER (PARTITION BY k ORDER BY t)`, `sum(v) OVER (…)`)
 * in a stream plan: a StreamOverWindow that recomputes each changed partition (see
 * packages/stream over-window.ts). Rank filters (`row_number() … <= N`) never get here:
 * to-stream plans them as group top-N.
 *
 * Output: the input's columns, then one per call; keyed by the input's key. The partition
 * key is projected into columns first (computed PARTITION BY expressions included); the
 * calls' own expressions stay over the input's logical columns, which come first.
 */
import { col } from '../planner/expr';
import type { Field, PlanNode } from '../planner/plan';
import type { StreamField, StreamNode } from './plan';
import { projectKeepingKey, withKeyColumns } from './to-stream';

type Window = Extract<PlanNode, { kind: 'window' }>;

export function planOverWindow(p: Window, inputNode: StreamNode): StreamNode {
  const lw = p.input.schema.length;
  const [input, partitionKey] = withKeyColumns(inputNode, p.calls[0].partitionBy);
  const iw = input.schema.length;
  const callFields: StreamField[] = p.schema.slice(lw).map(fieldOf);
  const over: StreamNode = {
    kind: 'over_window',
    input,
    window: p,
    partitionKey,
    schema: [...input.schema, ...callFields],
    streamKey: input.streamKey,
  };
  const exprs = [...range(0, lw), ...range(iw, iw + callFields.length)].map((i) => col(i, over.schema[i].type));
  return projectKeepingKey(over, exprs, p.schema.map(fieldOf));
}

const fieldOf = (f: Field): StreamField => ({ name: f.name, type: f.type, hidden: !!f.hidden });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
