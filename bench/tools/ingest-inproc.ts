/**
 * In-process harness for the ingest path: the seed feature pipeline (its tables and three
 * MVs, verbatim) in one process, fed through the real pgwire Connection and frontend
 * session with the same prepared multi-row INSERTs as `npm run bench -- ingest` (Parse
 * once, Bind with text parameters per batch), pre-encoded, through a fake socket. It
 * reports CPU µs per event of the server code alone (pgwire → INSERT → storage → stream
 * graphs → barriers), which stays comparable on a busy machine, and checks the MVs
 * against the client-side totals at the end.
 *
 *   node --import tsx bench/tools/ingest-inproc.ts [--users N] [--events N] [--batch-rows N]
 *        [--load insert|copy] [--barrier-ms N] [--checkpoint-frequency N] [--alloc-top N] [--data-dir DIR]
 *        [--object-store none|DIR] [--memory-limit SIZE] [--profile DIR] [--heap-snapshot FILE]
 *
 * `--alloc-top N` samples allocations during the measured run (V8's sampling heap profiler,
 * objects collected young included) and prints the N functions allocating the most bytes.
 *
 * `--load copy` sends each batch as `COPY t (cols) FROM STDIN` (Query, one CopyData with
 * the batch's text-format rows, CopyDone) per table instead of Bind/Execute.
 *
 * In-memory storage unless --data-dir is given (then commits go to LevelDB as in
 * `freshet start`, uploading to `<data-dir>/checkpoints` unless `--object-store` says
 * otherwise: `none` measures the node without the uploader's share). Between batches the loop yields to the event loop, so the streaming
 * engine's barrier timer fires as it does in the server.
 */
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serialize } from 'pg-protocol';
import { Connection } from '../../packages/pgwire/src/protocol/connection';
import { parseByteSize } from '../../packages/storage/src';
import { openTestFrontend } from '../../packages/frontend/src/query/testing';
import {
  SEED_MVS,
  SOURCE_TABLES_SQL,
  TX_EVERY,
  eventBatch,
  expectedFeatures,
  insertSql,
  timestampText,
  verificationQueries,
} from '../lib/feature-pipeline';
import { FakeSocket, errorIn, startProfiler } from './fake-socket';

/**
 * CPU milliseconds per thread of this process (Linux /proc; null elsewhere). The main
 * thread is where the engine runs and is the bottleneck; the others — V8's concurrent GC
 * helpers, libuv's pool (LevelDB batch writes) and LevelDB's compaction thread — take CPU
 * that a 2-core machine would otherwise give the client.
 */
