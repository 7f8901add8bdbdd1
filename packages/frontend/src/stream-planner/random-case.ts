/**
 * Test support for the random differential test (random-differential.test.ts; not
 * exported from the package): a random case is two small tables with a random schema, one
 * random query over them drawn from the streaming feature set, rows that exist before the
 * MV (backfill) and a random DML sequence after it — inserts with NULLs, updates of any
 * column (grouping and join keys included) and deletes. Everything is text SQL, so a case
 * prints as a script to paste into psql, and a list of statements can be replayed without
 * some of them (shrinking a failure to a minimal reproducer).
 */

/** An MV's or query's rows as a sorted bag of text lines, for comparing results. */
export function bag(rows: string[][]): string[] {
  return rows.map((r) => r.join('|')).sort();
}

/** mulberry32: small, deterministic, good enough to draw test cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'key' | 'num' | 'text' | 'flag' | 'time' | 'dec' | 'json';

interface Column {
  readonly name: string;
  readonly kind: Kind;
}

interface Table {
  readonly name: string;
  /** `id int primary key` first when present. */
  readonly pk: boolean;
  /**
   * `APPEND ONLY` (never with a pk): its DML only inserts, so the planner's append-only
   * forms (MIN/MAX without a multiset, top-N that drops rows, append-only joins) run.
   */
  readonly appendOnly: boolean;
  readonly columns: readonly Column[];
}

export interface RandomCase {
  /** CREATE TABLE statements. */
  readonly ddl: readonly string[];
  /** INSERTs before the MVs are created (their backfill). */
  readonly before: readonly string[];
  /** Session settings for the CREATE MATERIALIZED VIEWs (reset after them). */
  readonly settings: readonly string[];
  /** MVs created before the one under test, [name, query]: it reads the first when there is one. */
  readonly inner: readonly (readonly [string, string])[];
  /** The MV's query. */
  readonly query: string;
  /** DML after the MV; `null` marks a FLUSH and a comparison. */
  readonly steps: readonly (string | null)[];
}

const SQL_TYPE: Record<Kind, string> = { key: 'int', num: 'bigint', text: 'varchar', flag: 'boolean', time: 'timestamptz', dec: 'numeric', json: 'jsonb' };
const TEXTS = ["'a'", "'b'", "'c'", "'bb'"];

class Draw {
  constructor(private readonly r: () => number) {}

  int(n: number): number {
    return Math.floor(this.r() * n);
  }

  chance(p: number): boolean {
    return this.r() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** A literal of the column's kind, NULL now and then. */
  value(kind: Kind, nullRate = 0.15): string {
    if (this.chance(nullRate)) return 'NULL';
    switch (kind) {
      case 'key':
        return String(this.int(4));
      case 'num':
        return String(this.int(10) - 2);
      case 'text':
        return this.pick(TEXTS);
      case 'flag':
        return this.chance(0.5) ? 'true' : 'false';
      case 'time':
        // Whole multiples of 10 minutes before now: no row is within seconds of a temporal
        // filter's bound of 45 or 90 minutes while a case runs.
        return `now() - interval '${10 * this.int(13)} minutes'`;
      case 'dec':
        // One scale: a streaming SUM keeps the largest scale it ever summed in a group
        // (docs/conformance.md, "Known differences"), so mixed scales print differently.
        return this.pick(['1.50', '-0.25', '2.00', '0.10', '3.33']);
      case 'json':
        return this.pick([`'{"a": 1}'`, `'{"a": "x", "b": [1, 2]}'`, `'{}'`, `'{"a": null}'`, `'[1, 2]'`]);
    }
  }
}

function table(d: Draw, name: string): Table {
  const columns: Column[] = [{ name: 'k', kind: 'key' }, { name: 'v', kind: 'num' }];
  if (d.chance(0.6)) columns.push({ name: 's', kind: 'text' });
  if (d.chance(0.4)) columns.push({ name: 'f', kind: 'flag' });
  if (d.chance(0.4)) columns.push({ name: 'ts', kind: 'time' });
  if (d.chance(0.3)) columns.push({ name: 'd', kind: 'dec' });
  if (d.chance(0.2)) columns.push({ name: 'j', kind: 'json' });
  const pk = d.chance(0.6);
  return { name, pk, appendOnly: !pk && d.chance(0.4), columns };
}

function createTable(t: Table): string {
  const cols = t.columns.map((c) => `${c.name} ${SQL_TYPE[c.kind]}`);
  return `create table ${t.name} (${[...(t.pk ? ['id int primary key'] : []), ...cols].join(', ')})${t.appendOnly ? ' append only' : ''}`;
}

/** Rows for `t`; `ids` holds every primary key drawn so far, reused only on purpose (an overwrite). */
function insertRows(d: Draw, t: Table, ids: Set<number>, n: number): string | null {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const vals = t.columns.map((c) => d.value(c.kind));
    if (t.pk) {
      // Now and then an id in use: the insert overwrites that row, as in RisingWave.
      const id = d.int(30);
      if (ids.has(id) && !d.chance(0.1)) continue;
      ids.add(id);
      vals.unshift(String(id));
    }
    rows.push(`(${vals.join(', ')})`);
  }
  return rows.length === 0 ? null : `insert into ${t.name} values ${rows.join(', ')}`;
}

