/**
 * Query cancellation against a real running server. A CancelRequest arrives on a second
 * connection while the first is executing, so it only works if execution gives the event
 * loop a turn; these tests prove that for every kind of long-running plan, and that a long
 * query on one connection never starves the others.
 */
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cancelRequest, describeMessage, isError, RawPgClient, sleep, startFreshet, type FreshetServer } from '@freshet/testkit';
import { assertServerAlive } from './health';

/** A CancelRequest must end the statement within this time. */
const CANCEL_BOUND_MS = 2000;
/** Another connection's trivial query must be answered within this time meanwhile. */
const LATENCY_BOUND_MS = 1000;
/** Let the statement get going before cancelling it. */
const RUN_BEFORE_CANCEL_MS = 250;

let server: FreshetServer;
let other: pg.Client;

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** pg keeps BackendKeyData on the client object (not in its typings). */
function keyOf(c: pg.Client): { processID: number; secretKey: number } {
  const k = c as unknown as { processID: number; secretKey: number };
  expect(typeof k.processID).toBe('number');
  return { processID: k.processID, secretKey: k.secretKey };
}

async function sendCancel(processID: number, secretKey: number): Promise<void> {
  const c = await RawPgClient.connect(server.port);
  c.send(cancelRequest(processID, secretKey));
  // The server answers a CancelRequest by closing, with no message.
  expect(await c.untilClosed()).toEqual([]);
}

/** Resolves with the query's outcome: 'ok' or its SQLSTATE. */
function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: { code?: string; message: string }) => e.code ?? e.message,
  );
}

/** Milliseconds for a trivial query on another connection. */
async function otherLatency(): Promise<number> {
  const t = performance.now();
  const r = await other.query('SELECT 1 AS one');
  expect(r.rows).toEqual([{ one: 1 }]);
  return performance.now() - t;
}

/**
 * Starts `sql` on a fresh connection, checks the server keeps serving others meanwhile,
 * cancels it, and checks: 57014 within the bound, and the connection works afterwards.
 */
async function cancelWhileRunning(sql: string, params?: unknown[]): Promise<void> {
  const c = await client();
  try {
    let settled = false;
    const run = outcome(c.query(sql, params)).finally(() => (settled = true));
    await sleep(RUN_BEFORE_CANCEL_MS);
    expect(settled, `"${sql}" finished before it could be cancelled; make it longer`).toBe(false);
    expect(await otherLatency(), `another connection waited while "${sql}" ran`).toBeLessThan(LATENCY_BOUND_MS);
    const t = performance.now();
    const { processID, secretKey } = keyOf(c);
    await sendCancel(processID, secretKey);
    const res = await Promise.race([run, sleep(CANCEL_BOUND_MS * 4).then(() => 'still running')]);
    const took = performance.now() - t;
    expect(res, sql).toBe('57014');
    expect(took, `cancel of "${sql}" took ${Math.round(took)} ms`).toBeLessThan(CANCEL_BOUND_MS);
    // The same connection is fine afterwards, and a new statement is not cancelled.
    const after = await c.query('SELECT 2 + 2 AS four');
    expect(after.rows).toEqual([{ four: 4 }]);
  } finally {
    await c.end().catch(() => {});
  }
}

beforeAll(async () => {
  server = await startFreshet({ playground: true });
  other = await client();
  await other.query('CREATE TABLE cx (a INT, b VARCHAR)');
  await other.query('INSERT INTO cx SELECT g, \'row\' || g FROM generate_series(1, 2000) AS g');
});

afterEach(() => assertServerAlive(server));

afterAll(async () => {
  await other?.end();
  await server?.stop();
});

