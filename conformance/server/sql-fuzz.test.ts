/**
 * SQL fuzzing against a real running server: seeded random expressions over every column
 * type, in projections, filters, aggregates, windows, set operations and subqueries. Most
 * are type errors, which is fine; what must never happen is an internal error (XX000: an
 * exception that is not a SqlError), a FATAL, a hang, or the server dying. Plus the
 * minimal reproductions of what this fuzzing found.
 *
 * Reproduce a failure with FRESHET_FUZZ_SEED=<seed> (printed in the failure message).
 */
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindMessage, describeMessage, isError, Prng, RawPgClient, startFreshet, type FreshetServer } from '@freshet/testkit';
import { assertServerAlive, HealthMonitor } from './health';

const SEED = Number(process.env.FRESHET_FUZZ_SEED ?? 20_241_121);
const QUERIES = 6000;

let server: FreshetServer;
let health: HealthMonitor;
let c: RawPgClient;

beforeAll(async () => {
  server = await startFreshet({ playground: true });
  health = await HealthMonitor.start(server);
  c = await RawPgClient.connect(server.port);
  await c.startup();
  c.send(
    serialize.query(`CREATE TABLE e (i INT, b BIGINT, s SMALLINT, f FLOAT8, r REAL, d DECIMAL, v VARCHAR, ts TIMESTAMP, tz TIMESTAMPTZ,
        dt DATE, tm TIME, iv INTERVAL, bo BOOLEAN, j JSONB, a INT[], by BYTEA);
      INSERT INTO e VALUES
        (1, 2, 3, 1.5, 2.5, 1.25, 'abc', '2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01', '12:00:00', '1 day', true, '{"a": [1, 2]}', '{1,2,3}', '\\x0102'),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (-2147483648, 9223372036854775807, -32768, 'NaN', 'Infinity', -0.0001, '', '1970-01-01 00:00:00', '1900-01-01 00:00:00+00',
         '0001-01-01', '00:00:00', '-1 mons 2 days', false, 'null', '{}', '\\x'),
        (2147483647, -9223372036854775808, 32767, '-Infinity', -0.0, 99999999999999999999.999, 'ü€😀', '2262-04-11 23:47:16', '2100-01-01 00:00:00+00',
         '9999-12-31', '23:59:59.999999', '178000000 years', NULL, '[1, "x", null]', '{NULL,-1}', '\\xffff')`),
  );
  const ms = await c.untilReady();
  expect(ms.filter(isError).map(describeMessage)).toEqual([]);
});

afterEach(async () => {
  assertServerAlive(server, { allowInternalErrors: true });
  await health.assertHealthy();
});

afterAll(async () => {
  c?.close();
  await health?.stop();
  await server?.stop();
});

/** Runs one statement on the shared raw connection; returns its errors. */
async function run(sql: string): Promise<{ code?: string; severity?: string; message: string }[]> {
  c.send(serialize.query(sql));
  const ms = await c.untilReady(20_000);
  return ms.filter(isError).map((m) => ({ code: m.code, severity: m.severity, message: m.message }));
}

// ------------------------------------------------------------------------------ generator

const COLS = ['i', 'b', 's', 'f', 'r', 'd', 'v', 'ts', 'tz', 'dt', 'tm', 'iv', 'bo', 'j', 'a', 'by'];
const LITS = ['0', '1', '-1', '2147483647', '9223372036854775807', '1.5', "'x'", "'2024-02-29'", 'NULL', 'TRUE', "'1 hour'::interval",
  '\'{"k": 1}\'::jsonb', 'ARRAY[1, NULL]', "'NaN'::float8", '1e308', "'-infinity'::timestamp", "'\\x00'::bytea"];
