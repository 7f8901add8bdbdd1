import { T, listOf, structOf, typeName } from '@freshet/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql, resolveTypeName } from './index';
import type { PgStatement, Statement } from './statement';

beforeAll(() => initParser());

const one = (sql: string): Statement => {
  const stmts = parseSql(sql);
  expect(stmts).toHaveLength(1);
  return stmts[0];
};
const pg = (sql: string): PgStatement => {
  const s = one(sql);
  if (s.kind !== 'pg') throw new Error(`expected pg, got ${s.kind}`);
  return s;
};

describe('CREATE TABLE extensions', () => {
  it('APPEND ONLY, ON CONFLICT variants and WITH VERSION COLUMN', () => {
    expect(pg('create table t1 (v1 int, v2 int) append only').rw).toMatchObject({ appendOnly: true });
    const cases: [string, string][] = [
      ['overwrite', 'overwrite'],
      ['ignore', 'ignore'],
      ['do nothing', 'ignore'],
      ['do update full', 'overwrite'],
      ['do update if not null', 'do_update_if_not_null'],
    ];
    for (const [clause, want] of cases) {
      const s = pg(`create table t (v1 int primary key, v2 int) on conflict ${clause}`);
      expect(s.rw?.onConflict).toBe(want);
      expect(s.node.CreateStmt.tableElts).toHaveLength(2);
    }
    const v = pg('create table t3 (id int, v1 int, v2 int, primary key(id))\non conflict do update if not null with version column(v1, v2);');
    expect(v.rw).toMatchObject({ onConflict: 'do_update_if_not_null', versionColumns: ['v1', 'v2'] });
  });

  it('WATERMARK FOR inside the column list', () => {
    const sql = "create table t (\n tm timestamp,\n foo int,\n watermark for tm as tm - interval '5 minutes'\n) append only;";
    const s = pg(sql);
    expect(s.node.CreateStmt.tableElts.map((e: any) => e.ColumnDef.colname)).toEqual(['tm', 'foo']);
    const wm = s.rw!.watermarks!;
    expect(wm).toHaveLength(1);
    expect(wm[0].column).toBe('tm');
    expect(wm[0].exprText).toBe("tm - interval '5 minutes'");
    expect(wm[0].expr.A_Expr.lexpr.ColumnRef.fields[0].String.sval).toBe('tm');
    expect(sql.slice(wm[0].expr.A_Expr.lexpr.ColumnRef.location).startsWith("tm - interval")).toBe(true);
    // Watermark as the first element, and RisingWave's `INTERVAL '5' SECOND` form.
    const s2 = pg("create table t (watermark for ts as ts - INTERVAL '5' SECOND, ts timestamp, v int) append only");
    expect(s2.node.CreateStmt.tableElts.map((e: any) => e.ColumnDef.colname)).toEqual(['ts', 'v']);
    expect(s2.rw!.watermarks![0].exprText).toBe("ts - INTERVAL '5' SECOND");
  });

  it('WITH options, FORMAT/ENCODE with options, INCLUDE clauses, no column list', () => {
    const s = pg(
      "CREATE TABLE t (a int, b varchar) INCLUDE key AS k INCLUDE partition INCLUDE header 'h1' AS hh " +
        "WITH (connector = 'kafka', properties.bootstrap.server = 'k:9092', scan.startup.timestamp.millis = 1000, flag = true) " +
        "FORMAT UPSERT ENCODE AVRO (schema.registry = 'http://r:8081', message = 'M')",
    );
    expect(s.rw).toMatchObject({
      withOptions: { connector: 'kafka', 'properties.bootstrap.server': 'k:9092', 'scan.startup.timestamp.millis': '1000', flag: 'true' },
      format: 'upsert',
      encode: 'avro',
      encodeOptions: { 'schema.registry': 'http://r:8081', message: 'M' },
      includes: [{ what: 'key', alias: 'k' }, { what: 'partition' }, { what: 'header', inner: 'h1', alias: 'hh' }],
    });
    const noCols = pg("create table t with (connector = 'datagen') format plain encode json");
    expect(noCols.node.CreateStmt.tableElts).toBeUndefined();
    expect(noCols.rw?.withOptions.connector).toBe('datagen');
  });

  it('FROM source TABLE (CDC shared source) and generated columns', () => {
    const s = pg("CREATE TABLE t (id int primary key, v varchar) FROM pg_source TABLE 'public.t'");
    expect(s.rw?.sourceRef).toEqual({ source: 'pg_source', sourceParts: ['pg_source'], table: 'public.t' });
    const g = pg('create table t (a int, b int as a + 1, c int)');
    const b = g.node.CreateStmt.tableElts[1].ColumnDef;
    expect(b.constraints[0].Constraint.contype).toBe('CONSTR_GENERATED');
    expect(b.constraints[0].Constraint.raw_expr.A_Expr).toBeDefined();
    expect(g.node.CreateStmt.tableElts).toHaveLength(3);
  });

  it('leaves PostgreSQL CREATE TABLE forms alone', () => {
    expect(pg('create table t (a int default 1, primary key (a))').rw).toBeUndefined();
    expect(pg('create table t as select 1 as a').node.CreateTableAsStmt).toBeDefined();
    expect(pg('create table if not exists t (a int)').node.CreateStmt.if_not_exists).toBe(true);
  });
});

