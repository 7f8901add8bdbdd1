/**
 * `WATERMARK FOR col AS expr` of CREATE TABLE: checked and recorded at DDL time
 * (`tableWatermarks`), bound again over the table's columns by every streaming job that
 * reads the table (`bindWatermarkExpr`), where it becomes a StreamWatermarkFilter.
 */
import { SqlError, SqlState, type DataType, typeName } from '@freshet/common';
import { type PgNode, parseSql } from '@freshet/sql';
import { BindContext, type QueryContext } from '../binder/context';
import { type ExprEnv, bindExpr } from '../binder/expr';
import { Level, Scope } from '../binder/scope';
import type { ColumnDesc } from '../catalog/model';
import type { Expr } from '../planner/expr';

/** The `WATERMARK FOR` clauses as the SQL front pass records them. */
export interface WatermarkClause {
  readonly column: string;
  readonly exprText: string;
  readonly expr: PgNode;
}

/** Binds a watermark expression over a table's columns (column indices are the table's). */
export function bindWatermarkExpr(q: QueryContext, table: string, columns: readonly ColumnDesc[], expr: PgNode | string): Expr {
  const node = typeof expr === 'string' ? exprFromText(expr) : expr;
  const scope = new Scope(columns.map((c) => ({ name: c.name, type: c.type, table, hidden: c.hidden })));
  const env: ExprEnv = { bc: new BindContext(q, [], undefined), level: new Level(scope, null), scope, aggs: null, windows: null, clause: 'WATERMARK' };
  return bindExpr(env, node);
}

function exprFromText(text: string): PgNode {
  const stmt = parseSql(`SELECT ${text}`)[0];
  if (!stmt || stmt.kind !== 'pg') throw new SqlError(SqlState.InternalError, `bad stored watermark expression: ${text}`);
  return stmt.node.SelectStmt.targetList[0].ResTarget.val;
}

/**
 * Checks CREATE TABLE's watermark clauses against its columns (RisingWave's checks and
 * wording: at most one watermark, on an existing column, of the column's exact type, on an
 * append-only table) and returns them as catalog records.
 */
export function tableWatermarks(
  q: QueryContext,
  table: string,
  columns: readonly ColumnDesc[],
  clauses: readonly WatermarkClause[] | undefined,
  appendOnly: boolean,
): { column: number; expr: string }[] | undefined {
  if (!clauses || clauses.length === 0) return undefined;
  if (clauses.length > 1) throw new SqlError(SqlState.FeatureNotSupported, 'Only 1 watermark is allowed to be defined for source.');
  const out = clauses.map((wm) => {
    const column = columns.findIndex((c) => c.name === wm.column);
    if (column < 0) throw new SqlError(SqlState.UndefinedColumn, `column "${wm.column}" does not exist`);
    const e = bindWatermarkExpr(q, table, columns, wm.expr);
    const colType: DataType = columns[column].type;
    if (typeName(e.type) !== typeName(colType)) {
      throw new SqlError(
        SqlState.FeatureNotSupported,
        `The return value type of the watermark expression must be identical to the watermark column data type. Current data type of watermark return value: \`${typeName(e.type)}\`, column \`${typeName(colType)}\``,
      );
    }
    return { column, expr: wm.exprText };
  });
  if (!appendOnly) {
    throw new SqlError(SqlState.FeatureNotSupported, 'Defining watermarks on table requires the table to be append only.', {
      hint: 'Use the key words `APPEND ONLY`',
    });
  }
  return out;
}