const BIN = ['+', '-', '*', '/', '%', '||', '=', '<', '>=', '<>', 'AND', 'OR', '->', '->>', '@>', 'IS DISTINCT FROM', '#', '&', '|', '<<', '^', 'LIKE', 'ILIKE'];
const FN = ['abs', 'round', 'ceil', 'floor', 'length', 'upper', 'lower', 'coalesce', 'greatest', 'least', 'sqrt', 'exp', 'ln', 'power', 'substr',
  'trim', 'concat', 'to_char', 'date_trunc', 'extract', 'array_length', 'array_append', 'unnest', 'jsonb_typeof', 'md5', 'repeat', 'split_part',
  'lpad', 'replace', 'position', 'to_timestamp', 'make_date', 'trunc', 'sign', 'mod', 'array_to_string', 'string_to_array', 'regexp_replace',
  'encode', 'decode', 'octet_length', 'jsonb_array_length', 'cardinality', 'array_position'];
const TYPES = ['int', 'bigint', 'smallint', 'float8', 'real', 'decimal', 'varchar', 'timestamp', 'timestamptz', 'date', 'time', 'interval', 'boolean', 'jsonb', 'int[]', 'bytea', 'varchar[]'];
const AGG = ['sum', 'avg', 'min', 'max', 'count', 'string_agg', 'array_agg', 'bool_and', 'stddev_pop', 'var_samp', 'jsonb_agg', 'bit_and'];
const WINDOW = ['row_number()', 'rank()', 'lag(%)', 'sum(%)', 'first_value(%)'];

/** A random expression over the columns of `e`, `depth` levels deep. */
function expr(rng: Prng, depth: number): string {
  const sub = () => expr(rng, depth - 1);
  switch (depth <= 0 ? rng.int(0, 2) : rng.int(0, 9)) {
    case 0:
      return rng.pick(COLS);
    case 1:
      return rng.pick(LITS);
    case 2:
    case 3:
      return `(${sub()} ${rng.pick(BIN)} ${sub()})`;
    case 4:
      return `${rng.pick(FN)}(${Array.from({ length: rng.int(1, 4) }, sub).join(', ')})`;
    case 5:
      return `CAST(${sub()} AS ${rng.pick(TYPES)})`;
    case 6:
      return `CASE WHEN ${sub()} THEN ${sub()} ELSE ${sub()} END`;
    case 7:
      return `(SELECT ${sub()} FROM e LIMIT 1)`;
    default:
      return `${sub()}[${expr(rng, 0)}]`;
  }
}

/** A random statement: projection, aggregate, grouping, filter, ordering, window, set op, VALUES. */
function statement(rng: Prng): string {
  const x = (depth: number) => expr(rng, depth);
  switch (rng.int(0, 8)) {
    case 0:
      return `SELECT ${x(3)} FROM e`;
    case 1:
      return `SELECT ${rng.pick(AGG)}(${x(2)}) FROM e`;
    case 2:
      return `SELECT ${x(2)}, count(*) FROM e GROUP BY 1 ORDER BY 1`;
    case 3:
      return `SELECT * FROM e WHERE ${x(3)}`;
    case 4:
      return `SELECT ${x(2)} FROM e ORDER BY ${x(2)} LIMIT 2`;
    case 5:
      return `SELECT ${rng.pick(WINDOW).replace('%', x(1))} OVER (PARTITION BY ${x(1)} ORDER BY ${x(1)}) FROM e`;
    case 6:
      return `SELECT ${x(2)} FROM e UNION SELECT ${x(2)} FROM e`;
    default:
      return `VALUES (${x(2)}), (${x(2)})`;
  }
}

describe('random expressions', () => {
  it(`${QUERIES} seeded queries: never an internal error, a FATAL or a hang`, async () => {
    const rng = new Prng(SEED);
    const internal = new Map<string, string>();
    let ok = 0;
    for (let n = 0; n < QUERIES; n++) {
      const sql = statement(rng);
      let errors;
      try {
        errors = await run(sql);
      } catch (e) {
        throw new Error(`seed ${SEED} query ${n}: ${sql}\n${(e as Error).message}`);
      }
      if (errors.length === 0) ok++;
      for (const e of errors) {
        expect(e.code, sql).toMatch(/^[0-9A-Z]{5}$/);
        expect(e.severity, sql).toBe('ERROR');
        // One example per distinct message, so the report is short.
        if (e.code === 'XX000') internal.set(e.message.replace(/\d+/g, 'N'), `${sql}  →  ${e.message}`);
      }
    }
    expect([...internal.values()], `seed ${SEED}: internal errors`).toEqual([]);
    // The generator really produces runnable queries, not only errors.
    expect(ok).toBeGreaterThan(QUERIES / 20);
  });
});

