/** pg_catalog.pg_type: the types of type-info.ts, all in pg_catalog. */
import { T } from '@freshet/common';
import { type SystemContext, systemTable } from './table';
import { PG_TYPES } from './type-info';

const I = T.Int32;
const S = T.Int16;
const V = T.Varchar;
const B = T.Boolean;

export const pgType = systemTable({
  schema: 'pg_catalog',
  name: 'pg_type',
  oid: 1247,
  columns: [
    ['oid', I], ['typname', V], ['typnamespace', I], ['typowner', I], ['typlen', S], ['typbyval', B],
    ['typtype', V], ['typcategory', V], ['typispreferred', B], ['typisdefined', B], ['typdelim', V],
    ['typrelid', I], ['typelem', I], ['typarray', I], ['typinput', V], ['typoutput', V], ['typreceive', V],
    ['typsend', V], ['typmodin', V], ['typmodout', V], ['typanalyze', V], ['typalign', V], ['typstorage', V],
    ['typnotnull', B], ['typbasetype', I], ['typtypmod', I], ['typndims', I], ['typcollation', I],
    ['typdefaultbin', V], ['typdefault', V],
  ],
  *rows(ctx: SystemContext) {
    const ns = ctx.pgCatalogOid();
    const owner = ctx.userOid('root');
    for (const t of PG_TYPES) {
      yield {
        oid: t.oid,
        typname: t.typname,
        typnamespace: ns,
        typowner: owner,
        typlen: t.typlen,
        typbyval: t.typbyval,
        typtype: t.typtype,
        typcategory: t.typcategory,
        typispreferred: t.typname === 'float8' || t.typname === 'text' || t.typname === 'timestamptz' || t.typname === 'bool',
        typisdefined: true,
        typdelim: ',',
        typrelid: 0,
        typelem: t.typelem,
        typarray: t.typarray,
        typinput: t.typinput,
        typoutput: t.typoutput,
        typreceive: t.typreceive,
        typsend: t.typsend,
        typmodin: '-',
        typmodout: '-',
        typanalyze: '-',
        typalign: t.typalign,
        typstorage: t.typstorage,
        typnotnull: false,
        typbasetype: 0,
        typtypmod: -1,
        typndims: 0,
        typcollation: t.typcollation,
      };
    }
  },
});
