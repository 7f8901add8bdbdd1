/**
 * `CREATE SOURCE s WITH (connector = 'postgres-cdc', …, table.name = 't')` — the seeds'
 * single-table CDC source, with or without a column list. Its changes (updates, deletes,
 * key changes) need a primary key to apply to, which a source (append-only, `_row_id`
 * keyed) does not have, so it is stored as a table fed by the connector, with the upstream
 * table's key and (when none are declared) its columns: exactly RisingWave's
 * `CREATE TABLE s (…, PRIMARY KEY (…)) WITH (connector = 'postgres-cdc', …)`. MVs over it
 * see every change. A shared CDC source (no `table.name`) stays a source.
 */
import { SqlError } from '@freshet/common';
import { sourceConnector } from '@freshet/connectors';
import type { ColumnDesc, RelationCatalog } from '../../catalog/model';
import { type DdlContext, DdlState, inBatch } from './context';

/** Creates the table for a single-table CDC source; false when `connector` mirrors no table here. */
export async function createMirroredSource(
  ctx: DdlContext,
  target: { schema: string; name: string; text: string },
  connector: string,
  withOptions: Record<string, string>,
  declared: readonly ColumnDesc[],
): Promise<boolean> {
  const c = sourceConnector(connector);
  if (!c.upstreamTable) return false;
  const columnsSpec = declared.map((d) => ({ name: d.name, type: d.type }));
  const spec = { name: target.name, connector, options: withOptions, columns: columnsSpec };
  c.validate(spec);
  const upstream = await c.upstreamTable(spec);
  if (!upstream) return false;
  const columns: ColumnDesc[] = declared.length > 0 ? declared.map((d) => ({ ...d })) : upstream.columns.map((u) => ({ name: u.name, type: u.type, hidden: false, notNull: false }));
  const pk = upstream.primaryKey.map((n) => {
    const i = columns.findIndex((col) => col.name === n);
    if (i < 0) throw new SqlError(DdlState.InvalidTableDefinition, `source ${target.name}: the upstream key column "${n}" is not among the declared columns`);
    return i;
  });
  for (const i of pk) columns[i].notNull = true;
  const rec: RelationCatalog = {
    id: ctx.catalog.nextId(),
    kind: 'table',
    database: ctx.database,
    schema: target.schema,
    name: target.name,
    owner: ctx.user,
    columns,
    pk,
    appendOnly: false,
    onConflict: 'overwrite',
    definition: target.text,
    withOptions: { ...withOptions },
    dependsOn: [],
    createdAt: Date.now(),
    connector: { connector },
  };
  await inBatch(ctx, (batch) => ctx.catalog.addRelation(rec, batch));
  return true;
}

/** A table created by CREATE SOURCE (above): DROP SOURCE drops it too. */
export function isMirroredSource(rel: RelationCatalog): boolean {
  return rel.kind === 'table' && rel.connector !== undefined && /^\s*create\s+source\b/i.test(rel.definition);
}
