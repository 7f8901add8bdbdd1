/**
 * What binding a statement needs besides the AST: the session's view of the catalog,
 * parameter types (inferred as they are used), CTEs in scope, and the RisingWave extras
 * the SQL front pass removed from the statement (struct types, `* EXCEPT`, CORRESPONDING).
 */
import { type DataType, SqlError, SqlState, T } from '@freshet/common';
import type { EvalContext } from '@freshet/expr';
import type { RwExtras } from '@freshet/sql';
import type { StorageEngine } from '@freshet/storage';
import type { Catalog } from '../catalog/catalog';
import type { SystemSessionInfo } from '../catalog/system';
import type { Field, PlanNode } from '../planner/plan';

/** The session state a query reads (the lead builds one per statement). */
export interface QueryContext {
  catalog: Catalog;
  storage: StorageEngine;
  database: string;
  searchPath: readonly string[];
  user: string;
  timeZone: string;
  /** Statement start, µs since the Unix epoch. */
  now(): number;
  /** Session variables for current_setting() and friends. */
  sessionVar?(name: string): string | undefined;
  /** Backend pid, settings and all sessions, for pg_backend_pid(), pg_settings, pg_stat_activity. */
  session?: SystemSessionInfo;
}

export interface CteDef {
  readonly name: string;
  readonly plan: PlanNode;
  readonly schema: readonly Field[];
}

export class BindContext {
  /** Inferred parameter types ($1 = index 0); null until known. */
  readonly paramTypes: (DataType | null)[];
  /** CTE frames, innermost last. */
  private readonly ctes: Map<string, CteDef>[] = [];
  /** Relations read (catalog ids), for view dependencies. */
  readonly dependsOn = new Set<number>();

  constructor(
    readonly query: QueryContext,
    paramTypes: readonly (DataType | null)[],
    readonly rw: RwExtras | undefined,
  ) {
    this.paramTypes = paramTypes.map((t) => (t && t.kind !== 'unknown' ? t : null));
  }

  evalContext(): EvalContext {
    return { timeZone: this.query.timeZone, now: this.query.now() };
  }

  paramType(index: number): DataType | null {
    return this.paramTypes[index] ?? null;
  }

  setParamType(index: number, t: DataType): void {
    while (this.paramTypes.length <= index) this.paramTypes.push(null);
    const cur = this.paramTypes[index];
    if (cur && cur.kind !== t.kind) {
      throw new SqlError(SqlState.DatatypeMismatch, `inconsistent types deduced for parameter $${index + 1}`);
    }
    this.paramTypes[index] = t;
  }

  noteParam(index: number): void {
    while (this.paramTypes.length <= index) this.paramTypes.push(null);
  }

  /** Final parameter types: unknown ones are varchar (as RisingWave and PostgreSQL report). */
  finalParamTypes(): DataType[] {
    return this.paramTypes.map((t) => t ?? T.Varchar);
  }

  pushCtes(frame: Map<string, CteDef>): void {
    this.ctes.push(frame);
  }

  popCtes(): void {
    this.ctes.pop();
  }

  findCte(name: string): CteDef | undefined {
    for (let i = this.ctes.length - 1; i >= 0; i--) {
      const c = this.ctes[i].get(name);
      if (c) return c;
    }
    return undefined;
  }
}
