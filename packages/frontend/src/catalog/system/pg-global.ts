/**
 * pg_catalog objects outside relations: namespaces, databases, roles, and the fixed
 * entries PostgreSQL always has (access methods, collations, tablespaces). Objects Freshet
 * does not have (enums, role memberships) are empty tables so client queries still bind.
 */
import { T, listOf } from '@freshet/common';
import { BTREE_AM, HEAP_AM } from './pg-class';
import { type SystemContext, systemTable } from './table';

const I = T.Int32;
const V = T.Varchar;
const B = T.Boolean;

/** PostgreSQL's encoding number for UTF8 (pg_database.encoding, pg_encoding_to_char). */
export const UTF8_ENCODING = 6;
export const DEFAULT_TABLESPACE = 1663;

export const pgNamespace = systemTable({
  schema: 'pg_catalog',
  name: 'pg_namespace',
  oid: 2615,
  columns: [['oid', I], ['nspname', V], ['nspowner', I], ['nspacl', listOf(V)]],
  *rows(ctx: SystemContext) {
    for (const s of ctx.catalog.listSchemas(ctx.database)) {
      yield { oid: s.id, nspname: s.name, nspowner: ctx.userOid(s.owner) };
    }
  },
});

export const pgDatabase = systemTable({
  schema: 'pg_catalog',
  name: 'pg_database',
  oid: 1262,
  columns: [
    ['oid', I], ['datname', V], ['datdba', I], ['encoding', I], ['datlocprovider', V], ['datistemplate', B],
    ['datallowconn', B], ['datconnlimit', I], ['datlastsysoid', I], ['datfrozenxid', I], ['datminmxid', I],
    ['dattablespace', I], ['datcollate', V], ['datctype', V], ['daticulocale', V], ['datcollversion', V],
    ['datacl', listOf(V)],
  ],
  *rows(ctx: SystemContext) {
    for (const d of ctx.catalog.listDatabases().sort((a, b) => a.id - b.id)) {
      yield {
        oid: d.id,
        datname: d.name,
        datdba: ctx.userOid(d.owner),
        encoding: UTF8_ENCODING,
        datlocprovider: 'c',
        datistemplate: false,
        datallowconn: true,
        datconnlimit: -1,
        datlastsysoid: 0,
        datfrozenxid: 0,
        datminmxid: 0,
        dattablespace: DEFAULT_TABLESPACE,
        datcollate: 'C',
        datctype: 'C',
      };
    }
  },
});

const ROLE_COLUMNS = [
  ['rolname', V], ['rolsuper', B], ['rolinherit', B], ['rolcreaterole', B], ['rolcreatedb', B], ['rolcanlogin', B],
  ['rolreplication', B], ['rolconnlimit', I], ['rolpassword', V], ['rolvaliduntil', T.Timestamptz],
  ['rolbypassrls', B], ['rolconfig', listOf(V)], ['oid', I],
] as const;

export const pgRoles = systemTable({
  schema: 'pg_catalog',
  name: 'pg_roles',
  oid: 90_001,
  relkind: 'v',
  columns: ROLE_COLUMNS,
  *rows(ctx: SystemContext) {
    for (const u of ctx.catalog.listUsers()) {
      yield {
        rolname: u.name,
        rolsuper: u.superuser,
        rolinherit: true,
        rolcreaterole: u.superuser,
        rolcreatedb: u.createDb,
        rolcanlogin: u.canLogin,
        rolreplication: false,
        rolconnlimit: -1,
        rolpassword: '********',
        rolbypassrls: u.superuser,
        oid: u.id,
      };
    }
  },
});

export const pgUser = systemTable({
  schema: 'pg_catalog',
  name: 'pg_user',
  oid: 90_002,
  relkind: 'v',
  columns: [
    ['usename', V], ['usesysid', I], ['usecreatedb', B], ['usesuper', B], ['userepl', B], ['usebypassrls', B],
    ['passwd', V], ['valuntil', T.Timestamptz], ['useconfig', listOf(V)],
  ],
  *rows(ctx: SystemContext) {
    for (const u of ctx.catalog.listUsers()) {
      yield { usename: u.name, usesysid: u.id, usecreatedb: u.createDb, usesuper: u.superuser, userepl: false, usebypassrls: u.superuser, passwd: '********' };
    }
  },
});

export const pgAuthMembers = systemTable({
  schema: 'pg_catalog',
  name: 'pg_auth_members',
  oid: 1261,
  columns: [['roleid', I], ['member', I], ['grantor', I], ['admin_option', B]],
  rows: () => [],
});

export const pgTablespace = systemTable({
  schema: 'pg_catalog',
  name: 'pg_tablespace',
  oid: 1213,
  columns: [['oid', I], ['spcname', V], ['spcowner', I], ['spcacl', listOf(V)], ['spcoptions', listOf(V)]],
  *rows(ctx: SystemContext) {
    yield { oid: DEFAULT_TABLESPACE, spcname: 'pg_default', spcowner: ctx.userOid('root') };
    yield { oid: 1664, spcname: 'pg_global', spcowner: ctx.userOid('root') };
  },
});

export const pgAm = systemTable({
  schema: 'pg_catalog',
  name: 'pg_am',
  oid: 2601,
  columns: [['oid', I], ['amname', V], ['amhandler', V], ['amtype', V]],
  rows: () => [
    { oid: HEAP_AM, amname: 'heap', amhandler: 'heap_tableam_handler', amtype: 't' },
    { oid: BTREE_AM, amname: 'btree', amhandler: 'bthandler', amtype: 'i' },
  ],
});

export const pgCollation = systemTable({
  schema: 'pg_catalog',
  name: 'pg_collation',
  oid: 3456,
  columns: [
    ['oid', I], ['collname', V], ['collnamespace', I], ['collowner', I], ['collprovider', V],
    ['collisdeterministic', B], ['collencoding', I], ['collcollate', V], ['collctype', V],
  ],
  *rows(ctx: SystemContext) {
    const ns = ctx.pgCatalogOid();
    const owner = ctx.userOid('root');
    const row = (oid: number, collname: string, collprovider: string, collate: string | null) => ({
      oid, collname, collnamespace: ns, collowner: owner, collprovider, collisdeterministic: true, collencoding: -1, collcollate: collate, collctype: collate,
    });
    yield row(100, 'default', 'd', null);
    yield row(950, 'C', 'c', 'C');
    yield row(951, 'POSIX', 'c', 'POSIX');
  },
});

export const pgEnum = systemTable({
  schema: 'pg_catalog',
  name: 'pg_enum',
  oid: 3501,
  columns: [['oid', I], ['enumtypid', I], ['enumsortorder', T.Float32], ['enumlabel', V]],
  rows: () => [],
});

export const PG_GLOBAL_GROUP = [pgNamespace, pgDatabase, pgRoles, pgUser, pgAuthMembers, pgTablespace, pgAm, pgCollation, pgEnum];
