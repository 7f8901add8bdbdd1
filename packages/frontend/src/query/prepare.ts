/**
 * The query engine's surface: prepare a statement once (bind, optimize), execute it many
 * times with different parameters. See README.md in this directory.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, T, notSupported } from '@freshet/common';
import { type Cancellation, PlanRunner, newRuntime } from '@freshet/batch';
import { type PgNode, type RwExtras, parseSql } from '@freshet/sql';
import { nodeType } from '../binder/ast';
import { BindContext, type QueryContext } from '../binder/context';
import { bindStatement } from '../binder/statement';
import { optimize } from '../optimizer';
import type { PlanNode } from '../planner/plan';
import { explainPlan } from './explain';
import { Lowering, runInitPlans } from './lower';

export type { QueryContext };

export interface FieldDesc {
  name: string;
  type: DataType;
}

export interface ExecuteOptions {
  cancel: Cancellation;
  /** The session state at execution (time zone, now()); defaults to the one given at prepare. */
  ctx?: QueryContext;
}

export interface QueryExecution {
  /** Up to `maxRows` rows (0 = all). `done` once no rows remain. */
  next(maxRows: number): Promise<{ rows: Row[]; done: boolean }>;
  /** Command tag, valid once `done`: `SELECT n`, `INSERT 0 n`, `UPDATE n`, `DELETE n`, `EXPLAIN`. */
  tag(): string;
  close(): void;
}

export interface PreparedQuery {
  /** Parameter types after inference (unknown ones are varchar). */
  readonly paramTypes: DataType[];
  /** Result columns, or null for DML without RETURNING. */
  readonly fields: FieldDesc[] | null;
  /** The optimized logical plan (for tests and EXPLAIN). */
  readonly plan: PlanNode;
  execute(params: Datum[], opts: ExecuteOptions): QueryExecution;
}

const DML_TAGS: Record<string, (n: number) => string> = {
  insert: (n) => `INSERT 0 ${n}`,
  update: (n) => `UPDATE ${n}`,
  delete: (n) => `DELETE ${n}`,
};

function visibleFields(plan: PlanNode): FieldDesc[] {
  return plan.schema.filter((f) => !f.hidden).map((f) => ({ name: f.name, type: f.type.kind === 'unknown' ? T.Varchar : f.type }));
}

/** Binds and optimizes `node` (SelectStmt, InsertStmt, UpdateStmt, DeleteStmt, ExplainStmt). */
export function prepareQuery(ctx: QueryContext, node: PgNode, paramTypes: readonly (DataType | null)[], rw?: RwExtras): PreparedQuery {
  if (nodeType(node) === 'ExplainStmt') return prepareExplain(ctx, node.ExplainStmt, paramTypes, rw);
  const bc = new BindContext(ctx, paramTypes, rw);
  const bound = bindStatement(bc, node);
  const plan = optimize(bound, bc.evalContext(), (rel) => ctx.catalog.dependents(rel.id).filter((d) => d.kind === 'index'));
  const isDml = plan.kind === 'insert' || plan.kind === 'update' || plan.kind === 'delete';
  const fields = isDml && !('returning' in plan && plan.returning) ? null : visibleFields(plan);
  return {
    paramTypes: bc.finalParamTypes(),
    fields,
    plan,
    execute: (params, opts) => (isDml ? new DmlExecution(plan, params, opts, opts.ctx ?? ctx) : new SelectExecution(plan, params, opts, opts.ctx ?? ctx)),
  };
}

/**
 * Lowers `plan` for one execution and runs its init plans (uncorrelated subqueries) before the
 * first row, as both SELECT and DML need; the lowering is returned for DML's pending batch.
 */
async function startPlan(
  plan: PlanNode,
  params: Datum[],
  opts: ExecuteOptions,
  ctx: QueryContext,
): Promise<{ runner: PlanRunner; lowering: Lowering }> {
  const rt = newRuntime(params, { timeZone: ctx.timeZone, now: ctx.now() }, opts.cancel);
  const lowering = new Lowering(rt, ctx.storage);
  const root = lowering.lower(plan);
  await runInitPlans(lowering.initPlans, rt);
  return { runner: new PlanRunner(root, rt), lowering };
}

class SelectExecution implements QueryExecution {
  private runner: PlanRunner | null = null;
  private count = 0;

