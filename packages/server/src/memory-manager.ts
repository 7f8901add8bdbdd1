/**
 * Makes `--memory-limit` bound what the process really holds, as RisingWave's memory
 * manager bounds the allocator's real usage (docs/durability.md, "Bounded memory"): the
 * limit is memory the server may hold beyond what it held idle, and the state cache is
 * the part that gives way.
 *
 * The cache counts its entries by an estimate; the process holds more for them, and more
 * besides: entries written since the last checkpoint and their logs, aggregate group
 * caches, the checkpoint being written, the collector's headroom (between two full
 * collections V8's old generation grows by HEAP_GROWING_PERCENT over what is live — over
 * the idle server's heap as much as over the state), and outside the heap LevelDB's
 * memtables, its block cache and malloc. Counting only the state's heap let all of that
 * come on top of the limit: a 64 MiB limit settled at 146–207 MiB of RSS for a 77 MiB idle
 * server. So after each full collection — the one moment the heap in use is about what is
 * live — the manager takes the process's anonymous resident memory (`anonResident`) at its
 * highest until the next one,
 *
 *   peak = max(anon RSS now + live × HEAP_GROWING_PERCENT / 100, highest anon RSS seen since the last)
 *
 * (the first term is what the heap may still grow by before the next full collection, the
 * second catches what that projection misses: marking that ends past V8's limit, LevelDB
 * batches), and compares peak − the idle server's anon RSS (measured at start after a forced
 * collection; any lower reading later replaces it) with the limit. It moves `stateHeapBudget.scale` — the bytes per
 * estimated byte the cache weighs its entries by — towards making them equal. Everything
 * downstream (eviction to 85% of the limit, early checkpoints, throttling of new epochs)
 * then acts on the process's bytes: over the limit the cache evicts further, keys served
 * from LevelDB; under it the scale relaxes back (never below 1, the estimate itself).
 *
 * Anonymous, not all of RSS: file-backed pages — the node binary's, and those of LevelDB's
 * memory-mapped table files that reads touched — are the kernel's page cache, clean and
 * given back under pressure (a cgroup's limit reclaims them before it kills anything), and
 * jemalloc's count that RisingWave's manager reads does not include them either. Until
 * session 40 they counted, and so the limit also capped LevelDB's open table files
 * (`levelMemoryFor`): 74 under 32 MiB, so cold point reads of a large MV found most of its
 * table files closed (docs/performance.md, "Session 40").
 *
 * Cost: one read of /proc/self/status (~30 µs; `process.memoryUsage.rss()` ~11) per delivery of GC notifications (a few
 * dozen a second under a load, none when idle) and one heap-space query per full
 * collection; the forced collection at start takes a few ms.
 * Limitation: memory that is not state but grows after start (tables loaded in the
 * background after a restart, big query results) is paid for by the cache; the scale is
 * capped so the cache still holds limit / MAX_SCALE of estimated entries then.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stateHeapBudget } from '@freshet/stream';
import { HEAP_GROWING_PERCENT } from './heap-tuning';

/**
 * The scale never exceeds this: the cache keeps at least limit / MAX_SCALE of estimated
 * bytes (8 MiB under 64 MiB). Under a small limit what the process holds besides the cache
 * (LevelDB's memtables, malloc, the collector's headroom over the idle
 * heap) leaves the state little: capped at 4 the cache kept 13–15 MiB estimated and the
 * process settled 10–25 MiB over the limit. Not higher: state written since the last
 * checkpoint (up to limit/8 estimated before one is forced) cannot be evicted, and weighed
 * further over the limit it would force a checkpoint at every commit and hold new epochs back.
 */
export const MAX_SCALE = 8;

/**
 * The scale until the first full collection says otherwise. Not 1: the first reading comes
 * only at the first full collection, and a new MV's fill reached it with the cache at its
 * estimate's full limit — the process's peak, 196–222 MiB under 64 MiB, in its first two
 * seconds. Starting high costs nothing that lasts: the cache only grows as keys are read,
 * and each full collection under the limit relaxes the scale.
 */
export const INITIAL_SCALE = MAX_SCALE / 2;

