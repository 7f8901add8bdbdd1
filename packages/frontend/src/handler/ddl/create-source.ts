/**
 * CREATE SOURCE, DROP SOURCE and the connector part of CREATE TABLE … WITH (connector = …),
 * following RisingWave:
 *
 *   CREATE SOURCE [IF NOT EXISTS] s [(col type [AS expr], …, [WATERMARK FOR col AS expr])]
 *     [INCLUDE key | partition | offset | timestamp | header ['name' [type]] [AS alias] …]
 *     WITH (connector = '…', …) [FORMAT … ENCODE … [(…)]]
 *
 * The connector (@freshet/connectors) validates its options and columns (or supplies them:
 * nexmark without a column list). A source record stores its columns — declared ones,
 * INCLUDE columns named `_rw_<connector>_<what>` unless aliased, and a hidden `_row_id`
 * key — its WITH options, FORMAT/ENCODE and its definition text (SHOW CREATE SOURCE). A
 * source holds no data: each materialized view reading it runs its own reader (see
 * stream-planner/sources.ts).
 */
import { type DataType, SqlError, SqlState, T, listOf, notSupported, structOf } from '@freshet/common';
import { CDC_CONNECTOR, type SourceColumn, type SourceSpec, cdcTableOptions, sourceConnector } from '@freshet/connectors';
import { type CreateSourceStatement, type PgNode, type RwExtras, type Statement, resolveTypeName } from '@freshet/sql';
import type { ColumnDesc, RelationCatalog, SourceInfo } from '../../catalog/model';
import { tableWatermarks } from '../../stream-planner/watermark';
import { type DdlContext, inBatch, newRelationSchema, resolveRelation } from './context';
import { ROW_ID_COLUMN, checkColumnName } from './create-table';
import { createMirroredSource, isMirroredSource } from './create-cdc-source';
import { dropWithDependents } from './drop-relation';
import { deparseExpr } from './pg-nodes';

export async function createSource(ctx: DdlContext, stmt: CreateSourceStatement): Promise<string> {
  const qn = qualified(stmt.nameParts);
  const schema = newRelationSchema(ctx, qn, stmt.ifNotExists);
  if (schema === null) return 'CREATE_SOURCE';
  const rw = stmt.rw;
  const declared = declaredColumns(stmt.tableElts, rw);
  const connectorName = connectorOf(rw.withOptions, true)!;
  const format = rw.format?.toLowerCase();
  if (format === 'upsert' || format === 'debezium') {
    // Changes need a primary key to apply to: RisingWave takes them into tables only.
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: CREATE SOURCE with FORMAT ${format.toUpperCase()}`, {
      hint: 'Use CREATE TABLE with a PRIMARY KEY for FORMAT UPSERT and FORMAT DEBEZIUM.',
    });
  }
  // A single-table CDC source is stored as the table it mirrors (create-cdc-source.ts).
  if (!rw.includes?.length && (await createMirroredSource(ctx, { schema, name: qn.name, text: stmt.text }, connectorName, rw.withOptions, declared))) return 'CREATE_SOURCE';
  const includes = includeColumns(connectorName, rw, declared);
  let columns: ColumnDesc[] = [...declared, ...includes.map((i) => i.column)];
  const info = sourceInfo(connectorName, rw, declared.length, includes);
  const validated = validateConnector(qn.name, rw.withOptions, columns, info);
  if (columns.length === 0) columns = validated.map((c) => ({ name: c.name, type: c.type, hidden: false, notNull: false }));
  const pk = [columns.length];
  columns.push({ name: ROW_ID_COLUMN, type: T.Serial, hidden: true, notNull: true });
  const q = { ...ctx, timeZone: 'UTC', now: () => Date.now() * 1000 };
  const watermarks = tableWatermarks(q, qn.name, columns, rw.watermarks, true);

  const rec: RelationCatalog = {
    id: ctx.catalog.nextId(),
    kind: 'source',
    database: ctx.database,
    schema,
    name: qn.name,
    owner: ctx.user,
    columns,
    pk,
    appendOnly: true,
    onConflict: 'overwrite',
    definition: stmt.text,
    withOptions: { ...rw.withOptions },
    dependsOn: [],
    createdAt: Date.now(),
    connector: info,
    ...(watermarks ? { watermarks } : {}),
  };
  await inBatch(ctx, (batch) => ctx.catalog.addRelation(rec, batch));
  return 'CREATE_SOURCE';
}

/**
 * CREATE TABLE … WITH (connector = …): checks the connector's options against the table's
 * columns and returns what the record stores about it (undefined: not a connector table).
 */
export function connectorTable(table: string, columns: readonly ColumnDesc[], rw: RwExtras | undefined, withOptions: Record<string, string>): SourceInfo | undefined {
  const name = connectorOf(withOptions, false);
  if (!name) return undefined;
  const info = sourceInfo(name, rw, 0, []);
  const includes = (rw?.includes ?? []).map((inc) => {
    const col = includeName(name, inc);
    return { column: columns.findIndex((c) => c.name === col), what: inc.what.toLowerCase(), ...(inc.inner !== undefined ? { inner: inc.inner } : {}) };
  });
  if (includes.length > 0) info.includes = includes;
  validateConnector(table, withOptions, columns, info);
  return info;
}

/**
 * WITH options of `CREATE TABLE t (…) FROM src TABLE 'schema.table'` (RisingWave's tables of a
 * shared CDC source): the source's connection options for that one upstream table.
 */
export function sharedSourceTableOptions(ctx: DdlContext, ref: { sourceParts: string[]; table: string }): Record<string, string> {
  const src = resolveRelation(ctx, qualified(ref.sourceParts));
  if (!src || src.kind !== 'source') throw new SqlError(SqlState.UndefinedObject, `source not found: ${ref.sourceParts.join('.')}`);
  if (src.connector?.connector !== CDC_CONNECTOR) {
    throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: CREATE TABLE FROM a ${src.connector?.connector ?? 'non-connector'} source`);
  }
  return cdcTableOptions(src.withOptions, ref.table);
}