function has(t: Table, kind: Kind): Column | undefined {
  return t.columns.find((c) => c.kind === kind);
}

/** A predicate over `t`'s columns, qualified by `q`. */
function predicate(d: Draw, t: Table, q: string): string {
  const text = has(t, 'text');
  const flag = has(t, 'flag');
  const choices = [
    () => `${q}.v > ${d.int(6) - 1}`,
    () => `${q}.k is null`,
    () => `(${q}.k = ${d.int(4)} or ${q}.v < ${d.int(5)})`,
    () => `${q}.v between ${d.int(3) - 1} and ${d.int(5) + 2}`,
    () => `coalesce(${q}.v, 0) <> ${d.int(4)}`,
    ...(text ? [() => `${q}.${text.name} in ('a', 'bb')`, () => `${q}.${text.name} like 'b%'`] : []),
    ...(flag ? [() => `${q}.${flag.name}`, () => `${q}.${flag.name} is not true`] : []),
  ];
  return d.pick(choices)();
}

/** A scalar expression over `t`'s columns, qualified by `q`. */
function scalar(d: Draw, t: Table, q: string): string {
  const text = has(t, 'text');
  const choices = [
    () => `${q}.v + ${d.int(3) + 1}`,
    () => `${q}.v * ${q}.k`,
    () => `coalesce(${q}.v, -1)`,
    () => `case when ${q}.v > 2 then 'hi' when ${q}.v is null then 'none' else 'lo' end`,
    () => `abs(${q}.v - ${q}.k)`,
    ...(text ? [() => `upper(${q}.${text.name})`, () => `length(${q}.${text.name})`, () => `${q}.${text.name} || '-' || ${q}.k`] : []),
  ];
  return d.pick(choices)();
}

