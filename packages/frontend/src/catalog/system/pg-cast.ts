/**
 * pg_cast from the casts Freshet actually performs (`canCast` of @freshet/expr over the
 * scalar types of pg_type), so psql's `\dC` and tools that check castability see the
 * truth. Casts are built in, not functions: castfunc is 0 and castmethod 'f'. Also the
 * catalogs of objects Freshet has none of but psql's `\do`, `\dc` and `\dy` read.
 */
import { T, listOf, typeFromOid } from '@freshet/common';
import { canCast } from '@freshet/expr';
import { systemTable } from './table';
import { PG_TYPES } from './type-info';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;

/** Oids in pg_cast rows: above the range of the other fixed system oids. */
const FIRST_CAST_OID = 92_000;

export const pgCast = systemTable({
  schema: 'pg_catalog',
  name: 'pg_cast',
  oid: 2605,
  columns: [['oid', I], ['castsource', I], ['casttarget', I], ['castfunc', I], ['castcontext', V], ['castmethod', V]],
  *rows() {
    const scalars = PG_TYPES.filter((t) => t.typcategory !== 'A').flatMap((t) => {
      const type = typeFromOid(t.oid);
      return type ? [{ oid: t.oid, type }] : [];
    });
    let oid = FIRST_CAST_OID;
    for (const from of scalars) {
      for (const to of scalars) {
        if (from.oid === to.oid) continue;
        const context = canCast(from.type, to.type, 'implicit') ? 'i' : canCast(from.type, to.type, 'assign') ? 'a' : canCast(from.type, to.type, 'explicit') ? 'e' : null;
        if (context) yield { oid: oid++, castsource: from.oid, casttarget: to.oid, castfunc: 0, castcontext: context, castmethod: 'f' };
      }
    }
  },
});

export const pgOperator = systemTable({
  schema: 'pg_catalog',
  name: 'pg_operator',
  oid: 2617,
  columns: [
    ['oid', I], ['oprname', V], ['oprnamespace', I], ['oprowner', I], ['oprkind', V], ['oprcanmerge', B], ['oprcanhash', B],
    ['oprleft', I], ['oprright', I], ['oprresult', I], ['oprcom', I], ['oprnegate', I], ['oprcode', I], ['oprrest', I], ['oprjoin', I],
  ],
  rows: () => [],
});

export const pgConversion = systemTable({
  schema: 'pg_catalog',
  name: 'pg_conversion',
  oid: 2607,
  columns: [['oid', I], ['conname', V], ['connamespace', I], ['conowner', I], ['conforencoding', I], ['contoencoding', I], ['conproc', I], ['condefault', B]],
  rows: () => [],
});

export const pgEventTrigger = systemTable({
  schema: 'pg_catalog',
  name: 'pg_event_trigger',
  oid: 3466,
  columns: [['oid', I], ['evtname', V], ['evtevent', V], ['evtowner', I], ['evtfoid', I], ['evtenabled', V], ['evttags', listOf(V)]],
  rows: () => [],
});

export const PG_CAST_GROUP = [pgCast, pgOperator, pgConversion, pgEventTrigger];
