/**
 * CREATE TABLE … AS <query>: a table whose columns are the query's output columns (or the
 * names written after the table name), filled with the query's rows. It composes the two
 * engines rather than adding a third path: the DDL handler creates the table from a
 * generated CREATE TABLE, and the batch engine runs `INSERT INTO t <query>`. If the insert
 * fails, the table is dropped again so the statement is all-or-nothing, as in PostgreSQL.
 */
import { SqlError, SqlState, typeName } from '@freshet/common';
import { quoteIdent } from '@freshet/expr';
import { type PgNode, type Statement, parseSql } from '@freshet/sql';
import { executeDdl } from '../handler/ddl';
import { prepareQuery, runQuery } from '../query';
import { ddlContext } from './ddl-command';
import { type PreparedCommand, simpleCommand } from './dispatch';
import { queryContext } from './query-context';
import type { FrontendSession } from './session';

export function createTableAsCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'pg' }>): PreparedCommand {
  const body = (stmt.node as Record<string, PgNode>).CreateTableAsStmt;
  return simpleCommand(null, async () => {
    const cancel = session.beginStatement(stmt.text);
    const rel = body.into.rel;
    const target = rel.schemaname ? `${quoteIdent(rel.schemaname)}.${quoteIdent(rel.relname)}` : quoteIdent(rel.relname);
    const fields = prepareQuery(queryContext(session), body.query, []).fields;
    if (!fields) throw new SqlError(SqlState.SyntaxError, 'CREATE TABLE AS needs a query that returns rows');
    const names: string[] = (body.into.colNames ?? []).map((n: PgNode) => n.String.sval);
    if (names.length > fields.length) {
      throw new SqlError(SqlState.SyntaxError, `CREATE TABLE AS specifies ${names.length} column names, but the query returns ${fields.length} columns`);
    }
    const columns = fields.map((f, i) => `${quoteIdent(names[i] ?? f.name)} ${typeName(f.type)}`);
    const ifNotExists = body.if_not_exists ? 'IF NOT EXISTS ' : '';
    const [create] = parseSql(`CREATE TABLE ${ifNotExists}${target} (${columns.join(', ')})`);

    const ddl = ddlContext(session);
    let skipped = false;
    ddl.notice = (msg) => {
      skipped = true;
      session.notice(msg);
    };
    await executeDdl(ddl, create);
    if (skipped || body.into.skipData) return { tag: 'CREATE_TABLE' };
    try {
      await runQuery(queryContext(session), { InsertStmt: { relation: rel, selectStmt: body.query, override: 'OVERRIDING_NOT_SET' } }, [], cancel);
    } catch (err) {
      await executeDdl(ddlContext(session), parseSql(`DROP TABLE ${target}`)[0]);
      throw err;
    }
    session.frontend.log(`ddl by ${session.user}: CREATE_TABLE AS ${target}`);
    return { tag: 'CREATE_TABLE' };
  });
}
