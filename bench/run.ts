/**
 * Benchmark CLI: `npm run bench -- [scenario] [options]`.
 * Runs a scenario against Freshet and/or PostgreSQL started on loopback ports, prints the
 * markdown report and writes JSON, markdown and SVG charts to bench/results/.
 */
import { parseArgs } from 'node:util';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_PROTOCOLS, type Protocol } from './lib/loadgen-protocol';
import { Progress } from './lib/progress';
import { writeResults } from './lib/results-writer';
import { SCALES, type Scenario } from './lib/scenario';
import { ALL_TARGETS, stopAllTargets, type TargetName } from './lib/targets';
import { connectors } from './scenarios/connectors';
import { freshness } from './scenarios/freshness';
import { ingest } from './scenarios/ingest';
import { nexmark } from './scenarios/nexmark';
import { pointLookup } from './scenarios/point-lookup';

const SCENARIOS: Record<string, Scenario> = Object.fromEntries([pointLookup, ingest, freshness, nexmark, connectors].map((s) => [s.name, s]));
const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(benchDir, '..');

const USAGE = `usage: npm run bench -- [scenario] [options]

scenarios:
${Object.values(SCENARIOS)
  .map((s) => `  ${s.name.padEnd(14)} ${s.description}`)
  .join('\n')}

options:
  --scale quick|small|full  point-lookup presets: small (= quick) = ${SCALES.small.rows.toLocaleString('en-US')} rows, ${SCALES.small.durationS} s/cell (default);
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
  --rate N                  freshness: background load, events/s (default 10,000)
  --probes N                freshness: marker inserts timed
  --out DIR                 results directory (default bench/results)
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
      rate: { type: 'string' },
      probes: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const scenarioName = positionals[0] ?? 'point-lookup';
  const scenario = SCENARIOS[scenarioName];
  if (!scenario) throw new Error(`unknown scenario ${scenarioName}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  // point-lookup's presets are small/full; the streaming scenarios' quick/full (quick = small).
  const scale = values.scale ?? (scenarioName === 'point-lookup' ? 'small' : 'quick');
  const preset = SCALES[scale];
  if (!preset) throw new Error(`unknown --scale ${values.scale}; known: ${Object.keys(SCALES).join(', ')}`);

  const warmup = values.warmup === '0' ? 0 : positive(values.warmup, 'warmup', false);
  const connections = values.connections?.split(',').map((c) => positive(c.trim(), 'connections')!);
  const progress = new Progress();
  const result = await scenario.run({
    scale,
    rows: positive(values.rows, 'rows') ?? preset.rows,
    durationS: positive(values.duration, 'duration', false) ?? preset.durationS,
    warmupS: warmup ?? preset.warmupS,
    repeats: positive(values.repeats, 'repeats') ?? preset.repeats,
    targets: list<TargetName>(values.targets, ALL_TARGETS, 'target') ?? [...ALL_TARGETS],
    connections: connections ?? [1, 8],
    protocols: list<Protocol>(values.protocols, ALL_PROTOCOLS, 'protocol') ?? [...ALL_PROTOCOLS],
    clientThreads: positive(values['client-threads'], 'client-threads') ?? 1,
    repoRoot,
    profileDir: values.profile ? resolve(values.profile) : undefined,
    progress,
    log: (line) => progress.done(line),
    pipeline: {
      users: positive(values.users, 'users'),
      events: positive(values.events, 'events'),
      batchRows: positive(values['batch-rows'], 'batch-rows'),
      loadConnections: positive(values['load-connections'], 'load-connections'),
      rate: positive(values.rate, 'rate', false),
      probes: positive(values.probes, 'probes'),
    },
  });

  const { markdown, files } = writeResults(result, values.out ?? join(benchDir, 'results'));
  console.log(`\n${markdown}`);
  console.log(`written: ${files.map((f) => relative(process.cwd(), f)).join(', ')}\n`);
  console.log(result.summary);
  return 0;
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
