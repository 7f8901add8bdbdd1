/**
 * Where the seed pipeline's Kafka read time goes: the same topic (N seed user events,
 * produced once) read at full speed by a fresh `freshet start` server per variant — the seed
 * verbatim, then user_session_features alone and with parts removed (temporal filter,
 * COUNT DISTINCT, MAX). Reports events/s and server CPU µs per event (the server's process
 * tree, GC included, CREATE → the source has read everything). A diagnostic for
 * `freshness --source kafka` missing its 50,000 events/s target, not a benchmark.
 *
 *   node --import tsx bench/tools/kafka-seed-variants.ts [--events 200000] [--users 10000]
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTopic, kafkaClient, openProducer, produceRange, startBrokerProcess } from '../lib/connector-services';
import { SEED_MVS, SEED_USER_EVENTS_TOPIC, SOURCE_TABLES_SQL, seedUserEventsSource, userEventMessage, withoutTemporalFilter } from '../lib/feature-pipeline';
import { processTreeCpuSeconds } from '../lib/machine';
import { connect, FRESHET_HEAP_MB } from '../lib/pipeline-run';
import { startTarget } from '../lib/targets';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, users: { type: 'string', default: '10000' } } });
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

const broker = await startBrokerProcess(repoRoot, 4);
try {
  const kafka = kafkaClient(broker.bootstrap);
  await createTopic(kafka, SEED_USER_EVENTS_TOPIC, 4);
  const producer = await openProducer(kafka);
  const ts = new Date().toISOString();
  await produceRange(producer, SEED_USER_EVENTS_TOPIC, 4, n, (i) => userEventMessage(i, users, ts));
  await producer.disconnect();
  console.log(`${n.toLocaleString('en-US')} seed user events in ${SEED_USER_EVENTS_TOPIC}; each variant on a fresh server, read from the earliest offset`);
  for (const [name, mvs] of VARIANTS) {
    const target = await startTarget('freshet', { sharedBuffers: '', freshetHeapMb: FRESHET_HEAP_MB });
    try {
      const sql = await connect(target);
      await sql.query(seedUserEventsSource(broker.bootstrap));
      await sql.query(SOURCE_TABLES_SQL[1]);
      const pid = target.serverPid()!;
      const cpu0 = processTreeCpuSeconds(pid)!;
      const t0 = performance.now();
      for (const mv of mvs) await sql.query(mv);
      for (;;) {
        const q = await sql.query({ text: "SELECT rows_in FROM rw_catalog.rw_mv_freshness WHERE name = 'user_session_features'", rowMode: 'array' });
        if (Number(q.rows[0]?.[0] ?? 0) >= n) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const wallS = (performance.now() - t0) / 1000;
      const cpuS = processTreeCpuSeconds(pid)! - cpu0;
      console.log(
        `${name.padEnd(44)} ${Math.round(n / wallS).toLocaleString('en-US').padStart(8)} events/s  ${((cpuS * 1e6) / n).toFixed(1).padStart(6)} server CPU µs/event  ` +
          `(${(cpuS / wallS).toFixed(2)} cores, load ${loadavg()[0].toFixed(1)})`,
      );
      await sql.end();
    } finally {
      await target.stop();
    }
  }
} finally {
  await broker.stop();
}