describe('STRUCT types', () => {
  it('replaces nested struct types by placeholders and resolves them back', () => {
    const s = pg('create table st (v1 int, v2 struct<v1 int, v2 struct<v1 int, v2 int>>)');
    const col = s.node.CreateStmt.tableElts[1].ColumnDef.typeName;
    expect(resolveTypeName(col, s.rw)).toEqual(
      structOf([
        { name: 'v1', type: T.Int32 },
        { name: 'v2', type: structOf([{ name: 'v1', type: T.Int32 }, { name: 'v2', type: T.Int32 }]) },
      ]),
    );
  });

  it('handles `>>>`, spaces before `<`, arrays, casts and multi-word field types', () => {
    const s = pg('create table t(v2 struct<v1 int, v2 struct<v1 int, v2 struct <v1 int, v2 int>>, v3 int>, v1 int)');
    const t = resolveTypeName(s.node.CreateStmt.tableElts[0].ColumnDef.typeName, s.rw);
    expect(typeName(t)).toBe('struct<v1 integer, v2 struct<v1 integer, v2 struct<v1 integer, v2 integer>>, v3 integer>');
    const tz = pg('create table t (v1 timestamp with time zone[], v2 struct<a timestamp with time zone, b numeric(10,2)[]>[])');
    const [c1, c2] = tz.node.CreateStmt.tableElts.map((e: any) => resolveTypeName(e.ColumnDef.typeName, tz.rw));
    expect(c1).toEqual(listOf(T.Timestamptz));
    expect(c2).toEqual(listOf(structOf([{ name: 'a', type: T.Timestamptz }, { name: 'b', type: listOf(T.Decimal) }])));
    const cast = pg("select row(1, 'a')::STRUCT<x INT, y VARCHAR>, cast(null as struct<z bigint>)");
    const targets = cast.node.SelectStmt.targetList.map((r: any) => r.ResTarget.val.TypeCast.typeName);
    expect(targets.map((tn: any) => typeName(resolveTypeName(tn, cast.rw)))).toEqual([
      'struct<x integer, y character varying>',
      'struct<z bigint>',
    ]);
  });

  it('does not touch `struct` used as a column name in comparisons', () => {
    const s = pg('select struct < 5 from t');
    expect(s.rw).toBeUndefined();
  });
});

describe('query extensions', () => {
  it('EMIT ON WINDOW CLOSE', () => {
    const s = pg('create materialized view mv as select window_start, max(foo) from tumble(t, tm, interval \'1 hour\') group by window_start emit on window close;');
    expect(s.rw?.emitOnWindowClose).toBe(true);
    expect(s.node.CreateTableAsStmt.query.SelectStmt.groupClause).toHaveLength(1);
  });

  it('FOR SYSTEM_TIME AS OF PROCTIME() records the relation location', () => {
    const sql = 'create materialized view v as select id1, a1, id2, a2 from stream left join version FOR SYSTEM_TIME AS OF PROCTIME() on id1 = id2';
    const s = pg(sql);
    const join = s.node.CreateTableAsStmt.query.SelectStmt.fromClause[0].JoinExpr;
    expect(s.rw?.temporalJoins).toEqual([{ location: join.rarg.RangeVar.location, asOf: 'PROCTIME()' }]);
    const aliased = pg('select * from s join public.v FOR SYSTEM_TIME AS OF PROCTIME() AS x on s.a = x.a');
    expect(aliased.rw?.temporalJoins?.[0].location).toBe(
      aliased.node.SelectStmt.fromClause[0].JoinExpr.rarg.RangeVar.location,
    );
  });

  it('* EXCEPT (…) records the star ColumnRef location', () => {
    const s = pg('select * except (t1.x, t2.y), t2.* except (y) from t1 join t2 on t1.y = t2.y');
    const refs = s.node.SelectStmt.targetList.map((r: any) => r.ResTarget.val.ColumnRef.location);
    expect(s.rw?.starExcepts).toEqual([
      { location: refs[0], columns: [['t1', 'x'], ['t2', 'y']] },
      { location: refs[1], columns: [['y']] },
    ]);
    // A set-operation EXCEPT is untouched.
    expect(pg('select * from a except (select * from b)').rw).toBeUndefined();
  });

  it('UNION [ALL] CORRESPONDING [BY (…)]', () => {
    const sql = 'select * from t1 union all corresponding by (v4, v1) select * from t2';
    const s = pg(sql);
    expect(s.node.SelectStmt.op).toBe('SETOP_UNION');
    expect(s.rw?.corresponding).toEqual([
      { location: sql.indexOf('union'), rightLocation: sql.lastIndexOf('select'), op: 'union', by: ['v4', 'v1'] },
    ]);
    expect(pg('select * from t1 union corresponding select v4, v3 as v1 from t2').rw?.corresponding?.[0].by).toBeUndefined();
  });

  it('WITH x AS CHANGELOG FROM rel', () => {
    const s = pg('create materialized view mv4 as with sub1 as changelog from t1, sub2 as changelog from public.t2 select * from sub1, sub2');
    const ctes = s.node.CreateTableAsStmt.query.SelectStmt.withClause.ctes;
    expect(ctes.map((c: any) => c.CommonTableExpr.ctequery.SelectStmt.fromClause[0].RangeVar.relname)).toEqual(['t1', 't2']);
    expect(s.rw?.changelogCtes?.map((c) => c.name)).toEqual(['sub1', 'sub2']);
  });

  it('CREATE INDEX … DISTRIBUTED BY and MV WITH options', () => {
    const i = pg('create index idx on t(a, b) include (c) distributed by (a)');
    expect(i.rw?.distributedBy).toEqual(['a']);
    expect(i.node.IndexStmt.indexIncludingParams).toHaveLength(1);
    const m = pg("create materialized view if not exists mv (x) with (streaming.parallelism = 2, source_rate_limit = 'default') as select 1");
    expect(m.rw?.withOptions).toEqual({ 'streaming.parallelism': '2', source_rate_limit: 'default' });
    expect(m.node.CreateTableAsStmt.if_not_exists).toBe(true);
  });
});

