/**
 * The catalog queries GUI tools send when they connect and browse a schema, taken from
 * their sources: DBeaver (PostgreDataSource / PostgreSchema caches), Grafana's PostgreSQL
 * data source (postgresMetaQuery.ts) and Metabase's postgres driver (describe-database,
 * describe-fields, describe-fks, describe-indexes; Metabase renders them with HoneySQL,
 * spelled out here). `$1` is the `public` namespace oid where the tool passes a schema id.
 * Each query must run, and `check` asserts what the tool would show for the objects that
 * introspection.test.ts creates (orders, events, big_orders, customer_totals, orders_by_customer).
 */

export type Rows = Record<string, unknown>[];

export interface GuiQuery {
  readonly tool: 'DBeaver' | 'Grafana' | 'Metabase';
  readonly what: string;
  readonly sql: string;
  /** Takes the public namespace oid as $1. */
  readonly schemaParam?: boolean;
  /** Returns an error message, or null when the rows are what the tool needs. */
  readonly check: (rows: Rows) => string | null;
}

/** Fails unless `rows` have a row whose `col` equals each of `values`. */
function has(col: string, ...values: unknown[]): (rows: Rows) => string | null {
  return (rows) => {
    const got = rows.map((r) => r[col]);
    const missing = values.filter((v) => !got.some((g) => String(g) === String(v)));
    return missing.length === 0 ? null : `missing ${col} ${missing.join(', ')} in [${got.join(', ')}]`;
  };
}

const anyRows = (rows: Rows) => (rows.length > 0 ? null : 'no rows');
const noRows = (rows: Rows) => (rows.length === 0 ? null : `expected no rows, got ${JSON.stringify(rows)}`);

const GRAFANA_SEARCH_PATH = `
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )`;

const grafanaColumns = (table: string) => `SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('${table}'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('${table}'))[1]
          AND quote_ident(table_name) = (parse_ident('${table}'))[2]
        ELSE quote_ident(table_name) = '${table}'
          AND ${GRAFANA_SEARCH_PATH}
      END`;

