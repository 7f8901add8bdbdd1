/**
 * One Nexmark query in one process, no server: the nexmark scenario's sources and MV
 * (lib/nexmark-queries.ts) on an in-process node — durable under a temporary data dir, as
 * `freshet start` runs, unless --memory — run to completion. Reports CPU µs per event and
 * events per CPU-second (process.cpuUsage over CREATE → done; GC included), which compare
 * between code versions far better than the scenario's wall clock on a busy machine.
 *
 *   node --import tsx bench/tools/nexmark-inproc.ts q0 [--events 1000000] [--memory] [--profile /tmp/prof]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openTestFrontend } from '../../packages/frontend/src/query/testing';
import { createSourceSql, NEXMARK_QUERIES, rowsOfType } from '../lib/nexmark-queries';
import { startProfiler } from './fake-socket';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { events: { type: 'string', default: '1000000' }, memory: { type: 'boolean', default: false }, profile: { type: 'string' } },
});
const ids = positionals.length > 0 ? positionals : ['q0'];
const events = Number(values.events);

for (const id of ids) {
  const q = NEXMARK_QUERIES.find((x) => x.id === id);
  if (!q?.sql) throw new Error(`no runnable nexmark query ${id}`);
  const dir = values.memory ? undefined : mkdtempSync(join(tmpdir(), 'freshet-nexmark-'));
  const { frontend, close } = await openTestFrontend({ dataDir: dir });
  const session = await frontend.connect({ user: 'root', database: 'dev', params: {} });
  const run = async (sql: string) => {
    const out: unknown[][] = [];
    for (const portal of await session.simpleQuery(sql)) out.push(...(await portal.execute(0)).rows);
    return out;
  };
  for (const t of ['person', 'auction', 'bid'] as const) await run(createSourceSql(t, events));
  for (const s of q.setup ?? []) await run(s);
  const expected = q.reads.reduce((n, t) => n + rowsOfType(t, events), 0);
  const profiler = values.profile ? await startProfiler() : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(q.sql);
  let rowsIn = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const [row] = await run(`SELECT rows_in, lag_ms FROM rw_catalog.rw_mv_freshness WHERE name = 'nexmark_${id}'`);
    rowsIn = Number(row?.[0] ?? 0);
    if (rowsIn >= expected && Number(row?.[1]) === 0) break;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const wallS = (performance.now() - t0) / 1000;
  await profiler?.stop(join(values.profile!, `nexmark-${id}.cpuprofile`));
  console.log(
    `${id}: ${events.toLocaleString('en-US')} events, rows in ${rowsIn.toLocaleString('en-US')}, CPU ${cpuS.toFixed(2)} s, wall ${wallS.toFixed(2)} s: ` +
      `${((cpuS * 1e6) / events).toFixed(2)} µs CPU per event, ${Math.round(events / cpuS / 1000)}K events per CPU-s${values.memory ? ' (in memory)' : ''}`,
  );
  session.close();
  await close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
