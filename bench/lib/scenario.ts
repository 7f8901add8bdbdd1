/**
 * What a scenario gets from the CLI, and the scale presets. A scenario owns its targets'
 * lifecycle and returns a ScenarioOutput (its data, report and charts); writing files is
 * the CLI's job.
 */
import type { Protocol } from './loadgen-protocol';
import type { Progress } from './progress';
import type { Spread } from './run-conditions';
import type { TargetName } from './targets';

export interface ScaleConfig {
  rows: number;
  durationS: number;
  warmupS: number;
  repeats: number;
}

export const SCALES: Record<string, ScaleConfig> = {
  /** A few minutes: enough to see the shape and catch regressions by eye. */
  small: { rows: 100_000, durationS: 10, warmupS: 2, repeats: 3 },
  /** The figures: 1M rows, 30 s per cell. */
  full: { rows: 1_000_000, durationS: 30, warmupS: 5, repeats: 3 },
};
/** `quick` is the small preset under the name the streaming scenarios use. */
SCALES.quick = SCALES.small;
/** `npm run bench` with no scenario: every scenario once, small enough for a few minutes each (run-all.ts). */
SCALES.smoke = { rows: 20_000, durationS: 1, warmupS: 0.5, repeats: 2 };

/** Options only some scenarios read (ingest, freshness); unset means the scenario's preset. */
export interface PipelineOverrides {
  users?: number;
  events?: number;
  batchRows?: number;
  loadConnections?: number;
  /** ingest: `insert`, `copy` or `both` (scenarios/ingest-load.ts). */
  load?: string;
  /** ingest: Freshet with checkpoints `on` (the default, every second), `off`, or `both` (issue 4's overhead). */
  checkpoints?: string;
  /** freshness: how events arrive, `insert` (tables, default) or `kafka` (the seed's Kafka source). */
  source?: string;
  /** Background load of the freshness scenario, events/s. */
  rate?: number;
  /** Several background loads, events/s (freshness: one probe set per load). */
  rates?: number[];
  /** State sizes, events (recovery). */
  sizes?: number[];
  probes?: number;
}

export interface ScenarioOptions extends ScaleConfig {
  scale: string;
  targets: TargetName[];
  connections: number[];
  protocols: Protocol[];
  clientThreads: number;
  repoRoot: string;
  /** When set, Freshet runs with --cpu-prof writing here. */
  profileDir?: string;
  progress: Progress;
  log: (line: string) => void;
  pipeline: PipelineOverrides;
}

/** A chart written next to the report as `<base>-<suffix>.svg`. */
export interface ChartFile {
  suffix: string;
  title: string;
  svg: string;
}

/** Everything a scenario hands back: the CLI prints the report and summary and writes the files. */
export interface ScenarioOutput {
  scenario: string;
  scale: string;
  /** YYYY-MM-DD of the run's start: the files' name prefix. */
  date: string;
  /** Raw figures, written as the JSON file. */
  data: unknown;
  markdown: string;
  charts: ChartFile[];
  /** The figures at a glance, for the end of the console output. */
  summary: string;
  /** Spreads of the repeated measurements, for the run's noise verdict (run-conditions.ts). */
  spreads?: Spread[];
}

export interface Scenario {
  name: string;
  description: string;
  /** The scenario's own presets for the generic options, where they differ from SCALES. */
  defaults?: (scale: string) => Partial<ScaleConfig> & { connections?: number[] };
  run(opts: ScenarioOptions): Promise<ScenarioOutput>;
}