/**
 * CREATE TABLE's `INCLUDE …` columns, appended to the declared ones before the primary key
 * is resolved (an upsert table's key is usually `INCLUDE KEY AS k`).
 */
export function tableIncludeColumns(rw: RwExtras | undefined, withOptions: Record<string, string>, declared: readonly ColumnDesc[]): ColumnDesc[] {
  if (!rw?.includes?.length) return [];
  const name = connectorOf(withOptions, false);
  if (!name) throw new SqlError(SqlState.SyntaxError, 'INCLUDE requires a connector: add WITH (connector = …)');
  return includeColumns(name, rw, declared).map((i) => i.column);
}

/** DROP SOURCE [IF EXISTS] s [, …] [CASCADE]. */
export async function dropSources(ctx: DdlContext, stmt: Extract<Statement, { kind: 'drop' }>): Promise<string> {
  const targets: RelationCatalog[] = [];
  stmt.nameParts.forEach((parts, i) => {
    const qn = qualified(parts);
    const rel = resolveRelation(ctx, qn);
    if (!rel) {
      if (stmt.ifExists) {
        ctx.notice(`source "${stmt.names[i]}" does not exist, skipping`);
        return;
      }
      throw new SqlError(SqlState.UndefinedObject, `source not found: ${stmt.names[i]}`);
    }
    if (rel.kind !== 'source' && !isMirroredSource(rel)) {
      throw new SqlError(SqlState.WrongObjectType, `"${stmt.names[i]}" is not a source`, { hint: `Use DROP ${rel.kind.replace('_', ' ').toUpperCase()} to remove a ${rel.kind.replace('_', ' ')}.` });
    }
    targets.push(rel);
  });
  if (targets.length > 0) {
    await inBatch(ctx, (batch) => {
      const dropped = new Set<number>();
      for (const rel of targets) dropWithDependents(ctx, batch, rel, stmt.cascade, dropped);
    });
  }
  return 'DROP_SOURCE';
}

/** The connector's view of a relation: what `validate` and `open` receive. */
export function sourceSpec(rel: RelationCatalog): SourceSpec {
  if (!rel.connector) throw new SqlError(SqlState.InternalError, `${rel.name} has no connector`);
  return specOf(rel.name, rel.withOptions, rel.columns, rel.connector);
}

/** The reader fills every column but hidden (`_row_id`) and generated ones, INCLUDE columns marked. */
function specOf(name: string, options: Record<string, string>, columns: readonly ColumnDesc[], info: SourceInfo): SourceSpec {
  const includes = new Map((info.includes ?? []).map((i) => [i.column, i]));
  return {
    name,
    connector: info.connector,
    options,
    columns: columns.flatMap((c, i): SourceColumn[] => {
      if (c.hidden || c.generatedExpr !== undefined) return [];
      const inc = includes.get(i);
      return [inc ? { name: c.name, type: c.type, include: { what: inc.what, inner: inc.inner } } : { name: c.name, type: c.type }];
    }),
    format: info.format || info.encode ? { format: info.format, encode: info.encode, options: info.encodeOptions ?? {} } : undefined,
  };
}

function validateConnector(name: string, options: Record<string, string>, columns: readonly ColumnDesc[], info: SourceInfo): SourceColumn[] {
  return sourceConnector(info.connector).validate(specOf(name, options, columns, info));
}

function qualified(parts: string[]): { schema: string | null; name: string } {
  if (parts.length > 3) throw new SqlError(SqlState.SyntaxError, `improper qualified name (too many dotted names): ${parts.join('.')}`);
  return { schema: parts.length >= 2 ? parts[parts.length - 2] : null, name: parts[parts.length - 1] };
}

