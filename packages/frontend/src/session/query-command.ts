/**
 * Adapts the batch query engine (../query) to pgwire portals: SELECT, VALUES, INSERT,
 * UPDATE, DELETE and EXPLAIN. Planning happens at Parse; each Bind gets a fresh
 * execution with its own parameters and cancel token.
 */
import { type Datum, type Row, SqlError, SqlState, typeEquals } from '@freshet/common';
import type { FieldInfo, Portal } from '@freshet/pgwire';
import type { Statement } from '@freshet/sql';
import type { DataType } from '@freshet/common';
import { prepareQuery, type PreparedQuery, type QueryContext, type QueryExecution } from '../query';
import type { PreparedCommand } from './dispatch';
import { compilePointLookup } from '../query/fast-path';
import { withInsertFastPath } from '../query/fast-path-insert';
import { FastPathPortal } from './fast-path-portal';
import { queryContext } from './query-context';
import { implicitFlush } from '../stream-planner';
import { prefetchPlanSources } from '../stream-planner/sources';
import { planWatermarksLoading } from '../stream-planner/table-watermarks';
import type { RelationCatalog } from '../catalog/model';
import type { FrontendSession } from './session';

const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt']);

/** `ctx`: the context to plan in (the plan cache passes one that records what the plan depends on). */
export function prepareQueryCommand(
  session: FrontendSession,
  stmt: Extract<Statement, { kind: 'pg' }>,
  paramTypes: (DataType | null)[],
  ctx: QueryContext = queryContext(session),
): PreparedCommand {
  const nodeType = Object.keys(stmt.node as object)[0];
  const isWrite = WRITE_NODES.has(nodeType);
  const plan = (types: (DataType | null)[]): PreparedQuery => {
    const p = prepareQuery(ctx, stmt.node, types, stmt.rw);
    // INSERT … VALUES of parameters/literals builds its rows without an executor tree (../query/fast-path-insert.ts).
    return nodeType === 'InsertStmt' ? withInsertFastPath(p, ctx) : p;
  };
  let prepared = plan(paramTypes);
  // Primary-key lookups skip the executor tree on every Bind (see ../query/fast-path.ts).
  const lookup = nodeType === 'SelectStmt' ? compilePointLookup(prepared.plan) : null;
  // DML writes rows in its table's layout as planned: after ALTER TABLE ADD/DROP COLUMN it is
  // planned again, as PostgreSQL re-plans a prepared statement, keeping its parameter types.
  const current = (): PreparedQuery => {
    if (!isWrite || !writeTargetChanged(prepared.plan, ctx.catalog)) return prepared;
    const next = plan(prepared.paramTypes);
    if (!sameFields(next.fields, prepared.fields)) throw new SqlError(SqlState.FeatureNotSupported, 'cached plan must not change result type');
    return (prepared = next);
  };
  const bindAs = (params: Datum[], text: string): Portal =>
    lookup ? new FastPathPortal(session, lookup, prepared.fields!, params, text) : new QueryPortal(session, prepared, current, params, text, isWrite, ctx.searchPath);
  return {
    describe: () => ({ paramTypes: prepared.paramTypes, fields: prepared.fields }),
    bind: (params: Datum[]) => bindAs(params, stmt.text),
    // Read by the plan cache (plan-cache.ts): a simple query answered from a cached
    // template binds its literals and keeps its own text (pg_stat_activity).
    bindAs,
    pointLookup: lookup,
    fields: prepared.fields,
    paramTypes: prepared.paramTypes,
  } as PreparedCommand;
}

/** Whether the table a write plan targets was changed (or dropped) since it was planned. */
function writeTargetChanged(plan: PreparedQuery['plan'], catalog: QueryContext['catalog']): boolean {
  const table = writeTargetOf(plan);
  // The catalog replaces a relation's record on every change (updateRelation).
  return table !== null && catalog.getRelationById(table.id) !== table;
}

function sameFields(a: FieldInfo[] | null, b: FieldInfo[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((f, i) => f.name === b[i].name && typeEquals(f.type, b[i].type));
}

class QueryPortal implements Portal {
  private exec: QueryExecution | null = null;
  /** The table whose shared lock this statement holds until it is done. */
  private locked: number | null = null;

  constructor(
    private readonly session: FrontendSession,
    private prepared: PreparedQuery,
    /** The statement's plan as of now (planned again if its write target changed since). */
    private readonly current: () => PreparedQuery,
    private readonly params: Datum[],
    private readonly text: string,
    private readonly isWrite: boolean,
    private readonly searchPath: readonly string[],
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
      if (this.isWrite) {
        await planWatermarksLoading(this.session.frontend.storage, this.prepared.plan);
        await this.lockTarget();
      }
      try {
        const cancel = this.session.beginStatement(this.text);
        this.exec = this.prepared.execute(this.params, { cancel, ctx: new ExecutionContext(this.session, this.searchPath) });
      } catch (e) {
        this.unlock();
        throw e;
      }
    }
    let page: { rows: Row[]; done: boolean };
    try {
      page = await this.exec.next(maxRows);
    } finally {
      // DML has committed by the end of its first page (RETURNING rows are handed out after).
      this.unlock();
    }
    if (page.done && this.isWrite) await implicitFlush(this.session);
    return { rows: page.rows, done: page.done, tag: page.done ? this.exec.tag() : '' };
  }

  close(): void {
    this.unlock();
    this.exec?.close?.();
  }

  /**
   * Takes the shared lock on the table the statement writes (table-locks.ts), then the plan
   * as of now: an ALTER TABLE may have committed while the statement waited.
   */
  private async lockTarget(): Promise<void> {
    const locks = this.session.frontend.tableLocks;
    for (;;) {
      const id = writeTargetOf(this.prepared.plan)?.id;
      if (id === undefined) return;
      const wait = locks.shared(id);
      if (wait) await wait;
      this.locked = id;
      try {
        this.prepared = this.current();
      } catch (e) {
        this.unlock();
        throw e;
      }
      // Planned again onto another table (dropped and created again under its name): lock that one.
      if (writeTargetOf(this.prepared.plan)?.id === id) return;
      this.unlock();
    }
  }

  private unlock(): void {
    if (this.locked === null) return;
    this.session.frontend.tableLocks.release(this.locked, false);
    this.locked = null;
  }
}

/** The table an INSERT, UPDATE or DELETE plan writes, as planned. */
function writeTargetOf(plan: PreparedQuery['plan']): RelationCatalog | null {
  return plan.kind === 'insert' || plan.kind === 'update' || plan.kind === 'delete' ? plan.table : null;
}

/**
 * What a prepared plan reads when it runs: the statement's time, the session's time zone
 * and storage. Names, settings and session information were read at planning. A full
 * queryContext per execution (search_path parsed, session closures) cost about as much as
 * the serving join's index probe.
 */
class ExecutionContext implements QueryContext {
  readonly catalog: QueryContext['catalog'];
  readonly storage: QueryContext['storage'];
  readonly database: string;
  readonly user: string;
  readonly timeZone: string;
  private readonly nowMicros = Date.now() * 1000;

  constructor(
    session: FrontendSession,
    /** As planned: a cached plan is dropped when search_path changes. */
    readonly searchPath: readonly string[],
  ) {
    this.catalog = session.frontend.catalog;
    this.storage = session.frontend.storage;
    this.database = session.database;
    this.user = session.user;
    this.timeZone = session.timeZone();
  }

  now(): number {
    return this.nowMicros;
  }
}
