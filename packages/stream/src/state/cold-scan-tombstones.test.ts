/**
 * A cold scan (a table partly in LevelDB after a restart) merges memory with a LevelDB
 * snapshot taken when it opened. If the background load finishes while the scan is open,
 * the tombstones it keeps must stay until the scan closes: without them the scan would
 * fall back to its older snapshot and return deleted rows (found by
 * conformance/server/table-load-restart.test.ts: a row deleted during the load came back in
 * a full scan of the MV).
 */
import { describe, expect, it } from 'vitest';
import type { Row } from '@freshet/common';
import type { ColdStateReader } from '@freshet/storage';
import { MemStateStore } from './mem-store';

const ID = 7;
const key = (i: number) => `k${i}`;

/** LevelDB as of the restart: keys 0..9, read in order, a batch at a time. */
function disk(): ColdStateReader {
  const rows: [string, Row][] = Array.from({ length: 10 }, (_, i) => [key(i), [i]]);
  return {
    read: (_t, k) => rows.find(([x]) => x === k)?.[1],
    scan: () => {
      let at = 0;
      return {
        nextv: async (n) => rows.slice(at, (at += n)),
        close: () => {},
      };
    },
  };
}

async function drain(scan: NonNullable<ReturnType<ReturnType<MemStateStore['table']>['scanCold']>>, onFirstWait: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  let waited = false;
  for (;;) {
    const r = scan.next();
    if (r === null) return out;
    if (r instanceof Promise) {
      await r;
      if (!waited) {
        waited = true;
        await onFirstWait();
      }
      continue;
    }
    for (const row of r) out.push(row[0] as number);
  }
}

describe('cold scans and the end of a background load', () => {
  it('keep the tombstones a scan relies on until it closes, then drop them', async () => {
    const store = new MemStateStore();
    store.enableColdReads(disk(), false);
    store.markCold(ID, 10);
    const t = store.table(ID);
    t.write(1, key(3), null); // deleted after the restart: a tombstone over LevelDB's row
    await store.commitEpoch(1);
    const scan = t.scanCold()!;
    expect(scan).not.toBeNull();
    // The load ends (every key in memory, the delete durable) while the scan waits for disk.
    const got = await drain(scan, async () => {
      store.fillLoaded(ID, Array.from({ length: 10 }, (_, i): [string, Row] => [key(i), [i]]));
      store.finishLoad(ID, 1);
    });
    expect(got).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    expect(store.isPartial(ID)).toBe(false);
    expect(t.get(key(3))).toBeUndefined();
    expect([...t.iterCommitted()].map(([k]) => k)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9].map(key));
  });
});