/** Aggregate calls over `t`'s columns, qualified by `q` (at least one). */
function aggregates(d: Draw, t: Table, q: string): string[] {
  const text = has(t, 'text');
  const flag = has(t, 'flag');
  const all = [
    'count(*)',
    `count(${q}.v)`,
    `sum(${q}.v)`,
    `min(${q}.v)`,
    `max(${q}.v)`,
    `avg(${q}.v)`,
    `count(distinct ${q}.v)`,
    `sum(${q}.v) filter (where ${q}.v > 1)`,
    `max(${q}.v + ${q}.k)`,
    `array_agg(${q}.v order by ${q}.v)`,
    `sum(distinct ${q}.v)`,
    `avg(distinct ${q}.k)`,
    `count(*) filter (where ${q}.v < 3)`,
    ...(text ? [`min(${q}.${text.name})`, `max(${q}.${text.name})`, `count(distinct ${q}.${text.name})`, `string_agg(${q}.${text.name}, ',' order by ${q}.${text.name})`] : []),
    ...(flag ? [`bool_and(${q}.${flag.name})`, `bool_or(${q}.${flag.name})`] : []),
  ];
  const out: string[] = [];
  for (let i = 0, n = 1 + d.int(3); i < n; i++) {
    const a = d.pick(all);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** Every column of `t` (with `id`), qualified by `q`, for ORDER BY ties broken in full. */
function allColumns(t: Table, q: string): string[] {
  return [...(t.pk ? [`${q}.id`] : []), ...t.columns.map((c) => `${q}.${c.name}`)];
}

function as(exprs: string[]): string {
  return exprs.map((e, i) => `${e} as c${i}`).join(', ');
}

/** One query over `a` and `b` from the streaming feature set. */
function query(d: Draw, a: Table, b: Table): string {
  const time = has(a, 'time');
  const dec = has(a, 'dec');
  const json = has(a, 'json');
  const where = () => (d.chance(0.5) ? ` where ${predicate(d, a, 'x')}` : '');
  const templates = [
    // Filter and project.
    () => `select ${as([...allColumns(a, 'x'), scalar(d, a, 'x')])} from ${a.name} x${where()}`,
    // Grouped aggregation, sometimes with HAVING.
    () => {
      const key = d.chance(0.3) && has(a, 'text') ? `x.${has(a, 'text')!.name}` : 'x.k';
      const having = d.chance(0.3) ? ' having count(*) > 1' : '';
      return `select ${as([key, ...aggregates(d, a, 'x')])} from ${a.name} x${where()} group by ${key}${having}`;
    },
    // Global aggregation.
    () => `select ${as(aggregates(d, a, 'x'))} from ${a.name} x${where()}`,
    // Joins on the key (NULL-safe or not), of every type, sometimes on a second key or with
    // a non-equi condition.
    () => {
      const type = d.pick(['join', 'left join', 'right join', 'full join']);
      const eq = d.chance(0.3) ? 'is not distinct from' : '=';
      const extra = d.pick(['', '', ' and x.v < y.v', ` and x.v ${d.pick(['=', 'is not distinct from'])} y.v`]);
      return `select ${as([...allColumns(a, 'x'), ...allColumns(b, 'y')])} from ${a.name} x ${type} ${b.name} y on x.k ${eq} y.k${extra}`;
    },
    // Join then aggregate.
    () => `select ${as(['y.k', ...aggregates(d, a, 'x')])} from ${a.name} x join ${b.name} y on x.k = y.k group by y.k`,
    // DISTINCT.
    () => `select distinct ${as(d.chance(0.5) ? ['x.k'] : ['x.k', 'x.v'])} from ${a.name} x${where()}`,
    // Top-N with every column in the order, so ties cannot differ.
    () => {
      const cols = allColumns(a, 'x');
      const dir = d.chance(0.5) ? ' desc' : '';
      return `select ${as(cols)} from ${a.name} x order by ${cols.map((c) => `${c}${dir}`).join(', ')} limit ${1 + d.int(3)}`;
    },
    // UNION ALL.
    () => `select ${as(['x.k', 'x.v'])} from ${a.name} x where ${predicate(d, a, 'x')} union all select y.k, y.v from ${b.name} y`,
    // Dynamic filter: a comparison with a one-row subquery.
    () => `select ${as(allColumns(a, 'x'))} from ${a.name} x where x.v ${d.pick(['>', '>=', '<'])} (select ${d.pick(['max', 'min'])}(y.v) from ${b.name} y)`,
    // A set-returning function in the select list.
    () => `select ${as(['x.k', 'generate_series(0, x.k)'])} from ${a.name} x${where()}`,
    // DISTINCT ON with a total order after the key.
    () => `select distinct on (x.k) ${as(allColumns(a, 'x'))} from ${a.name} x order by x.k, ${allColumns(a, 'x').map((c) => `${c} nulls first`).join(', ')}`,
    // Compositions: top-N of groups, an aggregate over an outer join, a CTE filtered on its
    // aggregate, a self-join, a scalar subquery in the select list, a computed group key.
    () => `select c0, c1 from (select x.k as c0, count(*) as c1 from ${a.name} x group by x.k) g order by c1 desc, c0 nulls first limit ${1 + d.int(3)}`,
    () => `select ${as(['x.k', 'count(y.v)', 'sum(y.v)', 'count(*)'])} from ${a.name} x left join ${b.name} y on x.k = y.k group by x.k`,
    () => `with g as (select x.k as k, sum(x.v) as s, count(*) as n from ${a.name} x group by x.k) select k, s, n from g where s > ${d.int(5)} or n = 1`,
    () => `select ${as(['x.k', 'x.v', 'z.v'])} from ${a.name} x join ${a.name} z on x.k = z.k and x.v < z.v`,
    () => {
      const sub = d.chance(0.7) ? `select ${d.pick(['max', 'count', 'sum'])}(y.v) from ${b.name} y` : `select y.v from ${b.name} y where y.k = ${d.int(4)} order by y.v nulls last limit 1`;
      return `select ${as(['x.k', 'x.v', `(${sub})`])} from ${a.name} x`;
    },
    () => `select ${as(['case when x.v > 2 then 1 when x.v is null then 0 else -1 end', 'count(*)', 'max(x.k)'])} from ${a.name} x group by 1`,
    () => `select ${as(['count(*)', 'sum(c)', 'max(c)'])} from (select x.k, count(*) as c from ${a.name} x group by x.k) g`,
    () => `select distinct ${as(['x.k', 'y.v'])} from ${a.name} x join ${b.name} y on coalesce(x.k, 0) = y.k`,
    () => `select ${as(['x.k', 'sum(x.v)'])} from ${a.name} x group by x.k having max(x.v) > ${d.int(4)} or count(*) = 2`,
    () => `select ${as(allColumns(a, 'x'))} from ${a.name} x where x.k in (${d.int(4)}, ${d.int(4)}) ${d.pick(['and', 'or'])} x.v not in (1, 3)`,
    () => `select ${as(allColumns(a, 'x'))} from ${a.name} x where ${d.pick(['', 'not '])}exists (select 1 from ${b.name} y where y.k = x.k and y.v > x.v)`,
    () => `select ${as(['x.k', 'count(*)'])} from ${a.name} x group by x.k union all select ${as(['y.k', 'sum(y.v)'])} from ${b.name} y group by y.k`,
    // More shapes: several group keys, date/time functions, arrays and unnest, string
    // functions, USING, three-way joins, computed top-N orders.
    () => `select ${as(['x.k', 'x.v % 3', 'count(*)', 'min(x.v)'])} from ${a.name} x group by x.k, x.v % 3`,
    () => `select ${as(['x.k', 'unnest(array[x.k, x.v])'])} from ${a.name} x`,
    () => `select ${as(['x.k', "concat_ws('/', x.k, x.v)", "replace(coalesce(x.v::varchar, 'n'), '1', 'one')", 'substr(x.v::varchar, 1, 1)'])} from ${a.name} x${where()}`,
    () => `select ${as(['k', 'x.v', 'y.v'])} from ${a.name} x join ${b.name} y using (k)`,
    () => `select ${as(['x.k', 'y.v', 'z.v'])} from ${a.name} x join ${b.name} y on x.k = y.k ${d.pick(['join', 'left join'])} ${a.name} z on y.v = z.v`,
    () => {
      const cols = allColumns(a, 'x');
      return `select ${as(cols)} from ${a.name} x order by x.v * -1 nulls last, ${cols.map((c) => `${c} nulls first`).join(', ')} limit 2`;
    },
    // A join key computed from a column.
    () => `select ${as(['x.k', 'x.v', 'y.v'])} from ${a.name} x join ${b.name} y on x.k + 1 = y.k`,
    // Set operations that remove duplicates.
    () => `select x.k from ${a.name} x ${d.pick(['union', 'except', 'intersect'])} select y.k from ${b.name} y`,
    // Top-N past an offset.
    () => {
      const cols = allColumns(a, 'x');
      return `select ${as(cols)} from ${a.name} x order by ${cols.map((c) => `${c} nulls first`).join(', ')} limit ${1 + d.int(3)} offset ${1 + d.int(2)}`;
    },
    // Semi- and anti-joins.
    () => {
      const sub = d.pick(['exists (select 1 from B y where y.k = x.k)', 'not exists (select 1 from B y where y.k = x.k)', 'x.k in (select y.k from B y)']);
      return `select ${as(allColumns(a, 'x'))} from ${a.name} x where ${sub.replace('B', b.name)}`;
    },
  ];
  // Group top-N and window functions need a total order within a partition: only with a primary key.
  if (a.pk) {
    templates.push(() => `select c0, c1, c2 from (select x.id as c0, x.k as c1, x.v as c2, row_number() over (partition by x.k order by x.v nulls first, x.id) as rn from ${a.name} x) where rn <= ${1 + d.int(2)}`);
    templates.push(() => `select ${as(['x.id', 'x.k', `${d.pick(['lag(x.v)', 'lead(x.v)', 'sum(x.v)', 'count(*)', 'max(x.v)', 'rank()', 'dense_rank()', 'first_value(x.v)'])} over (partition by x.k order by x.id)`])} from ${a.name} x`);
    templates.push(() => `select ${as(['x.id', `${d.pick(['sum', 'avg', 'min'])}(x.v) over (partition by x.k order by x.id rows between 1 preceding and current row)`])} from ${a.name} x`);
  }
  if (dec) {
    templates.push(() => `select ${as(['x.k', `sum(x.${dec.name})`, `avg(x.${dec.name})`, `max(x.${dec.name} * 2)`])} from ${a.name} x group by x.k`);
    templates.push(() => `select ${as(['x.k', `round(x.${dec.name}, 1)`, `x.${dec.name} + x.v`])} from ${a.name} x where x.${dec.name} > 0`);
  }
  if (json) {
    templates.push(() => `select ${as(['x.k', `x.${json.name} ->> 'a'`, `jsonb_typeof(x.${json.name})`])} from ${a.name} x`);
    templates.push(() => `select ${as([`x.${json.name} ->> 'a'`, 'count(*)'])} from ${a.name} x group by 1`);
  }
  // Time windows and temporal filters over a timestamp column.
  if (time) {
    templates.push(() => `select ${as([`date_trunc('hour', x.${time.name})`, 'count(*)', 'max(x.v)'])} from ${a.name} x group by 1`);
    templates.push(() => `select ${as(['x.k', `extract(minute from x.${time.name})`, `x.${time.name} + interval '1 hour'`])} from ${a.name} x`);
    templates.push(() => `select ${as(allColumns(a, 'x'))} from ${a.name} x where x.${time.name} > now() - interval '${d.pick(['45', '90'])} minutes'`);
    templates.push(() => `select ${as(['x.k', ...aggregates(d, a, 'x')])} from ${a.name} x where x.${time.name} > now() - interval '${d.pick(['45', '90'])} minutes' group by x.k`);
    templates.push(() => `select ${as(['window_start', 'count(*)', 'sum(v)'])} from tumble(${a.name}, ${time.name}, interval '${d.pick(['5', '10'])} minutes') group by window_start`);
    templates.push(() => `select ${as(['window_end', 'k', 'max(v)'])} from hop(${a.name}, ${time.name}, interval '5 minutes', interval '10 minutes') group by window_end, k`);
  }
  return d.pick(templates)();
}

/** One DML statement on `t`. */
function dml(d: Draw, t: Table, ids: Set<number>): string | null {
  const op = d.int(6);
  if (op <= 1 || t.appendOnly) return insertRows(d, t, ids, 1 + d.int(3));
  if (op <= 3) {
    const c = d.pick(t.columns);
    return `update ${t.name} set ${c.name} = ${d.value(c.kind)} where ${predicate(d, t, t.name)}`;
  }
  if (op === 4 && t.pk) {
    return `delete from ${t.name} where id % ${2 + d.int(3)} = ${d.int(2)}`;
  }
  return `delete from ${t.name} where ${predicate(d, t, t.name)}`;
}

/** A case: names are suffixed with `tag` so cases can share a database. */
export function randomCase(seed: number, tag: string): RandomCase {
  const d = new Draw(rng(seed));
  const a = table(d, `a_${tag}`);
  const b = table(d, `b_${tag}`);
  const idsA = new Set<number>();
  const idsB = new Set<number>();
  const before: string[] = [];
  for (const [t, ids] of [
    [a, idsA],
    [b, idsB],
  ] as const) {
    const s = insertRows(d, t, ids, 2 + d.int(4));
    if (s) before.push(s);
  }
  const settings = d.chance(0.2) ? ['set rw_force_two_phase_agg = true'] : [];
  const inner: [string, string][] = [];
  let q: string;
  if (d.chance(0.15)) {
    // An MV over an MV: an aggregate read by a filter, an aggregate or a join.
    const name = `i_${tag}`;
    inner.push([name, `select x.k as k, count(*) as c, sum(x.v) as s from ${a.name} x group by x.k`]);
    q = d.pick([
      `select k, c * 2 as c2, s from ${name} where c > 1`,
      `select count(*) as groups, sum(c) as n, max(s) as ms from ${name}`,
      `select i.k, i.c, y.v from ${name} i ${d.pick(['join', 'left join'])} ${b.name} y on i.k = y.k`,
    ]);
  } else q = query(d, a, b);
  const steps: (string | null)[] = [];
  for (let i = 0, n = 6 + d.int(6); i < n; i++) {
    const t = d.chance(0.65) ? a : b;
    const s = dml(d, t, t === a ? idsA : idsB);
    if (s) steps.push(s);
    if (d.chance(0.35)) steps.push(null);
  }
  steps.push(null);
  return { ddl: [createTable(a), createTable(b)], before, settings, inner, query: q, steps };
}