/** The `connector` option, lower-cased; a source without one is 42601 like RisingWave's. */
function connectorOf(options: Record<string, string>, required: boolean): string | undefined {
  const c = options.connector;
  if (c === undefined || c === '') {
    if (required) throw new SqlError(SqlState.SyntaxError, 'missing field `connector`', { hint: "Add WITH (connector = '…') naming the source's connector." });
    return undefined;
  }
  return c.toLowerCase();
}

function sourceInfo(connector: string, rw: RwExtras | undefined, width: number, includes: { column: ColumnDesc; what: string; inner?: string }[]): SourceInfo {
  const info: SourceInfo = { connector };
  if (rw?.format) info.format = rw.format;
  if (rw?.encode) info.encode = rw.encode;
  if (rw?.encodeOptions && Object.keys(rw.encodeOptions).length > 0) info.encodeOptions = { ...rw.encodeOptions };
  if (includes.length > 0) info.includes = includes.map((inc, i) => ({ column: width + i, what: inc.what, ...(inc.inner !== undefined ? { inner: inc.inner } : {}) }));
  return info;
}

/** The column list of CREATE SOURCE: types, generated columns; keys are for tables only. */
function declaredColumns(elts: readonly PgNode[], rw: RwExtras): ColumnDesc[] {
  const columns: ColumnDesc[] = [];
  for (const elt of elts) {
    if (elt.Constraint) {
      if (elt.Constraint.contype === 'CONSTR_PRIMARY') throw pkOnSource();
      throw notSupported(`table constraint on a source`);
    }
    const def = elt.ColumnDef;
    if (!def) throw notSupported(`CREATE SOURCE element ${Object.keys(elt)[0]}`);
    const name: string = def.colname;
    checkColumnName(name);
    if (columns.some((c) => c.name === name)) throw new SqlError(SqlState.DuplicateColumn, `column "${name}" specified more than once`);
    const col: ColumnDesc = { name, type: resolveTypeName(def.typeName, rw), hidden: false, notNull: false };
    for (const c of (def.constraints ?? []) as PgNode[]) {
      const con = c.Constraint;
      if (con.contype === 'CONSTR_GENERATED') col.generatedExpr = deparseExpr(con.raw_expr);
      else if (con.contype === 'CONSTR_PRIMARY') throw pkOnSource();
      else if (con.contype !== 'CONSTR_NULL') throw notSupported(`column constraint "${String(con.contype).replace(/^CONSTR_/, '')}" on a source`);
    }
    columns.push(col);
  }
  return columns;
}

function pkOnSource(): SqlError {
  return new SqlError(SqlState.FeatureNotSupported, 'Source does not support PRIMARY KEY constraint, please use "CREATE TABLE" instead');
}

/** An INCLUDE column's name: its alias, else RisingWave's `_rw_<connector>_<what>[_<header>]`. */
function includeName(connector: string, inc: { what: string; inner?: string; alias?: string }): string {
  return inc.alias ?? `_rw_${connector.replace(/-/g, '_')}_${inc.what.toLowerCase()}${inc.inner !== undefined ? `_${inc.inner}` : ''}`;
}

/** Types of `INCLUDE …` columns (RisingWave's Kafka additional columns). */
function includeType(what: string, inner: string | undefined, typeText: string | undefined): DataType {
  switch (what) {
    case 'key':
      return T.Bytea;
    case 'partition':
    case 'offset':
      return T.Varchar;
    case 'timestamp':
      return T.Timestamptz;
    case 'payload':
      return T.Jsonb;
    case 'header':
      if (inner === undefined) return listOf(structOf([{ name: 'key', type: T.Varchar }, { name: 'value', type: T.Bytea }]));
      return typeText && /^(varchar|text|character varying)$/i.test(typeText.trim()) ? T.Varchar : T.Bytea;
    default:
      throw new SqlError(SqlState.FeatureNotSupported, `Feature is not yet implemented: INCLUDE ${what}`);
  }
}

function includeColumns(connector: string, rw: RwExtras, declared: readonly ColumnDesc[]): { column: ColumnDesc; what: string; inner?: string }[] {
  const out: { column: ColumnDesc; what: string; inner?: string }[] = [];
  for (const inc of rw.includes ?? []) {
    const what = inc.what.toLowerCase();
    const name = includeName(connector, inc);
    if ([...declared, ...out.map((o) => o.column)].some((c) => c.name === name)) {
      throw new SqlError(SqlState.DuplicateColumn, `column "${name}" specified more than once`);
    }
    out.push({ column: { name, type: includeType(what, inc.inner, inc.typeText), hidden: false, notNull: false }, what, ...(inc.inner !== undefined ? { inner: inc.inner } : {}) });
  }
  return out;
}
