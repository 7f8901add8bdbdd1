/**
 * In-process microbenchmark of the server side of a point lookup: the real pgwire
 * Connection state machine and frontend session over an in-memory table, fed with
 * pre-encoded frontend messages through a fake socket. No kernel, no client: it shows
 * what one query costs the server alone, which the network benchmark cannot separate.
 *
 *   node --import tsx bench/tools/inproc.ts [--rows N] [--queries N] [--protocol extended|simple|both] [--profile DIR] [--alloc]
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
import { FakeSocket, startProfiler } from './fake-socket';

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
    },
  });
  const rows = Number(values.rows);
  const queries = Number(values.queries);
  const { frontend, close } = await openTestFrontend();

  const sock = new FakeSocket();
  new Connection(sock as never, { manager: frontend, maxMessageSize: 1 << 26, log: () => {} });
  await sock.roundTrip(startupPacket('root', 'dev'));
  const q = (sql: string) => sock.roundTrip(serialize.query(sql));
  await q(createTableSql('t'));
  for (let from = 1; from <= rows; from += 1000) await q(insertSql('t', from, Math.min(from + 1000, rows + 1)));

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
    if (protocol === 'extended') {
      await sock.roundTrip(Buffer.concat([serialize.parse({ name: 's1', text: 'SELECT * FROM t WHERE id = $1', types: [] }), serialize.sync()]));
    }
    const run = async (n: number) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const key = String(nextKey());
        const frames =
          protocol === 'extended'
            ? Buffer.concat([serialize.bind({ statement: 's1', values: [key] }), serialize.execute({}), serialize.sync()])
            : serialize.query(`SELECT * FROM t WHERE id = ${key}`);
        await sock.roundTrip(frames);
      }
      return performance.now() - t0;
    };
    await run(Math.min(20000, queries)); // warm-up: let the JIT settle
    const before = sock.bytesOut;
    const profiler = values.profile ? await startProfiler() : null;
    const sampler = values.alloc ? await startAllocationSampler() : null;
    const cpu0 = process.cpuUsage();
    const ms = await run(queries);
    const cpu = process.cpuUsage(cpu0);
    if (profiler) await profiler.stop(join(values.profile!, `inproc-${protocol}.cpuprofile`));
    if (sampler) console.log(await sampler.stop(queries));
    console.log(
      `${protocol.padEnd(8)} ${queries} queries: ${((ms * 1000) / queries).toFixed(2)} µs/query wall, ` +
        `${((cpu.user + cpu.system) / queries).toFixed(2)} µs/query CPU (the figure to compare on a busy machine), ` +
        `${((sock.bytesOut - before) / queries).toFixed(0)} B/answer`,
    );
  }
  await close();
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