function threadCpuMs(): Map<string, number> | null {
  const dir = '/proc/self/task';
  if (!existsSync(dir)) return null;
  const tick = 10; // USER_HZ = 100 on Linux
  const out = new Map<string, number>();
  for (const tid of readdirSync(dir)) {
    try {
      const stat = readFileSync(`${dir}/${tid}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = tid === String(process.pid) ? 'main' : `${readFileSync(`${dir}/${tid}/comm`, 'latin1').trim()}#${tid}`;
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * tick);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** "main X, other threads Y (t1 a, t2 b, …)" in µs per event; threads Node leaves unnamed show as node#tid. */
function threadBreakdown(before: Map<string, number>, after: Map<string, number>, events: number): string {
  const per = [...after]
    .map(([name, ms]): [string, number] => [name, ((ms - (before.get(name) ?? 0)) * 1000) / events])
    .filter(([, us]) => us >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const main = per.find(([n]) => n === 'main')?.[1] ?? 0;
  const others = per.filter(([n]) => n !== 'main');
  const total = others.reduce((a, [, us]) => a + us, 0);
  return `main ${main.toFixed(2)}, other threads ${total.toFixed(2)} (${others.map(([n, us]) => `${n} ${us.toFixed(2)}`).join(', ')})`;
}

/** Text of the first DataRow in server output. */
function firstDataRow(out: Buffer): string[] | null {
  let at = 0;
  while (at + 5 <= out.length) {
    const type = out[at];
    const len = out.readInt32BE(at + 1);
    if (type === 0x44) {
      const n = out.readInt16BE(at + 5);
      const row: string[] = [];
      let p = at + 7;
      for (let i = 0; i < n; i++) {
        const l = out.readInt32BE(p);
        p += 4;
        row.push(l < 0 ? 'NULL' : out.subarray(p, p + l).toString('utf8'));
        if (l > 0) p += l;
      }
      return row;
    }
    at += 1 + len;
  }
  return null;
}

/** Query `COPY target FROM STDIN`, one CopyData with the rows (4 values each) as text format, CopyDone. */
function copyFrames(target: string, values: readonly string[]): Buffer {
  let text = '';
  for (let i = 0; i < values.length; i += 4) text += `${values[i]}\t${values[i + 1]}\t${values[i + 2]}\t${values[i + 3]}\n`;
  return Buffer.concat([serialize.query(`COPY ${target} FROM STDIN`), serialize.copyData(Buffer.from(text)), serialize.copyDone()]);
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Allocation sampling (every 32 KiB on average), young garbage included; `stop` returns a per-function table. */
async function startAllocationSampling(): Promise<{ stop(top: number, events: number): Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop(top, events) {
      const { profile } = await post('HeapProfiler.stopSampling');
      session.disconnect();
      const bySite = new Map<string, number>();
      let total = 0;
      const walk = (n: SamplingNode) => {
        if (n.selfSize > 0) {
          const f = n.callFrame;
          const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/work\/main\//, '')}:${f.lineNumber + 1}`;
          bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
          total += n.selfSize;
        }
        for (const c of n.children) walk(c);
      };
      walk(profile.head);
      const rows = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top);
      return [
        `allocated ≈ ${(total / 2 ** 20).toFixed(0)} MiB (${(total / events).toFixed(0)} B/event), top sites:`,
        ...rows.map(([site, bytes]) => `  ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${(bytes / events).toFixed(0).padStart(5)} B/event  ${site}`),
      ].join('\n');
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '10000' },
      events: { type: 'string', default: '500000' },
      'batch-rows': { type: 'string', default: '1000' },
      load: { type: 'string', default: 'insert' },
      'barrier-ms': { type: 'string' },
      'checkpoint-frequency': { type: 'string' },
      'alloc-top': { type: 'string' },
      'data-dir': { type: 'string' },
      'object-store': { type: 'string' },
      'memory-limit': { type: 'string' },
      profile: { type: 'string' },
      'heap-snapshot': { type: 'string' },
    },
  });
  const users = Number(values.users);
  const events = Number(values.events);
  const batchRows = Number(values['batch-rows']);
  const copy = values.load === 'copy';
  if (!copy && values.load !== 'insert') throw new Error('--load must be insert or copy');
  if (batchRows % TX_EVERY !== 0) throw new Error(`--batch-rows must be a multiple of ${TX_EVERY}`);
  const objectStore = values['object-store'];
  const memoryLimit = values['memory-limit'] ? parseByteSize(values['memory-limit']) : undefined;
  if (memoryLimit !== undefined && !values['data-dir']) throw new Error('--memory-limit needs --data-dir (cold state is read from LevelDB)');
  const { frontend, close } = await openTestFrontend({ dataDir: values['data-dir'], storage: objectStore || memoryLimit ? { objectStore, memoryLimit } : undefined });
  const sock = new FakeSocket(true);
  new Connection(sock as never, { manager: frontend, maxMessageSize: 1 << 26, log: () => {} });
  await sock.roundTrip(serialize.startup({ user: 'root', database: 'dev' }));
  const q = async (sql: string) => {
    await sock.roundTrip(serialize.query(sql));
    const out = sock.takeOutput();
    const err = errorIn(out);
    if (err) throw new Error(`${sql}: ${err}`);
    return out;
  };
  if (values['barrier-ms']) await q(`ALTER SYSTEM SET barrier_interval_ms TO '${Number(values['barrier-ms'])}'`);
  if (values['checkpoint-frequency']) await q(`ALTER SYSTEM SET checkpoint_frequency TO '${Number(values['checkpoint-frequency'])}'`);
  for (const s of SOURCE_TABLES_SQL) await q(s);
  for (const mv of SEED_MVS) await q(mv.sql);

  // Pre-encode every batch (Bind/Execute per table, then Sync) so the run measures the server only.
  // A timestamp per batch, as the load generator's (one per millisecond there, at most): MAX
  // over a table keeps every distinct (user, timestamp), and one timestamp for the whole run
  // left that multiset a key per user, hiding its cost.
  const tsBase = Date.now();
  const evRows = (batchRows / TX_EVERY) * (TX_EVERY - 1);
  const txRows = batchRows / TX_EVERY;
  await sock.roundTrip(
    Buffer.concat([
      serialize.parse({ name: 'ev', text: insertSql('user_events', evRows), types: [] }),
      serialize.parse({ name: 'tx', text: insertSql('transactions', txRows), types: [] }),
      serialize.sync(),
    ]),
  );
  sock.takeOutput();
  /** Per batch, the round trips (each ends with one ReadyForQuery). */
  const frames: Buffer[][] = [];
  for (let from = 0; from < events; from += batchRows) {
    const to = Math.min(from + batchRows, events);
    const b = eventBatch(from, to, users, timestampText(tsBase + from / batchRows));
    const full = to - from === batchRows;
    const parts: Buffer[] = [];
    if (copy) {
      const trips: Buffer[] = [];
      if (b.eventRows) trips.push(copyFrames('user_events (user_id, event_type, item_id, timestamp)', b.events));
      if (b.transactionRows) trips.push(copyFrames('transactions (transaction_id, user_id, amount, created_at)', b.transactions));
      frames.push(trips);
      continue;
    }
    if (!full) {
      if (b.eventRows) parts.push(serialize.parse({ name: 'ev_last', text: insertSql('user_events', b.eventRows), types: [] }));
      if (b.transactionRows) parts.push(serialize.parse({ name: 'tx_last', text: insertSql('transactions', b.transactionRows), types: [] }));
    }
    if (b.eventRows) parts.push(serialize.bind({ statement: full ? 'ev' : 'ev_last', values: b.events }), serialize.execute({}));
    if (b.transactionRows) parts.push(serialize.bind({ statement: full ? 'tx' : 'tx_last', values: b.transactions }), serialize.execute({}));
    parts.push(serialize.sync());
    frames.push([Buffer.concat(parts)]);
  }

  const profiler = values.profile ? await startProfiler() : null;
  const allocs = values['alloc-top'] ? await startAllocationSampling() : null;
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < frames.length; i++) {
    for (const trip of frames[i]) await sock.roundTrip(trip);
    if ((i & 15) === 0) {
      const err = errorIn(sock.takeOutput());
      if (err) throw new Error(`batch ${i}: ${err}`);
    }
    // Let timers (the barrier interval) run, as they do between network reads in the server.
    await new Promise((r) => setImmediate(r));
  }
  const tIns = performance.now();
  await q('FLUSH');
  if (values['heap-snapshot']) console.log(`heap snapshot: ${writeHeapSnapshot(values['heap-snapshot'])}`);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const threads = threadCpuMs();
  if (profiler) await profiler.stop(join(values.profile!, 'ingest-inproc.cpuprofile'));
  if (allocs) console.log(await allocs.stop(Number(values['alloc-top']), events));
  const us = cpu.user + cpu.system;
  console.log(
    `${events} events, ${users} users, ${batchRows}-event batches (${copy ? 'COPY' : 'INSERT'}): ${(t1 - t0).toFixed(0)} ms wall ` +
      `(inserts ${(tIns - t0).toFixed(0)} ms, FLUSH ${(t1 - tIns).toFixed(0)} ms), ` +
      `${(us / events).toFixed(2)} µs CPU/event = ${Math.round((events * 1e6) / us).toLocaleString('en-US')} events per CPU-second, ` +
      `${Math.round((events * 1000) / (t1 - t0)).toLocaleString('en-US')} events/s wall, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`,
  );
  if (threads && threads0) console.log(`CPU µs/event by thread: ${threadBreakdown(threads0, threads, events)}`);

  const expected = expectedFeatures(events, users);
  let ok = true;
  for (const v of verificationQueries(expected)) {
    const got = firstDataRow(await q(v.sql));
    if (JSON.stringify(got) !== JSON.stringify(v.expect)) {
      ok = false;
      console.log(`MISMATCH ${v.sql}: got ${JSON.stringify(got)}, expected ${JSON.stringify(v.expect)}`);
    }
  }
  console.log(ok ? 'verified: MVs match the client-side totals' : 'NOT VERIFIED');
  await close();
  if (!ok) process.exitCode = 1;
}

await main();
