/**
 * `WITH sub AS CHANGELOG FROM rel` (the front pass rewrote it to `sub AS (SELECT * FROM rel)`
 * and recorded the CTE): the CTE becomes a changelog scan of `rel` — its visible columns,
 * then `changelog_op` (smallint: 1 insert, 2 delete, 3 update-insert, 4 update-delete) and
 * the hidden `_changelog_row_id`. Only a streaming job can run it (stream-planner).
 */
import { SqlError, SqlState, T } from '@freshet/common';
import type { Field, PlanNode } from '../planner/plan';

export function changelogPlan(plan: PlanNode, name: string): PlanNode {
  // `SELECT * FROM rel`: the scan, possibly under a projection of its columns.
  let columns: number[];
  let scan = plan;
  if (scan.kind === 'project' && scan.exprs.every((e) => e.kind === 'column')) {
    const refs = scan.exprs.map((e) => (e as { index: number }).index);
    scan = scan.input;
    if (scan.kind !== 'scan') throw notARelation(name);
    const inner = scan.columns;
    columns = refs.map((r) => inner[r]);
  } else if (scan.kind === 'scan') {
    columns = [...scan.columns];
  } else {
    throw notARelation(name);
  }
  const fields: Field[] = plan.schema.map((f) => ({ ...f, table: name }));
  fields.push({ name: 'changelog_op', type: T.Int16, table: name }, { name: '_changelog_row_id', type: T.Serial, table: name, hidden: true });
  return { kind: 'scan', table: scan.table, columns, changelog: true, schema: fields };
}

function notARelation(name: string): SqlError {
  return new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: CHANGELOG of something other than a table or materialized view (${name})`);
}
