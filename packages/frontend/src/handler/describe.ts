/**
 * DESCRIBE relation: RisingWave prints one row per visible column, then the primary key
 * and, for tables, the distribution key, and finally the table's description.
 */
import { T, type Row, typeName } from '@freshet/common';
import type { FieldInfo } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';
import { resolveRelationOrThrow } from './resolve';

const FIELDS: FieldInfo[] = [
  { name: 'Name', type: T.Varchar },
  { name: 'Type', type: T.Varchar },
  { name: 'Is Hidden', type: T.Boolean },
  { name: 'Description', type: T.Varchar },
];

export function describeCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'describe' }>): PreparedCommand {
  return simpleCommand(FIELDS, () => {
    const rel = resolveRelationOrThrow(session, stmt.name);
    const rows: Row[] = rel.columns.map((c) => [c.name, typeName(c.type), c.hidden, null]);
    const pkNames = rel.pk.map((i) => rel.columns[i]?.name).filter(Boolean);
    if (pkNames.length > 0) rows.push(['primary key', pkNames.join(', '), null, null]);
    if (rel.kind === 'table' && pkNames.length > 0) rows.push(['distribution key', pkNames.join(', '), null, null]);
    rows.push(['table description', rel.name, null, null]);
    return { tag: `DESCRIBE`, rows };
  });
}
