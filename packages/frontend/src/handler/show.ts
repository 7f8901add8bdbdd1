/**
 * RisingWave's SHOW statements over the catalog (SHOW TABLES, SHOW COLUMNS FROM t, …),
 * with RisingWave's column names. SHOW <variable> lives in variable.ts.
 */
import { T, type Row, SqlError, SqlState, typeName } from '@freshet/common';
import type { FieldInfo } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import type { FunctionCatalog, RelationCatalog, RelationKind } from '../catalog/model';
import { formatJobProgress, streamingJobs } from '../catalog/system';
import { type PreparedCommand, simpleCommand } from '../session/dispatch';
import type { FrontendSession } from '../session/session';
import { resolveRelationOrThrow } from './resolve';
import { systemParameters } from '../stream-planner/system-params';

type ShowStatement = Extract<Statement, { kind: 'show' }>;

const nameField = (name = 'Name'): FieldInfo[] => [{ name, type: T.Varchar }];
const varchars = (...names: string[]): FieldInfo[] => names.map((name) => ({ name, type: T.Varchar }));

/** SHOW COLUMNS and DESCRIBE: RisingWave prints "Is Hidden" as text (`true` / `false`). */
export const COLUMN_FIELDS: FieldInfo[] = varchars('Name', 'Type', 'Is Hidden', 'Description');

/** One SHOW COLUMNS / DESCRIBE row per column, hidden ones (`_row_id`) included. */
export function columnRows(rel: RelationCatalog): Row[] {
  return rel.columns.map((c) => [c.name, typeName(c.type), String(c.hidden), null]);
}

/** An index as RisingWave shows it: keys with their order, included columns, distribution. */
export function indexParts(base: RelationCatalog, ix: RelationCatalog): { key: string; include: string; distributedBy: string } {
  const keys = ix.index!.keys;
  const keyCols = new Set(keys.map((k) => k.column));
  return {
    key: keys.map((k) => `${base.columns[k.column].name} ${k.desc ? 'DESC' : 'ASC'}`).join(', '),
    include: ix.index!.include.filter((c) => !keyCols.has(c) && !base.columns[c].hidden).map((c) => base.columns[c].name).join(', '),
    // RisingWave distributes an index by its first key column.
    distributedBy: keys.length > 0 ? base.columns[keys[0].column].name : '',
  };
}

/** A user function's result as SHOW FUNCTIONS and pg_get_function_result print it. */
export function functionResultText(f: FunctionCatalog): string {
  if (!f.tableColumns) return typeName(f.returnType!);
  return `TABLE(${f.tableColumns.map((c) => `${c.name} ${typeName(c.type)}`).join(', ')})`;
}

/** The indexes created on `base` (CREATE INDEX; a primary key is not one). */
export function indexesOn(session: FrontendSession, base: RelationCatalog): RelationCatalog[] {
  return session.frontend.catalog.listRelations(session.database, base.schema, 'index').filter((ix) => ix.index?.on === base.id);
}

/** What SHOW CREATE <kind> accepts, and its name in RisingWave's "not found" error. */
const CREATE_KIND: Record<string, { kind: RelationKind; what: string }> = {
  table: { kind: 'table', what: 'table' },
  materialized_view: { kind: 'materialized_view', what: 'materialized view' },
  view: { kind: 'view', what: 'view' },
  source: { kind: 'source', what: 'source' },
  sink: { kind: 'sink', what: 'sink' },
  index: { kind: 'index', what: 'index' },
};

const KIND_OF: Partial<Record<string, RelationKind>> = {
  tables: 'table',
  materialized_views: 'materialized_view',
  views: 'view',
  sources: 'source',
  sinks: 'sink',
};

/** SQL LIKE: `%` any run, `_` one character, a backslash escapes the next character. */
function likeFilter(pattern: string | undefined): (s: string) => boolean {
  if (!pattern) return () => true;
  let src = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) src += escapeRegex(pattern[++i]);
    else src += c === '%' ? '.*' : c === '_' ? '.' : escapeRegex(c);
  }
  const re = new RegExp(`${src}$`, 's');
  return (s) => re.test(s);
}

const escapeRegex = (c: string) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
        const rows = columnRows(rel).filter((r) => like(r[0] as string));
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'create':
      return simpleCommand(
        [
          { name: 'Name', type: T.Varchar },
          { name: 'Create Sql', type: T.Varchar },
        ],
        () => {
          const want = CREATE_KIND[stmt.objectKind ?? ''];
          if (!want) throw new SqlError(SqlState.FeatureNotSupported, `Not supported: show create on: ${stmt.objectKind}`);
          const rel = resolveRelationOrThrow(session, stmt.object ?? '');
          if (rel.kind !== want.kind) throw new SqlError(SqlState.UndefinedObject, `${want.what} not found: ${stmt.object}`);
          return { tag: 'SHOW 1', rows: [[`${rel.schema}.${rel.name}`, rel.definition]] };
        },
      );
    case 'indexes':
      return simpleCommand(varchars('Name', 'On', 'Key', 'Include', 'Distributed By'), () => {
        const base = resolveRelationOrThrow(session, stmt.object ?? '');
        const rows: Row[] = indexesOn(session, base).map((ix) => {
          const p = indexParts(base, ix);
          return [ix.name, base.name, p.key, p.include, p.distributedBy];
        });
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'jobs':
      // RisingWave lists the jobs still being created (backfilling), with their progress.
      return simpleCommand(
        [
          { name: 'Id', type: T.Int64 },
          { name: 'Statement', type: T.Varchar },
          { name: 'Progress', type: T.Varchar },
        ],
        () => {
          const rows: Row[] = streamingJobs(catalog, session.frontend.streaming)
            .filter((j) => j.backfill !== undefined)
            .map((j) => [BigInt(j.id), j.definition, formatJobProgress(j.backfill!)]);
          return { tag: `SHOW ${rows.length}`, rows };
        },
      );
    case 'functions':
      // User-defined functions of the schema (CREATE FUNCTION); embedded ones have no link.
      return simpleCommand(varchars('Name', 'Arguments', 'Return Type', 'Language', 'Link'), () => {
        const rows: Row[] = catalog
          .listFunctions(session.database, stmt.schema ?? 'public')
          .filter((f) => like(f.name))
          .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id)
          .map((f) => [f.name, f.argTypes.map(typeName).join(', '), functionResultText(f), f.language, null]);
        return { tag: `SHOW ${rows.length}`, rows };
      });
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
    case 'parameters':
      return simpleCommand(varchars('Name', 'Value', 'Mutable'), () => {
        const rows: Row[] = systemParameters(session.frontend.streaming).map(([name, value, mutable]) => [name, value, String(mutable)]);
        return { tag: `SHOW ${rows.length}`, rows };
      });
    case 'all':
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
