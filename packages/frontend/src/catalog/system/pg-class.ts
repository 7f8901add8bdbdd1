/**
 * pg_catalog relation metadata: pg_class, pg_attribute, pg_attrdef, pg_index,
 * pg_constraint, and the always-empty pg_inherits and pg_description (Freshet has no
 * inheritance and no COMMENT ON). Hidden columns (`_row_id`) are not attributes.
 */
import { T, listOf, typeOid, typeSize } from '@freshet/common';
import { attrdefOid, primaryKeyIndexOid, primaryKeyName, primaryKeyOid } from './definitions';
import { RELKIND, type SystemContext, attributes, attnumOf, indexedRelationIds, primaryKeyAttnums, systemTable } from './table';
import { pgTypeByOid } from './type-info';

const I = T.Int32;
const S = T.Int16;
const V = T.Varchar;
const B = T.Boolean;

/** pg_am oids (PostgreSQL's): tables use heap, indexes btree. */
export const HEAP_AM = 2;
export const BTREE_AM = 403;

export const pgClass = systemTable({
  schema: 'pg_catalog',
  name: 'pg_class',
  oid: 1259,
  columns: [
    ['oid', I], ['relname', V], ['relnamespace', I], ['reltype', I], ['reloftype', I], ['relowner', I],
    ['relam', I], ['relfilenode', I], ['reltablespace', I], ['relpages', I], ['reltuples', T.Float32],
    ['relallvisible', I], ['reltoastrelid', I], ['relhasindex', B], ['relisshared', B], ['relpersistence', V],
    ['relkind', V], ['relnatts', S], ['relchecks', S], ['relhasrules', B], ['relhastriggers', B],
    ['relhassubclass', B], ['relrowsecurity', B], ['relforcerowsecurity', B], ['relispopulated', B],
    ['relreplident', V], ['relispartition', B], ['relrewrite', I], ['reloptions', listOf(V)], ['relacl', listOf(V)],
    ['relpartbound', V],
  ],
  *rows(ctx: SystemContext) {
    const indexed = indexedRelationIds(ctx);
    for (const rel of ctx.relations()) {
      const system = ctx.systemTableOf(rel);
      const kind = system ? system.relkind : RELKIND[rel.kind];
      const pk = primaryKeyAttnums(rel);
      if (pk.length > 0) {
        yield {
          oid: primaryKeyIndexOid(rel), relname: primaryKeyName(rel), relnamespace: ctx.namespaceOid(rel.schema), reltype: 0,
          reloftype: 0, relowner: ctx.userOid(rel.owner), relam: BTREE_AM, relfilenode: 0, reltablespace: 0, relpages: 0,
          reltuples: -1, relallvisible: 0, reltoastrelid: 0, relhasindex: false, relisshared: false, relpersistence: 'p',
          relkind: 'i', relnatts: pk.length, relchecks: 0, relhasrules: false, relhastriggers: false, relhassubclass: false,
          relrowsecurity: false, relforcerowsecurity: false, relispopulated: true, relreplident: 'n', relispartition: false, relrewrite: 0,
        };
      }
      yield {
        oid: rel.id,
        relname: rel.name,
        relnamespace: ctx.namespaceOid(rel.schema),
        reltype: 0,
        reloftype: 0,
        relowner: ctx.userOid(rel.owner),
        relam: kind === 'i' ? BTREE_AM : kind === 'r' || kind === 'm' ? HEAP_AM : 0,
        relfilenode: rel.id,
        reltablespace: 0,
        relpages: 0,
        reltuples: -1,
        relallvisible: 0,
        reltoastrelid: 0,
        relhasindex: indexed.has(rel.id),
        relisshared: false,
        relpersistence: 'p',
        relkind: kind,
        relnatts: attributes(rel).length,
        relchecks: 0,
        relhasrules: false,
        relhastriggers: false,
        relhassubclass: false,
        relrowsecurity: false,
        relforcerowsecurity: false,
        relispopulated: true,
        relreplident: 'd',
        relispartition: false,
        relrewrite: 0,
      };
    }
  },
});

