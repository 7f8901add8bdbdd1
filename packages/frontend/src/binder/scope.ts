/**
 * Name resolution. A Scope lists the columns a clause can see (a FROM clause's relations,
 * in order) with their qualifiers; a Level is one query nesting level, whose parent is the
 * enclosing query (correlated subqueries resolve there, producing OuterRefs).
 */
import { type DataType, SqlError, SqlState } from '@freshet/common';
import type { Field } from '../planner/plan';

export interface ScopeField {
  readonly name: string;
  readonly type: DataType;
  /** Relation alias/name that qualifies this column, or null. */
  readonly table: string | null;
  /** Schema of the relation, for `schema.table.column`. */
  readonly schema?: string | null;
  /** Skipped by `*` (e.g. `_row_id`). */
  readonly hidden?: boolean;
  /** Only reachable qualified (the per-side copies of a USING column). */
  readonly qualifiedOnly?: boolean;
}

export class Scope {
  constructor(readonly fields: readonly ScopeField[]) {}

  static fromSchema(schema: readonly Field[], table: string | null = null): Scope {
    return new Scope(schema.map((f) => ({ name: f.name, type: f.type, table: table ?? f.table, hidden: f.hidden })));
  }

  /** Concatenation (joins): left fields then right fields. */
  concat(other: Scope): Scope {
    return new Scope([...this.fields, ...other.fields]);
  }

  /**
   * Resolves `name`, `t.name` or `s.t.name` to a column index; null if absent here.
   * Throws 42702 when more than one column matches.
   */
  resolve(parts: readonly string[]): number | null {
    const name = parts[parts.length - 1];
    const table = parts.length >= 2 ? parts[parts.length - 2] : null;
    const schema = parts.length >= 3 ? parts[parts.length - 3] : null;
    let found = -1;
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i];
      if (f.name !== name) continue;
      if (table === null) {
        if (f.qualifiedOnly) continue;
      } else {
        if (f.table !== table) continue;
        if (schema !== null && f.schema != null && f.schema !== schema) continue;
      }
      if (found >= 0) {
        throw new SqlError(SqlState.AmbiguousColumn, `column reference "${parts[parts.length - 1]}" is ambiguous`);
      }
      found = i;
    }
    return found >= 0 ? found : null;
  }

  /** True if some column is qualified by `table`. */
  hasTable(table: string): boolean {
    return this.fields.some((f) => f.table === table);
  }
}

/** One query nesting level (for correlated subqueries). */
export class Level {
  constructor(
    /** The scope expressions at this level are evaluated against, set once FROM is bound. */
    public scope: Scope,
    readonly parent: Level | null,
  ) {}
}
