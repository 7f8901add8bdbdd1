/**
 * Test support: holds every background table load (engine.ts) after its first batch until
 * the returned function is called, so a test can check what reads, DML and scans do while
 * most rows are only in LevelDB. Wraps LevelLog.tableBatches with a vitest spy (restored by
 * `vi.restoreAllMocks()`); not used outside tests.
 */
import { vi } from 'vitest';
import { LevelLog } from './level-log';

export function holdTableLoads(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const original = LevelLog.prototype.tableBatches;
  vi.spyOn(LevelLog.prototype, 'tableBatches').mockImplementation(async function* (this: LevelLog, tableId: number, batch: number) {
    let first = true;
    for await (const rows of original.call(this, tableId, batch)) {
      if (!first) await gate;
      first = false;
      yield rows;
    }
  });
  return release;
}