export const pgAttribute = systemTable({
  schema: 'pg_catalog',
  name: 'pg_attribute',
  oid: 1249,
  columns: [
    ['attrelid', I], ['attname', V], ['atttypid', I], ['attstattarget', I], ['attlen', S], ['attnum', S],
    ['attndims', I], ['attcacheoff', I], ['atttypmod', I], ['attbyval', B], ['attalign', V], ['attstorage', V],
    ['attcompression', V], ['attnotnull', B], ['atthasdef', B], ['atthasmissing', B], ['attidentity', V],
    ['attgenerated', V], ['attisdropped', B], ['attislocal', B], ['attinhcount', I], ['attcollation', I],
    ['attacl', listOf(V)], ['attoptions', listOf(V)], ['attfdwoptions', listOf(V)],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.relations()) {
      const pkNums = primaryKeyAttnums(rel);
      const pk = new Set(pkNums);
      const pkIndex = pkNums.length > 0 ? primaryKeyIndexOid(rel) : 0;
      const all = attributes(rel);
      // The primary key's presented index has the key columns as its attributes.
      const entries = [
        ...all.map((a) => ({ relid: rel.id, attnum: a.attnum, a })),
        ...pkNums.map((n, i) => ({ relid: pkIndex, attnum: i + 1, a: all[n - 1] })),
      ];
      for (const { relid, attnum, a } of entries) {
        const oid = typeOid(a.column.type);
        const info = pgTypeByOid(oid);
        let dims = 0;
        for (let t = a.column.type; t.kind === 'list'; t = t.elem) dims++;
        yield {
          attrelid: relid,
          attname: a.column.name,
          atttypid: oid,
          attstattarget: -1,
          attlen: typeSize(a.column.type),
          attnum,
          attndims: dims,
          attcacheoff: -1,
          atttypmod: -1,
          attbyval: info?.typbyval ?? false,
          attalign: info?.typalign ?? 'i',
          attstorage: info?.typstorage ?? 'x',
          attcompression: '',
          attnotnull: a.column.notNull || pk.has(a.attnum),
          atthasdef: relid === rel.id && (a.column.defaultExpr !== undefined || a.column.generatedExpr !== undefined),
          atthasmissing: false,
          attidentity: '',
          attgenerated: a.column.generatedExpr !== undefined ? 's' : '',
          attisdropped: false,
          attislocal: true,
          attinhcount: 0,
          attcollation: info?.typcollation ?? 0,
        };
      }
    }
  },
});

export const pgAttrdef = systemTable({
  schema: 'pg_catalog',
  name: 'pg_attrdef',
  oid: 2604,
  columns: [['oid', I], ['adrelid', I], ['adnum', S], ['adbin', V]],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations()) {
      for (const a of attributes(rel)) {
        const expr = a.column.generatedExpr ?? a.column.defaultExpr;
        if (expr === undefined) continue;
        yield { oid: attrdefOid(rel, a.attnum), adrelid: rel.id, adnum: a.attnum, adbin: expr };
      }
    }
  },
});

export const pgIndex = systemTable({
  schema: 'pg_catalog',
  name: 'pg_index',
  oid: 2610,
  columns: [
    ['indexrelid', I], ['indrelid', I], ['indnatts', S], ['indnkeyatts', S], ['indisunique', B], ['indisprimary', B],
    ['indisexclusion', B], ['indimmediate', B], ['indisclustered', B], ['indisvalid', B], ['indcheckxmin', B],
    ['indisready', B], ['indislive', B], ['indisreplident', B], ['indkey', listOf(S)], ['indcollation', listOf(I)],
    ['indclass', listOf(I)], ['indoption', listOf(S)], ['indexprs', V], ['indpred', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations('table')) {
      const key = primaryKeyAttnums(rel);
      if (key.length === 0) continue;
      yield {
        indexrelid: primaryKeyIndexOid(rel), indrelid: rel.id, indnatts: key.length, indnkeyatts: key.length,
        indisunique: true, indisprimary: true, indisexclusion: false, indimmediate: true, indisclustered: false,
        indisvalid: true, indcheckxmin: false, indisready: true, indislive: true, indisreplident: false, indkey: key,
        indcollation: key.map(() => 0), indclass: key.map(() => 0), indoption: key.map(() => 0),
      };
    }
    for (const rel of ctx.userRelations('index')) {
      if (!rel.index) continue;
      const base = ctx.catalog.getRelationById(rel.index.on);
      if (!base) continue;
      const keys = rel.index.keys.map((k) => attnumOf(base, k.column));
      const include = rel.index.include.map((i) => attnumOf(base, i));
      const all = [...keys, ...include];
      yield {
        indexrelid: rel.id,
        indrelid: base.id,
        indnatts: all.length,
        indnkeyatts: keys.length,
        indisunique: false,
        indisprimary: false,
        indisexclusion: false,
        indimmediate: true,
        indisclustered: false,
        indisvalid: true,
        indcheckxmin: false,
        indisready: true,
        indislive: true,
        indisreplident: false,
        indkey: all,
        indcollation: all.map(() => 0),
        indclass: all.map(() => 0),
        // PostgreSQL's INDOPTION_DESC = 1, INDOPTION_NULLS_FIRST = 2.
        indoption: rel.index.keys.map((k) => (k.desc ? 1 : 0) | (k.nullsFirst ? 2 : 0)),
      };
    }
  },
});

