/**
 * Point lookups by primary key on a 9-column feature table: the serving path of an ML
 * feature store. Freshet and PostgreSQL are loaded with the same rows and measured by the
 * same client code in the same run; cells are interleaved (target order alternating per
 * repeat) so drift on a shared machine hits both systems alike.
 */
import { runCell, type Measurement } from '../lib/loadgen';
import type { Protocol } from '../lib/loadgen-protocol';
import { loadTable } from '../lib/loader';
import { machineInfo, processTreeCpuSeconds } from '../lib/machine';
import { distributionEntries, latencyCdfChart, latencyChart, latencyHistogramChart, qpsChart } from '../lib/charts';
import { compare, fmtMs, fmtQps, renderMarkdown, renderSummary, type BenchResult, type CellResult, type TargetReport } from '../lib/report';
import type { Scenario, ScenarioOptions, ScenarioOutput } from '../lib/scenario';
import { NOISY_SPREAD_PCT, summarizeRuns } from '../lib/stats';
import { startTarget, type RunningTarget } from '../lib/targets';

const TABLE = 't';

export const pointLookup: Scenario = {
  name: 'point-lookup',
  description: 'SELECT * FROM t WHERE id = $1 on uniformly random existing keys, extended and simple protocol',
  run: async (o) => output(await run(o)),
};

function output(r: BenchResult): ScenarioOutput {
  return {
    scenario: r.scenario,
    scale: r.scale,
    date: r.date,
    data: r,
    markdown: renderMarkdown(r),
    charts: [
      { suffix: 'qps', title: 'QPS', svg: qpsChart(r) },
      { suffix: 'latency', title: 'latency', svg: latencyChart(r) },
      { suffix: 'cdf', title: 'latency CDF', svg: latencyCdfChart(`${r.scenario}: latency CDF at ${Math.max(...r.config.connections)} connections`, distributionEntries(r)) },
      { suffix: 'histogram', title: 'latency histogram', svg: latencyHistogramChart(`${r.scenario}: latency histogram at ${Math.max(...r.config.connections)} connections`, distributionEntries(r)) },
    ],
    summary: renderSummary(r),
    spreads: r.cells
      .filter((c) => c.summary && c.runs.length > 1)
      .flatMap((c) => [
        { label: `${c.target} ${c.protocol} ${c.connections}c QPS`, pct: c.summary!.spread.qpsPct },
        { label: `${c.target} ${c.protocol} ${c.connections}c p99`, pct: c.summary!.spread.p99Pct },
      ]),
  };
}