export const GUI_QUERIES: readonly GuiQuery[] = [
  // ---- DBeaver
  {
    tool: 'DBeaver',
    what: 'databases',
    sql: `SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datallowconn AND NOT datistemplate OR db.datname = 'dev' ORDER BY db.datname`,
    check: has('datname', 'dev'),
  },
  {
    tool: 'DBeaver',
    what: 'schemas',
    sql: `SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
ORDER BY nspname`,
    check: has('nspname', 'public', 'pg_catalog', 'information_schema', 'rw_catalog'),
  },
  { tool: 'DBeaver', what: 'session', sql: `SELECT current_schema(),session_user`, check: has('current_schema', 'public') },
  {
    tool: 'DBeaver',
    what: 'tables of a schema',
    schemaParam: true,
    sql: `SELECT c.oid,c.*,d.description,(select array_agg(i.inhparent) from pg_catalog.pg_inherits i where i.inhrelid = c.oid) parents
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0
WHERE c.relnamespace=$1 AND c.relkind not in ('i','c')`,
    check: has('relname', 'orders', 'events', 'big_orders', 'customer_totals'),
  },
  {
    tool: 'DBeaver',
    what: 'columns of a schema',
    schemaParam: true,
    sql: `SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
WHERE NOT a.attisdropped AND c.relnamespace=$1 AND c.relkind not in ('i','c')  ORDER BY a.attnum`,
    check: (rows) => has('attname', 'order_id', 'customer', 'amount', 'n', 'total')(rows) ?? has('def_value', '0')(rows),
  },
  {
    tool: 'DBeaver',
    what: 'constraints of a schema',
    schemaParam: true,
    sql: `SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
WHERE t.relnamespace=$1
ORDER BY c.oid`,
    check: (rows) => has('conname', 'orders_pkey')(rows) ?? has('contype', 'p')(rows),
  },
  {
    tool: 'DBeaver',
    what: 'indexes of a schema',
    schemaParam: true,
    sql: `SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  c.relnamespace=$1 ORDER BY c.relname`,
    check: has('relname', 'orders_pkey', 'orders_by_customer'),
  },
  {
    tool: 'DBeaver',
    what: 'procedures of a schema',
    schemaParam: true,
    sql: `SELECT p.oid,p.*,d.description
FROM pg_catalog.pg_proc p
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid
WHERE p.pronamespace=$1
ORDER BY p.proname`,
    check: noRows,
  },
  { tool: 'DBeaver', what: 'collations', schemaParam: true, sql: `SELECT c.oid,c.* FROM pg_catalog.pg_collation c \nWHERE c.collnamespace=$1\nORDER BY c.oid`, check: () => null },
  { tool: 'DBeaver', what: 'extensions', schemaParam: true, sql: `SELECT e.oid,e.* FROM pg_catalog.pg_extension e \nWHERE e.extnamespace=$1\nORDER BY e.oid`, check: noRows },
  {
    tool: 'DBeaver',
    what: 'view definition',
    sql: `SELECT pg_catalog.pg_get_viewdef(c.oid, true) AS definition FROM pg_catalog.pg_class c WHERE c.relname = 'big_orders'`,
    check: (rows) => (/amount > 100/i.test(String(rows[0]?.definition)) ? null : `definition: ${rows[0]?.definition}`),
  },

  // ---- Grafana
  { tool: 'Grafana', what: 'version', sql: `SELECT current_setting('server_version_num')::int/100 as version`, check: has('version', 1300) },
  { tool: 'Grafana', what: 'timescaledb', sql: `SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`, check: noRows },
  {
    tool: 'Grafana',
    what: 'schemas',
    sql: `SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name`,
    check: has('name', 'public', 'rw_catalog'),
  },
  {
    tool: 'Grafana',
    what: 'tables on the search path',
    sql: `SELECT
    CASE WHEN ${GRAFANA_SEARCH_PATH}
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN ${GRAFANA_SEARCH_PATH} THEN 0 ELSE 1 END, 1`,
    check: has('table', 'orders', 'customer_totals', 'big_orders'),
  },
  {
    tool: 'Grafana',
    what: 'tables of a schema',
    sql: `SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1`,
    check: has('table', 'orders', 'events', 'customer_totals', 'big_orders'),
  },
  { tool: 'Grafana', what: 'columns of a table', sql: grafanaColumns('orders'), check: has('column', 'order_id', 'customer', 'amount') },
  { tool: 'Grafana', what: 'columns of a qualified table', sql: grafanaColumns('public.customer_totals'), check: has('type', 'bigint', 'double precision') },

  // ---- Metabase
  {
    tool: 'Metabase',
    what: 'describe-database (get-tables-sql)',
    sql: `SELECT n.nspname AS schema, c.relname AS name,
  CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type,
  d.description AS description, stat.n_live_tup AS estimated_row_count
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_description AS d ON (c.oid = d.objoid) AND (d.objsubid = 0) AND (d.classoid = 'pg_class'::regclass)
LEFT JOIN pg_stat_user_tables AS stat ON (n.nspname = stat.schemaname) AND (c.relname = stat.relname)
WHERE (c.relnamespace = n.oid) AND (n.nspname !~ '^pg_') AND (n.nspname <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm')
  AND (n.nspname IN ('public'))
ORDER BY type ASC, schema ASC, name ASC`,
    check: (rows) =>
      has('name', 'orders', 'customer_totals', 'big_orders')(rows) ??
      (rows.find((r) => r.name === 'orders')?.estimated_row_count === '3' ? null : `orders estimated_row_count: ${JSON.stringify(rows)}`),
  },
  {
    tool: 'Metabase',
    what: 'describe-fields',
    sql: `SELECT c.column_name AS name,
  CASE WHEN c.udt_schema IN ('public', 'pg_catalog') THEN FORMAT('%s', c.udt_name) ELSE FORMAT('"%s"."%s"', c.udt_schema, c.udt_name) END AS "database-type",
  c.ordinal_position - 1 AS "database-position", c.table_schema AS "table-schema", c.table_name AS "table-name",
  pk.column_name IS NOT NULL AS "pk?",
  COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST(c.table_schema AS TEXT), CAST(c.table_name AS TEXT)) AS REGCLASS) AS OID), c.ordinal_position) AS "field-comment",
  ((column_default IS NULL) OR (LOWER(column_default) = 'null')) AND (is_nullable = 'NO') AND NOT (((column_default IS NOT NULL) AND (column_default LIKE '%nextval(%')) OR (is_identity <> 'NO')) AS "database-required",
  ((column_default IS NOT NULL) AND (column_default LIKE '%nextval(%')) OR (is_identity <> 'NO') AS "database-is-auto-increment"
FROM information_schema.columns AS c
LEFT JOIN (SELECT tc.table_schema, tc.table_name, kc.column_name FROM information_schema.table_constraints AS tc
  INNER JOIN information_schema.key_column_usage AS kc ON (tc.constraint_name = kc.constraint_name) AND (tc.table_schema = kc.table_schema) AND (tc.table_name = kc.table_name)
  WHERE tc.constraint_type = 'PRIMARY KEY') AS pk
  ON (c.table_schema = pk.table_schema) AND (c.table_name = pk.table_name) AND (c.column_name = pk.column_name)
WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND (c.table_schema IN ('public'))
UNION ALL
SELECT pa.attname AS name,
  CASE WHEN ptn.nspname IN ('public', 'pg_catalog') THEN FORMAT('%s', pt.typname) ELSE FORMAT('"%s"."%s"', ptn.nspname, pt.typname) END AS "database-type",
  pa.attnum - 1 AS "database-position", pn.nspname AS "table-schema", pc.relname AS "table-name",
  FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment"
FROM pg_catalog.pg_class AS pc
INNER JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
INNER JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = pc.oid
INNER JOIN pg_catalog.pg_type AS pt ON pt.oid = pa.atttypid
INNER JOIN pg_catalog.pg_namespace AS ptn ON ptn.oid = pt.typnamespace
WHERE (pc.relkind = 'm') AND (pa.attnum >= 1) AND (pn.nspname IN ('public'))
ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC`,
    check: (rows) => {
      const pk = rows.find((r) => r['table-name'] === 'orders' && r.name === 'order_id');
      if (!pk || pk['pk?'] !== true || pk['database-type'] !== 'int4') return `orders.order_id: ${JSON.stringify(pk)}`;
      return has('name', 'customer', 'amount', 'n', 'total')(rows);
    },
  },
  {
    tool: 'Metabase',
    what: 'describe-fks',
    sql: `SELECT fk_ns.nspname AS "fk-table-schema", fk_table.relname AS "fk-table-name", fk_column.attname AS "fk-column-name",
  pk_ns.nspname AS "pk-table-schema", pk_table.relname AS "pk-table-name", pk_column.attname AS "pk-column-name"
FROM pg_constraint AS c
INNER JOIN pg_class AS fk_table ON c.conrelid = fk_table.oid
INNER JOIN pg_namespace AS fk_ns ON c.connamespace = fk_ns.oid
INNER JOIN pg_attribute AS fk_column ON c.conrelid = fk_column.attrelid
INNER JOIN pg_class AS pk_table ON c.confrelid = pk_table.oid
INNER JOIN pg_namespace AS pk_ns ON pk_table.relnamespace = pk_ns.oid
INNER JOIN pg_attribute AS pk_column ON c.confrelid = pk_column.attrelid
WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND (c.contype = 'f'::char)
  AND (fk_column.attnum = ANY(c.conkey)) AND (pk_column.attnum = ANY(c.confkey)) AND (fk_ns.nspname IN ('public'))
ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC`,
    check: noRows,
  },
  {
    tool: 'Metabase',
    what: 'describe-indexes',
    sql: `SELECT tmp."table-schema", tmp."table-name", TRIM(BOTH '"' FROM pg_catalog.pg_get_indexdef(tmp.ci_oid, tmp.pos, FALSE)) AS "field-name"
FROM (SELECT n.nspname AS "table-schema", ct.relname AS "table-name", ci.oid AS ci_oid, (information_schema._pg_expandarray(i.indkey)).n AS pos
  FROM pg_catalog.pg_class AS ct
  INNER JOIN pg_catalog.pg_namespace AS n ON ct.relnamespace = n.oid
  INNER JOIN pg_catalog.pg_index AS i ON ct.oid = i.indrelid
  INNER JOIN pg_catalog.pg_class AS ci ON ci.oid = i.indexrelid
  WHERE (pg_catalog.pg_get_expr(i.indpred, i.indrelid) IS NULL) AND n.nspname !~ '^information_schema|catalog_history|pg_' AND (n.nspname IN ('public'))) AS tmp
WHERE tmp.pos = 1`,
    check: has('field-name', 'order_id', 'customer'),
  },
  {
    tool: 'Metabase',
    what: 'enum types',
    sql: `SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)`,
    check: noRows,
  },
  { tool: 'Metabase', what: 'any rows', sql: `SELECT 1 FROM orders LIMIT 1`, check: anyRows },
];
