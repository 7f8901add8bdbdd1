/**
 * `WITH sub AS CHANGELOG FROM rel` in a stream plan: the relation's scan, then a
 * StreamChangeLog that appends every change as a row with `changelog_op` and a fresh
 * `_changelog_row_id`. The output is append-only and keyed by that id alone (the
 * relation's own key is dropped: one key may appear in many changelog rows).
 */
import { col } from '../planner/expr';
import type { Scan } from '../planner/plan';
import type { StreamNode } from './plan';

/** `scan` is the relation's table_scan for `p`'s physical columns (its pk carried after them). */
export function planChangelog(p: Scan, scan: StreamNode): StreamNode {
  const w = p.columns.length;
  const iw = scan.schema.length;
  const [op, id] = p.schema.slice(w);
  const log: StreamNode = {
    kind: 'changelog',
    input: scan,
    schema: [...scan.schema, { name: op.name, type: op.type, hidden: false }, { name: id.name, type: id.type, hidden: true }],
    streamKey: [iw + 1],
  };
  const keep = [...Array.from({ length: w }, (_, i) => i), iw, iw + 1];
  return {
    kind: 'project',
    input: log,
    exprs: keep.map((i) => col(i, log.schema[i].type)),
    schema: keep.map((i) => log.schema[i]),
    streamKey: [w + 1],
  };
}