export const pgConstraint = systemTable({
  schema: 'pg_catalog',
  name: 'pg_constraint',
  oid: 2606,
  columns: [
    ['oid', I], ['conname', V], ['connamespace', I], ['contype', V], ['condeferrable', B], ['condeferred', B],
    ['convalidated', B], ['conrelid', I], ['contypid', I], ['conindid', I], ['conparentid', I], ['confrelid', I],
    ['confupdtype', V], ['confdeltype', V], ['confmatchtype', V], ['conislocal', B], ['coninhcount', I],
    ['connoinherit', B], ['conkey', listOf(S)], ['confkey', listOf(S)], ['conpfeqop', listOf(I)],
    ['conppeqop', listOf(I)], ['conffeqop', listOf(I)], ['conexclop', listOf(I)], ['conbin', V],
  ],
  *rows(ctx: SystemContext) {
    for (const rel of ctx.userRelations('table')) {
      const key = primaryKeyAttnums(rel);
      if (key.length === 0) continue;
      yield {
        oid: primaryKeyOid(rel),
        conname: primaryKeyName(rel),
        connamespace: ctx.namespaceOid(rel.schema),
        contype: 'p',
        condeferrable: false,
        condeferred: false,
        convalidated: true,
        conrelid: rel.id,
        contypid: 0,
        conindid: primaryKeyIndexOid(rel),
        conparentid: 0,
        confrelid: 0,
        confupdtype: ' ',
        confdeltype: ' ',
        confmatchtype: ' ',
        conislocal: true,
        coninhcount: 0,
        connoinherit: true,
        conkey: key,
      };
    }
  },
});

export const pgInherits = systemTable({
  schema: 'pg_catalog',
  name: 'pg_inherits',
  oid: 2611,
  columns: [['inhrelid', I], ['inhparent', I], ['inhseqno', I], ['inhdetachpending', B]],
  rows: () => [],
});

export const pgDescription = systemTable({
  schema: 'pg_catalog',
  name: 'pg_description',
  oid: 2609,
  columns: [['objoid', I], ['classoid', I], ['objsubid', I], ['description', V]],
  rows: () => [],
});


/** Row-level security policies: none (psql's `\d` asks for them). */
export const pgPolicy = systemTable({
  schema: 'pg_catalog',
  name: 'pg_policy',
  oid: 3256,
  columns: [
    ['oid', I], ['polname', V], ['polrelid', I], ['polcmd', V], ['polpermissive', B], ['polroles', listOf(I)],
    ['polqual', V], ['polwithcheck', V],
  ],
  rows: () => [],
});

/** Extended statistics: none (psql's `\d` asks for them). */
export const pgStatisticExt = systemTable({
  schema: 'pg_catalog',
  name: 'pg_statistic_ext',
  oid: 3381,
  columns: [
    ['oid', I], ['stxrelid', I], ['stxname', V], ['stxnamespace', I], ['stxowner', I], ['stxstattarget', I],
    ['stxkeys', listOf(S)], ['stxkind', listOf(V)], ['stxexprs', V],
  ],
  rows: () => [],
});

/** Triggers: none. */
export const pgTrigger = systemTable({
  schema: 'pg_catalog',
  name: 'pg_trigger',
  oid: 2620,
  columns: [
    ['oid', I], ['tgrelid', I], ['tgparentid', I], ['tgname', V], ['tgfoid', I], ['tgtype', S], ['tgenabled', V],
    ['tgisinternal', B], ['tgconstrrelid', I], ['tgconstrindid', I], ['tgconstraint', I], ['tgdeferrable', B],
    ['tginitdeferred', B], ['tgnargs', S], ['tgattr', listOf(S)], ['tgqual', V],
  ],
  rows: () => [],
});

const PUBLICATION_COLUMNS = [['oid', I], ['pubname', V], ['pubowner', I], ['puballtables', B], ['pubinsert', B], ['pubupdate', B], ['pubdelete', B], ['pubtruncate', B], ['pubviaroot', B]] as const;

/** Logical replication publications: none (psql's `\d` lists a table's publications). */
export const pgPublication = systemTable({ schema: 'pg_catalog', name: 'pg_publication', oid: 6104, columns: PUBLICATION_COLUMNS, rows: () => [] });

export const pgPublicationRel = systemTable({
  schema: 'pg_catalog',
  name: 'pg_publication_rel',
  oid: 6106,
  columns: [['oid', I], ['prpubid', I], ['prrelid', I], ['prqual', V], ['prattrs', listOf(S)]],
  rows: () => [],
});

export const pgPublicationNamespace = systemTable({
  schema: 'pg_catalog',
  name: 'pg_publication_namespace',
  oid: 6237,
  columns: [['oid', I], ['pnpubid', I], ['pnnspid', I]],
  rows: () => [],
});

export const PG_CLASS_GROUP = [
  pgClass, pgAttribute, pgAttrdef, pgIndex, pgConstraint, pgInherits, pgDescription,
  pgPolicy, pgStatisticExt, pgTrigger, pgPublication, pgPublicationRel, pgPublicationNamespace,
];