/** Parameter type OIDs the server knows: scalars and arrays. */
const PARAM_OIDS = [16, 17, 20, 21, 23, 700, 701, 1043, 1082, 1083, 1114, 1184, 1186, 1700, 3802, 1000, 1007, 1015, 1016, 1231, 1185];
const TRICKY_TEXT = ['1', '-1', '1e400', 'NaN', 'Infinity', '{1,2}', '{', '{"a":', '2024-13-45', '99999999999999999999', '1 day', 'P1D', 'true',
  'yes', '\\x00ff', '{{1},{2}}', '{NULL}', '00:00:60', '24:00:00', '0001-01-01 BC', 'infinity', '-infinity', '1.5', '1e-400', '  3  ', ''];

describe('random parameter values', () => {
  it('garbage in text or binary format is a clean ERROR, never an internal error', async () => {
    const rng = new Prng(SEED + 1);
    let answered = 0;
    for (let n = 0; n < 1500; n++) {
      const oid = rng.pick(PARAM_OIDS);
      const binary = rng.bool(0.6);
      const value = rng.pick([
        () => rng.bytes(rng.int(0, 24)),
        () => Buffer.from(rng.ascii(rng.int(0, 20))),
        () => Buffer.from(rng.pick(TRICKY_TEXT)),
        // Exactly the size a fixed-width binary type expects, with random content.
        () => rng.bytes(rng.pick([0, 1, 2, 4, 8, 12, 16, 20])),
      ])();
      c.send(
        serialize.parse({ text: 'SELECT $1 AS v', types: [oid] }),
        bindMessage({ paramFormats: [binary ? 1 : 0], values: [value], resultFormats: [rng.bool() ? 1 : 0] }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      );
      const what = `oid ${oid} ${binary ? 'binary' : 'text'} ${value.toString('hex')}`;
      const ms = await c.untilReady(5000).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
      for (const m of ms.filter(isError)) {
        expect(`${m.severity} ${m.code}`, `${what}: ${m.message}`).toMatch(/^ERROR (?!XX000)[0-9A-Z]{5}$/);
      }
      if (ms.some((m) => m.name === 'dataRow')) answered++;
    }
    // Plenty of the values are valid, so encoding results (text and binary) is exercised too.
    expect(answered).toBeGreaterThan(150);
  });
});

describe('what the fuzzing found', () => {
  it.each([
    // packages/common/src/decimal.ts pow10 via Decimal.round: RangeError for a huge scale.
    ['round() with a huge scale from a column', 'SELECT round(1.5, i) FROM e WHERE i = -2147483648', '22003|^$'],
    // packages/common/src/interval.ts parsePostgres: a 400-digit number overflows to Infinity.
    ['a 400-digit string cast to interval', "SELECT (repeat('9', 400))::INTERVAL", '22008|22007|22015'],
    // packages/expr/src/scalar/string.ts pad(): built the padding char by char until the heap
    // ran out, killing the server (fixed: same bound as repeat()).
    ['lpad to two billion characters', "SELECT length(lpad('x', 2000000000))", '54000'],
    ['rpad to two billion characters', "SELECT length(rpad('x', 2000000000, 'ab'))", '54000'],
    ['repeat to a gigabyte', "SELECT length(repeat('x', 1000000000))", '54000'],
  ])('%s: a proper error (or result), never XX000 or a crash', async (_label, sql, codes) => {
    const errors = await run(sql);
    const got = errors.map((e) => e.code ?? '').join(',');
    expect(got, `${sql} → ${errors.map((e) => e.message).join('; ')}`).toMatch(new RegExp(codes));
    assertServerAlive(server, { allowInternalErrors: true });
  });
});
