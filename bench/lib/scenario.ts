/**
 * What a scenario gets from the CLI, and the scale presets. A scenario owns its targets'
 * lifecycle and returns a BenchResult; writing files is the CLI's job.
 */
import type { Protocol } from './loadgen-protocol';
import type { Progress } from './progress';
import type { BenchResult } from './report';
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
}

export interface Scenario {
  name: string;
  description: string;
  run(opts: ScenarioOptions): Promise<BenchResult>;
}
