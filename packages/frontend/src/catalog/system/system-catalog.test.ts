import { T, listOf, typeOid, typeSize } from '@freshet/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openTestDb } from '../../query/testing';
import { parseQualifiedName, sizePretty } from './functions';
import { SYSTEM_TABLES } from './registry';
import { formatType, pgTypeByName, pgTypeByOid } from './type-info';

describe('type-info', () => {
  it('agrees with @freshet/common on every value type', () => {
    for (const t of [T.Boolean, T.Int16, T.Int32, T.Int64, T.Float32, T.Float64, T.Decimal, T.Varchar, T.Bytea, T.Date, T.Time, T.Timestamp, T.Timestamptz, T.Interval, T.Jsonb]) {
      const info = pgTypeByOid(typeOid(t));
      expect(info, t.kind).toBeDefined();
      expect(info!.typlen).toBe(typeSize(t));
      expect(info!.typarray).toBe(typeOid(listOf(t)));
      expect(pgTypeByOid(info!.typarray)!.typelem).toBe(info!.oid);
      expect(pgTypeByOid(info!.typarray)!.typcategory).toBe('A');
    }
  });

  it('formats types as format_type does', () => {
    expect(formatType(23, -1)).toBe('integer');
    expect(formatType(1043, 14)).toBe('character varying(10)');
    expect(formatType(1700, ((10 << 16) | 2) + 4)).toBe('numeric(10,2)');
    expect(formatType(1007, null)).toBe('integer[]');
    expect(formatType(424242, -1)).toBe('???');
  });

  it('finds types by SQL and internal names', () => {
    expect(pgTypeByName('integer')?.oid).toBe(23);
    expect(pgTypeByName('pg_catalog.int8')?.oid).toBe(20);
    expect(pgTypeByName('character varying(20)')?.oid).toBe(1043);
    expect(pgTypeByName('text[]')?.oid).toBe(1009);
    expect(pgTypeByName('nope')).toBeUndefined();
  });
});

describe('helpers', () => {
  it('parses qualified names like PostgreSQL', () => {
    expect(parseQualifiedName('Public.T')).toEqual(['public', 't']);
    expect(parseQualifiedName('"My ""T"""')).toEqual(['My "T"']);
    expect(parseQualifiedName('s."X".y')).toEqual(['s', 'X', 'y']);
  });

  it('pretty-prints sizes like pg_size_pretty', () => {
    expect(sizePretty(0n)).toBe('0 bytes');
    expect(sizePretty(10239n)).toBe('10239 bytes');
    expect(sizePretty(10240n)).toBe('10 kB');
    expect(sizePretty(1536n * 1024n * 1024n)).toBe('1536 MB');
    expect(sizePretty(20n * 1024n * 1024n * 1024n)).toBe('20 GB');
  });

  it('has unique names and oids', () => {
    const names = SYSTEM_TABLES.map((t) => `${t.schema}.${t.name}`);
    expect(new Set(names).size).toBe(names.length);
    const oids = SYSTEM_TABLES.map((t) => t.oid);
    expect(new Set(oids).size).toBe(oids.length);
    for (const t of SYSTEM_TABLES) expect(t.oid).toBeLessThan(100_000);
  });
});

