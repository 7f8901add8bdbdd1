/**
 * Ingest from datagen (`npm run bench -- ingest --load datagen`, Freshet only): the seed's
 * `user_events` is a datagen source generating the events inside the server
 * (`seedUserEventsDatagen`), read by the three seed MVs verbatim; `transactions` stays an
 * empty table. No client sends anything, so the figure is what the engine sustains with a
 * source of its own: from CREATE of the MVs until the source has handed every event to
 * user_session_features (rw_mv_freshness.rows_in = events) and FLUSH returns.
 *
 * Datagen draws its values at random, so there is no client-side total to check the
 * features against; the run checks what it can: exactly `events` rows read, every user
 * present in user_session_features and ml_feature_vector, and per-user counts summing to
 * the events inside the window.
 */
import { loadavg } from 'node:os';
import { PIPELINE_MODE_TEXT, seedUserEventsDatagen } from '../lib/feature-pipeline';
import { peakRssMiB, processTreeCpuSeconds } from '../lib/machine';
import { checkpointsTaken, connect, settle, startPipelineTarget } from '../lib/pipeline-run';
import { fmtQps } from '../lib/report';
import type { ScenarioOptions } from '../lib/scenario';
import { type CheckpointMode, type IngestRun, disableCheckpoints, emptyRun } from './ingest';

/** How often the source's progress is polled, ms. */
const POLL_MS = 100;

export async function runDatagen(o: ScenarioOptions, cfg: { users: number; events: number }, checkpoints: CheckpointMode): Promise<IngestRun> {
  const r = emptyRun('freshet', 'datagen', checkpoints);
  const n = cfg.events;
  o.log(`starting freshet; user_events is a datagen source of ${n.toLocaleString('en-US')} events over ${cfg.users.toLocaleString('en-US')} users…`);
  // The MVs start reading the source as they are created: the server's CPU is counted
  // from before that, with the pipeline created by startPipelineTarget after the spawn.
  let started;
  let cpu0: number | null = null;
  let ckpt0: number | null = null;
  let t0 = 0;
  try {
    started = await startPipelineTarget('freshet', o.profileDir, {
      userEventsSource: seedUserEventsDatagen(n, cfg.users),
      beforeMvs: async (target) => {
        if (checkpoints === 'off') await disableCheckpoints(o, 'freshet', target);
        ckpt0 = await checkpointsTaken(target);
        const pid = target.serverPid();
        cpu0 = pid === null ? null : processTreeCpuSeconds(pid);
        t0 = performance.now();
      },
    });
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
    o.log(`  freshet: UNAVAILABLE — ${r.failure}`);
    return r;
  }
  const { target, pipeline } = started;
  r.version = target.version;
  r.mode = pipeline.mode;
  o.log(`  freshet: ${target.version}; pipeline: ${PIPELINE_MODE_TEXT[pipeline.mode]}`);
  const client = await connect(target);
  try {
    for (;;) {
      const q = await client.query({ text: "SELECT rows_in FROM rw_catalog.rw_mv_freshness WHERE name = 'user_session_features'", rowMode: 'array' });
      const read = Number(q.rows[0]?.[0] ?? 0);
      const s = (performance.now() - t0) / 1000;
      o.progress.update(`freshet (datagen): ${read.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} events, ${fmtQps(read / s)} events/s`, read / n);
      if (read >= n) break;
      if (s > 3600) throw new Error(`the datagen source read only ${read} of ${n} events in an hour`);
      await new Promise((res) => setTimeout(res, POLL_MS));
    }
    r.insertSeconds = (performance.now() - t0) / 1000;
    r.flushSeconds = await settle(target);
    r.endToEndSeconds = (performance.now() - t0) / 1000;
    const pid = target.serverPid();
    const cpu1 = pid === null ? null : processTreeCpuSeconds(pid);
    const ckpt1 = await checkpointsTaken(target);
    r.checkpointsTaken = ckpt0 !== null && ckpt1 !== null ? ckpt1 - ckpt0 : null;
    r.eventRows = n;
    r.eventsPerS = n / r.endToEndSeconds;
    r.serverCpuUsPerEvent = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) * 1e6) / n : null;
    r.loadAverage1m[1] = loadavg()[0];
    if (pid !== null) r.serverPeakRssMiB = peakRssMiB(pid);
    o.progress.done(
      `  freshet (datagen): ${n.toLocaleString('en-US')} events in ${r.endToEndSeconds.toFixed(1)} s end to end = ${fmtQps(r.eventsPerS)} events/s` +
        (r.serverCpuUsPerEvent !== null ? `, server CPU ${r.serverCpuUsPerEvent.toFixed(1)} µs/event` : ''),
    );
    const v0 = performance.now();
    await verify(client, n, cfg.users, r);
    r.verifySeconds = (performance.now() - v0) / 1000;
    r.verified = r.mismatches.length === 0;
    o.log(`  freshet: verification ${r.verified ? 'passed' : `FAILED: ${r.mismatches.join('; ')}`} (${r.verifySeconds.toFixed(2)} s)`);
  } catch (e) {
    r.failure = (e as Error).message.split('\n')[0];
    o.log(`  freshet: FAILED — ${r.failure}\n${target.logTail()}`);
  } finally {
    await client.end().catch(() => {});
    await target.stop().catch(() => {});
  }
  return r;
}

/** What can be checked without knowing the generated values (see the file comment). */
async function verify(client: Awaited<ReturnType<typeof connect>>, n: number, users: number, r: IngestRun): Promise<void> {
  const one = async (sql: string) => (await client.query({ text: sql, rowMode: 'array' })).rows[0].map((x: unknown) => String(x));
  const expect = (what: string, got: string[], want: string[]) => {
    if (got.join('|') !== want.join('|')) r.mismatches.push(`${what}: got ${got.join(', ')}, expected ${want.join(', ')}`);
  };
  // Every user is drawn with probability 1 - (1 - 1/users)^n: all of them, for n ≫ users.
  const expectUsers = n >= users * 20 ? String(users) : null;
  const sessions = await one('SELECT count(*), min(user_id), max(user_id), sum(unique_items_30m) > 0, sum(clicks_30m + views_30m) FROM user_session_features');
  if (expectUsers) expect('user_session_features users', sessions.slice(0, 3), [expectUsers, '1', String(users)]);
  expect('user_session_features distinct items, clicks + views', sessions.slice(3), ['true', '0']);
  const vector = await one('SELECT count(*) FROM ml_feature_vector');
  expect('ml_feature_vector rows', vector, [sessions[0]]);
}