export interface MemoryManager {
  /** Live heap of the idle server, bytes. */
  readonly baseline: number;
  /** Anonymous resident memory of the idle server, bytes (the limit is what the process may hold beyond it). */
  readonly idleAnonRss: number;
  /** The current bytes per estimated byte of state. */
  readonly scale: number;
  /**
   * Feeds one full collection's reading (the GC observer does this; tests call it): the
   * heap live after it and the process's anonymous resident memory now, bytes.
   */
  observe(liveBytes: number, anonRssBytes: number): void;
  /** Feeds an anonymous-resident reading between full collections (the highest until the next one counts). */
  sample(anonRssBytes: number): void;
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

/** Whether /proc/self/status has given RssAnon (decided at the first read that fails). */
let procStatus = true;

/**
 * The process's anonymous resident memory, bytes: RssAnon of /proc/self/status, where Linux
 * has it; all of RSS elsewhere (or if the file cannot be read).
 */
export function anonResident(): number {
  if (procStatus) {
    try {
      const kib = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'));
      if (kib) return Number(kib[1]) * 1024;
    } catch {
      // not Linux, or /proc is not mounted
    }
    procStatus = false; // once: readings come with every GC notification
  }
  return process.memoryUsage.rss();
}

/** Runs a full collection now (exposes V8's `gc` to a fresh context; the flag is process-wide). */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Starts managing the state cache against `limit` bytes: measures the idle server now (call
 * it once the server is loaded, before streaming state grows), then observes collections.
 * `log` gets a line when the scale moves by more than a fifth.
 */
export function startMemoryManager(
  limit: number,
  log: (msg: string) => void = () => {},
  opts: { baseline?: number; idleAnonRss?: number; observeGc?: boolean; initialScale?: number } = {},
): MemoryManager {
  let baseline = opts.baseline ?? -1;
  if (baseline < 0) {
    collectGarbage();
    baseline = oldHeapUsed();
  }
  let idleAnonRss = opts.idleAnonRss ?? anonResident();
  const growth = HEAP_GROWING_PERCENT / 100;
  stateHeapBudget.scale = opts.initialScale ?? INITIAL_SCALE;
  let logged = stateHeapBudget.scale;
  /** Highest anonymous RSS sampled since the last full collection. */
  let highest = 0;
  log(`memory: ${mib(idleAnonRss)} MiB resident at start, anonymous (heap ${mib(baseline)} MiB live); the state cache gives way to keep the process within ${mib(limit)} MiB more`);
  const manager: MemoryManager = {
    baseline,
    get idleAnonRss() {
      return idleAnonRss;
    },
    get scale() {
      return stateHeapBudget.scale;
    },
    observe(live: number, anon: number) {
      // The process never holds less than idle: a lower reading means the one at start was
      // high (freed memory the allocator had not returned yet; jemalloc returns it after ~1 s).
      if (anon < idleAnonRss) idleAnonRss = anon;
      const peak = Math.max(anon + live * growth, highest);
      highest = anon;
      const held = peak - idleAnonRss;
      // Damped (square root of the ratio): one collection's reading includes floating
      // garbage and whatever batch was in flight; a few collections converge.
      const next = Math.min(MAX_SCALE, Math.max(1, stateHeapBudget.scale * Math.sqrt(Math.max(held, 1) / limit)));
      stateHeapBudget.scale = next;
      if (Math.abs(next - logged) > logged * 0.2) {
        logged = next;
        log(`memory: ~${mib(held)} MiB over the idle server at the peak (anonymous RSS ${mib(anon)} MiB, heap ${mib(live)} MiB live), cache estimate scaled by ${next.toFixed(2)}`);
      }
    },
    sample(anon: number) {
      if (anon > highest) highest = anon;
      if (anon < idleAnonRss) idleAnonRss = anon;
    },
    stop() {
      observer?.disconnect();
      stateHeapBudget.scale = 1;
    },
  };
  let observer: PerformanceObserver | null = null;
  if (opts.observeGc !== false) {
    observer = new PerformanceObserver((list) => {
      // One reading per delivery: a full collection in it, or else the anonymous RSS between them.
      const anon = anonResident();
      if (list.getEntries().some((e) => (e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) {
        manager.observe(oldHeapUsed(), anon);
      } else manager.sample(anon);
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  return manager;
}

function mib(b: number): string {
  return (b / 2 ** 20).toFixed(1);
}
