/**
 * The one way to get a StorageEngine: with a data dir, rows are durable in LevelDB under
 * `<dataDir>/state`; without one, everything lives in memory (playground mode, tests).
 */
import type { StorageEngine } from './api';
import { Engine } from './engine';
import { LevelLog } from './level-log';

export interface StorageOptions {
  /** Directory for persistent state; omitted → in memory only. */
  dataDir?: string;
}

export function openStorage(opts: StorageOptions = {}): StorageEngine {
  return new Engine(opts.dataDir ? new LevelLog(opts.dataDir) : null);
}
