/**
 * pg_catalog.pg_proc, minimal: the system information functions of functions.ts, so
 * clients that look a function up by name find it, and the user-defined functions of the
 * current database (CREATE FUNCTION; their oid is their catalog id). Built-in scalar
 * functions of @freshet/expr are not listed yet.
 */
import { type Datum, T, listOf, typeOid } from '@freshet/common';
import { SYSTEM_FUNCTIONS } from './functions';
import { type SystemContext, systemTable } from './table';

const I = T.Int32;
const S = T.Int16;
const V = T.Varchar;
const B = T.Boolean;

/** Synthetic function oids: fixed by position, below FIRST_ID and clear of type oids. */
const FIRST_PROC_OID = 80_000;
/** pg_language oids: PostgreSQL's `internal` and `sql`; JavaScript has none, so a synthetic one. */
const INTERNAL_LANGUAGE = 12;
const LANGUAGE_OID = { sql: 14, javascript: 79_999 } as const;

export const pgProc = systemTable({
  schema: 'pg_catalog',
  name: 'pg_proc',
  oid: 1255,
  columns: [
    ['oid', I], ['proname', V], ['pronamespace', I], ['proowner', I], ['prolang', I], ['procost', T.Float32],
    ['prorows', T.Float32], ['provariadic', I], ['prosupport', V], ['prokind', V], ['prosecdef', B],
    ['proleakproof', B], ['proisstrict', B], ['proretset', B], ['provolatile', V], ['proparallel', V],
    ['pronargs', S], ['pronargdefaults', S], ['prorettype', I], ['proargtypes', listOf(I)],
    ['proallargtypes', listOf(I)], ['proargmodes', listOf(V)], ['proargnames', listOf(V)], ['prosrc', V],
    ['probin', V], ['proconfig', listOf(V)], ['proacl', listOf(V)],
  ],
  *rows(ctx: SystemContext): Iterable<Record<string, Datum>> {
    const ns = ctx.pgCatalogOid();
    const owner = ctx.userOid('root');
    let oid = FIRST_PROC_OID;
    for (const f of SYSTEM_FUNCTIONS) {
      yield {
        oid: oid++, proname: f.name, pronamespace: ns, proowner: owner, prolang: INTERNAL_LANGUAGE, procost: 1,
        prorows: 0, provariadic: 0, prosupport: '-', prokind: 'f', prosecdef: false, proleakproof: false,
        proisstrict: true, proretset: false, provolatile: 's', proparallel: 's', pronargs: f.nargs,
        pronargdefaults: 0, prorettype: typeOid(f.ret), proargtypes: [], prosrc: f.name,
      };
    }
    for (const f of ctx.catalog.listFunctions(ctx.database)) {
      const table = f.tableColumns;
      const argOids = f.argTypes.map(typeOid);
      yield {
        oid: f.id, proname: f.name, pronamespace: ctx.namespaceOid(f.schema), proowner: ctx.userOid(f.owner),
        prolang: LANGUAGE_OID[f.language], procost: 100, prorows: table ? 1000 : 0, provariadic: 0, prosupport: '-',
        prokind: 'f', prosecdef: false, proleakproof: false, proisstrict: false, proretset: !!table, provolatile: 'v',
        proparallel: 'u', pronargs: f.argTypes.length, pronargdefaults: 0,
        // RETURNS TABLE: record (2249), the columns as TABLE-mode arguments, as PostgreSQL stores them.
        prorettype: table ? 2249 : typeOid(f.returnType!), proargtypes: argOids,
        proallargtypes: table ? [...argOids, ...table.map((c) => typeOid(c.type))] : null,
        proargmodes: table ? [...argOids.map(() => 'i'), ...table.map(() => 't')] : null,
        proargnames: [...f.argNames, ...(table ?? []).map((c) => c.name)],
        prosrc: f.body,
      };
    }
  },
});
