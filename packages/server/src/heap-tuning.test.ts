/**
 * The heap sizing under a memory limit, in a child process each (V8 flags are process-wide):
 * a cache of ~40 MiB of live objects turned over many times — as the state cache is under
 * a fast load — runs with a heap well under V8's default growth.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const MODULE = join(import.meta.dirname, 'heap-tuning.ts');

/** Largest heap (committed) while turning the cache over, and the live heap after, bytes. */
function churn(limit: number): { maxHeap: number; live: number } {
  const script = `
import { tuneHeapForMemoryLimit } from ${JSON.stringify(MODULE)};
tuneHeapForMemoryLimit(${limit});
const N = 200_000;
const cache = new Array(N);
let maxHeap = 0;
for (let round = 0; round < 10; round++) {
  for (let i = 0; i < N; i++) cache[i] = { key: 'k' + (round * N + i), row: [BigInt(i), i * 1.5, 'v' + i] };
  maxHeap = Math.max(maxHeap, process.memoryUsage().heapTotal);
}
globalThis.gc();
console.log(JSON.stringify({ maxHeap, live: process.memoryUsage().heapUsed, n: cache.length }));
`;
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { maxHeap: number; live: number };
}

describe('heap sizing under --memory-limit', () => {
  it('keeps the heap near what is live while a cache is turned over', () => {
    const plain = churn(0);
    const tuned = churn(64 << 20);
    expect(tuned.live).toBeGreaterThan(30 << 20);
    expect(tuned.maxHeap).toBeLessThan(tuned.live * 3);
    expect(tuned.maxHeap).toBeLessThan(plain.maxHeap * 0.7);
  }, 60_000);
});
