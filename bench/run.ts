/**
 * Benchmark CLI: `npm run bench -- [scenario] [options]`.
 * Runs a scenario against Freshet and/or PostgreSQL started on loopback ports, prints the
 * markdown report and writes JSON, markdown and SVG charts to bench/results/.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePackages } from '@freshet/testkit';
import { ALL_PROTOCOLS, type Protocol } from './lib/loadgen-protocol';
import { enablePinning } from './lib/pinning';
import { Progress } from './lib/progress';
import { writeResults } from './lib/results-writer';
import { SMOKE_PLAN, withEnv } from './lib/run-all';
import { loadSnapshot, runConditions } from './lib/run-conditions';
import { SCALES, type Scenario, type ScenarioOptions } from './lib/scenario';
import { ALL_TARGETS, stopAllTargets, type TargetName } from './lib/targets';
import { connectors } from './scenarios/connectors';
import { freshness } from './scenarios/freshness';
import { ingest } from './scenarios/ingest';
import { nexmark } from './scenarios/nexmark';
import { pointLookup } from './scenarios/point-lookup';
import { recovery } from './scenarios/recovery';
import { serving } from './scenarios/serving';
import { servingVolume } from './scenarios/serving-volume';

const SCENARIOS: Record<string, Scenario> = Object.fromEntries([pointLookup, serving, servingVolume, ingest, freshness, recovery, nexmark, connectors].map((s) => [s.name, s]));
const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(benchDir, '..');

const USAGE = `usage: npm run bench -- [scenario] [options]

With no scenario: every scenario once at the smoke scale (small, 1 repeat or 2), files <date>-<scenario>-smoke.*.

scenarios:
${Object.values(SCENARIOS)
  .map((s) => `  ${s.name.padEnd(14)} ${s.description}`)
  .join('\n')}

options:
  --scale smoke|quick|small|full  point-lookup presets: small (= quick) = ${SCALES.small.rows.toLocaleString('en-US')} rows, ${SCALES.small.durationS} s/cell (default);
                            full = ${SCALES.full.rows.toLocaleString('en-US')} rows, ${SCALES.full.durationS} s/cell.
                            ingest / freshness: quick = 10,000 users; full = 100,000 users, 10M events (ingest)
  --targets LIST            comma list of ${ALL_TARGETS.join(',')} (default: both)
  --duration S              measured seconds per cell run (overrides the scale)
  --warmup S                warm-up seconds before each measured run
  --repeats N               runs per cell; the median is reported
  --rows N                  table size
  --connections LIST        e.g. 1,8 (default)
  --protocols LIST          extended,simple (default: both)
  --client-threads N        load-generator worker threads (default 1; the machine has few cores)
  --users N                 ingest/freshness: distinct users
  --events N                ingest: events to insert; freshness: events preloaded before measuring
  --batch-rows N            ingest: events per batch (one multi-row INSERT per table)
  --load-connections N      ingest: concurrent INSERT connections
  --load insert|copy|datagen|both|all   ingest: prepared INSERTs (default), COPY FROM STDIN, a datagen source inside the server, INSERT+COPY, or all three
  --checkpoints on|off|both ingest: Freshet with 1-second checkpoints (default), none, or both (checkpoint overhead)
  --rate N                  freshness: background load, events/s (default 10,000)
  --rates LIST              freshness: several background loads, e.g. 1000,10000,50000 (one probe set each)
  --sizes LIST              recovery: state sizes in events, e.g. 100000,500000; serving-volume: rows per user, e.g. 1000,1000000
  --probes N                freshness: marker inserts timed
  --source insert|kafka     freshness: events INSERTed into tables (default) or produced to the seed's Kafka source
  --out DIR                 results directory (default bench/results)
  --pin                     pin the servers under test to half the CPUs and the load generator to the
                            other half (taskset); each server then has only its half
  --profile DIR             write a V8 CPU profile of the Freshet server to DIR
                            (summarise with: node --import tsx bench/tools/profile-summary.ts DIR)
  -h, --help

quick iteration: npm run bench -- --rows 100000 --duration 5 --warmup 1 --repeats 1`;

function list<T extends string>(v: string | undefined, allowed: readonly T[], what: string): T[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new Error(`unknown ${what}: ${i} (expected ${allowed.join(', ')})`);
  return items as T[];
}

function positive(v: string | undefined, what: string, integer = true): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new Error(`--${what} must be a positive ${integer ? 'integer' : 'number'}, got ${v}`);
  return n;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scale: { type: 'string' },
      targets: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      repeats: { type: 'string' },
      rows: { type: 'string' },
      connections: { type: 'string' },
      protocols: { type: 'string' },
      'client-threads': { type: 'string' },
      users: { type: 'string' },
      events: { type: 'string' },
      'batch-rows': { type: 'string' },
      'load-connections': { type: 'string' },
      load: { type: 'string' },
      checkpoints: { type: 'string' },
      rate: { type: 'string' },
      rates: { type: 'string' },
      sizes: { type: 'string' },
      probes: { type: 'string' },
      source: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      pin: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const out = values.out ?? join(benchDir, 'results');
  // The same Debian packages `npm test` provisions: the scenarios start PostgreSQL and
  // redis-server themselves, so on a fresh machine they must be installed first.
  if (process.platform === 'linux') console.log(ensurePackages().trim());
  if (values.pin) {
    const p = enablePinning(cpus().length);
    console.log(`CPU pinning: servers under test on CPUs ${p.server}, this load generator on CPUs ${p.client}`);
  }
  if (positionals[0] === undefined || positionals[0] === 'all') {
    // Every scenario at the smoke scale; a failing scenario is reported and the rest still run.
    const failed: string[] = [];
    for (const plan of SMOKE_PLAN) {
      console.log(`\n=== ${plan.scenario} (smoke) ===`);
      const base = options(SCENARIOS[plan.scenario], 'smoke', values);
      const o: ScenarioOptions = { ...base, ...plan.config, pipeline: { ...base.pipeline, ...plan.pipeline } };
      await withEnv(plan.env, () => runScenario(SCENARIOS[plan.scenario], o, out)).catch((e) => {
        failed.push(plan.scenario);
        console.error(`bench: ${plan.scenario} failed: ${(e as Error).message}`);
      });
    }
    console.log(failed.length ? `\nsmoke run: FAILED ${failed.join(', ')}` : '\nsmoke run: every scenario completed');
    return failed.length ? 1 : 0;
  }
  const scenario = SCENARIOS[positionals[0]];
  if (!scenario) throw new Error(`unknown scenario ${positionals[0]}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  // point-lookup's presets are small/full; the streaming scenarios' quick/full (quick = small).
  await runScenario(scenario, options(scenario, values.scale ?? (scenario.name === 'point-lookup' ? 'small' : 'quick'), values), out);
  return 0;
}

type Values = Record<string, string | boolean | undefined>;

function options(scenario: Scenario, scale: string, values: Values): ScenarioOptions {
  const str = (k: string) => values[k] as string | undefined;
  const preset = SCALES[scale];
  if (!preset) throw new Error(`unknown --scale ${scale}; known: ${Object.keys(SCALES).join(', ')}`);
  const own = scenario.defaults?.(scale) ?? {};
  const warmup = str('warmup') === '0' ? 0 : positive(str('warmup'), 'warmup', false);
  const connections = str('connections')?.split(',').map((c) => positive(c.trim(), 'connections')!);
  const numbers = (k: string) => str(k)?.split(',').map((c) => positive(c.trim(), k, false)!);
  const progress = new Progress();
  return {
    scale,
    rows: positive(str('rows'), 'rows') ?? own.rows ?? preset.rows,
    durationS: positive(str('duration'), 'duration', false) ?? own.durationS ?? preset.durationS,
    warmupS: warmup ?? own.warmupS ?? preset.warmupS,
    repeats: positive(str('repeats'), 'repeats') ?? own.repeats ?? preset.repeats,
    targets: list<TargetName>(str('targets'), ALL_TARGETS, 'target') ?? [...ALL_TARGETS],
    connections: connections ?? own.connections ?? [1, 8],
    protocols: list<Protocol>(str('protocols'), ALL_PROTOCOLS, 'protocol') ?? [...ALL_PROTOCOLS],
    clientThreads: positive(str('client-threads'), 'client-threads') ?? 1,
    repoRoot,
    profileDir: str('profile') ? resolve(str('profile')!) : undefined,
    progress,
    log: (line) => progress.done(line),
    pipeline: {
      users: positive(str('users'), 'users'),
      events: positive(str('events'), 'events'),
      batchRows: positive(str('batch-rows'), 'batch-rows'),
      loadConnections: positive(str('load-connections'), 'load-connections'),
      load: str('load'),
      checkpoints: str('checkpoints'),
      source: str('source'),
      rate: positive(str('rate'), 'rate', false),
      probes: positive(str('probes'), 'probes'),
      rates: numbers('rates'),
      sizes: numbers('sizes'),
    },
  };
}

/** Runs one scenario between two load snapshots; writes its files with the run's conditions and noise verdict. */
async function runScenario(scenario: Scenario, o: ScenarioOptions, out: string): Promise<void> {
  const before = loadSnapshot();
  const result = await scenario.run(o);
  const conditions = runConditions(repoRoot, before, loadSnapshot(), result.spreads);
  const { markdown, files } = writeResults(result, out, conditions);
  console.log(`\n${markdown}`);
  console.log(`written: ${files.map((f) => relative(process.cwd(), f)).join(', ')}\n`);
  console.log(result.summary);
  console.log(
    conditions.verdict.trustworthy
      ? `noise: quiet enough (load ${before.loadAverage[0]} → ${conditions.after.loadAverage[0]} on ${conditions.machine.cores} cores)`
      : `noise: TOO NOISY TO TRUST — ${conditions.verdict.reasons.join('; ')}`,
  );
}

// Ctrl-C stops the servers we started (and removes their data dirs), then exits; the
// testkit's exit hooks still kill anything that did not stop within 10 s.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    setTimeout(() => process.exit(130), 10_000).unref();
    void stopAllTargets().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exit(1);
  },
);
