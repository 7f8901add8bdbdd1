/**
 * Makes `--memory-limit` bound the heap the state cache really takes, as RisingWave's
 * memory manager bounds the allocator's real usage (docs/durability.md, "Bounded memory").
 *
 * The cache counts its entries by an estimate; what the process holds for them is more:
 * entries written since the last checkpoint and their logs, aggregate group caches, the
 * checkpoint being written, and — the larger part — the collector's headroom: between two
 * full collections the old generation grows by HEAP_GROWING_PERCENT over what is live. So
 * after each full collection (the only moment the heap in use is about what is live) the
 * manager compares the heap the state is responsible for,
 *
 *   (live − baseline) × (1 + HEAP_GROWING_PERCENT / 100)
 *
 * with the limit, where `baseline` is the live heap of the idle server (measured once at
 * start with a forced collection), and moves `stateHeapBudget.scale` — the heap bytes per
 * estimated byte the cache weighs its entries by — towards making them equal. Everything
 * downstream (eviction to 85% of the limit, early checkpoints, throttling of new epochs)
 * then acts on real bytes: over the limit the cache evicts further, keys served from
 * LevelDB; under it the scale relaxes back (never below 1, the estimate itself).
 *
 * Cost: one heap-space query per full collection (a few µs, about once a second under a
 * fast load, none when idle); the forced collection at start takes a few ms.
 * Limitation: heap that is not state but grows after start (tables loaded in the background
 * after a restart, big query results) is counted as state too; the scale is capped so the
 * cache still holds limit / MAX_SCALE of estimated entries then.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stateHeapBudget } from '@freshet/stream';
import { HEAP_GROWING_PERCENT } from './heap-tuning';

/**
 * The scale never exceeds this: the cache keeps at least limit / MAX_SCALE of estimated
 * bytes. Not higher: state written since the last checkpoint (up to limit/8 estimated before
 * one is forced) cannot be evicted, and weighed over the limit it would force a checkpoint
 * at every commit and hold new epochs back.
 */
export const MAX_SCALE = 4;

export interface MemoryManager {
  /** Live heap of the idle server, bytes (not counted against the limit). */
  readonly baseline: number;
  /** The current heap bytes per estimated byte of state. */
  readonly scale: number;
  /** Feeds one measurement of the live heap (the GC observer does this; tests call it). */
  observe(liveBytes: number): void;
  stop(): void;
}

/**
 * Heap in use outside the young generation, bytes: right after a full collection, what is
 * live (the young generation holds what was allocated since, mostly garbage).
 */
export function oldHeapUsed(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name !== 'new_space') used += s.space_used_size;
  return used;
}

/** Runs a full collection now (exposes V8's `gc` to a fresh context; the flag is process-wide). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Starts managing the state cache's heap against `limit` bytes: measures the baseline now
 * (call it once the server is loaded, before streaming state grows), then observes full
 * collections. `log` gets a line when the scale moves by more than a fifth.
 */
export function startMemoryManager(limit: number, log: (msg: string) => void = () => {}, opts: { baseline?: number; observeGc?: boolean } = {}): MemoryManager {
  let baseline = opts.baseline ?? -1;
  if (baseline < 0) {
    collectGarbage();
    baseline = oldHeapUsed();
  }
  const headroom = 1 + HEAP_GROWING_PERCENT / 100;
  let logged = stateHeapBudget.scale;
  log(`memory: heap ${mib(baseline)} MiB live at start; state cache bounded to ${mib(limit)} MiB of heap, collector headroom included`);
  const manager: MemoryManager = {
    baseline,
    get scale() {
      return stateHeapBudget.scale;
    },
    observe(live: number) {
      const held = Math.max(0, live - baseline) * headroom;
      // Damped (square root of the ratio): one collection's reading includes floating
      // garbage and whatever batch was in flight; a few collections converge.
      const next = Math.min(MAX_SCALE, Math.max(1, stateHeapBudget.scale * Math.sqrt(Math.max(held, 1) / limit)));
      stateHeapBudget.scale = next;
      if (Math.abs(next - logged) > logged * 0.2) {
        logged = next;
        log(`memory: state heap ~${mib(held)} MiB (live ${mib(live)} MiB), cache estimate scaled by ${next.toFixed(2)}`);
      }
    },
    stop() {
      observer?.disconnect();
      stateHeapBudget.scale = 1;
    },
  };
  let observer: PerformanceObserver | null = null;
  if (opts.observeGc !== false) {
    observer = new PerformanceObserver((list) => {
      // One reading per delivery: the last full collection in it.
      if (list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
        manager.observe(oldHeapUsed());
      }
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return manager;
}

function mib(b: number): string {
  return (b / 2 ** 20).toFixed(1);
}