describe('RisingWave statements', () => {
  it('FLUSH', () => {
    expect(parseSql('flush; FLUSH').map((s) => s.kind)).toEqual(['flush', 'flush']);
  });

  it('ALTER SOURCE / SINK … RENAME TO (other ALTER SOURCE forms stay syntax errors)', () => {
    const src = pg('ALTER SOURCE s1 RENAME TO s2').node.RenameStmt;
    expect([src.renameType, src.relation.relname, src.newname]).toEqual(['OBJECT_SOURCE', 's1', 's2']);
    const sink = pg('alter sink public.k rename to k2').node.RenameStmt;
    expect([sink.renameType, sink.relation.schemaname, sink.relation.relname, sink.newname]).toEqual(['OBJECT_SINK', 'public', 'k', 'k2']);
    expect(() => parseSql('ALTER SINK k SET PARALLELISM = 1')).toThrow(/syntax error/);
  });

  it('SHOW forms', () => {
    const cases: [string, object][] = [
      ['show tables', { what: 'tables' }],
      ["SHOW TABLES FROM s1 LIKE 't%'", { what: 'tables', schema: 's1', like: 't%' }],
      ['show materialized views in public', { what: 'materialized_views', schema: 'public' }],
      ['show views', { what: 'views' }],
      ['show sources', { what: 'sources' }],
      ['show sinks', { what: 'sinks' }],
      ['show databases', { what: 'databases' }],
      ['show schemas', { what: 'schemas' }],
      ['show internal tables', { what: 'internal_tables' }],
      ['show jobs', { what: 'jobs' }],
      ['show processlist', { what: 'processlist' }],
      ['show parameters', { what: 'parameters' }],
      ['show functions', { what: 'functions' }],
      ['show cluster', { what: 'cluster' }],
      ['show columns from public."T"', { what: 'columns', object: 'public."T"', objectParts: ['public', 'T'] }],
      ['show indexes from t', { what: 'indexes', object: 't' }],
      ['show create table s.t', { what: 'create', objectKind: 'table', object: 's.t', objectParts: ['s', 't'] }],
      ['show create materialized view mv', { what: 'create', objectKind: 'materialized_view', object: 'mv' }],
      ['show create view v', { what: 'create', objectKind: 'view' }],
      ['show create source s', { what: 'create', objectKind: 'source' }],
      ['show create sink s', { what: 'create', objectKind: 'sink' }],
      ['show create index i', { what: 'create', objectKind: 'index' }],
    ];
    for (const [sql, want] of cases) expect(one(sql), sql).toMatchObject({ kind: 'show', ...want });
  });

  it('SHOW <variable> and SHOW ALL stay PostgreSQL VariableShowStmt', () => {
    for (const [sql, name] of [
      ['show rw_implicit_flush', 'rw_implicit_flush'],
      ['SHOW ALL', 'all'],
      ['show time zone', 'timezone'],
      ['show "tables"', 'tables'],
    ]) {
      expect(pg(sql).node.VariableShowStmt.name).toBe(name);
    }
  });

  it('DESCRIBE / DESC', () => {
    expect(one('describe t')).toMatchObject({ kind: 'describe', name: 't', nameParts: ['t'] });
    expect(one('DESC public."Mv"')).toMatchObject({ kind: 'describe', name: 'public."Mv"', nameParts: ['public', 'Mv'] });
  });

  it('DROP SOURCE / SINK / CONNECTION', () => {
    expect(one('drop sink even')).toMatchObject({ kind: 'drop', objectKind: 'sink', names: ['even'], ifExists: false, cascade: false });
    expect(one('DROP SOURCE IF EXISTS s1, public.s2 CASCADE')).toMatchObject({
      kind: 'drop',
      objectKind: 'source',
      names: ['s1', 'public.s2'],
      nameParts: [['s1'], ['public', 's2']],
      ifExists: true,
      cascade: true,
    });
    expect(one('drop connection c')).toMatchObject({ kind: 'drop', objectKind: 'connection' });
    expect(pg('drop materialized view if exists mv cascade').node.DropStmt.removeType).toBe('OBJECT_MATVIEW');
  });

  it('CREATE SINK forms', () => {
    const into = one('create sink even into wide (v1, even) as select v1, v1*2 from t4');
    expect(into).toMatchObject({ kind: 'create_sink', name: 'even', into: { name: 'wide', columns: ['v1', 'even'] }, queryText: 'select v1, v1*2 from t4' });
    if (into.kind !== 'create_sink') throw new Error();
    expect(into.query?.SelectStmt).toBeDefined();
    const s = one("create sink if not exists s into t from src with (ignore_delete = 'true')");
    expect(s).toMatchObject({ kind: 'create_sink', ifNotExists: true, into: { name: 't' }, from: 'src', rw: { withOptions: { ignore_delete: 'true' } } });
    const q = one(
      "create sink s as with c as (select 1 as a) select * from c with (connector = 'kafka', topic = 'x') format upsert encode json (force_append_only = 'true') key encode text",
    );
    expect(q).toMatchObject({
      kind: 'create_sink',
      queryText: 'with c as (select 1 as a) select * from c',
      rw: { withOptions: { connector: 'kafka', topic: 'x' }, format: 'upsert', encode: 'json', encodeOptions: { force_append_only: 'true' }, keyEncode: 'text' },
    });
  });

  it('CREATE SOURCE with watermark, struct column and includes', () => {
    const s = one(
      "create source if not exists s (id int, ts timestamptz, info struct<a int>, watermark for ts as ts - interval '1' second) include key as k with (connector = 'kafka') format plain encode json",
    );
    if (s.kind !== 'create_source') throw new Error(s.kind);
    expect(s.ifNotExists).toBe(true);
    expect(s.tableElts.map((e) => e.ColumnDef.colname)).toEqual(['id', 'ts', 'info']);
    expect(typeName(resolveTypeName(s.tableElts[2].ColumnDef.typeName, s.rw))).toBe('struct<a integer>');
    expect(s.rw.watermarks?.[0].column).toBe('ts');
    expect(s.rw.includes).toEqual([{ what: 'key', alias: 'k' }]);
  });

  it('CREATE CONNECTION', () => {
    expect(one("create connection c with (type = 'privatelink', provider = 'aws')")).toMatchObject({
      kind: 'create_connection',
      name: 'c',
      rw: { withOptions: { type: 'privatelink', provider: 'aws' } },
    });
  });

  it('EXPLAIN: PG ExplainStmt for queries, kind explain for DDL', () => {
    expect(Object.keys(pg('explain select 1').node)).toEqual(['ExplainStmt']);
    expect(Object.keys(pg('explain (verbose) select * from t emit on window close').node)).toEqual(['ExplainStmt']);
    expect(Object.keys(pg('explain (select 1)').node)).toEqual(['ExplainStmt']);
    const e = one('explain (verbose, trace, type physical) create materialized view mv as select * from t emit on window close');
    if (e.kind !== 'explain') throw new Error(e.kind);
    expect(e.options).toEqual({ verbose: 'true', trace: 'true', type: 'physical' });
    expect(e.inner.kind).toBe('pg');
    expect(e.inner.text).toBe('create materialized view mv as select * from t emit on window close');
    expect((e.inner as PgStatement).rw?.emitOnWindowClose).toBe(true);
    const idx = one('EXPLAIN create index i on t(a) distributed by (a)');
    expect(idx).toMatchObject({ kind: 'explain', options: {}, inner: { kind: 'pg', rw: { distributedBy: ['a'] } } });
    expect(one('explain verbose create sink s from mv with (connector = \'blackhole\')')).toMatchObject({
      kind: 'explain',
      options: { verbose: 'true' },
      inner: { kind: 'create_sink' },
    });
  });
});
