/**
 * A per-session cache of point-lookup plans, so a serving workload pays for parsing,
 * binding and optimising once per statement shape instead of once per query:
 *
 * - Simple protocol: `SELECT … FROM t WHERE pk = 42` is parameterised
 *   (plan-cache-literals.ts) into `… WHERE pk = $1`; that template is planned once with
 *   the literals' types, and every later query of the same shape binds its own literals.
 * - Extended protocol: Parse of the same text with the same parameter types (clients
 *   that use the unnamed statement re-send Parse for every query) reuses the prepared
 *   command.
 *
 * Only statements whose plan compiles to a point lookup (../query/fast-path.ts) are cached:
 * a single-table `Get` whose key is built from parameters — nothing evaluated at plan time
 * (now(), folded casts of session-dependent values) can be baked into such a plan, and
 * every lifted literal necessarily ends up as a key value, parsed exactly as Bind parses
 * a parameter.
 *
 * Validity: such a plan depends on the catalog only through the one relation named in
 * its FROM clause. Each entry records that name and the catalog record it resolved to;
 * a hit re-resolves the name with the session's current database, search_path and user
 * and requires the very same record. DDL replaces records (CREATE/DROP give new ones,
 * ALTER/RENAME build a new record via Catalog.updateRelation), and a search_path change
 * or a newly created shadowing table resolves to a different one, so all of them miss.
 * Statements that are not point lookups are remembered as such (with the same
 * validation), so they cost one template planning, not one per execution.
 */
import { type DataType, type Datum, T, parseDatum } from '@freshet/common';
import type { FieldInfo, Portal } from '@freshet/pgwire';
import { type PgNode, type Statement, parseSql } from '@freshet/sql';
import type { RelationCatalog } from '../catalog/model';
import type { PointLookup } from '../query/fast-path';
import type { PreparedCommand } from './dispatch';
import { prepareStatement } from './dispatch';
import { FastPathPortal } from './fast-path-portal';
import { type LiftedLiteral, parameteriseLiterals } from './plan-cache-literals';
import type { FrontendSession } from './session';

/** Entries kept per session; beyond this the least recently used is dropped. */
export const PLAN_CACHE_SIZE = 256;

/** What query-command.ts attaches to a command whose plan is a point lookup. */
export interface PointLookupCommand extends PreparedCommand {
  readonly pointLookup: PointLookup;
  readonly fields: FieldInfo[];
  readonly paramTypes: DataType[];
}

function isPointLookupCommand(cmd: PreparedCommand): cmd is PointLookupCommand {
  return (cmd as Partial<PointLookupCommand>).pointLookup !== undefined && (cmd as Partial<PointLookupCommand>).pointLookup !== null;
}

/** The relation a statement's FROM names, as written. */
interface RelationName {
  readonly schema: string | null;
  readonly name: string;
}

interface Entry {
  /** null: known not to be a point lookup (a negative entry). */
  readonly command: PointLookupCommand | null;
  /** null: the statement's shape never qualifies, whatever the catalog holds. */
  readonly from: RelationName | null;
  /** What `from` resolved to when the entry was made (undefined: nothing). */
  readonly resolved: RelationCatalog | undefined;
}

