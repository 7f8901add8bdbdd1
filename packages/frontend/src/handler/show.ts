/**
 * RisingWave's SHOW statements over the catalog (SHOW TABLES, SHOW COLUMNS FROM t, …),
 * with RisingWave's column names. SHOW <variable> lives in variable.ts.
 */
import { T, type Row, SqlError, SqlState, typeName } from '@freshet/common';
import type { FieldInfo } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import type { RelationKind } from '../catalog/model';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';
import { resolveRelationOrThrow } from './resolve';

type ShowStatement = Extract<Statement, { kind: 'show' }>;

const nameField = (name = 'Name'): FieldInfo[] => [{ name, type: T.Varchar }];
const COLUMN_FIELDS: FieldInfo[] = [
  { name: 'Name', type: T.Varchar },
  { name: 'Type', type: T.Varchar },
  { name: 'Is Hidden', type: T.Boolean },
  { name: 'Description', type: T.Varchar },
];

const KIND_OF: Partial<Record<string, RelationKind>> = {
  tables: 'table',
  materialized_views: 'materialized_view',
  views: 'view',
  sources: 'source',
  sinks: 'sink',
};

function likeFilter(pattern: string | undefined): (s: string) => boolean {
  if (!pattern) return () => true;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return (s) => re.test(s);
}

export function showCommand(session: FrontendSession, stmt: ShowStatement): PreparedCommand {
  const catalog = session.frontend.catalog;
  const like = likeFilter(stmt.like);
  const kind = KIND_OF[stmt.what];
  if (kind) {
    return simpleCommand(nameField(), () => {
      const schema = stmt.schema ?? 'public';
      const rows: Row[] = catalog
        .listRelations(session.database, schema, kind)
        .map((r) => r.name)
        .filter(like)
        .sort()
        .map((n) => [n]);
      return { tag: `SHOW ${rows.length}`, rows };
    });
  }
  switch (stmt.what) {
    case 'databases':
      return simpleCommand(nameField(), () => {
        const rows: Row[] = catalog
          .listDatabases()
          .map((d) => d.name)
          .filter(like)
          .sort()
          .map((n) => [n]);
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'schemas':
      return simpleCommand(nameField(), () => {
        const rows: Row[] = catalog
          .listSchemas(session.database)
          .map((s) => s.name)
          .filter(like)
          .sort()
          .map((n) => [n]);
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'columns':
      return simpleCommand(COLUMN_FIELDS, () => {
        const rel = resolveRelationOrThrow(session, stmt.object ?? '');
        const rows: Row[] = rel.columns
          .filter((c) => like(c.name))
          .map((c) => [c.name, typeName(c.type), c.hidden, null]);
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'create':
      return simpleCommand(
        [
          { name: 'Name', type: T.Varchar },
          { name: 'Create Sql', type: T.Varchar },
        ],
        () => {
          const rel = resolveRelationOrThrow(session, stmt.object ?? '');
          return { tag: 'SHOW 1', rows: [[`${rel.schema}.${rel.name}`, rel.definition]] };
        },
      );
    case 'indexes':
      return simpleCommand(
        [
          { name: 'Name', type: T.Varchar },
          { name: 'On', type: T.Varchar },
          { name: 'Key', type: T.Varchar },
          { name: 'Include', type: T.Varchar },
        ],
        () => {
          const base = resolveRelationOrThrow(session, stmt.object ?? '');
          const rows: Row[] = catalog
            .listRelations(session.database, base.schema, 'index')
            .filter((ix) => ix.index?.on === base.id)
            .map((ix) => [
              ix.name,
              base.name,
              ix.index!.keys.map((k) => base.columns[k.column].name + (k.desc ? ' DESC' : '')).join(', '),
              ix.index!.include.map((c) => base.columns[c].name).join(', '),
            ]);
          return { tag: `SHOW ${rows.length}`, rows };
        },
      );
    case 'processlist':
      return simpleCommand(
        ['Id', 'User', 'Host', 'Database', 'Time', 'Info'].map((name) => ({ name, type: T.Varchar })),
        () => {
          const rows: Row[] = [...session.frontend.activeSessions()].map((s) => [
            String(s.processId),
            s.user,
            '',
            s.database,
            `${Date.now() - s.connectedAt}ms`,
            s.currentQuery,
          ]);
          return { tag: `SHOW ${rows.length}`, rows };
        },
      );
    case 'all':
    case 'parameters':
      return simpleCommand(
        [
          { name: 'Name', type: T.Varchar },
          { name: 'Setting', type: T.Varchar },
          { name: 'Description', type: T.Varchar },
        ],
        () => {
          const rows = session.config.all();
          return { tag: `SHOW ${rows.length}`, rows };
        },
      );
    default:
      return simpleCommand(null, () => {
        throw new SqlError(SqlState.FeatureNotSupported, `SHOW ${stmt.what.toUpperCase().replace(/_/g, ' ')} is not supported yet`);
      });
  }
}
