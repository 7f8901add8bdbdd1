/**
 * In-process microbenchmark of the server side of a point lookup: the real pgwire
 * Connection state machine and frontend session over an in-memory table, fed with
 * pre-encoded frontend messages through a fake socket. No kernel, no client: it shows
 * what one query costs the server alone, which the network benchmark cannot separate.
 *
 *   node --import tsx bench/tools/inproc.ts [--rows N] [--queries N] [--protocol extended|simple|both] [--profile DIR] [--alloc]
 *   node --import tsx bench/tools/inproc.ts --query join|risk [--users N] [--queries N] [--protocol …]
 *
 * --query lookup (default): `SELECT * FROM t WHERE id = $1` over a table of --rows rows.
 * --query join: seed 004's serving join (bench/lib/serving-model.ts, verbatim) over its two
 * MVs, built from --users users' events streamed in as the serving scenario streams them;
 * the first 1,000 answers of each protocol are checked (no error, at least one row).
 * --query risk: the serving scenario's hot-key lookup, `SELECT * FROM user_risk_features WHERE
 * user_id = $1`, over the same MVs (an MV point lookup rather than a table's).
 *
 * --profile writes one .cpuprofile per protocol covering only the measured queries
 * (summarise with bench/tools/profile-summary.ts).
 * --alloc samples allocations over the measured queries (short-lived ones included) and
 * prints bytes allocated per query and the top allocation sites: on a real socket every
 * byte allocated per query is young-generation GC work, and scavenge pauses stall every
 * connection at once (the serving benchmark's p99).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serialize } from 'pg-protocol';
import { Session } from 'node:inspector';
import { Connection } from '../../packages/pgwire/src/protocol/connection';
import { openTestFrontend } from '../../packages/frontend/src/query/testing';
import { createTableSql, insertSql } from '../lib/dataset';
import { inlineParams } from '../lib/loadgen-protocol';
import {
  FEATURES,
  PAGE_COLUMNS,
  SERVING_JOIN_SQL,
  SESSION_INDEX_SQL,
  SOURCE_TABLES_SQL,
  type ServingData,
  TXN_COLUMNS,
  multiRowInsertSql,
  pageEventCount,
  pageEventParams,
  transactionCount,
  transactionParams,
} from '../lib/serving-model';
import { FakeSocket, errorIn, startProfiler } from './fake-socket';

function startupPacket(user: string, database: string): Buffer {
  return serialize.startup({ user, database });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      queries: { type: 'string', default: '200000' },
      protocol: { type: 'string', default: 'both' },
      profile: { type: 'string' },
      alloc: { type: 'boolean', default: false },
      query: { type: 'string', default: 'lookup' },
      users: { type: 'string', default: '20000' },
    },
  });
  const servingMvs = values.query === 'join' || values.query === 'risk';
  if (!servingMvs && values.query !== 'lookup') throw new Error(`--query: lookup, join or risk, not ${values.query}`);
  const queries = Number(values.queries);
  const { frontend, close } = await openTestFrontend();

  const sock = new FakeSocket(true);
  new Connection(sock as never, { manager: frontend, maxMessageSize: 1 << 26, log: () => {} });
  await sock.roundTrip(startupPacket('root', 'dev'));
  const q = async (sql: string) => {
    await sock.roundTrip(serialize.query(sql));
    const err = errorIn(sock.takeOutput());
    if (err) throw new Error(`${sql.slice(0, 80)}: ${err}`);
  };
  // Keys are drawn from 1..rows; the statement's $1 is the key.
  const rows = servingMvs ? Number(values.users) : Number(values.rows);
  const text = values.query === 'join' ? SERVING_JOIN_SQL : values.query === 'risk' ? 'SELECT * FROM user_risk_features WHERE user_id = $1' : 'SELECT * FROM t WHERE id = $1';
  if (servingMvs) await loadServing(sock, q, rows);
  else {
    await q(createTableSql('t'));
    for (let from = 1; from <= rows; from += 1000) await q(insertSql('t', from, Math.min(from + 1000, rows + 1)));
  }
  sock.takeOutput();

  let seed = 12345;
  const nextKey = () => {
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return 1 + (seed % rows);
  };

  const protocols = values.protocol === 'both' ? ['extended', 'simple'] : [values.protocol!];
  for (const protocol of protocols) {
    // Answers are checked on the loading connection (which keeps its output); the measured
    // queries run on a fresh one that keeps nothing, so the figures are the server's alone.
    const measured = new FakeSocket();
    new Connection(measured as never, { manager: frontend, maxMessageSize: 1 << 26, log: () => {} });
    await measured.roundTrip(startupPacket('root', 'dev'));
    const run = async (s: FakeSocket, n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const key = String(nextKey());
        const frames =
          protocol === 'extended'
            ? Buffer.concat([serialize.bind({ statement: 's1', values: [key] }), serialize.execute({}), serialize.sync()])
            : serialize.query(inlineParams(text, [key]));
        await s.roundTrip(frames);
        if (s === sock) checkRows(sock.takeOutput(), key);
      }
      return performance.now() - t0;
    };
    for (const s of [sock, measured]) {
      if (protocol === 'extended') await s.roundTrip(Buffer.concat([serialize.parse({ name: 's1', text, types: [] }), serialize.sync()]));
    }
    sock.takeOutput();
    await run(sock, 1000);
    await run(measured, Math.min(20000, queries)); // warm-up: let the JIT settle
    const before = sock.bytesOut;
    const profiler = values.profile ? await startProfiler() : null;
    const sampler = values.alloc ? await startAllocationSampler() : null;
    const cpu0 = process.cpuUsage();
    const ms = await run(measured, queries);
    const cpu = process.cpuUsage(cpu0);
    if (profiler) await profiler.stop(join(values.profile!, `inproc-${protocol}.cpuprofile`));
    if (sampler) console.log(await sampler.stop(queries));
    console.log(
      `${protocol.padEnd(8)} ${queries} queries: ${((ms * 1000) / queries).toFixed(2)} µs/query wall, ` +
        `${((cpu.user + cpu.system) / queries).toFixed(2)} µs/query CPU (the figure to compare on a busy machine), ` +
        `${((measured.bytesOut - before) / queries).toFixed(0)} B/answer`,
    );
    if (protocol === 'extended') await sock.roundTrip(Buffer.concat([serialize.close({ type: 'S', name: 's1' }), serialize.sync()]));
  }
  await close();
}

/** At least one DataRow and no error in one answer's bytes (every key exists; a join user may have 2 sessions). */
function checkRows(out: Buffer, key: string): void {
  const err = errorIn(out);
  if (err) throw new Error(`key ${key}: ${err}`);
  let dataRows = 0;
  for (let at = 0; at + 5 <= out.length; at += 1 + out.readInt32BE(at + 1)) if (out[at] === 0x44) dataRows++;
  if (dataRows < 1) throw new Error(`key ${key}: no rows`);
}