  constructor(
    private readonly plan: PlanNode,
    private readonly params: Datum[],
    private readonly opts: ExecuteOptions,
    private readonly ctx: QueryContext,
  ) {}

  async next(maxRows: number): Promise<{ rows: Row[]; done: boolean }> {
    if (!this.runner) this.runner = (await startPlan(this.plan, this.params, this.opts, this.ctx)).runner;
    const r = await this.runner.next(maxRows);
    this.count += r.rows.length;
    return r;
  }

  tag(): string {
    return `SELECT ${this.count}`;
  }

  close(): void {
    this.runner?.close();
  }
}

/** DML runs to completion and commits before the first row (RETURNING) is handed out. */
class DmlExecution implements QueryExecution {
  private rows: Row[] | null = null;
  private pos = 0;
  private affected = 0;

  constructor(
    private readonly plan: PlanNode,
    private readonly params: Datum[],
    private readonly opts: ExecuteOptions,
    private readonly ctx: QueryContext,
  ) {}

  private async run(): Promise<void> {
    const { runner, lowering } = await startPlan(this.plan, this.params, this.opts, this.ctx);
    const { rows } = await runner.next(0);
    const batch = lowering.pendingBatch();
    if (batch && !batch.isEmpty) await this.ctx.storage.commit(batch);
    this.affected = lowering.dml?.affected ?? 0;
    this.rows = rows;
  }

  async next(maxRows: number): Promise<{ rows: Row[]; done: boolean }> {
    if (!this.rows) await this.run();
    const all = this.rows!;
    const end = maxRows > 0 ? Math.min(all.length, this.pos + maxRows) : all.length;
    const rows = all.slice(this.pos, end);
    this.pos = end;
    return { rows, done: this.pos >= all.length };
  }

  tag(): string {
    return DML_TAGS[this.plan.kind](this.affected);
  }

  close(): void {}
}

/**
 * Runs an INSERT/UPDATE/DELETE plan built outside the binder (COPY FROM's VALUES rows):
 * one execution, committed as a prepared statement's is.
 */
export function runDmlPlan(plan: PlanNode, params: Datum[], opts: ExecuteOptions & { ctx: QueryContext }): QueryExecution {
  return new DmlExecution(plan, params, opts, opts.ctx);
}

function prepareExplain(ctx: QueryContext, n: PgNode, paramTypes: readonly (DataType | null)[], rw?: RwExtras): PreparedQuery {
  const inner = prepareQuery(ctx, n.query, paramTypes, rw);
  const lines = explainPlan(inner.plan);
  const rows: Row[] = lines.map((l) => [l]);
  return {
    paramTypes: inner.paramTypes,
    fields: [{ name: 'QUERY PLAN', type: T.Varchar }],
    plan: inner.plan,
    execute: () => {
      let done = false;
      return {
        next: async () => {
          const out = done ? [] : rows;
          done = true;
          return { rows: out, done: true };
        },
        tag: () => 'EXPLAIN',
        close: () => {},
      };
    },
  };
}

/** The output columns of a query given as SQL text (CREATE VIEW). Throws if it does not bind. */
export function describeQuery(ctx: QueryContext, sqlText: string): FieldDesc[] {
  const stmts = parseSql(sqlText);
  if (stmts.length !== 1 || stmts[0].kind !== 'pg') throw new SqlError(SqlState.SyntaxError, 'expected a single query');
  const stmt = stmts[0];
  if (nodeType(stmt.node) !== 'SelectStmt') throw notSupported('a view over a non-SELECT statement');
  const bc = new BindContext(ctx, [], stmt.rw);
  const plan = bindStatement(bc, stmt.node);
  return visibleFields(plan);
}

/** Runs a query to completion and returns its rows (CREATE TABLE AS, internal callers). */
export async function runQuery(
  ctx: QueryContext,
  node: PgNode,
  params: Datum[] = [],
  cancel: Cancellation = { cancelled: false, throwIfCancelled() {} },
  rw?: RwExtras,
): Promise<{ fields: FieldDesc[] | null; rows: Row[]; tag: string }> {
  const prepared = prepareQuery(ctx, node, params.map(() => null), rw);
  const exec = prepared.execute(params, { cancel, ctx });
  const { rows } = await exec.next(0);
  return { fields: prepared.fields, rows, tag: exec.tag() };
}