describe('CancelRequest ends a running statement with 57014, and the connection goes on', () => {
  it.each([
    ['a huge aggregate scan', 'SELECT count(*) FROM generate_series(1, 1000000000)'],
    ['a cross join', 'SELECT count(*) FROM generate_series(1, 100000) AS a, generate_series(1, 100000) AS b'],
    ['a nested-loop join with a non-equi condition', 'SELECT count(*) FROM cx AS a JOIN generate_series(1, 1000000) AS b(g) ON a.a + b.g < 0'],
    ['a sort', 'SELECT max(g) FROM (SELECT g FROM generate_series(1, 100000000) AS g ORDER BY g DESC) AS t'],
    ['a hash aggregate', 'SELECT count(*) FROM (SELECT g % 1000 AS k, count(*) FROM generate_series(1, 500000000) AS g GROUP BY k) AS t'],
    ['a window function', 'SELECT sum(x) FROM (SELECT row_number() OVER (ORDER BY g) AS x FROM generate_series(1, 100000000) AS g) AS t'],
    ['a scan of a table joined to a series', 'SELECT count(*) FROM cx, generate_series(1, 10000000) AS g WHERE cx.b = g::VARCHAR'],
  ])('%s', async (_label, sql) => {
    await cancelWhileRunning(sql);
  });

  it('the extended protocol (a bound parameter)', async () => {
    await cancelWhileRunning('SELECT count(*) FROM generate_series(1, $1::BIGINT)', [1_000_000_000]);
  });

  it('INSERT … SELECT is cancelled and leaves no partial rows', async () => {
    await other.query('CREATE TABLE cx_ins (a INT)');
    await cancelWhileRunning('INSERT INTO cx_ins SELECT g FROM generate_series(1, 1000000000) AS g');
    await other.query('FLUSH');
    expect((await other.query('SELECT count(*)::INT AS n FROM cx_ins')).rows).toEqual([{ n: 0 }]);
  });

  it('CREATE TABLE … AS is cancelled and leaves no table', async () => {
    await cancelWhileRunning('CREATE TABLE cx_ctas AS SELECT g FROM generate_series(1, 1000000000) AS g');
    await expect(other.query('SELECT * FROM cx_ctas')).rejects.toMatchObject({ code: '42P01' });
  });

  it('node-postgres Client.cancel() works too', async () => {
    const c = await client();
    const q = c.query('SELECT count(*) FROM generate_series(1, 1000000000)');
    const run = outcome(q);
    await sleep(RUN_BEFORE_CANCEL_MS);
    const t = performance.now();
    // The API: a fresh, unconnected Client sends the cancel for `c`'s active query.
    const canceller = new pg.Client({ host: server.host, port: server.port, user: 'root', database: 'dev' });
    const active = (c as unknown as { activeQuery: unknown }).activeQuery;
    expect(active).toBeTruthy();
    (canceller as unknown as { cancel(target: pg.Client, query: unknown): void }).cancel(c, active);
    expect(await run).toBe('57014');
    expect(performance.now() - t).toBeLessThan(CANCEL_BOUND_MS);
    expect((await c.query('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    await c.end();
  });

  it('over the raw protocol: ErrorResponse 57014, ReadyForQuery, then the next query runs', async () => {
    const c = await RawPgClient.connect(server.port);
    c.send(serialize.startup({ user: 'root', database: 'dev' }));
    const kd = (await c.untilReady()).find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number };
    expect(kd).toBeDefined();
    c.send(serialize.query('SELECT count(*) FROM generate_series(1, 1000000000)'));
    await sleep(RUN_BEFORE_CANCEL_MS);
    expect(c.messages.some((m) => m.name === 'commandComplete' || m.name === 'readyForQuery')).toBe(false);
    await sendCancel(kd.processID, kd.secretKey);
    const ms = await c.untilReady(CANCEL_BOUND_MS);
    const err = ms.find(isError);
    expect(err && `${err.severity} ${err.code}`).toBe('ERROR 57014');
    expect(err?.message).toMatch(/cancel/i);
    c.send(serialize.query('SELECT 6 * 7'));
    const next = await c.untilReady();
    expect((next.find((m) => m.name === 'dataRow') as unknown as { fields: string[] }).fields).toEqual(['42']);
    c.close();
  });

  it('a cancel with nothing running is a no-op: the next statement is not cancelled', async () => {
    const c = await client();
    const { processID, secretKey } = keyOf(c);
    await sendCancel(processID, secretKey);
    await sleep(50);
    expect((await c.query('SELECT count(*)::INT AS n FROM generate_series(1, 300000)')).rows).toEqual([{ n: 300000 }]);
    await c.end();
  });

  it('a cancel for one session does not touch another running statement', async () => {
    const victim = await client();
    const bystander = await client();
    const v = outcome(victim.query('SELECT count(*) FROM generate_series(1, 1000000000)'));
    const b = bystander.query('SELECT count(*)::INT AS n FROM generate_series(1, 3000000)');
    await sleep(RUN_BEFORE_CANCEL_MS);
    const { processID, secretKey } = keyOf(victim);
    await sendCancel(processID, secretKey);
    expect(await v).toBe('57014');
    expect((await b).rows).toEqual([{ n: 3000000 }]);
    await victim.end();
    await bystander.end();
  });
});

/** CPU time (clock ticks, usually 10 ms) the server process used so far, from /proc. */
function serverCpuTicks(): number {
  const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

describe('a client that goes away mid-statement', () => {
  it.runIf(existsSync('/proc/self/stat'))('stops its statement: the server goes idle', async () => {
    const c = await RawPgClient.connect(server.port);
    await c.startup();
    c.send(serialize.query('SELECT count(*) FROM generate_series(1, 1000000000)'));
    await sleep(RUN_BEFORE_CANCEL_MS);
    let before = serverCpuTicks();
    await sleep(500);
    const busy = serverCpuTicks() - before;
    // Proves the measurement works: the statement keeps a core busy.
    expect(busy).toBeGreaterThan(20);
    c.close();
    await sleep(150);
    before = serverCpuTicks();
    await sleep(500);
    expect(serverCpuTicks() - before, 'CPU ticks in 500 ms after the client left').toBeLessThan(busy / 4);
    expect(await otherLatency()).toBeLessThan(LATENCY_BOUND_MS);
  });
});

describe('statements with subqueries', () => {
  it.each([
    ['a correlated EXISTS (planned as a semi-join)', 'SELECT g FROM generate_series(1, 5) AS g WHERE EXISTS (SELECT 1 FROM generate_series(1, 100000000) AS h WHERE h = -g)'],
    ['IN (subquery)', 'SELECT g FROM generate_series(1, 5) AS g WHERE g IN (SELECT h FROM generate_series(1, 100000000) AS h WHERE h < 0)'],
  ])('%s can be cancelled', async (_label, sql) => {
    await cancelWhileRunning(sql);
  });

  // Subqueries evaluated inside expressions are drained synchronously (packages/batch/src/
  // driver.ts drainSync, called from packages/frontend/src/query/compile-expr.ts
  // compileSubquery): while one runs the event loop is blocked, so no other connection is
  // served and no CancelRequest can even be read. Known bug, reported to the query owner.
  it.each([
    ['an uncorrelated scalar subquery', 'SELECT (SELECT count(*) FROM generate_series(1, 40000000))'],
    ['a correlated scalar subquery', 'SELECT g, (SELECT count(*) FROM generate_series(1, 15000000) AS h WHERE h > g) FROM generate_series(1, 3) AS g'],
    ['> ALL (subquery)', 'SELECT g FROM generate_series(1, 5) AS g WHERE g > ALL (SELECT h FROM generate_series(1, 5000000) AS h)'],
  ])('%s can be cancelled and does not starve other connections', async (_label, sql) => {
    await cancelWhileRunning(sql);
  });
});