/**
 * Seed 004's source tables, its user_risk_features and session_activity MVs and the join's
 * index, then `users` users' events (one transaction each, 10 hot users with 100–1,000 more,
 * 1.5 sessions per user) as the serving scenario's prepared 500-row INSERTs, and FLUSH.
 */
async function loadServing(sock: FakeSocket, q: (sql: string) => Promise<void>, users: number): Promise<void> {
  const d: ServingData = { users, hotUsers: 10, baseTxns: 1, hotTxnsMin: 100, hotTxnsMax: 1000, sessions: Math.round(users * 1.5), pagesPerSession: 1 };
  for (const sql of SOURCE_TABLES_SQL) await q(sql);
  for (const f of FEATURES.slice(0, 2)) await q(`CREATE MATERIALIZED VIEW ${f.name} AS\n${f.select()}`);
  await q(SESSION_INDEX_SQL);
  const ts = new Date().toISOString();
  const load = async (table: string, columns: readonly string[], total: number, params: (i: number) => string[]) => {
    const batch = 500;
    for (let from = 0; from < total; from += batch) {
      const n = Math.min(batch, total - from);
      const values: string[] = [];
      for (let i = from; i < from + n; i++) values.push(...params(i));
      await sock.roundTrip(
        Buffer.concat([serialize.parse({ text: multiRowInsertSql(table, columns, n), types: [] }), serialize.bind({ values }), serialize.execute({}), serialize.sync()]),
      );
      const err = errorIn(sock.takeOutput());
      if (err) throw new Error(`INSERT INTO ${table}: ${err}`);
    }
  };
  await load('transactions', TXN_COLUMNS, transactionCount(d), (i) => transactionParams(d, i, ts));
  await load('page_events', PAGE_COLUMNS, pageEventCount(d), (j) => pageEventParams(d, j, ts));
  await q('FLUSH');
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * V8's sampling heap profiler over the measured queries, objects later collected by
 * scavenges and mark-compacts included (those are the per-query garbage). Its samples are
 * statistical (one per ~256 bytes), so the figures are estimates.
 */
async function startAllocationSampler(): Promise<{ stop(queries: number): Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(queries) {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
      session.disconnect();
      const sites = new Map<string, number>();
      let total = 0;
      const walk = (n: SamplingNode) => {
        if (n.selfSize > 0) {
          const f = n.callFrame;
          const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(packages|node_modules|bench)\//, '$1/')}:${f.lineNumber + 1}`;
          sites.set(key, (sites.get(key) ?? 0) + n.selfSize);
          total += n.selfSize;
        }
        for (const c of n.children) walk(c);
      };
      walk(profile.head);
      const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, 15);
      return [`  allocated ≈ ${(total / queries).toFixed(0)} B/query; top sites (B/query):`, ...top.map(([k, b]) => `  ${(b / queries).toFixed(0).padStart(6)}  ${k}`)].join('\n');
    },
  };
}

await main();
