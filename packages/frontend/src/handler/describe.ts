/**
 * DESCRIBE relation, as RisingWave prints it: one row per column (hidden `_row_id`
 * included), then `primary key`, `distribution key` (tables and MVs: RisingWave
 * distributes by the primary key), one row per index on the relation, and finally the
 * `table description` row.
 */
import type { Row } from '@freshet/common';
import type { Statement } from '@freshet/sql';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';
import { resolveRelationOrThrow } from './resolve';
import { COLUMN_FIELDS, columnRows, indexParts, indexesOn } from './show';

export function describeCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'describe' }>): PreparedCommand {
  return simpleCommand(COLUMN_FIELDS, () => {
    const rel = resolveRelationOrThrow(session, stmt.name);
    const rows: Row[] = columnRows(rel);
    const pkNames = rel.kind === 'view' ? [] : rel.pk.map((i) => rel.columns[i]?.name).filter(Boolean);
    if (pkNames.length > 0) rows.push(['primary key', pkNames.join(', '), null, null]);
    if ((rel.kind === 'table' || rel.kind === 'materialized_view') && pkNames.length > 0) {
      rows.push(['distribution key', pkNames.join(', '), null, null]);
    }
    for (const ix of indexesOn(session, rel)) {
      const p = indexParts(rel, ix);
      const include = p.include ? ` include(${p.include})` : '';
      rows.push([ix.name, `index(${p.key})${include} distributed by(${p.distributedBy})`, null, null]);
    }
    rows.push(['table description', rel.name, null, null]);
    return { tag: 'DESCRIBE', rows };
  });
}