async function run(o: ScenarioOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const machine = machineInfo(o.repoRoot);
  o.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}` +
      ` — client and server share these ${machine.cores} cores`,
  );
  const cellsPerRep = o.protocols.length * o.connections.length * o.targets.length;
  const estimateS = cellsPerRep * o.repeats * (o.durationS + o.warmupS + 1);
  o.log(`plan: ${o.rows.toLocaleString('en-US')} rows, ${cellsPerRep} cells × ${o.repeats} runs × (${o.warmupS}+${o.durationS} s) ≈ ${Math.ceil(estimateS / 60)} min after loading`);

  const reports: TargetReport[] = [];
  const running: RunningTarget[] = [];
  try {
    for (const name of o.targets) {
      const report: TargetReport = { name, version: '', settings: {} };
      reports.push(report);
      try {
        o.log(`starting ${name}…`);
        const t = await startTarget(name, { sharedBuffers: sharedBuffersFor(o.rows), freshetProfileDir: o.profileDir });
        running.push(t);
        report.version = t.version;
        report.settings = t.settings;
        o.log(`  ${name}: ${t.version} on port ${t.port}`);
        report.load = await loadTable(t, {
          table: TABLE,
          rows: o.rows,
          batchRows: 1000,
          connections: 4,
          onProgress: (done) => o.progress.update(`${name}: loaded ${done.toLocaleString('en-US')} / ${o.rows.toLocaleString('en-US')} rows`, done / o.rows),
        });
        o.progress.done(
          `  ${name}: loaded ${o.rows.toLocaleString('en-US')} rows in ${report.load.seconds.toFixed(1)} s ` +
            `(${fmtQps(o.rows / report.load.seconds)} rows/s, ${report.load.method}; then ${report.load.settle} in ${report.load.settleSeconds.toFixed(1)} s)`,
        );
      } catch (e) {
        // The console gets the server's log tail (testkit puts it in the message); the report one line.
        const lines = (e as Error).message.split('\n');
        o.progress.done(`  ${name}: UNAVAILABLE — ${lines.slice(0, 15).join('\n    ')}`);
        report.unavailable = lines[0];
        const t = running.find((x) => x.name === name);
        if (t) {
          running.splice(running.indexOf(t), 1);
          await t.stop().catch(() => {});
        }
      }
    }
    if (running.length === 0) throw new Error('no target could be started and loaded');

    const cells = await measureAll(o, running);
    const notes = notesFor(o, cells, machine.cores);
    const finishedAt = new Date();
    return {
      scenario: 'point-lookup',
      scale: o.scale,
      date: startedAt.toISOString().slice(0, 10),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      machine,
      config: {
        rows: o.rows,
        durationS: o.durationS,
        warmupS: o.warmupS,
        repeats: o.repeats,
        connections: o.connections,
        protocols: o.protocols,
        clientThreads: o.clientThreads,
        client: 'node-postgres (pg), text results unparsed',
      },
      targets: reports,
      cells,
      comparisons: compare(cells, 'freshet', 'postgres'),
      notes,
    };
  } finally {
    for (const t of running) await t.stop().catch(() => {});
  }
}

/** Room for table + index + a margin: ~170 bytes a row, at least 256 MB. */
function sharedBuffersFor(rows: number): string {
  return `${Math.max(256, Math.ceil((rows * 400) / 2 ** 20))}MB`;
}

async function measureAll(o: ScenarioOptions, targets: RunningTarget[]): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  for (const protocol of o.protocols)
    for (const connections of o.connections)
      for (const t of targets) cells.push({ target: t.name, protocol, connections, runs: [], summary: null });

  for (let rep = 0; rep < o.repeats; rep++) {
    for (const protocol of o.protocols) {
      for (const connections of o.connections) {
        const order = rep % 2 === 0 ? targets : [...targets].reverse();
        for (const t of order) {
          const cell = cells.find((c) => c.target === t.name && c.protocol === protocol && c.connections === connections)!;
          if (cell.failure) continue;
          const m = await measureOnce(o, t, protocol, connections, rep);
          const label = `${t.name.padEnd(8)} ${protocol.padEnd(8)} ${String(connections).padStart(2)} conn  run ${rep + 1}/${o.repeats}`;
          if (m.errors || m.wrongRows) {
            cell.failure = m.errors ? `error: ${m.firstError}` : `${m.wrongRows} lookups returned the wrong row(s)`;
            o.progress.done(`${label}: FAILED — ${cell.failure}`);
            continue;
          }
          cell.runs.push(m);
          o.progress.done(
            `${label}: ${fmtQps(m.qps).padStart(7)} QPS  p50 ${fmtMs(m.p50Us)}  p99 ${fmtMs(m.p99Us)}  p99.9 ${fmtMs(m.p999Us)} ms` +
              `  server CPU ${m.serverCpuUsPerQuery != null ? `${m.serverCpuUsPerQuery.toFixed(1)} µs/q` : 'n/a'}` +
              `  client CPU ${m.clientCpuPct.toFixed(0)}%${m.machineBusyPct !== null ? `  machine ${m.machineBusyPct.toFixed(0)}%` : ''}  load ${m.loadAverage1m.toFixed(1)}`,
          );
        }
      }
    }
  }
  for (const c of cells) if (!c.failure && c.runs.length) c.summary = summarizeRuns(c.runs);
  return cells;
}

async function measureOnce(o: ScenarioOptions, t: RunningTarget, protocol: Protocol, connections: number, rep: number): Promise<Measurement> {
  const totalMs = (o.warmupS + o.durationS) * 1000;
  // The phases run on a clock, so elapsed time is the honest progress measure.
  const started = Date.now();
  const pid = t.serverPid();
  const cpuBefore = pid === null ? null : processTreeCpuSeconds(pid);
  const m = await runCell(
    {
      host: t.host,
      port: t.port,
      user: t.user,
      database: t.database,
      table: TABLE,
      protocol,
      connections,
      keyMax: o.rows,
      warmupMs: o.warmupS * 1000,
      durationMs: o.durationS * 1000,
      // The same key streams for both targets in a repeat, different ones across repeats.
      seed: 1 + rep * 7919,
    },
    o.clientThreads,
    (tick) => {
      const what = tick.phase === 'measure' ? `measuring, ${tick.queries.toLocaleString('en-US')} queries` : tick.phase;
      o.progress.update(`${t.name} ${protocol} ${connections} conn run ${rep + 1}/${o.repeats}: ${what}`, Math.min(1, (Date.now() - started) / totalMs));
    },
  );
  const cpuAfter = pid === null ? null : processTreeCpuSeconds(pid);
  const served = m.queries + (m.warmupQueries ?? 0);
  m.serverCpuUsPerQuery = cpuBefore !== null && cpuAfter !== null && served > 0 ? ((cpuAfter - cpuBefore) * 1e6) / served : null;
  return m;
}

function notesFor(o: ScenarioOptions, cells: CellResult[], cores: number): string[] {
  const notes: string[] = [];
  notes.push(
    `This machine has ${cores} cores: the load generator (${o.clientThreads} worker thread(s)) competes with the server for CPU, ` +
      `so absolute QPS understates what a dedicated server would do; the Freshet/PostgreSQL ratio is the figure to read.`,
  );
  notes.push(
    'PostgreSQL runs with durable defaults (fsync, synchronous_commit and full_page_writes on) and shared_buffers sized to hold ' +
      'the table; it was VACUUM ANALYZEd, checkpointed and prewarmed after COPY. Freshet runs `freshet start` with an on-disk data dir.',
  );
  notes.push('Latency is measured per query in a closed loop (no coordinated-omission correction): each connection sends its next query when the previous answer arrives.');
  const loads = cells.flatMap((c) => c.runs.map((r) => r.loadAverage1m));
  if (loads.length) {
    const busy = Math.max(...loads) > cores;
    notes.push(
      `1-minute load average during the runs: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cores} cores` +
        (busy ? ' — other work was running on this machine, so absolute figures are depressed and noisy.' : '.'),
    );
  }
  const noisy = cells.filter((c) => c.summary?.noisy);
  if (noisy.length)
    notes.push(
      `NOISY: ${noisy.length} cell(s) had a run-to-run spread above ${NOISY_SPREAD_PCT}% (${noisy
        .map((c) => `${c.target}/${c.protocol}/${c.connections}`)
        .join(', ')}); treat their medians with caution.`,
    );
  const clientBound = cells.filter((c) => c.runs.some((r) => r.clientCpuPct > 85 * o.clientThreads));
  if (clientBound.length)
    notes.push(
      `The client used > 85% of its thread(s) in ${clientBound.length} cell(s) (${clientBound
        .map((c) => `${c.target}/${c.protocol}/${c.connections}`)
        .join(', ')}): there the client, not the server, may be the limit.`,
    );
  const failed = cells.filter((c) => c.failure);
  for (const c of failed) notes.push(`FAILED ${c.target}/${c.protocol}/${c.connections}: ${c.failure}`);
  return notes;
}
