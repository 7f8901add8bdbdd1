/**
 * The memory manager's control of the state cache's weight (stateHeapBudget.scale) from
 * the live heap after full collections: fed readings, and with V8's real collections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stateHeapBudget } from '@freshet/stream';
import { HEAP_GROWING_PERCENT } from './heap-tuning';
import { MAX_SCALE, collectGarbage, oldHeapUsed, startMemoryManager } from './memory-manager';

const MiB = 2 ** 20;
const HEADROOM = 1 + HEAP_GROWING_PERCENT / 100;

describe('memory manager', () => {
  afterEach(() => {
    stateHeapBudget.scale = 1;
  });

  it('raises the scale while the state holds more heap than the limit, relaxes it back, never under 1 or over the cap', () => {
    const limit = 64 * MiB;
    const m = startMemoryManager(limit, () => {}, { baseline: 20 * MiB, observeGc: false });
    expect(m.scale).toBe(1);
    // The cache holds 2x the limit of heap (with the collector's headroom) at scale 1.
    const heapPerScale = (s: number) => 20 * MiB + (2 * limit) / HEADROOM / s;
    for (let i = 0; i < 30; i++) m.observe(heapPerScale(m.scale));
    expect(m.scale).toBeGreaterThan(1.9);
    expect(m.scale).toBeLessThan(2.1);
    // The state shrinks (an MV dropped): back to the estimate, not under it.
    for (let i = 0; i < 30; i++) m.observe(25 * MiB);
    expect(m.scale).toBe(1);
    // Heap that is not state grows without end: the cache keeps limit / MAX_SCALE.
    for (let i = 0; i < 50; i++) m.observe(2000 * MiB);
    expect(m.scale).toBe(MAX_SCALE);
    m.stop();
    expect(stateHeapBudget.scale).toBe(1);
  });

  it('reads the live heap after V8 full collections', async () => {
    const m = startMemoryManager(4 * MiB, () => {});
    expect(m.baseline).toBeGreaterThan(0);
    expect(m.baseline).toBeLessThan(oldHeapUsed() + MiB);
    // 40 MiB of live objects: ten times the limit.
    const held = Array.from({ length: 200_000 }, (_, i) => ({ key: `k${i}`, row: [BigInt(i), i * 1.5, `v${i}`] }));
    collectGarbage();
    await new Promise((r) => setTimeout(r, 50)); // GC entries reach observers asynchronously
    expect(held.length).toBe(200_000);
    expect(m.scale).toBeGreaterThan(2);
    m.stop();
    expect(stateHeapBudget.scale).toBe(1);
  });
});
