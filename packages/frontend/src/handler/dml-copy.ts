/**
 * COPY over the wire protocol: `COPY t [(cols)] FROM STDIN [WITH (…)]` loads rows sent by
 * the client in CopyData messages (psql's `\copy`, pg-copy-streams, psycopg's copy); `COPY
 * t [(cols)] TO STDOUT` and `COPY (query) TO STDOUT` send a result back the same way.
 * Files and programs on the server (`COPY t FROM '/path'`) are not supported.
 *
 * COPY FROM is one statement: its rows go into one write batch, committed at CopyDone (one
 * change-log record, one push into the streaming graphs), and nothing of it is visible if
 * any row fails, the client sends CopyFail, or the connection drops. Target columns,
 * defaults and `_row_id` come from binding `INSERT INTO t (cols) VALUES ($1, …)` once: when
 * every cell of that row is a parameter or a literal (no DEFAULT expression to evaluate),
 * each record is parsed straight into a physical row and written through the table writer
 * as INSERT's fast path does (../query/fast-path-insert.ts); otherwise the records become
 * the VALUES rows of that INSERT's plan, run once at the end.
 */
import { type DataType, type Datum, type Row, SqlError, SqlState, formatDatum, notSupported, parseDatum, tableNotFound } from '@freshet/common';
import { TableWriter } from '@freshet/batch';
import type { CopyInTarget, CopyOutSource, FieldInfo, Portal, PortalResult } from '@freshet/pgwire';
import type { StorageEngine, WriteBatch } from '@freshet/storage';
import { type PgNode, type Statement, parseSql } from '@freshet/sql';
import type { RelationCatalog } from '../catalog/model';
import type { Expr } from '../planner/expr';
import type { Insert, PlanNode, Values } from '../planner/plan';
import { prepareQuery, runDmlPlan, type PreparedQuery, type QueryExecution } from '../query/prepare';
import { writeTargetOf } from '../query/lower';
import { MEMO_KINDS, plainIntegerDatum, plainIntegerText } from '../session/bind-params';
import type { PreparedCommand } from '../session/dispatch';
import { queryContext, sessionScope } from '../session/query-context';
import type { FrontendSession } from '../session/session';
import { implicitFlush } from '../stream-planner';
import { prefetchPlanSources } from '../stream-planner/sources';
import { watermarkLoading } from '../stream-planner/table-watermarks';
import { BAD_COPY_FILE_FORMAT, type CopyFormat, CopyReader, type RecordSink, copyFormatOf, formatCopyLine, truncateForContext } from './dml-copy-format';

/** Rows per COPY TO piece handed to pgwire. */
const COPY_OUT_BATCH = 1024;

const KIND_TEXT: Record<string, string> = {
  view: 'view',
  materialized_view: 'materialized view',
  index: 'index',
  source: 'source',
  sink: 'sink',
};

