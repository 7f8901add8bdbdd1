/**
 * CREATE TABLE, following RisingWave: column types with RisingWave names, a primary key
 * from a column or table constraint (else a hidden `_row_id serial` column, appended last,
 * is the key), NOT NULL, DEFAULT and generated columns stored as SQL text, and the
 * RisingWave tail (APPEND ONLY, ON CONFLICT, WITH (…)) from the front pass's extras.
 * UNIQUE / CHECK / FOREIGN KEY are not implemented in RisingWave either and fail with 0A000.
 */
import { SqlError, SqlState, T, notSupported } from '@freshet/common';
import { type PgNode, type PgStatement, resolveTypeName } from '@freshet/sql';
import type { ColumnDesc, RelationCatalog } from '../../catalog/model';
import { type DdlContext, DdlState, inBatch, newRelationSchema } from './context';
import { defElemOptions, deparseExpr, rangeVarName, strVal } from './pg-nodes';
import { tableWatermarks } from '../../stream-planner/watermark';
import { connectorTable, sharedSourceTableOptions, tableIncludeColumns } from './create-source';

export const ROW_ID_COLUMN = '_row_id';

export async function createTable(ctx: DdlContext, stmt: PgStatement): Promise<string> {
  const node = stmt.node.CreateStmt as PgNode;
  const qn = rangeVarName(node.relation);
  const schema = newRelationSchema(ctx, qn, !!node.if_not_exists);
  if (schema === null) return 'CREATE_TABLE';
  if (node.inhRelations?.length) throw notSupported('CREATE TABLE … INHERITS');
  if (node.partspec) throw notSupported('CREATE TABLE … PARTITION BY');
  if (node.ofTypename) throw notSupported('CREATE TABLE … OF type');

  const rw = stmt.rw;
  const columns: ColumnDesc[] = [];
  let pkNames: string[] | null = null;
  const setPk = (names: string[]) => {
    if (pkNames) throw new SqlError(DdlState.InvalidTableDefinition, 'multiple primary keys are not allowed');
    pkNames = names;
  };

  for (const elt of (node.tableElts ?? []) as PgNode[]) {
    if (elt.ColumnDef) {
      const def = elt.ColumnDef;
      const name: string = def.colname;
      checkColumnName(name);
      if (columns.some((c) => c.name === name)) {
        throw new SqlError(SqlState.DuplicateColumn, `column "${name}" specified more than once`);
      }
      const col: ColumnDesc = { name, type: resolveTypeName(def.typeName, rw), hidden: false, notNull: !!def.is_not_null };
      for (const c of (def.constraints ?? []) as PgNode[]) {
        const con = c.Constraint;
        switch (con.contype) {
          case 'CONSTR_NULL':
            break;
          case 'CONSTR_NOTNULL':
            col.notNull = true;
            break;
          case 'CONSTR_DEFAULT':
            col.defaultExpr = deparseExpr(con.raw_expr);
            break;
          case 'CONSTR_GENERATED':
            col.generatedExpr = deparseExpr(con.raw_expr);
            break;
          case 'CONSTR_PRIMARY':
            setPk([name]);
            break;
          default:
            throw notSupported(`column constraint "${constraintName(con.contype)}"`);
        }
      }
      if (col.defaultExpr !== undefined && col.generatedExpr !== undefined) {
        throw new SqlError(SqlState.SyntaxError, `both default and generation expression specified for column "${name}"`);
      }
      columns.push(col);
    } else if (elt.Constraint) {
      const con = elt.Constraint;
      if (con.contype !== 'CONSTR_PRIMARY') throw notSupported(`table constraint "${constraintName(con.contype)}"`);
      setPk(((con.keys ?? []) as PgNode[]).map(strVal));
    } else {
      throw notSupported(`CREATE TABLE element ${Object.keys(elt)[0]}`);
    }
  }

  const withOptions = { ...defElemOptions(node.options), ...(rw?.withOptions ?? {}), ...(rw?.sourceRef ? sharedSourceTableOptions(ctx, rw.sourceRef) : {}) };
  columns.push(...tableIncludeColumns(rw, withOptions, columns));

  const appendOnly = rw?.appendOnly ?? false;
  let pk: number[];
  const chosenPk = pkNames as string[] | null;
  if (chosenPk) {
    if (appendOnly) {
      throw new SqlError(SqlState.SyntaxError, 'PRIMARY KEY constraint can not be applied to an append-only table.');
    }
    pk = chosenPk.map((n) => {
      const i = columns.findIndex((c) => c.name === n);
      if (i < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${n}" named in key does not exist`);
      if (columns[i].generatedExpr !== undefined) {
        throw new SqlError(DdlState.InvalidTableDefinition, `a generated column cannot be part of the primary key: ${n}`);
      }
      return i;
    });
    if (new Set(pk).size !== pk.length) {
      throw new SqlError(SqlState.DuplicateColumn, `column "${chosenPk.find((n, i) => chosenPk.indexOf(n) !== i)}" appears twice in primary key constraint`);
    }
  } else {
    pk = [columns.length];
    columns.push({ name: ROW_ID_COLUMN, type: T.Serial, hidden: true, notNull: true });
  }
  const versionColumns = tableVersionColumns(columns, rw?.versionColumns, rw?.onConflict);
  const q = { ...ctx, timeZone: 'UTC', now: () => Date.now() * 1000 };
  const watermarks = tableWatermarks(q, qn.name, columns, rw?.watermarks, appendOnly);

  // `WITH (connector = …)`: a table fed by a source connector (create-source.ts).
  const connector = connectorTable(qn.name, columns, rw, withOptions);

  const rec: RelationCatalog = {
    id: ctx.catalog.nextId(),
    kind: 'table',
    database: ctx.database,
    schema,
    name: qn.name,
    owner: ctx.user,
    columns,
    pk,
    appendOnly,
    onConflict: rw?.onConflict ?? 'overwrite',
    definition: stmt.text,
    withOptions,
    dependsOn: [],
    createdAt: Date.now(),
    ...(watermarks ? { watermarks } : {}),
    ...(versionColumns ? { versionColumns } : {}),
    ...(connector ? { connector } : {}),
  };
  await inBatch(ctx, (batch) => ctx.catalog.addRelation(rec, batch));
  return 'CREATE_TABLE';
}

/** `ON CONFLICT … WITH VERSION COLUMN (a, …)`: column indices, checked as RisingWave does. */
function tableVersionColumns(columns: readonly ColumnDesc[], names: readonly string[] | undefined, onConflict: string | undefined): number[] | undefined {
  if (!names || names.length === 0) return undefined;
  if (onConflict === 'ignore') {
    throw new SqlError(SqlState.SyntaxError, 'The with version column syntax cannot be used with the ignore behavior of on conflict');
  }
  return names.map((n) => {
    const i = columns.findIndex((c) => c.name === n);
    if (i < 0) throw new SqlError(SqlState.UndefinedColumn, `Version column ${n} not found`);
    const kind = columns[i].type.kind;
    if (kind === 'boolean' || kind === 'jsonb' || kind === 'struct' || kind === 'list') {
      throw new SqlError(SqlState.DatatypeMismatch, `Version column ${n} must be of a comparable data type`);
    }
    return i;
  });
}

/** RisingWave reserves the `_row_id` and `_rw_` prefixes and PostgreSQL's system column names. */
export function checkColumnName(name: string): void {
  for (const prefix of [ROW_ID_COLUMN, '_rw_']) {
    if (name.startsWith(prefix)) {
      throw new SqlError(DdlState.ReservedName, `column name prefixed with "${prefix}" are reserved word.`);
    }
  }
  if (['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid'].includes(name)) {
    throw new SqlError(SqlState.SyntaxError, `column name "${name}" conflicts with a system column name`);
  }
}

function constraintName(contype: string): string {
  return contype.replace(/^CONSTR_/, '').replace(/_/g, ' ');
}
