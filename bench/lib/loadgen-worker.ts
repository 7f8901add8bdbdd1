/**
 * A load-generator thread: opens its connections, runs a closed loop of point lookups on
 * each (send, wait for the answer, send the next), and records every latency. It runs in a
 * worker thread so the client's event loop is not the benchmark process's, and so the
 * servers (separate processes) are never sharing an event loop with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inlineParams, paramValues, type LoadJob, type QuerySpec, type WorkerMessage, type WorkerResult } from './loadgen-protocol';
import { readCpuTimes, busyFraction } from './machine';

const job = workerData as LoadJob;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

/** Every value stays the server's text: parsing rows into JS types would only add client
 *  cost, identical for both targets, and make the client the bottleneck sooner. */
const rawTypes = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

/** xorshift32: a cheap deterministic key stream per connection, uniform over [keyMin, keyMax]. */
function keyStream(seed: number, keyMax: number, keyMin = 1): () => number {
  const span = keyMax - keyMin + 1;
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return keyMin + (s % span);
  };
}

/** One lookup against the target: resolves to null for a right answer, else what was wrong. */
type Lookup = (key: number) => Promise<string | null>;

/** The default point lookup of the point-lookup scenario. */
function pointLookupSpec(table: string): QuerySpec {
  return { text: `SELECT * FROM ${table} WHERE id = $1`, params: ['key'], checkColumn: 'id', minRows: 1, maxRows: 1 };
}

async function sqlLookups(): Promise<{ lookups: Lookup[]; close: () => Promise<void> }> {
  const spec = job.query ?? pointLookupSpec(job.table);
  const clients = await Promise.all(
    Array.from({ length: job.connections }, async () => {
      const c = new pg.Client({ host: job.host, port: job.port, user: job.user, database: job.database, types: rawTypes });
      c.on('error', () => {});
      await c.connect();
      return c;
    }),
  );
  const extended = job.protocol === 'extended';
  const check = (r: pg.QueryResult, key: number): string | null => {
    if (r.rows.length < spec.minRows || r.rows.length > spec.maxRows) return `${r.rows.length} rows`;
    if (spec.checkColumn && r.rows[0][spec.checkColumn] !== String(key)) return `wrong ${spec.checkColumn}`;
    return null;
  };
  const lookups = clients.map(
    (client): Lookup =>
      extended
        ? async (key) => check(await client.query({ name: 'bench_lookup', text: spec.text, values: paramValues(spec, key) }), key)
        : async (key) => check(await client.query(inlineParams(spec.text, paramValues(spec, key))), key),
  );
  return { lookups, close: () => Promise.all(clients.map((c) => c.end().catch(() => {}))).then(() => {}) };
}

async function redisLookups(): Promise<{ lookups: Lookup[]; close: () => Promise<void> }> {
  const spec = job.redis!;
  const clients = await Promise.all(
    Array.from({ length: job.connections }, async () => {
      const c = new Redis({ host: job.host, port: job.port, protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      await c.connect();
      return c;
    }),
  );
  const lookups = clients.map(
    (client): Lookup =>
      spec.command === 'get'
        ? async (key) => ((await client.get(spec.keyPrefix + key)) === null ? 'missing key' : null)
        : async (key) => (Object.keys(await client.hgetall(spec.keyPrefix + key)).length === 0 ? 'missing key' : null),
  );
  return { lookups, close: () => Promise.all(clients.map((c) => c.quit().catch(() => {}))).then(() => {}) };
}

async function main(): Promise<void> {
  post({ type: 'progress', phase: 'connect', queries: 0 });
  const { lookups, close } = job.protocol === 'redis' ? await redisLookups() : await sqlLookups();

  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  const start = performance.now();
  const measureStart = start + job.warmupMs;
  const end = measureStart + job.durationMs;
  let queries = 0;
  let warmupQueries = 0;
  let errors = 0;
  let wrongRows = 0;
  let firstError: string | undefined;

  const loop = async (lookup: Lookup, nextKey: () => number) => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const key = nextKey();
      let wrong: string | null;
      try {
        wrong = await lookup(key);
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
        return;
      }
      const t1 = performance.now();
      if (wrong !== null) {
        wrongRows++;
        firstError ??= `key ${key}: ${wrong}`;
      }
      if (t0 >= measureStart) {
        histogram.recordValue(Math.max(1, Math.round((t1 - t0) * 1000)));
        queries++;
      } else {
        warmupQueries++;
      }
    }
  };

  const ticker = setInterval(() => {
    const now = performance.now();
    post(now < measureStart ? { type: 'progress', phase: 'warmup', queries: warmupQueries } : { type: 'progress', phase: 'measure', queries });
  }, 1000);

  // Snapshot CPU counters exactly at the start of the measured window.
  let cpuAtStart = process.cpuUsage();
  let machineAtStart = readCpuTimes();
  const startTimer = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    machineAtStart = readCpuTimes();
  }, job.warmupMs);

  let seed = job.seed;
  await Promise.all(lookups.map((l) => loop(l, keyStream(++seed * 2654435761, job.keyMax, job.keyMin))));
  clearInterval(ticker);
  clearTimeout(startTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  const machineAtEnd = readCpuTimes();
  await close();

  const result: WorkerResult = {
    queries,
    warmupQueries,
    errors,
    firstError,
    wrongRows,
    measuredMs: Math.max(0, Math.min(performance.now(), end) - measureStart),
    histogram: hdr.encodeIntoCompressedBase64(histogram),
    clientCpuUs: cpu.user + cpu.system,
    machineBusy: machineAtStart && machineAtEnd ? busyFraction(machineAtStart, machineAtEnd) : null,
  };
  post({ type: 'done', result });
}

main().catch((e) => {
  post({
    type: 'done',
    result: { queries: 0, warmupQueries: 0, errors: 1, firstError: (e as Error).message, wrongRows: 0, measuredMs: 0, histogram: '', clientCpuUs: 0, machineBusy: null },
  });
});