describe('system catalogs over SQL', () => {
  let db: TestDb;
  let tOid: string;

  beforeAll(async () => {
    db = await openTestDb();
    await db.exec(`
      CREATE TABLE t (a int PRIMARY KEY, b varchar DEFAULT 'x', c double precision NOT NULL);
      CREATE TABLE u (x int, y timestamptz, z int[]);
      CREATE VIEW v AS SELECT a, b FROM t;
      CREATE INDEX ui ON u (y DESC) INCLUDE (x);
      CREATE SCHEMA s2;
      CREATE TABLE s2.hidden_t (k int);
    `);
    tOid = (await db.query(`SELECT oid FROM pg_class WHERE relname = 't'`))[0][0];
  });
  afterAll(async () => db?.close());

  it("answers postgres.js's array-type query", async () => {
    const rows = await db.query(`select b.oid, b.typarray from pg_catalog.pg_type a left join pg_catalog.pg_type b on b.oid = a.typelem
      where a.typcategory = 'A' group by b.oid, b.typarray order by b.oid`);
    expect(rows).toContainEqual(['23', '1007']);
    expect(rows).toContainEqual(['1043', '1015']);
    expect(rows).toContainEqual(['3802', '3807']);
  });

  it('resolves unqualified names in pg_catalog first, and information_schema when qualified', async () => {
    expect(await db.query(`SELECT typname FROM pg_type WHERE oid = 16`)).toEqual([['bool']]);
    expect(await db.query(`SELECT count(*) > 0 FROM information_schema.columns`)).toEqual([['t']]);
    await expect(db.query(`SELECT * FROM columns`)).rejects.toThrow(/columns/);
  });

  it('lists relations in pg_class with kinds, namespaces and owners', async () => {
    const rows = await db.query(`
      SELECT c.relname, c.relkind, n.nspname, pg_get_userbyid(c.relowner), c.relnatts, c.relhasindex
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'rw_catalog') ORDER BY 1`);
    expect(rows).toEqual([
      ['hidden_t', 'r', 's2', 'root', '1', 'f'],
      ['t', 'r', 'public', 'root', '3', 't'],
      ['t_pkey', 'i', 'public', 'root', '1', 'f'],
      ['u', 'r', 'public', 'root', '3', 't'],
      ['ui', 'i', 'public', 'root', '2', 'f'],
      ['v', 'v', 'public', 'root', '2', 'f'],
    ]);
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'pg_type'`)).toEqual([['r']]);
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'pg_tables'`)).toEqual([['v']]);
  });

  it('describes columns in pg_attribute without hidden columns', async () => {
    const rows = await db.query(`
      SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef,
             (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum)
      FROM pg_attribute a WHERE a.attrelid = 't'::regclass ORDER BY a.attnum`);
    expect(rows).toEqual([
      ['a', '1', 'integer', 't', 'f', 'NULL'],
      ['b', '2', 'character varying', 'f', 't', "'x'"],
      ['c', '3', 'double precision', 't', 'f', 'NULL'],
    ]);
    expect(await db.query(`SELECT attname, attndims, format_type(atttypid, -1) FROM pg_attribute WHERE attrelid = 'u'::regclass ORDER BY attnum`)).toEqual([
      ['x', '0', 'integer'],
      ['y', '0', 'timestamp with time zone'],
      ['z', '1', 'integer[]'],
    ]);
  });

  it('casts to regclass, regtype, regnamespace and oid', async () => {
    expect(await db.query(`SELECT 't'::regclass, 'public.t'::regclass, 'pg_type'::regclass, 'pg_catalog.pg_class'::regclass`)).toEqual([[tOid, tOid, '1247', '1259']]);
    expect(await db.query(`SELECT 'int4'::regtype, 'character varying'::regtype, 'public'::regnamespace > 0, 42::oid, '7'::oid`)).toEqual([['23', '1043', 't', '42', '7']]);
    expect(await db.query(`SELECT relname FROM pg_class WHERE oid = 'v'::regclass`)).toEqual([['v']]);
    await expect(db.query(`SELECT 'nope'::regclass`)).rejects.toMatchObject({ code: '42P01' });
    await expect(db.query(`SELECT 'nope'::regtype`)).rejects.toMatchObject({ code: '42704' });
    expect(await db.query(`SELECT to_regclass('nope'), to_regclass('t') = 't'::regclass`)).toEqual([['NULL', 't']]);
  });

  it('answers visibility and privilege functions', async () => {
    expect(await db.query(`SELECT pg_table_is_visible('t'::regclass), pg_table_is_visible('s2.hidden_t'::regclass), pg_table_is_visible('pg_class'::regclass)`)).toEqual([['t', 'f', 't']]);
    expect(await db.query(`SELECT has_table_privilege('t', 'SELECT'), has_schema_privilege('root', 'public', 'USAGE'), has_database_privilege('dev', 'CONNECT')`)).toEqual([['t', 't', 't']]);
    expect(await db.query(`SELECT current_schemas(false), current_schemas(true)`)).toEqual([['{public}', '{pg_catalog,public}']]);
    expect(await db.query(`SELECT obj_description('t'::regclass, 'pg_class'), col_description('t'::regclass, 1), pg_type_is_visible(23)`)).toEqual([['NULL', 'NULL', 't']]);
  });

  it('prints index, constraint and view definitions', async () => {
    expect(await db.query(`SELECT pg_get_indexdef('ui'::regclass), pg_get_indexdef('ui'::regclass, 2, true)`)).toEqual([
      ['CREATE INDEX ui ON public.u USING btree (y DESC) INCLUDE (x)', 'x'],
    ]);
    expect(await db.query(`SELECT conname, contype, pg_get_constraintdef(oid), conkey FROM pg_constraint WHERE conrelid = 't'::regclass`)).toEqual([
      ['t_pkey', 'p', 'PRIMARY KEY (a)', '{1}'],
    ]);
    expect(await db.query(`SELECT indrelid = 'u'::regclass, indnatts, indnkeyatts, indkey, indoption FROM pg_index WHERE NOT indisprimary`)).toEqual([['t', '2', '1', '{2,1}', '{3}']]);
    expect(await db.query(`SELECT schemaname, tablename, indexname FROM pg_indexes ORDER BY 3`)).toEqual([['public', 't', 't_pkey'], ['public', 'u', 'ui']]);
    // The primary key is presented as PostgreSQL's unique index <table>_pkey.
    expect(await db.query(`
      SELECT c.relname, i.indisprimary, i.indisunique, i.indkey, pg_get_indexdef(i.indexrelid), pg_table_is_visible(c.oid),
             (SELECT conindid = i.indexrelid FROM pg_constraint WHERE conrelid = i.indrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass`)).toEqual([
      ['t_pkey', 't', 't', '{1}', 'CREATE UNIQUE INDEX t_pkey ON public.t USING btree (a)', 't', 't'],
    ]);
    expect(await db.query(`SELECT attname, attnum FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE c.relname = 't_pkey'`)).toEqual([['a', '1']]);
    expect(await db.query(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public'`)).toEqual([['v', 'SELECT a, b FROM t']]);
  });

  it('lists tables, schemas, databases and roles', async () => {
    expect(await db.query(`SELECT schemaname, tablename, hasindexes FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'rw_catalog') ORDER BY 2`)).toEqual([
      ['s2', 'hidden_t', 'f'],
      ['public', 't', 't'],
      ['public', 'u', 't'],
    ]);
    expect(await db.query(`SELECT nspname FROM pg_namespace ORDER BY 1`)).toEqual([['information_schema'], ['pg_catalog'], ['public'], ['rw_catalog'], ['s2']]);
    expect(await db.query(`SELECT datname, pg_encoding_to_char(encoding), pg_get_userbyid(datdba) FROM pg_database`)).toEqual([['dev', 'UTF8', 'root']]);
    expect(await db.query(`SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1`)).toEqual([['postgres', 't', 't'], ['root', 't', 't']]);
    expect(await db.query(`SELECT usename, usesuper FROM pg_user ORDER BY 1`)).toEqual([['postgres', 't'], ['root', 't']]);
  });

  it('fills information_schema', async () => {
    expect(await db.query(`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema IN ('public', 's2') ORDER BY 2`)).toEqual([
      ['s2', 'hidden_t', 'BASE TABLE'],
      ['public', 't', 'BASE TABLE'],
      ['public', 'u', 'BASE TABLE'],
      ['public', 'v', 'VIEW'],
    ]);
    expect(await db.query(`SELECT column_name, ordinal_position, data_type, is_nullable, udt_name, column_default FROM information_schema.columns WHERE table_name = 't' ORDER BY 2`)).toEqual([
      ['a', '1', 'integer', 'NO', 'int4', 'NULL'],
      ['b', '2', 'character varying', 'YES', 'varchar', "'x'"],
      ['c', '3', 'double precision', 'NO', 'float8', 'NULL'],
    ]);
    expect(await db.query(`SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 's%'`)).toEqual([['s2']]);
    expect(await db.query(`SELECT table_name, view_definition FROM information_schema.views`)).toEqual([['v', 'SELECT a, b FROM t']]);
  });

  it('fills rw_catalog', async () => {
    expect(await db.query(`SELECT name FROM rw_catalog.rw_tables ORDER BY 1`)).toEqual([['hidden_t'], ['t'], ['u']]);
    expect(await db.query(`SELECT name FROM rw_catalog.rw_views`)).toEqual([['v']]);
    expect(await db.query(`SELECT name, primary_table_id = 'u'::regclass FROM rw_catalog.rw_indexes`)).toEqual([['ui', 't']]);
    expect(await db.query(`SELECT r.name, r.relation_type, s.name FROM rw_catalog.rw_relations r JOIN rw_catalog.rw_schemas s ON s.id = r.schema_id WHERE s.name = 's2'`)).toEqual([
      ['hidden_t', 'table', 's2'],
    ]);
    expect(await db.query(`SELECT name, is_hidden, is_primary_key FROM rw_catalog.rw_columns WHERE relation_id = 's2.hidden_t'::regclass ORDER BY position`)).toEqual([
      ['k', 'f', 'f'],
      ['_row_id', 't', 't'],
    ]);
  });

  it('sees catalog changes in later statements', async () => {
    await db.exec(`CREATE TABLE later (q int)`);
    expect(await db.query(`SELECT count(*) FROM pg_class WHERE relname = 'later'`)).toEqual([['1']]);
    await db.exec(`DROP TABLE later`);
    expect(await db.query(`SELECT count(*) FROM pg_class WHERE relname = 'later'`)).toEqual([['0']]);
  });

  it('reports the session: pid, settings, activity', async () => {
    const [[pid]] = await db.query(`SELECT pg_backend_pid()`);
    expect(Number(pid)).toBeGreaterThan(0);
    expect(await db.query(`SELECT setting FROM pg_settings WHERE name = 'search_path'`)).toEqual([['"$user", public']]);
    expect(await db.query(`SELECT pid = pg_backend_pid(), usename, datname, state FROM pg_stat_activity`)).toEqual([['t', 'root', 'dev', 'active']]);
    expect(await db.query(`SELECT pg_is_in_recovery(), pg_postmaster_start_time() <= now()`)).toEqual([['f', 't']]);
  });

  it('compares with = ANY / <> ALL over array values', async () => {
    expect(await db.query(`SELECT x = ANY(arr), x <> ALL(arr), x < ANY(arr) FROM (VALUES (1, ARRAY[1, 2]), (3, ARRAY[1, NULL]), (5, ARRAY[]::int[])) AS s(x, arr) ORDER BY x`)).toEqual([
      ['t', 'f', 't'],
      ['NULL', 'NULL', 'NULL'],
      ['f', 't', 'f'],
    ]);
  });
});
