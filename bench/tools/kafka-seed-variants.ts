/**
 * Where the seed pipeline's Kafka read time goes: the same topic (N seed user events,
 * produced once) read at full speed by a fresh `freshet start` server per variant — the seed
 * verbatim, then user_session_features alone and with parts removed (temporal filter,
 * COUNT DISTINCT, MAX). Reports events/s and server CPU µs per event (the server's process
 * tree, GC included, CREATE → the source has read everything). A diagnostic for
 * `freshness --source kafka` missing its 50,000 events/s target, not a benchmark.
 *
 *   node --import tsx bench/tools/kafka-seed-variants.ts [--events 200000] [--users 10000]
 *     [--only 0,1] (variants by index; 0 = the seed verbatim) [--repeat N] [--profile DIR]
 *     [--reader] (instead: the Kafka source reader alone, in this process, no engine)
 *
 * "engine thread" is the server's main thread alone (/proc/PID/task/PID): the one thread
 * that runs the dataflow, and what must stay under 1 s per s for a source to keep up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTopic, kafkaClient, openProducer, produceRange, startBrokerProcess } from '../lib/connector-services';
import { SEED_MVS, SEED_USER_EVENTS_TOPIC, SOURCE_TABLES_SQL, seedUserEventsSource, userEventMessage, withoutTemporalFilter } from '../lib/feature-pipeline';
import { processTreeCpuSeconds, threadCpuSeconds } from '../lib/machine';
import { connect, FRESHET_HEAP_MB } from '../lib/pipeline-run';
import { startTarget } from '../lib/targets';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    users: { type: 'string', default: '10000' },
    only: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    profile: { type: 'string' },
    reader: { type: 'boolean', default: false },
  },
});
const n = Number(values.events);
const users = Number(values.users);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
const sessions = SEED_MVS[1];
const noDistinct = (sql: string) => sql.replace('COUNT(DISTINCT item_id)', 'COUNT(item_id)');
const noMax = (sql: string) => sql.replace('MAX(timestamp) AS last_event_at', 'COUNT(*) AS last_event_at');
const VARIANTS: [string, string[]][] = [
  ['seed verbatim (3 MVs)', SEED_MVS.map((m) => m.sql)],
  ['user_session_features alone', [sessions.sql]],
  ['  without its temporal filter', [withoutTemporalFilter(sessions.sql)]],
  ['  without temporal filter and DISTINCT', [noDistinct(withoutTemporalFilter(sessions.sql))]],
  ['  with temporal filter, no DISTINCT, no MAX', [noMax(noDistinct(sessions.sql))]],
  ['seed without temporal filters (3 MVs)', SEED_MVS.map((m) => withoutTemporalFilter(m.sql))],
];

/** CPU seconds per thread name (V8 GC helpers, libuv's pool, LevelDB, …) of process `pid`. */
function threadsByName(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = tid === String(pid) ? 'engine (main)' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(name, (out.get(name) ?? 0) + (threadCpuSeconds(pid, Number(tid)) ?? 0));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** The seed source's reader alone, drained in this process: the connector's own cost. */
async function readerOnly(bootstrap: string): Promise<void> {
  const { KafkaSourceReader } = await import('@freshet/connectors');
  const { T } = await import('@freshet/common');
  const columns = [
    { name: 'user_id', type: T.Int64 },
    { name: 'event_type', type: T.Varchar },
    { name: 'item_id', type: T.Int64 },
    { name: 'timestamp', type: T.Timestamptz },
  ];
  const spec = { name: 'user_events', connector: 'kafka', options: { connector: 'kafka', topic: SEED_USER_EVENTS_TOPIC, 'properties.bootstrap.server': bootstrap }, columns, format: { format: 'plain', encode: 'json', options: {} } };
  const reader = new KafkaSourceReader(spec, { now: Date.now, columns: [true, true, false, true] });
  const cpu0 = process.cpuUsage();
  const main0 = threadCpuSeconds(process.pid)!;
  const t0 = performance.now();
  let got = 0;
  while (got < n) {
    const rows = reader.pull(1024);
    got += rows.length;
    if (rows.length === 0) await new Promise((r) => setImmediate(r));
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainS = threadCpuSeconds(process.pid)! - main0;
  console.log(
    `reader alone (in process) ${Math.round(n / wallS).toLocaleString('en-US').padStart(8)} events/s  ${(((cpu.user + cpu.system) / n)).toFixed(1)} process CPU µs/event, ` +
      `${((mainS * 1e6) / n).toFixed(1)} main thread  (load ${loadavg()[0].toFixed(1)})`,
  );
  await reader.close();
}

const broker = await startBrokerProcess(repoRoot, 4);
try {
  const kafka = kafkaClient(broker.bootstrap);
  await createTopic(kafka, SEED_USER_EVENTS_TOPIC, 4);
  const producer = await openProducer(kafka);
  const ts = new Date().toISOString();
  await produceRange(producer, SEED_USER_EVENTS_TOPIC, 4, n, (i) => userEventMessage(i, users, ts));
  await producer.disconnect();
  console.log(`${n.toLocaleString('en-US')} seed user events in ${SEED_USER_EVENTS_TOPIC}; each variant on a fresh server, read from the earliest offset`);
  if (values.reader) {
    for (let r = 0; r < Number(values.repeat); r++) await readerOnly(broker.bootstrap);
  }
  const only = values.reader ? [] : values.only?.split(',').map(Number);
  const chosen = VARIANTS.filter((_, i) => only === undefined || only.includes(i));
  const runs = chosen.flatMap((v) => Array.from({ length: Number(values.repeat) }, () => v));
  for (const [name, mvs] of runs) {
    const target = await startTarget('freshet', { sharedBuffers: '', freshetHeapMb: FRESHET_HEAP_MB, freshetProfileDir: values.profile });
    try {
      const sql = await connect(target);
      await sql.query(seedUserEventsSource(broker.bootstrap));
      await sql.query(SOURCE_TABLES_SQL[1]);
      const pid = target.serverPid()!;
      const cpu0 = processTreeCpuSeconds(pid)!;
      const engine0 = threadCpuSeconds(pid)!;
      const threads0 = threadsByName(pid);
      const t0 = performance.now();
      for (const mv of mvs) await sql.query(mv);
      for (;;) {
        const q = await sql.query({ text: "SELECT rows_in FROM rw_catalog.rw_mv_freshness WHERE name = 'user_session_features'", rowMode: 'array' });
        if (Number(q.rows[0]?.[0] ?? 0) >= n) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = processTreeCpuSeconds(pid)! - cpu0;
      const engineS = threadCpuSeconds(pid)! - engine0;
      const threads = [...threadsByName(pid)].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
      console.log(
        `${name.padEnd(44)} ${Math.round(n / wallS).toLocaleString('en-US').padStart(8)} events/s  ${((cpuS * 1e6) / n).toFixed(1).padStart(6)} server CPU µs/event  ${((engineS * 1e6) / n).toFixed(1).padStart(6)} engine thread  ` +
          `(${(cpuS / wallS).toFixed(2)} cores, load ${loadavg()[0].toFixed(1)})`,
      );
      console.log(`  by thread (µs/event): ${threads.map(([k, v]) => `${k} ${((v * 1e6) / n).toFixed(1)}`).join(', ')}`);
      await sql.end();
    } finally {
      await target.stop();
    }
  }
} finally {
  await broker.stop();
}
