/**
 * Runs one measured cell: spreads the connections over worker threads, waits for them,
 * and merges their latency histograms into one measurement.
 */
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import type { LoadJob, WorkerMessage, WorkerResult } from './loadgen-protocol';
import { latencyCdf, latencySummary, type LatencyCdf, type LatencySummary } from './stats';

export interface Measurement extends LatencySummary {
  qps: number;
  queries: number;
  errors: number;
  firstError?: string;
  wrongRows: number;
  /** Client CPU as a percentage of one core; near 100 × threads means the client was the limit. */
  clientCpuPct: number;
  /** All cores busy, percent of the machine. */
  machineBusyPct: number | null;
  /** 1-minute load average right after the run: other work on the machine shows up here. */
  loadAverage1m: number;
  /** Queries completed in the warm-up (not in `queries`, `qps` or the latencies). */
  warmupQueries?: number;
  /**
   * Server CPU time (user + system, all of its processes) per query over the whole cell,
   * warm-up included, in µs. Unlike QPS it hardly depends on what else the machine runs.
   */
  serverCpuUsPerQuery?: number | null;
  /** The run's latency CDF ([percentile, µs]), for the CDF and histogram charts. */
  cdf?: LatencyCdf;
}

export interface ProgressTick {
  phase: 'connect' | 'warmup' | 'measure';
  queries: number;
}

/** Splits `total` connections as evenly as possible over `threads` workers (none empty). */
export function splitConnections(total: number, threads: number): number[] {
  const n = Math.max(1, Math.min(threads, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

export async function runCell(job: LoadJob, threads: number, onProgress?: (t: ProgressTick) => void): Promise<Measurement> {
  const shares = splitConnections(job.connections, threads);
  const ticks = shares.map((): ProgressTick => ({ phase: 'connect', queries: 0 }));
  const results = await Promise.all(
    shares.map(
      (connections, i) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const worker = new Worker(new URL('./loadgen-worker-entry.js', import.meta.url), {
            workerData: { ...job, connections, seed: job.seed + i * 1000 } satisfies LoadJob,
          });
          worker.on('message', (m: WorkerMessage) => {
            if (m.type === 'done') resolve(m.result);
            else {
              ticks[i] = { phase: m.phase, queries: m.queries };
              onProgress?.({ phase: ticks[i].phase, queries: ticks.reduce((a, t) => a + (t.phase === ticks[i].phase ? t.queries : 0), 0) });
            }
          });
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with code ${code}`)));
        }),
    ),
  );
  return merge(results, job.durationMs);
}

function merge(results: WorkerResult[], durationMs: number): Measurement {
  const merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  for (const r of results) if (r.histogram) merged.add(hdr.decodeFromCompressedBase64(r.histogram));
  const queries = results.reduce((a, r) => a + r.queries, 0);
  const busy = results.map((r) => r.machineBusy).filter((b): b is number => b !== null);
  return {
    ...latencySummary(merged),
    cdf: latencyCdf(merged),
    qps: queries / (durationMs / 1000),
    queries,
    warmupQueries: results.reduce((a, r) => a + r.warmupQueries, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    wrongRows: results.reduce((a, r) => a + r.wrongRows, 0),
    // All workers live in this process, so each reports the same process-wide CPU time.
    clientCpuPct: (Math.max(...results.map((r) => r.clientCpuUs)) / (durationMs * 1000)) * 100,
    machineBusyPct: busy.length ? (busy.reduce((a, b) => a + b, 0) / busy.length) * 100 : null,
    loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
  };
}
