/**
 * The memory manager's control of the state cache's weight (stateHeapBudget.scale) from
 * the process's resident memory at its peak between full collections: fed readings, and
 * with V8's real collections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { stateHeapBudget } from '@freshet/stream';
import { HEAP_GROWING_PERCENT } from './heap-tuning';
import { INITIAL_SCALE, MAX_SCALE, anonResident, collectGarbage, oldHeapUsed, startMemoryManager } from './memory-manager';

const MiB = 2 ** 20;
const GROWTH = HEAP_GROWING_PERCENT / 100;

/**
 * A model server: idle it holds 80 MiB resident with 20 MiB of live heap; at scale 1 its
 * state would hold `state` MiB of live heap, and `outside` MiB grows outside the heap
 * (LevelDB, malloc). Returns the (live, RSS) a full collection reads at `scale`.
 */
function reading(scale: number, state: number, outside: number): [number, number] {
  const live = (20 + state / scale) * MiB;
  return [live, 80 * MiB + outside * MiB + (live - 20 * MiB)];
}

describe('memory manager', () => {
  afterEach(() => {
    stateHeapBudget.scale = 1;
  });

  it('keeps the process at its peak within the limit of the idle server, outside the heap and the collector headroom included', () => {
    const limit = 64 * MiB;
    const m = startMemoryManager(limit, () => {}, { baseline: 20 * MiB, idleAnonRss: 80 * MiB, observeGc: false });
    // Cautious until the first full collection is read.
    expect(m.scale).toBe(INITIAL_SCALE);
    expect(INITIAL_SCALE).toBeGreaterThan(1);
    // At scale 1 the state with its headroom would be 1.5x the limit.
    for (let i = 0; i < 40; i++) m.observe(...reading(m.scale, 64, 0));
    const [live, rss] = reading(m.scale, 64, 0);
    // The peak (RSS + the heap's growth until the next full collection) is the limit over idle.
    expect((rss + live * GROWTH - 80 * MiB) / limit).toBeCloseTo(1, 1);
    const heapOnly = m.scale;
    // 20 MiB more outside the heap (LevelDB's mapped tables after lookups): the cache gives it up.
    for (let i = 0; i < 40; i++) m.observe(...reading(m.scale, 64, 20));
    expect(m.scale).toBeGreaterThan(heapOnly * 1.3);
    const [live2, rss2] = reading(m.scale, 64, 20);
    expect((rss2 + live2 * GROWTH - 80 * MiB) / limit).toBeCloseTo(1, 1);
    // The state shrinks (an MV dropped): back to the estimate, not under it.
    for (let i = 0; i < 40; i++) m.observe(...reading(m.scale, 4, 0));
    expect(m.scale).toBe(1);
    // Memory that is not state grows without end: the cache keeps limit / MAX_SCALE.
    for (let i = 0; i < 50; i++) m.observe(...reading(m.scale, 64, 2000));
    expect(m.scale).toBe(MAX_SCALE);
    m.stop();
    expect(stateHeapBudget.scale).toBe(1);
  });

  it('counts the highest RSS seen between two full collections, not only the projection', () => {
    const limit = 64 * MiB;
    const m = startMemoryManager(limit, () => {}, { baseline: 20 * MiB, idleAnonRss: 80 * MiB, observeGc: false, initialScale: 1 });
    m.observe(40 * MiB, 110 * MiB); // peak 110 + 20 = 130: 50 MiB over idle, within the limit
    expect(m.scale).toBe(1);
    m.sample(200 * MiB); // a batch in flight took the process to 200 MiB before the next collection
    m.observe(40 * MiB, 110 * MiB);
    expect(m.scale).toBeGreaterThan(1.3);
    m.stop();
  });

  it('takes the lowest RSS it sees as the idle server RSS (the reading at start may hold memory not yet returned)', () => {
    const m = startMemoryManager(64 * MiB, () => {}, { baseline: 20 * MiB, idleAnonRss: 95 * MiB, observeGc: false, initialScale: 1 });
    m.sample(80 * MiB);
    expect(m.idleAnonRss).toBe(80 * MiB);
    // 144 + 20 = 164: 84 MiB over the real idle server, over the limit (not 69 over the reading at start).
    m.observe(40 * MiB, 144 * MiB);
    expect(m.scale).toBeGreaterThan(1.1);
    m.stop();
  });

  it('counts memory outside the heap: 40 MiB of Buffers weigh the cache as heap would', async () => {
    const m = startMemoryManager(16 * MiB, () => {}, { initialScale: 1 });
    // Resident (filled), outside V8's heap: a heap-only measure does not see them.
    const buffers = Array.from({ length: 40 }, () => Buffer.alloc(MiB, 1));
    collectGarbage();
    await new Promise((r) => setTimeout(r, 50));
    expect(buffers.length).toBe(40);
    expect(m.scale).toBeGreaterThan(1.3);
    m.stop();
  });

  it.runIf(process.platform === 'linux')('reads anonymous resident memory: not the file-backed pages of the binary, but filled Buffers', () => {
    const before = anonResident();
    // The node binary's code is file-backed and resident (tens of MiB): RSS counts it, this does not.
    expect(process.memoryUsage.rss() - before).toBeGreaterThan(8 * MiB);
    const buffers = Array.from({ length: 32 }, () => Buffer.alloc(MiB, 1));
    expect(anonResident() - before).toBeGreaterThan(24 * MiB);
    expect(buffers.length).toBe(32);
  });

  it('reads the live heap and RSS after V8 full collections', async () => {
    const m = startMemoryManager(4 * MiB, () => {});
    expect(m.baseline).toBeGreaterThan(0);
    expect(m.baseline).toBeLessThan(oldHeapUsed() + MiB);
    expect(m.idleAnonRss).toBeGreaterThan(m.baseline);
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