export function copyCommand(session: FrontendSession, stmt: Extract<Statement, { kind: 'pg' }>): PreparedCommand {
  const copy = (stmt.node as PgNode).CopyStmt as PgNode;
  if (copy.filename !== undefined || copy.is_program) {
    throw notSupported(`COPY ${copy.is_from ? 'from' : 'to'} a file or program`, `Use COPY … ${copy.is_from ? 'FROM STDIN' : 'TO STDOUT'} (psql: \\copy).`);
  }
  if (copy.whereClause) throw notSupported('COPY FROM … WHERE');
  const fmt = copyFormatOf(copy.options);
  const columnNames: string[] | null = Array.isArray(copy.attlist) ? copy.attlist.map((a: PgNode) => a.String.sval as string) : null;
  return copy.is_from ? copyFrom(session, stmt, copy.relation, columnNames, fmt) : copyTo(session, stmt, copy, columnNames, fmt);
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function commandOf(fields: FieldInfo[] | null, portal: () => Portal): PreparedCommand {
  return { describe: () => ({ paramTypes: [], fields }), bind: portal };
}

// ---------------------------------------------------------------------------- COPY FROM

function copyFrom(session: FrontendSession, stmt: Extract<Statement, { kind: 'pg' }>, relation: PgNode, columnNames: string[] | null, fmt: CopyFormat): PreparedCommand {
  const scope = sessionScope(session);
  const schema: string | null = relation.schemaname ?? null;
  const rel = scope.catalog.resolveRelation(scope.database, scope.searchPath, schema, relation.relname, scope.user);
  if (!rel) throw tableNotFound(schema ? `${schema}.${relation.relname}` : relation.relname);
  if (rel.kind !== 'table') throw new SqlError(SqlState.WrongObjectType, `cannot copy to ${KIND_TEXT[rel.kind] ?? rel.kind} "${rel.name}"`);
  const seen = new Set<string>();
  for (const c of columnNames ?? []) {
    if (seen.has(c)) throw new SqlError(SqlState.DuplicateColumn, `column "${c}" specified more than once`);
    seen.add(c);
  }
  // Without a list: every visible column that is not generated, as PostgreSQL does.
  const names = columnNames ?? rel.columns.filter((c) => !c.hidden && c.generatedExpr === undefined).map((c) => c.name);
  const sql =
    `INSERT INTO ${quoteIdent(rel.schema)}.${quoteIdent(rel.name)} (${names.map(quoteIdent).join(', ')}) ` +
    `VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`;
  const insert = parseSql(sql)[0] as Extract<Statement, { kind: 'pg' }>;
  const prepared = prepareQuery(queryContext(session), insert.node, names.map(() => null), insert.rw);
  const plan = prepared.plan as Insert;
  const command = commandOf(null, () => new CopyFromPortal(session, stmt.text, rel, names, fmt, prepared, plan));
  if (reusable(plan, rel)) session.copyCache.remember(stmt.text, { schema, name: relation.relname }, rel, command);
  return command;
}

/**
 * Whether the prepared COPY FROM may serve later executions of the same text: every cell
 * is a record field, or a literal for a column without DEFAULT (a folded DEFAULT such as
 * now() must be evaluated per statement).
 */
function reusable(plan: Insert, rel: RelationCatalog): boolean {
  const cells = cellMap(plan);
  if (!cells) return false;
  for (let j = 0; j < cells.fieldOf.length; j++) {
    if (cells.fieldOf[j] < 0 && (rel.columns[j].defaultExpr !== undefined || rel.columns[j].generatedExpr !== undefined)) return false;
  }
  return true;
}

/** Entries kept per session. */
const COPY_CACHE_SIZE = 16;

interface CopyCacheEntry {
  readonly from: { schema: string | null; name: string };
  /** What `from` resolved to when prepared: a hit requires the very same catalog record. */
  readonly resolved: RelationCatalog;
  readonly command: PreparedCommand;
}

/**
 * COPY FROM statements a session repeats (a loader sends the same `COPY t (cols) FROM
 * STDIN` per batch) are parsed and bound once: the entry is reused while the table name
 * still resolves to the same catalog record (DDL and search_path changes miss, as in the
 * point-lookup plan cache, ../session/plan-cache.ts).
 */
export class CopyCache {
  private readonly entries = new Map<string, CopyCacheEntry>();

  constructor(private readonly session: FrontendSession) {}

  remember(sql: string, from: CopyCacheEntry['from'], resolved: RelationCatalog, command: PreparedCommand): void {
    this.entries.delete(sql);
    this.entries.set(sql, { from, resolved, command });
    if (this.entries.size > COPY_CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The portal for simple query `sql` if it is a cached COPY FROM that is still valid, else null. */
  simpleQuery(sql: string): Portal | null {
    const e = this.entries.get(sql);
    if (!e) return null;
    const s = this.session;
    if (s.txStatus === 'E') return null;
    const scope = sessionScope(s);
    if (scope.catalog.resolveRelation(scope.database, scope.searchPath, e.from.schema, e.from.name, scope.user) !== e.resolved) {
      this.entries.delete(sql);
      return null;
    }
    return e.command.bind([]);
  }
}

class CopyFromPortal implements Portal {
  private started = false;

  constructor(
    private readonly session: FrontendSession,
    private readonly text: string,
    private readonly rel: RelationCatalog,
    private readonly names: string[],
    private readonly fmt: CopyFormat,
    private readonly prepared: PreparedQuery,
    private readonly plan: Insert,
  ) {}

  fields(): null {
    return null;
  }

  execute(): PortalResult | Promise<PortalResult> {
    if (this.started) return { rows: [], done: true, tag: 'COPY 0' };
    this.started = true;
    if (this.session.readOnlyTx) throw new SqlError(SqlState.ReadOnlySqlTransaction, 'cannot execute COPY FROM in a read-only transaction');
    this.session.beginStatement(this.text);
    // Right after a restart a watermarked table's watermark is rebuilt from all its rows: COPY into it waits for their load.
    const loading = watermarkLoading(this.session.frontend.storage, this.rel);
    return loading === null ? this.start() : loading.then(() => this.start());
  }

  /**
   * Takes the table's shared lock (session/table-locks.ts) for the whole COPY: an ALTER
   * TABLE waits for it. One that committed since the COPY was planned fails it (40001).
   */
  private start(): PortalResult | Promise<PortalResult> {
    const locks = this.session.frontend.tableLocks;
    const begin = (): PortalResult => {
      if (this.session.frontend.catalog.getRelationById(this.rel.id) !== this.rel) {
        locks.release(this.rel.id, false);
        throw new SqlError(SqlState.SerializationFailure, `table ${this.rel.name} was altered while COPY was starting: run it again`);
      }
      let held = true;
      const unlock = () => {
        if (held) locks.release(this.rel.id, false);
        held = false;
      };
      try {
        return { rows: [], done: true, tag: '', copyIn: new CopyIn(this.session, this.rel, this.names, this.fmt, this.prepared, this.plan, unlock) };
      } catch (e) {
        unlock();
        throw e;
      }
    };
    const wait = locks.shared(this.rel.id);
    return wait === null ? begin() : wait.then(begin);
  }

  close(): void {}
}

/** Per cell of the physical row: the record field it comes from (≥ 0), or -1 for a literal. */
interface CellMap {
  readonly fieldOf: Int32Array;
  readonly literals: Datum[];
}

/** The cell map when the INSERT's one VALUES row is all parameters and literals, else null. */
function cellMap(plan: Insert): CellMap | null {
  if (plan.returning !== null || plan.input.kind !== 'values' || plan.input.rows.length !== 1) return null;
  const row = plan.input.rows[0];
  if (row.length !== plan.table.columns.length) return null;
  const fieldOf = new Int32Array(row.length);
  const literals: Datum[] = new Array(row.length).fill(null);
  for (let j = 0; j < row.length; j++) {
    const e = row[j];
    if (e.kind === 'param') fieldOf[j] = e.index;
    else if (e.kind === 'literal') {
      fieldOf[j] = -1;
      literals[j] = e.value;
    } else return null;
  }
  return { fieldOf, literals };
}

class CopyIn implements CopyInTarget, RecordSink {
  readonly format = 0 as const;
  readonly columns: number;
  private readonly reader: CopyReader;
  private readonly types: readonly DataType[];
  private readonly timeZone: string;
  private readonly cells: CellMap | null;
  private readonly storage: StorageEngine;
  private readonly batch: WriteBatch;
  private readonly writer: TableWriter | null;
  /** General path: the records as VALUES rows of the INSERT's plan. */
  private readonly valueRows: Expr[][] = [];
  private count = 0;
  private aborted = false;
  /** Per field: the last text parsed and its datum, for types whose parsing is costly. */
  private readonly memoText: (string | null)[];
  private readonly memoDatum: Datum[];
  private readonly memo: boolean[];
  /** Per field: an integer type (plain digits are parsed without the type's input function). */
  private readonly integer: boolean[];

  constructor(
    private readonly session: FrontendSession,
    private readonly rel: RelationCatalog,
    private readonly names: readonly string[],
    fmt: CopyFormat,
    private readonly prepared: PreparedQuery,
    private readonly plan: Insert,
    /** Releases the table's lock (at the end, committed or not). */
    private readonly unlock: () => void,
  ) {
    this.columns = names.length;
    this.types = prepared.paramTypes;
    this.timeZone = session.timeZone();
    this.storage = session.frontend.storage;
    this.cells = cellMap(plan);
    this.batch = this.storage.newBatch();
    this.writer = this.cells ? new TableWriter(writeTargetOf(plan.table, this.storage, plan.onConflict), this.storage, this.batch) : null;
    this.reader = new CopyReader(fmt, this);
    this.memoText = new Array(names.length).fill(null);
    this.memoDatum = new Array(names.length).fill(null);
    this.memo = this.types.map((t) => MEMO_KINDS.has(t.kind));
    this.integer = this.types.map((t) => plainIntegerDatum(t, 0) !== undefined);
  }

  write(data: Buffer): void {
    this.session.cancelToken.throwIfCancelled();
    this.reader.push(data);
  }

  async finish(): Promise<string> {
    try {
      this.reader.end();
      if (this.aborted) throw new SqlError(SqlState.QueryCanceled, 'COPY was aborted');
      if (this.cells) {
        if (!this.batch.isEmpty) await this.storage.commit(this.batch);
      } else if (this.valueRows.length > 0) {
        const values = this.plan.input as Values;
        const plan: PlanNode = { ...this.plan, input: { ...values, rows: this.valueRows } };
        const exec = runDmlPlan(plan, [], { cancel: this.session.cancelToken, ctx: queryContext(this.session) });
        await exec.next(0);
        this.count = Number(/\d+$/.exec(exec.tag())?.[0] ?? this.valueRows.length);
      }
    } finally {
      this.unlock();
    }
    await implicitFlush(this.session);
    return `COPY ${this.count}`;
  }

  abort(): void {
    // The batch is simply never committed: nothing of this COPY becomes visible.
    this.aborted = true;
    this.valueRows.length = 0;
    this.unlock();
  }

  record(fields: readonly (string | null)[], line: number, text: string): void {
    const n = this.columns;
    if (fields.length !== n) {
      const where = `COPY ${this.rel.name}, line ${line}: "${truncateForContext(text)}"`;
      if (fields.length > n) throw new SqlError(BAD_COPY_FILE_FORMAT, 'extra data after last expected column', { where });
      throw new SqlError(BAD_COPY_FILE_FORMAT, `missing data for column "${this.names[fields.length]}"`, { where });
    }
    if (this.cells) {
      // Parsed straight into the physical row (no intermediate array per record).
      const { fieldOf, literals } = this.cells;
      const row: Row = new Array(fieldOf.length);
      for (let j = 0; j < fieldOf.length; j++) {
        const p = fieldOf[j];
        row[j] = p >= 0 ? this.datum(p, fields[p], line) : literals[j];
      }
      try {
        if (this.writer!.insert(row) !== null) this.count++;
      } catch (e) {
        throw withWhere(e, `COPY ${this.rel.name}, line ${line}: "${truncateForContext(text)}"`);
      }
      return;
    }
    const template = (this.plan.input as Values).rows[0];
    this.valueRows.push(template.map((e) => (e.kind === 'param' ? { kind: 'literal', value: this.datum(e.index, fields[e.index], line), type: e.type } : e)) as Expr[]);
  }

  /** Field i's text as a datum of its column's type (a repeated text of a costly type reuses its datum). */
  private datum(i: number, f: string | null, line: number): Datum {
    if (f === null) return null;
    const memo = this.memo[i];
    if (memo && this.memoText[i] === f) return this.memoDatum[i];
    const t = this.types[i];
    if (this.integer[i]) {
      const fast = plainIntegerDatum(t, plainIntegerText(f));
      if (fast !== undefined) return fast;
    }
    let d: Datum;
    try {
      d = parseDatum(t, f, this.timeZone);
    } catch (e) {
      throw withWhere(e, `COPY ${this.rel.name}, line ${line}, column ${this.names[i]}: "${truncateForContext(f)}"`);
    }
    if (memo) {
      this.memoText[i] = f;
      this.memoDatum[i] = d;
    }
    return d;
  }
}

function withWhere(e: unknown, where: string): unknown {
  if (!(e instanceof SqlError)) return e;
  return new SqlError(e.code, e.message, { detail: e.detail, hint: e.hint, context: e.context, where });
}

// ---------------------------------------------------------------------------- COPY TO

function copyTo(session: FrontendSession, stmt: Extract<Statement, { kind: 'pg' }>, copy: PgNode, columnNames: string[] | null, fmt: CopyFormat): PreparedCommand {
  let query: PgNode;
  if (copy.query) query = copy.query;
  else {
    const targets = columnNames
      ? columnNames.map((c) => ({ ResTarget: { val: { ColumnRef: { fields: [{ String: { sval: c } }] } } } }))
      : [{ ResTarget: { val: { ColumnRef: { fields: [{ A_Star: {} }] } } } }];
    query = { SelectStmt: { targetList: targets, fromClause: [{ RangeVar: copy.relation }], limitOption: 'LIMIT_OPTION_DEFAULT', op: 'SETOP_NONE' } };
  }
  if (!query.SelectStmt) throw notSupported('COPY (INSERT/UPDATE/DELETE …) TO', 'Use a SELECT.');
  const prepared = prepareQuery(queryContext(session), query, [], stmt.rw);
  return commandOf(null, () => new CopyToPortal(session, stmt.text, prepared, fmt));
}

class CopyToPortal implements Portal {
  private started = false;

  constructor(
    private readonly session: FrontendSession,
    private readonly text: string,
    private readonly prepared: PreparedQuery,
    private readonly fmt: CopyFormat,
  ) {}

  fields(): null {
    return null;
  }

  async execute(): Promise<PortalResult> {
    if (this.started) return { rows: [], done: true, tag: 'COPY 0' };
    this.started = true;
    await prefetchPlanSources(this.prepared.plan, this.session.frontend.streaming.sourceLog);
    const cancel = this.session.beginStatement(this.text);
    const exec = this.prepared.execute([], { cancel, ctx: queryContext(this.session) });
    return { rows: [], done: true, tag: '', copyOut: new CopyOut(exec, this.prepared, this.fmt, this.session.timeZone()) };
  }

  close(): void {}
}

class CopyOut implements CopyOutSource {
  readonly format = 0 as const;
  readonly columns: number;
  private count = 0;
  private header: boolean;
  private done = false;

  constructor(
    private readonly exec: QueryExecution,
    private readonly prepared: PreparedQuery,
    private readonly fmt: CopyFormat,
    private readonly timeZone: string,
  ) {
    this.columns = prepared.fields!.length;
    this.header = fmt.header;
  }

  async next(): Promise<Buffer[] | null> {
    if (this.done) return null;
    const fields = this.prepared.fields!;
    const out: Buffer[] = [];
    if (this.header) {
      this.header = false;
      out.push(Buffer.from(`${formatCopyLine(this.fmt, fields.map((f) => f.name))}\n`));
    }
    const { rows, done } = await this.exec.next(COPY_OUT_BATCH);
    const texts: (string | null)[] = new Array(fields.length);
    for (const row of rows) {
      for (let i = 0; i < fields.length; i++) texts[i] = row[i] === null ? null : formatDatum(fields[i].type, row[i], this.timeZone);
      out.push(Buffer.from(`${formatCopyLine(this.fmt, texts)}\n`));
    }
    this.count += rows.length;
    if (done) this.done = true;
    return out.length === 0 && done ? null : out;
  }

  tag(): string {
    return `COPY ${this.count}`;
  }

  close(): void {
    this.exec.close();
  }
}
