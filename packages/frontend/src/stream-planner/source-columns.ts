/**
 * Which columns of each scanned source a stream plan actually reads. Scans carry every
 * column of their relation (to-stream.ts keeps the logical plan's columns), and a source
 * reader fills each of them for every row — for nexmark that means building a random
 * `extra` string per bid that a query like `SELECT auction, price FROM bid` never looks at.
 * The builder passes the columns found here to the source's reader (ReaderContext.columns),
 * which may leave the others NULL.
 *
 * The walk is top-down and conservative: a project needs the columns its expressions
 * reference; a filter, hop window, hash join or top-N the columns it evaluates (predicate,
 * time column, join keys and condition, group and order keys, stream keys) plus the
 * passed-through columns its consumer needs; every other node is assumed to read all
 * columns of its inputs. An unread column then flows as NULL — also through join and
 * top-N state, which no longer stores, say, every bid's `extra` for nothing.
 */
import { collectColumns } from '../planner/expr';
import { type StreamNode, type StreamTableScan, streamInputs } from './plan';

/** Relation column indices read from each source scan of `root` (scans absent: read in full). */
export function sourceColumnUse(root: StreamNode): Map<StreamTableScan, Set<number>> {
  const out = new Map<StreamTableScan, Set<number>>();
  visit(root, null, out);
  return out;
}

/** `required`: output columns of `n` its consumer reads (null: all). */
function visit(n: StreamNode, required: ReadonlySet<number> | null, out: Map<StreamTableScan, Set<number>>): void {
  switch (n.kind) {
    case 'table_scan': {
      if (n.relation.kind !== 'source') return;
      let used = out.get(n);
      if (!used) out.set(n, (used = new Set()));
      n.columns.forEach((c, i) => {
        if (required === null || required.has(i)) used.add(c);
      });
      return;
    }
    case 'project': {
      const need = new Set<number>();
      n.exprs.forEach((e, i) => {
        if (required === null || required.has(i)) collectColumns(e, need);
      });
      return visit(n.input, need, out);
    }
    case 'filter':
      return visit(n.input, required === null ? null : collectColumns(n.predicate, new Set(required)), out);
    case 'hop_window': {
      if (required === null) return visit(n.input, null, out);
      const width = n.input.schema.length;
      const need = new Set<number>([n.timeCol]);
      for (const c of required) if (c < width) need.add(c);
      return visit(n.input, need, out);
    }
    case 'hash_join': {
      // Each side: its join keys, stream key (the join state's key), the condition's columns
      // on that side, and the passed-through columns the consumer reads.
      const width = n.left.schema.length;
      const left = new Set<number>([...n.leftKeys, ...n.left.streamKey]);
      const right = new Set<number>([...n.rightKeys, ...n.right.streamKey]);
      const add = (c: number) => (c < width ? left.add(c) : right.add(c - width));
      if (n.condition) for (const c of collectColumns(n.condition)) add(c);
      const passesRight = n.joinType !== 'semi' && n.joinType !== 'anti';
      if (required === null) {
        n.left.schema.forEach((_, c) => left.add(c));
        if (passesRight) n.right.schema.forEach((_, c) => right.add(c));
      } else for (const c of required) add(c);
      visit(n.left, left, out);
      return visit(n.right, right, out);
    }
    case 'top_n': {
      if (required === null) return visit(n.input, null, out);
      const width = n.input.schema.length;
      const need = new Set<number>([...n.groupKey, ...n.orderBy.map((o) => o.column), ...n.input.streamKey]);
      for (const c of required) if (c < width) need.add(c); // past width: the rank column
      return visit(n.input, need, out);
    }
    default:
      for (const input of streamInputs(n)) visit(input, null, out);
  }
}
