/**
 * SQL text that catalog functions and views print for objects Freshet stores as records:
 * index definitions (pg_get_indexdef, pg_indexes), primary-key constraints
 * (pg_get_constraintdef) and view queries (pg_get_viewdef).
 */
import type { Catalog } from '../catalog';
import type { RelationCatalog } from '../model';

/** Quotes an identifier when PostgreSQL would (not lower-case-simple). */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `CREATE INDEX i ON public.t USING btree (a DESC, b) INCLUDE (c)`, as pg_get_indexdef prints it. */
export function indexDefinition(catalog: Catalog, index: RelationCatalog): string | null {
  if (!index.index) return null;
  const base = catalog.getRelationById(index.index.on);
  if (!base) return null;
  const keys = index.index.keys.map((k) => {
    let s = quoteIdent(base.columns[k.column]?.name ?? '?');
    if (k.desc) s += ' DESC';
    if (k.nullsFirst !== k.desc) s += k.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
    return s;
  });
  let def = `CREATE INDEX ${quoteIdent(index.name)} ON ${quoteIdent(base.schema)}.${quoteIdent(base.name)} USING btree (${keys.join(', ')})`;
  if (index.index.include.length > 0) {
    def += ` INCLUDE (${index.index.include.map((i) => quoteIdent(base.columns[i]?.name ?? '?')).join(', ')})`;
  }
  return def;
}

/** `PRIMARY KEY (a, b)` for a table with a declared primary key. */
export function primaryKeyDefinition(rel: RelationCatalog): string {
  return `PRIMARY KEY (${rel.pk.map((i) => quoteIdent(rel.columns[i].name)).join(', ')})`;
}

/** The pg_constraint row name PostgreSQL gives a primary key. */
export function primaryKeyName(rel: RelationCatalog): string {
  return `${rel.name}_pkey`;
}

/**
 * A primary key's pg_constraint oid is its table's: PostgreSQL oids are unique per catalog
 * table, and a table has at most one primary key, so this is stable without being stored.
 */
export function primaryKeyOid(rel: RelationCatalog): number {
  return rel.id;
}

/**
 * PostgreSQL backs a primary key with a unique index `<table>_pkey`; Freshet's table is
 * itself ordered by its key, so the index is presented, not stored. Its pg_class oid
 * must not collide with catalog ids (allocated upward from 100000), hence a high base.
 */
const PK_INDEX_OID_BASE = 0x4000_0000;

export function primaryKeyIndexOid(rel: RelationCatalog): number {
  return PK_INDEX_OID_BASE + rel.id;
}

/** The table whose presented primary-key index has this oid, if it is one. */
export function tableOfPrimaryKeyIndex(catalog: Catalog, oid: number): RelationCatalog | undefined {
  if (oid < PK_INDEX_OID_BASE) return undefined;
  const rel = catalog.getRelationById(oid - PK_INDEX_OID_BASE);
  return rel && hasDeclaredPrimaryKey(rel) ? rel : undefined;
}

/** A table whose primary key the user declared (not the hidden row id). */
export function hasDeclaredPrimaryKey(rel: RelationCatalog): boolean {
  return rel.kind === 'table' && rel.pk.length > 0 && rel.pk.every((i) => rel.columns[i] && !rel.columns[i].hidden);
}

/** `CREATE UNIQUE INDEX t_pkey ON public.t USING btree (a)`, as PostgreSQL prints the key's index. */
export function primaryKeyIndexDefinition(rel: RelationCatalog): string {
  const cols = rel.pk.map((i) => quoteIdent(rel.columns[i].name)).join(', ');
  return `CREATE UNIQUE INDEX ${quoteIdent(primaryKeyName(rel))} ON ${quoteIdent(rel.schema)}.${quoteIdent(rel.name)} USING btree (${cols})`;
}

/** pg_attrdef oids: unique per (relation, column) within pg_attrdef; fits int4 for ids < 2^31/1000. */
export function attrdefOid(rel: RelationCatalog, attnum: number): number {
  return (rel.id * 1000 + attnum) | 0;
}

export function viewDefinition(rel: RelationCatalog): string | null {
  return rel.kind === 'view' || rel.kind === 'materialized_view' ? (rel.query ?? rel.definition) : null;
}
