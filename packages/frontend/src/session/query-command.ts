/**
 * Adapts the batch query engine (../query) to pgwire portals: SELECT, VALUES, INSERT,
 * UPDATE, DELETE and EXPLAIN. Planning happens at Parse; each Bind gets a fresh
 * execution with its own parameters and cancel token.
 */
import { type Datum, type Row, SqlError, SqlState } from '@freshet/common';
import type { FieldInfo, Portal } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import type { DataType } from '@freshet/common';
import { prepareQuery, type PreparedQuery, type QueryExecution } from '../query';
import type { PreparedCommand } from './dispatch';
import { compilePointLookup } from '../query/fast-path';
import { withInsertFastPath } from '../query/fast-path-insert';
import { FastPathPortal } from './fast-path-portal';
import { queryContext } from './query-context';
import { implicitFlush } from '../stream-planner';
import { prefetchPlanSources } from '../stream-planner/sources';
import { planWatermarksLoading } from '../stream-planner/table-watermarks';
import type { FrontendSession } from './session';

const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);

export function prepareQueryCommand(
  session: FrontendSession,
  stmt: Extract<Statement, { kind: 'pg' }>,
  paramTypes: (DataType | null)[],
): PreparedCommand {
  const nodeType = Object.keys(stmt.node as object)[0];
  const isWrite = WRITE_NODES.has(nodeType);
  const ctx = queryContext(session);
  let prepared = prepareQuery(ctx, stmt.node, paramTypes, stmt.rw);
  // INSERT … VALUES of parameters/literals builds its rows without an executor tree (../query/fast-path-insert.ts).
  if (nodeType === 'InsertStmt') prepared = withInsertFastPath(prepared, ctx);
  // Primary-key lookups skip the executor tree on every Bind (see ../query/fast-path.ts).
  const lookup = nodeType === 'SelectStmt' ? compilePointLookup(prepared.plan) : null;
  return {
    describe: () => ({ paramTypes: prepared.paramTypes, fields: prepared.fields }),
    bind: (params: Datum[]) =>
      lookup ? new FastPathPortal(session, lookup, prepared.fields!, params, stmt.text) : new QueryPortal(session, prepared, params, stmt.text, isWrite),
    // Read by the plan cache (plan-cache.ts), which keeps only point lookups.
    pointLookup: lookup,
    fields: prepared.fields,
    paramTypes: prepared.paramTypes,
  } as PreparedCommand;
}

class QueryPortal implements Portal {
  private exec: QueryExecution | null = null;

  constructor(
    private readonly session: FrontendSession,
    private readonly prepared: PreparedQuery,
    private readonly params: Datum[],
    private readonly text: string,
    private readonly isWrite: boolean,
  ) {}

  fields(): FieldInfo[] | null {
    return this.prepared.fields;
  }

  async execute(maxRows: number): Promise<{ rows: Row[]; done: boolean; tag: string }> {
    if (!this.exec) {
      if (this.isWrite && this.session.readOnlyTx) {
        throw new SqlError(SqlState.ReadOnlySqlTransaction, 'cannot execute INSERT/UPDATE/DELETE in a read-only transaction');
      }
      // Sources whose data lives elsewhere (Kafka) are fetched before the synchronous scan.
      await prefetchPlanSources(this.prepared.plan, this.session.frontend.streaming.sourceLog);
      // Right after a restart a watermarked table's watermark is rebuilt from all its rows: DML on it waits for their load.
      if (this.isWrite) await planWatermarksLoading(this.session.frontend.storage, this.prepared.plan);
      const cancel = this.session.beginStatement(this.text);
      this.exec = this.prepared.execute(this.params, { cancel, ctx: queryContext(this.session) });
    }
    const { rows, done } = await this.exec.next(maxRows);
    if (done && this.isWrite) await implicitFlush(this.session);
    return { rows, done, tag: done ? this.exec.tag() : '' };
  }

  close(): void {
    this.exec?.close?.();
  }
}
