/**
 * `npm run bench` with no scenario: every scenario once at the `smoke` scale, each
 * shrunk so the whole set finishes in minutes, files named `<date>-<scenario>-smoke.*`.
 * The figures show the shape and catch breakage; the quick and full scales are for numbers.
 */
import type { PipelineOverrides, ScaleConfig } from './scenario';

export interface SmokePlan {
  scenario: string;
  config?: Partial<ScaleConfig> & { connections?: number[]; protocols?: ('extended' | 'simple')[] };
  pipeline?: PipelineOverrides;
  /** Environment the scenario reads (set for its run only). */
  env?: Record<string, string>;
}

export const SMOKE_PLAN: readonly SmokePlan[] = [
  { scenario: 'point-lookup', config: { rows: 20_000, durationS: 1, warmupS: 0.5, repeats: 2, connections: [1, 8] } },
  { scenario: 'serving', config: { durationS: 1, warmupS: 0.3, repeats: 2, connections: [1, 8], protocols: ['extended'] }, pipeline: { users: 20_000 } },
  { scenario: 'serving-volume', config: { durationS: 1, warmupS: 0.3, repeats: 1, connections: [1, 8] }, pipeline: { sizes: [1_000, 10_000], users: 2 } },
  { scenario: 'ingest', pipeline: { users: 2_000, events: 50_000 } },
  { scenario: 'freshness', pipeline: { users: 2_000, events: 20_000, probes: 40, rates: [1_000, 10_000] } },
  { scenario: 'freshness', pipeline: { users: 2_000, events: 20_000, probes: 40, rates: [1_000, 10_000], source: 'kafka' } },
  { scenario: 'recovery', config: { repeats: 1 }, pipeline: { users: 2_000, sizes: [10_000, 50_000] } },
  { scenario: 'connectors', config: { repeats: 1 }, pipeline: { users: 2_000, events: 50_000, rate: 1_000, probes: 40 }, env: { CONNECTORS_REDIS_KEYS: '50000' } },
  { scenario: 'nexmark', config: { repeats: 1 }, pipeline: { events: 100_000 } },
];

/** Runs `fn` with `env` set, restoring the previous values afterwards. */
export async function withEnv<T>(env: Record<string, string> | undefined, fn: () => Promise<T>): Promise<T> {
  if (!env) return fn();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