export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  /** search_path text → parsed, so validating a hit does not re-parse the setting. */
  private pathText = '';
  private path: string[] = [];
  hits = 0;
  misses = 0;

  constructor(private readonly session: FrontendSession) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * A portal answering the simple query `sql` from a cached point-lookup plan, or null
   * when the statement must take the normal path (which then reports any error).
   */
  simpleQuery(sql: string): Portal | null {
    if (this.session.txStatus === 'E') return null; // the normal path rejects it
    const p = parameteriseLiterals(sql);
    if (!p) return null;
    const key = `S${p.key}`;
    let entry = this.valid(key);
    if (!entry) {
      this.misses++;
      entry = this.planTemplate(p.template, p.literals);
      this.remember(key, entry);
    } else this.hits++;
    const cmd = entry.command;
    if (!cmd) return null;
    return new FastPathPortal(this.session, cmd.pointLookup, cmd.fields, this.literalParams(p.literals, cmd.paramTypes), sql);
  }

  /** A cached command for Parse of `sql` with these parameter types, or null. */
  prepared(sql: string, paramTypes: readonly (DataType | null)[]): PreparedCommand | null {
    if (this.session.txStatus === 'E') return null;
    const command = this.valid(preparedKey(sql, paramTypes))?.command ?? null;
    if (command) this.hits++;
    return command;
  }

  /** Records the outcome of a Parse that missed (`stmt` as parsed, `cmd` as prepared). */
  rememberPrepared(sql: string, paramTypes: readonly (DataType | null)[], stmt: Statement | undefined, cmd: PreparedCommand): void {
    this.misses++;
    const from = stmt ? singleRelation(stmt) : null;
    if (!from) return; // not a SELECT from one relation: not worth an entry
    const resolved = this.resolve(from);
    // As for templates: only when FROM names the very table read (not a view over it).
    const command = isPointLookupCommand(cmd) && cmd.pointLookup.table === resolved ? cmd : null;
    this.remember(preparedKey(sql, paramTypes), { command, from, resolved });
  }

  /** The entry under `key` if it is still valid (refreshing its LRU position). */
  private valid(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.from && this.resolve(entry.from) !== entry.resolved) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > PLAN_CACHE_SIZE) this.entries.delete(this.entries.keys().next().value!);
  }

  private resolve(from: RelationName): RelationCatalog | undefined {
    const s = this.session;
    const text = s.config.get('search_path');
    if (text !== this.pathText) {
      this.path = s.searchPath();
      this.pathText = text;
    }
    return s.frontend.catalog.resolveRelation(s.database, this.path, from.schema, from.name, s.user);
  }

  /** Plans the parameterised template; any failure makes a negative entry. */
  private planTemplate(template: string, literals: readonly LiftedLiteral[]): Entry {
    let stmts: Statement[];
    try {
      stmts = parseSql(template);
    } catch {
      return { command: null, from: null, resolved: undefined };
    }
    const from = stmts.length === 1 ? singleRelation(stmts[0]) : null;
    if (!from) return { command: null, from: null, resolved: undefined };
    const resolved = this.resolve(from);
    let cmd: PreparedCommand;
    try {
      cmd = prepareStatement(this.session, stmts[0], literals.map(literalType));
    } catch {
      return { command: null, from, resolved };
    }
    // A FROM that names a view resolves to the view, not the table read: not cached.
    const ok = isPointLookupCommand(cmd) && cmd.pointLookup.table === resolved && cmd.paramTypes.length === literals.length;
    return { command: ok ? (cmd as PointLookupCommand) : null, from, resolved };
  }

  /** The literals as parameter datums, parsed as Bind parses text parameters. */
  private literalParams(literals: readonly LiftedLiteral[], types: readonly DataType[]): Datum[] {
    const params: Datum[] = new Array(literals.length);
    for (let i = 0; i < literals.length; i++) {
      const l = literals[i];
      if (l.kind === 'int4') params[i] = Number(l.text);
      else if (l.kind === 'int8') params[i] = BigInt(l.text);
      else params[i] = types[i].kind === 'varchar' ? l.text : parseDatum(types[i], l.text, this.session.timeZone());
    }
    return params;
  }
}

function literalType(l: LiftedLiteral): DataType | null {
  // Strings are untyped (PostgreSQL's `unknown`): the parameter's type is inferred from use.
  return l.kind === 'int4' ? T.Int32 : l.kind === 'int8' ? T.Int64 : null;
}

function preparedKey(sql: string, paramTypes: readonly (DataType | null)[]): string {
  let types = '';
  for (const t of paramTypes) types += `${t ? t.kind : '?'},`;
  return `P${types}\u0000${sql}`;
}

/**
 * The one relation of `SELECT … FROM rel …` (no joins, subqueries in FROM, CTEs, or
 * set operations), or null. Only such statements can plan to a point lookup we cache.
 */
function singleRelation(stmt: Statement): RelationName | null {
  if (stmt.kind !== 'pg' || stmt.rw) return null;
  const select = (stmt.node as PgNode).SelectStmt as PgNode | undefined;
  if (!select || select.withClause || select.intoClause || select.lockingClause || select.op !== 'SETOP_NONE') return null;
  if (!Array.isArray(select.fromClause) || select.fromClause.length !== 1) return null;
  const rv = select.fromClause[0].RangeVar as PgNode | undefined;
  if (!rv || rv.catalogname || typeof rv.relname !== 'string') return null;
  return { schema: typeof rv.schemaname === 'string' ? rv.schemaname : null, name: rv.relname };
}
